"""Every error class and code, raised by a real call, with its details."""

from __future__ import annotations

import pickle
from contextlib import closing
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import holdfast
from conftest import WriteLock, at
from holdfast.errors import ERRORS_BY_CODE

#: Every code the core can raise (core/src/error.rs), and its class.
CODES = {
    "INVALID_INPUT": holdfast.InvalidInputError,
    "NOT_FOUND": holdfast.NotFoundError,
    "ALREADY_EXISTS": holdfast.AlreadyExistsError,
    "CONFLICT": holdfast.ConflictError,
    "INVALID_TRANSITION": holdfast.InvalidTransitionError,
    "HOLD_EXPIRED": holdfast.HoldExpiredError,
    "OUTSIDE_AVAILABILITY": holdfast.OutsideAvailabilityError,
    "IDEMPOTENCY_MISMATCH": holdfast.IdempotencyMismatchError,
    "VERSION_MISMATCH": holdfast.VersionMismatchError,
    "LIMIT_EXCEEDED": holdfast.LimitExceededError,
    "STORE_UNAVAILABLE": holdfast.StoreUnavailableError,
    "INTERNAL": holdfast.InternalError,
}

START, END = at("2026-12-01T09:00Z"), at("2026-12-01T17:00Z")


def test_one_class_per_code() -> None:
    assert ERRORS_BY_CODE == CODES
    for code, cls in CODES.items():
        assert issubclass(cls, holdfast.HoldfastError) and cls.CODE == code
    assert issubclass(holdfast.InvalidInputError, ValueError)
    assert issubclass(holdfast.LimitExceededError, ValueError)


def test_errors_survive_pickling() -> None:
    e = holdfast.ConflictError("busy", "CONFLICT", {"conflicts": [{"id": "b1"}]})
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is holdfast.ConflictError
    assert (str(back), back.code, back.details) == ("busy", "CONFLICT", {"conflicts": [{"id": "b1"}]})
    assert holdfast.NotFoundError("gone").code == "NOT_FOUND"


def raised(call: object) -> holdfast.HoldfastError:
    assert callable(call)
    with pytest.raises(holdfast.HoldfastError) as info:
        call()
    return info.value


def check(error: holdfast.HoldfastError, code: str) -> None:
    assert type(error) is CODES[code], (type(error), code)
    assert error.code == code and isinstance(error.details, dict) and str(error) == error.message


def test_invalid_input_names_the_field(tenant: holdfast.Tenant) -> None:
    e = raised(lambda: tenant.create_booking(resource_id="ada", start=END, end=START))
    check(e, "INVALID_INPUT")
    assert e.details == {"field": "end"}
    e = raised(lambda: tenant.create_booking(resource_id="ada", start=datetime(2026, 12, 1, 9), end=END))
    check(e, "INVALID_INPUT")
    assert e.details == {"field": "start"} and "naive" in str(e)


def test_not_found(tenant: holdfast.Tenant) -> None:
    e = raised(lambda: tenant.get_booking("missing"))
    check(e, "NOT_FOUND")
    assert e.details == {"entity": "booking", "id": "missing"}


def test_already_exists(tenant: holdfast.Tenant) -> None:
    tenant.create_booking(id="b1", resource_id="ada", start=START, end=END)
    e = raised(lambda: tenant.create_booking(id="b1", resource_id="ada", start=START, end=END, title="other"))
    check(e, "ALREADY_EXISTS")
    assert e.details == {"entity": "booking", "id": "b1"}


def test_conflict_lists_every_blocking_booking(tenant: holdfast.Tenant) -> None:
    b = tenant.create_booking(resource_id="ada", start=START, end=END, status="confirmed")
    e = raised(lambda: tenant.create_booking(resource_id="ada", start=START, end=END))
    check(e, "CONFLICT")
    assert e.details == {
        "resource_id": "ada",
        "conflicts": [
            {
                "id": b.id,
                "resource_id": "ada",
                "status": "confirmed",
                "interval": {"start": "2026-12-01T09:00:00Z", "end": "2026-12-01T17:00:00Z"},
                "quantity": 1,
            }
        ],
    }


def test_invalid_transition(tenant: holdfast.Tenant) -> None:
    b = tenant.create_booking(resource_id="ada", start=START, end=END, status="confirmed")
    e = raised(lambda: tenant.pencil(b.id))
    check(e, "INVALID_TRANSITION")
    assert e.details == {"id": b.id, "status": "confirmed", "action": "pencil"}


def test_hold_expired(tenant: holdfast.Tenant, clock: holdfast.ManualClock) -> None:
    b = tenant.create_booking(resource_id="ada", start=START, end=END, hold_ttl=timedelta(minutes=5))
    clock.advance(timedelta(minutes=6))
    e = raised(lambda: tenant.confirm(b.id))
    check(e, "HOLD_EXPIRED")
    assert e.details == {"id": b.id, "expired_at": "2026-11-23T08:05:00Z"}
    assert tenant.get_booking(b.id).status == "expired"  # recorded in the same transaction


def test_outside_availability(tenant: holdfast.Tenant) -> None:
    tenant.set_availability("ada", policy="strict", weekly=[{"weekday": "tuesday", "start": "09:00", "end": "12:00"}])
    e = raised(lambda: tenant.create_booking(resource_id="ada", start=START, end=END))
    check(e, "OUTSIDE_AVAILABILITY")
    assert e.details["resource_id"] == "ada" and e.details["reasons"][0]["kind"] == "outside_hours"


def test_idempotency_mismatch(tenant: holdfast.Tenant) -> None:
    tenant.create_booking(resource_id="ada", start=START, end=END, idempotency_key="k")
    e = raised(lambda: tenant.create_booking(resource_id="ada", start=START, end=END, idempotency_key="k", quantity=1, title="x"))
    check(e, "IDEMPOTENCY_MISMATCH")
    assert e.details == {"idempotency_key": "k"}


def test_version_mismatch(tenant: holdfast.Tenant) -> None:
    b = tenant.create_booking(resource_id="ada", start=START, end=END)
    tenant.pencil(b.id)
    e = raised(lambda: tenant.confirm(b.id, expected_version=1))
    check(e, "VERSION_MISMATCH")
    assert e.details == {"entity": "booking", "id": b.id, "expected_version": 1, "current_version": 2}


def test_limit_exceeded(tenant: holdfast.Tenant) -> None:
    e = raised(lambda: tenant.create_booking(resource_id="ada", start=START, end=END, title="x" * 256))
    check(e, "LIMIT_EXCEEDED")
    assert e.details == {"field": "title", "max": 255, "actual": 256}
    e = raised(lambda: tenant.list_bookings(limit=1_001))
    check(e, "LIMIT_EXCEEDED")


def test_store_unavailable_when_the_lock_is_held_past_the_timeout(db_path: Path) -> None:
    with holdfast.Engine.open(f"sqlite://{db_path}", busy_timeout=timedelta(milliseconds=200)) as engine:
        engine.create_tenant("acme", "Acme")
        t = engine.tenant("acme")
        t.create_resource(id="ada", name="Ada")
        with WriteLock(db_path):  # another process holds the write lock
            e = raised(lambda: t.create_booking(resource_id="ada", start=START, end=END))
            check(e, "STORE_UNAVAILABLE")
        assert len(t.list_bookings()) == 0  # nothing half-written
        t.create_booking(resource_id="ada", start=START, end=END)  # and it recovers


def test_internal_for_a_corrupt_store(db_path: Path) -> None:
    url = f"sqlite://{db_path}"
    with holdfast.Engine.open(url) as engine:
        engine.create_tenant("acme", "Acme")
        engine.tenant("acme").create_resource(id="ada", name="Ada")
    # Corrupted while no engine has it open (see conftest.WriteLock on why
    # not beside an open engine in this process).
    with closing(sqlite3.connect(db_path)) as raw, raw:
        raw.execute("UPDATE resources SET timezone = 'Not/A_Zone' WHERE id = 'ada'")
    with holdfast.Engine.open(url) as engine:
        e = raised(lambda: engine.tenant("acme").check_availability("ada", start=START, end=END))
        check(e, "INTERNAL")


def test_batch_errors_are_the_items_own_kind_with_its_index(tenant: holdfast.Tenant) -> None:
    tenant.create_booking(resource_id="ada", start=START, end=END, status="confirmed")
    e = raised(
        lambda: tenant.create_bookings(
            [
                {"resource_id": "ada", "start": at("2026-12-02T09:00Z"), "end": at("2026-12-02T10:00Z")},
                {"resource_id": "nobody", "start": START, "end": END},
            ]
        )
    )
    check(e, "NOT_FOUND")
    assert e.details == {"entity": "resource", "id": "nobody", "index": 1}
    e = raised(lambda: tenant.create_bookings([{"resource_id": "ada", "start": END, "end": START}]))
    check(e, "INVALID_INPUT")
    assert e.details == {"field": "items[0].end", "index": 0}

