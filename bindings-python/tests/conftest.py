"""Shared fixtures: engines on a temp SQLite file or in memory, a manual
clock, and a tenant with an artist."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

import holdfast

UTC = timezone.utc
#: Where the manual clock starts: before every booking the tests make.
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    """An aware instant from ISO 8601 with an offset ("2026-12-01T09:00Z")."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert value.tzinfo is not None, text
    return value


@pytest.fixture
def clock() -> holdfast.ManualClock:
    return holdfast.ManualClock(T0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "holdfast.db"


@pytest.fixture
def engine(db_path: Path, clock: holdfast.ManualClock) -> Iterator[holdfast.Engine]:
    with holdfast.Engine.open(f"sqlite://{db_path}", clock=clock) as engine:
        yield engine


@pytest.fixture
def tenant(engine: holdfast.Engine) -> holdfast.Tenant:
    engine.create_tenant("acme", "Acme Studio")
    t = engine.tenant("acme")
    t.create_resource(id="ada", name="Ada", kind="artist", timezone="Europe/Berlin", tags=["animator"])
    return t


_HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


class WriteLock:
    """Holds a SQLite file's write lock from another process until released.

    Another *process*, not Python's ``sqlite3`` in this one: that is a second
    copy of SQLite beside the engine's bundled one, and POSIX file locks do
    not conflict within a process, so the two would not see each other's
    locks (SQLite's "multiple copies of SQLite in one process" hazard)."""

    def __init__(self, path: Path) -> None:
        self._child = subprocess.Popen(
            [sys.executable, "-c", _HOLD_LOCK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._child.stdout is not None
        assert self._child.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self._child.poll() is None:
            assert self._child.stdin is not None
            self._child.stdin.write("\n")
            self._child.stdin.close()
        assert self._child.wait(timeout=30) == 0

    def __enter__(self) -> WriteLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
