"""Python threads racing through one engine: the capacity invariant holds,
and the GIL is released during store work, so calls overlap."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import List, Tuple

import holdfast
from conftest import WriteLock, at

THREADS = 8
START, END = at("2026-12-01T09:00Z"), at("2026-12-01T17:00Z")


def open_race(db_path: Path, capacity: int = 1) -> Tuple[holdfast.Engine, holdfast.Tenant]:
    # Generous timeouts: a loaded CI machine must not turn waiting into errors.
    engine = holdfast.Engine.open(f"sqlite://{db_path}", busy_timeout=timedelta(seconds=60), pool_size=THREADS)
    engine.create_tenant("acme", "Acme")
    t = engine.tenant("acme")
    t.create_resource(id="ada", name="Ada", capacity=capacity)
    return engine, t


def test_eight_threads_on_one_slot_overlap_inside_the_engine_and_one_wins(db_path: Path) -> None:
    engine, t = open_race(db_path)
    outcomes: List[str] = []
    entered: List[float] = []
    left: List[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(THREADS + 1)

    def book(i: int) -> None:
        ready.wait()
        with lock:
            entered.append(time.monotonic())
        try:
            t.create_booking(resource_id="ada", start=START, end=END, status="confirmed", title=f"thread {i}")
            outcome = "ok"
        except holdfast.ConflictError:
            outcome = "conflict"
        except Exception as e:  # noqa: BLE001 - recorded and asserted below
            outcome = repr(e)
        with lock:
            left.append(time.monotonic())
            outcomes.append(outcome)

    try:
        # Another process holds the file's write lock, so every thread's
        # create_booking blocks inside the engine (SQLite's busy wait) until
        # it is released. Were the GIL held while waiting, the first blocked
        # thread would freeze this one (and the rest) until its busy timeout.
        with WriteLock(db_path) as write_lock:
            threads = [threading.Thread(target=book, args=(i,)) for i in range(THREADS)]
            for thread in threads:
                thread.start()
            ready.wait()
            # This thread keeps running Python while the calls wait: until all
            # eight have entered the engine, then a little longer.
            spins, deadline, settle = 0, time.monotonic() + 30, None
            while time.monotonic() < deadline and (settle is None or time.monotonic() < settle):
                spins += 1
                if settle is None and len(entered) == THREADS:
                    settle = time.monotonic() + 0.3
            with lock:
                assert len(entered) == THREADS and outcomes == [], "all eight calls are in flight"
            released_at = time.monotonic()
            write_lock.release()
            for thread in threads:
                thread.join(timeout=60)
        assert spins > 1_000, "the main thread ran while the calls were blocked"
        assert sorted(outcomes) == ["conflict"] * (THREADS - 1) + ["ok"], outcomes
        # Every call was in flight at once: all entered before the lock was
        # released, none left before it.
        assert max(entered) < released_at < min(left)
        [winner] = t.list_bookings().items
        assert winner.status == "confirmed"
    finally:
        engine.close()


def test_threads_racing_for_capacity_never_overbook(db_path: Path) -> None:
    capacity, slots = 3, 10
    engine, t = open_race(db_path, capacity=capacity)
    wins: List[int] = []
    errors: List[str] = []
    barrier = threading.Barrier(THREADS)

    def book(slot: int) -> None:
        barrier.wait()
        start = START + timedelta(days=slot)
        try:
            t.create_booking(resource_id="ada", start=start, end=start + timedelta(hours=2), status="pencil")
            wins.append(slot)
        except holdfast.ConflictError:
            pass
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    try:
        for slot in range(slots):
            threads = [threading.Thread(target=book, args=(slot,)) for _ in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        assert errors == []
        assert sorted(wins) == sorted(list(range(slots)) * capacity)
        per_slot = {}
        for b in t.booking_records():
            per_slot[b["start"]] = per_slot.get(b["start"], 0) + b["quantity"]
        assert set(per_slot.values()) == {capacity}
    finally:
        engine.close()
