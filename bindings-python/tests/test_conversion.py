"""Conversion at the boundary: aware datetimes in any zone in, UTC out;
naive datetimes refused naming the argument; timedeltas; JSON metadata."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Dict

import pytest

import holdfast
from conftest import UTC, at

try:
    from zoneinfo import ZoneInfo
except ImportError:  # Python 3.8 has no zoneinfo; the package needs 3.9+
    pytest.skip("zoneinfo needed", allow_module_level=True)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def test_aware_datetimes_in_any_zone_come_back_in_utc(tenant: holdfast.Tenant) -> None:
    start = datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=BERLIN)  # CEST, UTC+2
    end = datetime(2026, 7, 1, 4, 0, tzinfo=NEW_YORK)  # EDT, UTC-4 = 08:00Z
    b = tenant.create_booking(resource_id="ada", start=start, end=end)
    assert b.start == start and b.end == end  # the same instants
    assert b.start.tzinfo is timezone.utc and b.start == datetime(2026, 7, 1, 7, 30, 15, 123456, tzinfo=UTC)
    assert b.end.isoformat() == "2026-07-01T08:00:00+00:00"
    fixed = timezone(timedelta(hours=5, minutes=30))
    c = tenant.create_booking(resource_id="ada", start=datetime(2026, 7, 2, 0, 0, tzinfo=fixed), end=at("2026-07-02T00:00Z"))
    assert c.start == at("2026-07-01T18:30Z")


def test_the_fold_is_respected() -> None:
    # 02:30 happens twice in Berlin on 2026-10-25; fold picks the occurrence.
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=0)
    second = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1)
    clock = holdfast.ManualClock(first)
    assert clock.now() == at("2026-10-25T00:30Z")
    clock.set(second)
    assert clock.now() == at("2026-10-25T01:30Z")


def test_microseconds_and_the_edges_of_the_calendar_round_trip() -> None:
    for instant in [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC) - timedelta(microseconds=1),
        datetime(2026, 12, 1, 9, 0, 0, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]:
        assert holdfast.ManualClock(instant).now() == instant


NAIVE = datetime(2026, 12, 1, 9, 0)
START, END = at("2026-12-01T09:00Z"), at("2026-12-01T10:00Z")


@pytest.mark.parametrize(
    "field, call",
    [
        ("start", lambda t: t.create_booking(resource_id="ada", start=NAIVE, end=END)),
        ("end", lambda t: t.create_booking(resource_id="ada", start=START, end=NAIVE)),
        ("hold_expires_at", lambda t: t.create_booking(resource_id="ada", start=START, end=END, hold_expires_at=NAIVE)),
        ("start", lambda t: t.list_bookings(start=NAIVE, end=END)),
        ("end", lambda t: t.check_availability("ada", start=START, end=NAIVE)),
        ("start", lambda t: t.free_busy(["ada"], start=NAIVE, end=END)),
        ("start", lambda t: t.find_slots(start=NAIVE, end=END, tag="animator", duration=timedelta(hours=1))),
        ("start", lambda t: t.reschedule("x", start=NAIVE, end=END)),
        ("hold_expires_at", lambda t: t.extend_hold("x", hold_expires_at=NAIVE)),
        ("end", lambda t: t.utilization(START, NAIVE)),
        ("items[0].start", lambda t: t.create_bookings([{"resource_id": "ada", "start": NAIVE, "end": END}])),
        ("start", lambda t: holdfast.ManualClock(NAIVE)),
    ],
)
def test_naive_datetimes_are_invalid_input_naming_the_argument(
    tenant: holdfast.Tenant, field: str, call: Callable[[holdfast.Tenant], Any]
) -> None:
    with pytest.raises(holdfast.InvalidInputError) as e:
        call(tenant)
    assert e.value.details == {"field": field}
    assert "naive" in str(e.value)
    assert len(tenant.list_bookings()) == 0


def test_wrong_types_are_type_errors(tenant: holdfast.Tenant) -> None:
    with pytest.raises(TypeError, match="start"):
        tenant.create_booking(resource_id="ada", start="2026-12-01T09:00Z", end=END)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="start"):
        tenant.create_booking(resource_id="ada", start=date(2026, 12, 1), end=END)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hold_ttl"):
        tenant.create_booking(resource_id="ada", start=START, end=END, hold_ttl=60)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="resurce_id"):
        tenant.create_booking(resurce_id="ada", start=START, end=END)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="metadata"):
        tenant.create_booking(resource_id="ada", start=START, end=END, metadata=["not", "a", "dict"])  # type: ignore[arg-type]


def test_missing_required_fields(tenant: holdfast.Tenant) -> None:
    with pytest.raises(holdfast.InvalidInputError) as e:
        tenant.create_booking(resource_id="ada", start=START)  # type: ignore[call-arg]
    assert e.value.details == {"field": "end"}
    with pytest.raises(holdfast.InvalidInputError) as e:
        tenant.create_booking(start=START, end=END)  # type: ignore[call-arg]
    assert e.value.details == {"field": "resource_id"}


def test_out_of_range_numbers_are_invalid_input(tenant: holdfast.Tenant) -> None:
    for quantity in (-1, 2**40):
        with pytest.raises(holdfast.InvalidInputError) as e:
            tenant.create_booking(resource_id="ada", start=START, end=END, quantity=quantity)
        assert e.value.details == {"field": "quantity"}
    with pytest.raises(holdfast.InvalidInputError) as e:
        tenant.create_booking(resource_id="ada", start=START, end=END, quantity=0)  # the core's rule
    assert e.value.details == {"field": "quantity"}


def test_durations(tenant: holdfast.Tenant) -> None:
    r = tenant.create_resource(name="Room", buffer_before=timedelta(days=1, seconds=1, microseconds=5))
    assert r.buffer_before == timedelta(days=1, seconds=1, microseconds=5)
    with pytest.raises(holdfast.InvalidInputError) as e:
        tenant.create_resource(name="Room", buffer_after=timedelta(minutes=-1))
    assert e.value.details == {"field": "buffer_after"}
    with pytest.raises(holdfast.LimitExceededError) as limit:
        tenant.create_resource(name="Room", buffer_after=timedelta(days=8))
    assert limit.value.details["field"] == "buffer_after"
    with pytest.raises(holdfast.InvalidInputError):
        tenant.create_booking(resource_id="ada", start=START, end=END, hold_ttl=timedelta(0))


def test_metadata_round_trips_as_json(tenant: holdfast.Tenant) -> None:
    metadata: Dict[str, Any] = {
        "s": "text ✓",
        "i": -(2**62),
        "u": 2**64 - 1,
        "f": 1.25,
        "b": False,
        "n": None,
        "list": [1, "two", [3.0], {"four": 4}],
        "tuple": (1, 2),
    }
    b = tenant.create_booking(resource_id="ada", start=START, end=END, metadata=metadata)
    assert b.metadata == {**metadata, "tuple": [1, 2]}
    for bad in ({"x": float("nan")}, {"x": {1: "int key"}}, {"x": object()}, {"x": datetime.now(UTC)}):
        with pytest.raises(holdfast.InvalidInputError) as e:
            tenant.create_booking(resource_id="ada", start=START, end=END, metadata=bad)
        assert e.value.details == {"field": "metadata"}
    deep: Dict[str, Any] = {}
    node = deep
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(holdfast.InvalidInputError):
        tenant.create_booking(resource_id="ada", start=START, end=END, metadata=deep)


def test_results_are_frozen_plain_objects(tenant: holdfast.Tenant) -> None:
    b = tenant.create_booking(resource_id="ada", start=START, end=END)
    with pytest.raises(AttributeError):
        b.status = "confirmed"  # type: ignore[misc]
    b.metadata["x"] = 1  # a fresh dict each read: the booking does not change
    assert b.metadata == {}
    confirmed = tenant.confirm(b.id)
    assert confirmed != b and confirmed == tenant.get_booking(b.id) and b != "not a booking"
    assert repr(b).startswith("Booking(id=")
