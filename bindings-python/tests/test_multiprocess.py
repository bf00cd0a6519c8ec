"""This Python process and a Rust process (`examples/rust_peer.rs`, the core
used directly) write one SQLite file at once: no slot is booked twice, and
Python sees the Rust side's writes (reads, the read cache, the event log)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest

import holdfast

ROOT = Path(__file__).resolve().parents[2]
BASE = datetime(2030, 1, 7, tzinfo=timezone.utc)  # the peer's slot 0
RESOURCES = ["ada", "grace", "rust-only"]  # slot k is on RESOURCES[k % 3]
SLOTS = 240


@pytest.fixture(scope="session")
def rust_peer() -> Path:
    """The peer binary: $HOLDFAST_RUST_PEER (scripts/test.sh builds it), or
    built here with cargo."""
    given = os.environ.get("HOLDFAST_RUST_PEER")
    if given:
        return Path(given)
    build = subprocess.run(
        ["cargo", "build", "-q", "-p", "holdfast-python", "--example", "rust_peer", "--message-format=json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in build.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "rust_peer":
            return Path(message["executable"])
    raise AssertionError("cargo built no rust_peer")


def slot(k: int) -> Dict[str, Any]:
    start = BASE + timedelta(hours=k // len(RESOURCES))
    return {"resource_id": RESOURCES[k % len(RESOURCES)], "start": start, "end": start + timedelta(hours=1)}


def start_peer(rust_peer: Path, db_path: Path, slots: int) -> "subprocess.Popen[str]":
    peer = subprocess.Popen(
        [str(rust_peer), "write", str(db_path), "acme", str(slots), ",".join(RESOURCES)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert peer.stdout is not None and peer.stdout.readline().strip() == "ready"
    return peer


def go(peer: "subprocess.Popen[str]") -> None:
    """Lets the peer start writing."""
    assert peer.stdin is not None
    peer.stdin.write("go\n")
    peer.stdin.flush()


def finish(peer: "subprocess.Popen[str]") -> List[str]:
    out, _ = peer.communicate(timeout=300)
    assert peer.returncode == 0, out
    return out.splitlines()


def test_python_and_rust_write_one_file_without_double_booking(db_path: Path, rust_peer: Path) -> None:
    with holdfast.Engine.open(f"sqlite://{db_path}", busy_timeout=timedelta(seconds=60)) as engine:
        engine.create_tenant("acme", "Acme")
        t = engine.tenant("acme", actor="python")
        for rid in RESOURCES:
            t.create_resource(id=rid, name=rid)
        # Warm this engine's read cache on a slot only the peer will book.
        rust_slot = slot(2)
        assert t.check_availability("rust-only", start=rust_slot["start"], end=rust_slot["end"]).available
        seq_before = list(t.events(timeout=0))[-1].seq

        peer = start_peer(rust_peer, db_path, SLOTS)
        go(peer)
        mine: List[str] = []
        for k in range(SLOTS):
            if RESOURCES[k % len(RESOURCES)] == "rust-only":
                continue
            try:
                mine.append(t.create_booking(**slot(k), status="confirmed", title=f"python slot {k}").id)
            except holdfast.ConflictError:
                pass
        lines = finish(peer)
        theirs = [line.split()[1] for line in lines if line.startswith("booked ")]
        done = dict(part.split("=") for part in lines[-1].split()[1:])
        assert int(done["ok"]) == len(theirs)
        print(f"python booked {len(mine)}, rust booked {len(theirs)} ({done['conflict']} conflicts)")
        assert int(done["ok"]) + int(done["conflict"]) == SLOTS

        # Every slot is booked exactly once, by one side or the other.
        assert len(mine) + len(theirs) == SLOTS
        assert len(set(mine) | set(theirs)) == SLOTS
        everything = t.booking_records()
        assert sorted(b["id"] for b in everything) == sorted(mine + theirs)
        by_resource: Dict[str, List[Dict[str, Any]]] = {}
        for b in everything:
            by_resource.setdefault(b["resource_id"], []).append(b)
        for rid, bookings in by_resource.items():
            bookings.sort(key=lambda b: b["start"])
            for earlier, later in zip(bookings, bookings[1:]):
                assert earlier["end"] <= later["start"], (rid, earlier, later)
        assert len(by_resource["rust-only"]) == SLOTS // len(RESOURCES)

        # Python sees the Rust side's writes: by id, through the read cache,
        # and in the one gap-free event log.
        for booking_id in theirs:
            booking = t.get_booking(booking_id)
            assert booking.title is not None and booking.title.startswith("rust slot")
        check = t.check_availability("rust-only", start=rust_slot["start"], end=rust_slot["end"])
        assert not check.available and check.reasons[0]["kind"] == "conflict"
        log = list(t.events(seq_before, timeout=0))
        assert [e.seq for e in log] == list(range(seq_before + 1, seq_before + 1 + SLOTS))
        assert {e.actor for e in log} == ({"python", "rust"} if mine else {"rust"})
        assert {e.booking_id for e in log if e.actor == "rust"} == set(theirs)


def test_the_event_iterator_follows_another_process(db_path: Path, rust_peer: Path) -> None:
    with holdfast.Engine.open(f"sqlite://{db_path}", busy_timeout=timedelta(seconds=60)) as engine:
        engine.create_tenant("acme", "Acme")
        t = engine.tenant("acme")
        for rid in RESOURCES:
            t.create_resource(id=rid, name=rid)
        since = list(t.events(timeout=0))[-1].seq
        peer = start_peer(rust_peer, db_path, 6)
        # Following from `since` with nothing logged yet: the iterator waits,
        # polling the log, until the peer's writes arrive.
        with t.events(since, timeout=60, limit=6, poll_interval=0.05) as feed:
            go(peer)
            arrived = list(feed)
        finish(peer)
        assert [e.seq for e in arrived] == list(range(since + 1, since + 7))
        assert {(e.type, e.actor) for e in arrived} == {("created", "rust")}
