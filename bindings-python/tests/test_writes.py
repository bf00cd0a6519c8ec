"""The write options of ``Engine.open`` (``durability``, ``write_batch_max``,
``write_queue_max``, ``write_linger``) and ``engine.write_stats()``: how the core grouped writes
into transactions (group commit)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

import holdfast
from conftest import WriteLock, at

THREADS = 8
START = at("2026-12-01T00:00Z")


def acme(db_path: Path, **options: Any) -> Tuple[holdfast.Engine, holdfast.Tenant]:
    engine = holdfast.Engine.open(f"sqlite://{db_path}", **options)
    engine.create_tenant("acme", "Acme Studio")
    t = engine.tenant("acme")
    t.create_resource(id="ada", name="Ada")
    return engine, t


def hour(i: int) -> Dict[str, Any]:
    return {"resource_id": "ada", "start": START + timedelta(hours=i), "end": START + timedelta(hours=i + 1)}


def test_durability_normal_opens_and_its_writes_are_there_after_reopening(db_path: Path) -> None:
    engine, t = acme(
        db_path, durability="normal", write_batch_max=16, write_queue_max=64, write_linger=timedelta(microseconds=500)
    )
    booked = t.create_booking(**hour(0), status="confirmed")
    engine.close()
    with holdfast.Engine.open(f"sqlite://{db_path}", durability="full", write_linger=0.001) as again:
        assert again.tenant("acme").get_booking(booked.id) == booked


@pytest.mark.parametrize(
    ("options", "error", "field"),
    [
        ({"durability": "fast"}, holdfast.InvalidInputError, "durability"),
        ({"write_batch_max": 0}, holdfast.InvalidInputError, "write_batch_max"),
        ({"write_batch_max": 10_001}, holdfast.LimitExceededError, "write_batch_max"),
        ({"write_batch_max": -1}, holdfast.InvalidInputError, "write_batch_max"),
        ({"write_queue_max": 0}, holdfast.InvalidInputError, "write_queue_max"),
        ({"write_queue_max": 1_000_001}, holdfast.LimitExceededError, "write_queue_max"),
        ({"write_linger": timedelta(milliseconds=11)}, holdfast.InvalidInputError, "write_linger"),
        ({"write_linger": -1.0}, holdfast.InvalidInputError, "write_linger"),
    ],
)
def test_bad_write_options_raise_naming_the_option(
    db_path: Path, options: Dict[str, Any], error: type, field: str
) -> None:
    with pytest.raises(error) as e:
        holdfast.Engine.open(f"sqlite://{db_path}", **options)
    assert isinstance(e.value, holdfast.HoldfastError)
    assert e.value.details["field"] == field


def test_write_options_of_the_wrong_type_are_type_errors(db_path: Path) -> None:
    with pytest.raises(TypeError):
        holdfast.Engine.open(f"sqlite://{db_path}", durability=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        holdfast.Engine.open(f"sqlite://{db_path}", write_linger="1ms")  # type: ignore[arg-type]


def test_write_stats_count_every_write_failed_ones_too_and_no_read(db_path: Path) -> None:
    engine, t = acme(db_path)
    try:
        assert engine.write_stats() == {"writes": 2, "batches": 2, "queued": 0}  # tenant, resource
        b = t.create_booking(**hour(0), status="confirmed")
        with pytest.raises(holdfast.ConflictError):
            t.create_booking(**hour(0), status="confirmed")
        t.get_booking(b.id)
        t.list_bookings()
        # One call at a time: each write is its own batch.
        assert engine.write_stats() == {"writes": 4, "batches": 4, "queued": 0}
    finally:
        engine.close()
    with pytest.raises(holdfast.StoreUnavailableError):
        engine.write_stats()


@pytest.mark.parametrize("write_batch_max", [None, 1])
def test_eight_threads_writing_at_once_share_a_transaction_unless_batches_are_one(
    db_path: Path, write_batch_max: Optional[int]
) -> None:
    # Another process holds the file's write lock, so the first create waits
    # inside the engine while the other seven queue behind it; once the lock
    # is released they commit together (unless write_batch_max=1).
    engine, t = acme(db_path, busy_timeout=timedelta(seconds=60), write_batch_max=write_batch_max)
    errors: List[str] = []
    try:
        before = engine.write_stats()

        def book(i: int) -> None:
            try:
                t.create_booking(**hour(i), status="pencil")
            except Exception as e:  # noqa: BLE001 - asserted below
                errors.append(repr(e))

        with WriteLock(db_path) as write_lock:
            threads = [threading.Thread(target=book, args=(i,)) for i in range(THREADS)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while engine.write_stats()["queued"] < THREADS - 1 and time.monotonic() < deadline:
                time.sleep(0.005)
            assert engine.write_stats()["queued"] >= THREADS - 1, engine.write_stats()
            write_lock.release()
            for thread in threads:
                thread.join(timeout=60)
        assert errors == []
        after = engine.write_stats()
        writes, batches = after["writes"] - before["writes"], after["batches"] - before["batches"]
        assert (writes, after["queued"]) == (THREADS, 0)
        if write_batch_max == 1:
            assert batches == writes
        else:
            # The waiting create's batch, then the seven queued behind it
            # (or all eight in one).
            assert 1 <= batches <= 2, (writes, batches)
        assert len(t.list_bookings().items) == THREADS
    finally:
        engine.close()
