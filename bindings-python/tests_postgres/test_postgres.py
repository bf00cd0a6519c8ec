"""The package over PostgreSQL: run by scripts/test.sh in its PostgreSQL
stage (not by the package's own pytest run, whose testpaths is tests/), with
HOLDFAST_TEST_POSTGRES_APP_URL naming an ordinary role on a throwaway
server."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timezone

import holdfast

URL = os.environ["HOLDFAST_TEST_POSTGRES_APP_URL"]
# Every run has its own tenant: the database outlives one test run.
TENANT = f"py-{os.getpid()}-{int(datetime.now().timestamp() * 1000)}"


def at(hour: int) -> datetime:
    return datetime(2026, 12, 1, hour, tzinfo=timezone.utc)


def test_a_flow_on_postgres() -> None:
    with holdfast.Engine.open(URL) as engine:
        engine.create_tenant(TENANT, "Python on PostgreSQL")
        t = engine.tenant(TENANT)
        t.create_resource(id="ada", name="Ada", timezone="Europe/Berlin")
        b = t.create_booking(resource_id="ada", start=at(9), end=at(17), status="pencil")
        try:
            t.create_booking(resource_id="ada", start=at(9), end=at(17), status="confirmed")
            raise AssertionError("the second booking must conflict")
        except holdfast.ConflictError as e:
            assert e.code == "CONFLICT"
            assert e.details["conflicts"][0]["id"] == b.id
        confirmed = t.confirm(b.id, expected_version=b.version)
        assert confirmed.status == "confirmed"
        assert confirmed.start == at(9)
        assert [e.type for e in t.history(b.id)] == ["created", "confirmed"]


def test_threads_on_postgres_one_slot_one_winner() -> None:
    with holdfast.Engine.open(URL) as engine:
        t = engine.tenant(TENANT)
        t.create_resource(id="room", name="Room")
        outcomes: list[str] = []
        lock = threading.Lock()

        def attempt() -> None:
            try:
                t.create_booking(resource_id="room", start=at(10), end=at(11), status="confirmed")
                result = "ok"
            except holdfast.HoldfastError as e:
                result = e.code
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=attempt) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["CONFLICT"] * 7 + ["ok"]
