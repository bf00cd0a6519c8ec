"""One real flow per method of the Python surface, through the package as a
user imports it."""

from __future__ import annotations

import pickle
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import holdfast
from conftest import T0, UTC, at


# ---- engine ----


def test_open_as_context_manager_closes_the_store(db_path: Path) -> None:
    with holdfast.Engine.open(f"sqlite://{db_path}") as engine:
        info = engine.create_tenant("acme", "Acme Studio")
        assert (info.id, info.name) == ("acme", "Acme Studio")
        assert info.created_at.tzinfo is timezone.utc
        t = engine.tenant("acme")
        assert not engine.closed
    assert engine.closed
    with pytest.raises(holdfast.StoreUnavailableError, match="closed"):
        engine.create_tenant("other", "Other")
    with pytest.raises(holdfast.StoreUnavailableError, match="closed"):
        t.get_resource("ada")  # tenants made before close are closed with it
    with pytest.raises(holdfast.StoreUnavailableError):
        engine.tenant("acme")
    engine.close()  # idempotent
    # The file is free again: another engine opens it and sees the tenant.
    with holdfast.Engine(f"sqlite://{db_path}") as again:
        assert again.tenant("acme").id == "acme"


def test_create_tenant_is_idempotent_by_name(engine: holdfast.Engine) -> None:
    first = engine.create_tenant("acme", "Acme Studio")
    assert engine.create_tenant("acme", "Acme Studio") == first
    with pytest.raises(holdfast.AlreadyExistsError):
        engine.create_tenant("acme", "Another Name")


def test_tenant_handles(engine: holdfast.Engine) -> None:
    with pytest.raises(holdfast.NotFoundError):
        engine.tenant("nobody")
    engine.create_tenant("acme", "Acme")
    t = engine.tenant("acme")
    assert isinstance(t, holdfast.Tenant)
    assert (t.id, t.actor, repr(t)) == ("acme", None, "Tenant(id='acme')")
    assert t.engine is engine
    ana = t.as_actor("ana (producer)")
    assert isinstance(ana, holdfast.Tenant)  # the Python class, helpers included
    assert ana.actor == "ana (producer)"
    ana.create_resource(id="ada", name="Ada")
    assert [e.actor for e in ana.events(timeout=0)][-1] == "ana (producer)"
    assert engine.tenant("acme", actor="ben").actor == "ben"


def test_engine_now_ping_cache_stats_and_manual_clock(engine: holdfast.Engine, clock: holdfast.ManualClock) -> None:
    assert engine.now() == T0
    clock.advance(timedelta(minutes=5))
    assert engine.now() == T0 + timedelta(minutes=5) == clock.now()
    clock.set(at("2027-01-01T00:00:00Z"))
    assert engine.now() == at("2027-01-01T00:00:00Z")
    engine.ping()
    stats = engine.cache_stats()
    assert set(stats) == {"hits", "misses", "evictions", "entries", "capacity"}
    assert stats["capacity"] == 4096


def test_engine_options_are_passed_to_the_core(db_path: Path, clock: holdfast.ManualClock) -> None:
    with holdfast.Engine.open(
        f"sqlite://{db_path}",
        default_hold_ttl=timedelta(hours=2),
        busy_timeout=timedelta(seconds=1),
        pool_size=2,
        cache_entries=0,
        clock=clock,
    ) as engine:
        assert engine.cache_stats()["capacity"] == 0
        engine.create_tenant("acme", "Acme")
        t = engine.tenant("acme")
        t.create_resource(id="ada", name="Ada")
        b = t.create_booking(resource_id="ada", start=at("2026-12-01T09:00Z"), end=at("2026-12-01T10:00Z"))
        assert b.hold_expires_at == T0 + timedelta(hours=2)
    with pytest.raises(holdfast.InvalidInputError) as e:
        holdfast.Engine.open("sqlite::memory:", default_hold_ttl=timedelta(0))
    assert e.value.details == {"field": "default_hold_ttl"}


def test_sweep_expired(tenant: holdfast.Tenant, clock: holdfast.ManualClock) -> None:
    b = tenant.create_booking(
        resource_id="ada", start=at("2026-12-01T09:00Z"), end=at("2026-12-01T10:00Z"), hold_ttl=timedelta(minutes=10)
    )
    assert tenant.engine.sweep_expired() == 0
    clock.advance(timedelta(minutes=11))
    assert tenant.engine.sweep_expired() == 1
    assert tenant.get_booking(b.id).status == "expired"


def test_api_keys_issue_authenticate_revoke_list(tenant: holdfast.Tenant) -> None:
    issued = tenant.create_api_key(role="viewer", name="ci")
    assert issued.token.startswith("hf_") and "secret" in repr(issued)
    assert issued.key.role == "viewer" and issued.key.revoked_at is None
    found = tenant.engine.authenticate(issued.token)
    assert found is not None and found.id == issued.key.id and found.tenant_id == "acme"
    bound = tenant.create_api_key(role="resource", resource_id="ada")
    assert bound.key.resource_id == "ada"
    revoked = tenant.revoke_api_key(issued.key.id)
    assert revoked.revoked_at is not None
    assert tenant.engine.authenticate(issued.token) is None
    assert tenant.engine.authenticate("not a token") is None
    page = tenant.list_api_keys(limit=1)
    assert len(page) == 1 and page.next_cursor is not None
    rest = tenant.list_api_keys(cursor=page.next_cursor)
    assert {k.id for k in [*page, *rest]} == {issued.key.id, bound.key.id}
    with pytest.raises(holdfast.InvalidInputError):
        tenant.create_api_key(role="superuser")


# ---- resources ----


def test_resources_create_get_list_update(tenant: holdfast.Tenant) -> None:
    room = tenant.create_resource(
        id="room-1",
        name="Room 1",
        kind="room",
        capacity=3,
        timezone="America/New_York",
        tags=["big", "sound"],
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=15),
        active=True,
        metadata={"floor": 2, "notes": ["window"]},
    )
    assert room.capacity == 3 and room.buffer_after == timedelta(minutes=15) and room.metadata["floor"] == 2
    assert tenant.get_resource("room-1") == room
    generated = tenant.create_resource(name="Unnamed")
    assert len(generated.id) == 36 and generated.kind == "resource" and generated.timezone == "UTC"
    assert generated.capacity == 1 and generated.active and generated.buffer_before == timedelta(0)
    # The same id and fields again return it; other fields are refused.
    assert tenant.create_resource(id="ada", name="Ada", kind="artist", timezone="Europe/Berlin", tags=["animator"])
    with pytest.raises(holdfast.AlreadyExistsError):
        tenant.create_resource(id="ada", name="Someone Else")

    first = tenant.list_resources(limit=2)
    assert [r.id for r in first.items] == sorted(r.id for r in first.items)
    second = tenant.list_resources(limit=2, cursor=first.next_cursor)
    assert second.next_cursor is None
    assert {r.id for r in [*first, *second]} == {"ada", "room-1", generated.id}

    updated = tenant.update_resource("room-1", capacity=4, tags=["big"], expected_version=room.version)
    assert (updated.capacity, updated.tags, updated.version) == (4, ["big"], 2)
    assert updated.name == "Room 1"  # untouched
    with pytest.raises(holdfast.VersionMismatchError) as e:
        tenant.update_resource("room-1", name="Late", expected_version=1)
    assert e.value.details["current_version"] == 2


# ---- availability ----


def test_availability_rules_check_free_busy_and_slots(tenant: holdfast.Tenant) -> None:
    default = tenant.get_availability("ada")
    assert (default.version, default.policy, len(default.weekly), default.updated_at) == (0, "advisory", 7, None)
    rules = tenant.set_availability(
        "ada",
        policy="strict",
        weekly=[{"weekday": day, "start": "09:00", "end": "18:00"} for day in ("monday", "tuesday")],
        overrides=[{"date": date(2026, 12, 8), "hours": []}, {"date": "2026-12-14", "hours": [{"start": "10:00", "end": "12:00"}]}],
    )
    assert rules.version == 1 and rules.policy == "strict"
    assert rules.weekly[0] == {"weekday": "monday", "start": "09:00", "end": "18:00"}
    assert rules.overrides[0] == {"date": date(2026, 12, 8), "hours": []}
    assert tenant.get_availability("ada") == rules

    # Monday 2026-12-07, Berlin is UTC+1: 09:00-18:00 local = 08:00-17:00Z.
    ok = tenant.check_availability("ada", start=at("2026-12-07T08:00Z"), end=at("2026-12-07T10:00Z"))
    assert ok.available and ok.bookable and ok.reasons == [] and ok.quantity == 1
    closed = tenant.check_availability("ada", start=at("2026-12-08T08:00Z"), end=at("2026-12-08T10:00Z"))
    assert not closed.bookable
    assert {"kind": "closed_override", "date": date(2026, 12, 8)} in closed.reasons
    late = tenant.check_availability("ada", start=at("2026-12-07T16:00Z"), end=at("2026-12-07T18:00Z"))
    assert late.reasons == [{"kind": "outside_hours", "intervals": [{"start": at("2026-12-07T17:00Z"), "end": at("2026-12-07T18:00Z")}]}]

    b = tenant.create_booking(
        resource_id="ada", start=at("2026-12-07T09:00Z"), end=at("2026-12-07T11:00Z"), status="confirmed"
    )
    busy = tenant.check_availability("ada", start=at("2026-12-07T10:00Z"), end=at("2026-12-07T12:00Z"), quantity=1)
    assert busy.reasons[0]["kind"] == "conflict" and busy.reasons[0]["id"] == b.id

    [fb] = tenant.free_busy(["ada"], start=at("2026-12-07T00:00Z"), end=at("2026-12-08T00:00Z"))
    assert fb.busy == [
        {"start": at("2026-12-07T09:00Z"), "end": at("2026-12-07T11:00Z"), "booking_id": b.id, "status": "confirmed", "quantity": 1}
    ]
    assert fb.hours == [{"start": at("2026-12-07T08:00Z"), "end": at("2026-12-07T17:00Z")}]
    assert fb.free == [
        {"start": at("2026-12-07T08:00Z"), "end": at("2026-12-07T09:00Z")},
        {"start": at("2026-12-07T11:00Z"), "end": at("2026-12-07T17:00Z")},
    ]

    slots = tenant.find_slots(
        tag="animator", start=at("2026-12-07T00:00Z"), end=at("2026-12-08T00:00Z"), duration=timedelta(hours=2), limit=2
    )
    assert [(s.resource_id, s.start, s.end) for s in slots] == [
        # On the grid from the shift's opening (08:00Z) in steps of the duration; 10-12 meets the booking.
        ("ada", at("2026-12-07T12:00Z"), at("2026-12-07T14:00Z")),
        ("ada", at("2026-12-07T14:00Z"), at("2026-12-07T16:00Z")),
    ]
    assert slots[0].parts == [{"start": at("2026-12-07T12:00Z"), "end": at("2026-12-07T14:00Z")}]
    stepped = tenant.find_slots(
        resource_ids=["ada"],
        start=at("2026-12-07T00:00Z"),
        end=at("2026-12-08T00:00Z"),
        duration=timedelta(hours=2),
        step=timedelta(minutes=30),
        quantity=1,
        limit=1,
        per_resource=True,
    )
    assert stepped[0].start == at("2026-12-07T11:00Z")
    days = tenant.find_slots(resource_ids=["ada"], start=at("2026-12-07T00:00Z"), end=at("2026-12-22T00:00Z"), working_days=2, limit=1)
    assert len(days[0].parts) == 2


# ---- projects ----


def test_projects_create_get_list(tenant: holdfast.Tenant) -> None:
    film = tenant.create_project(id="film", name="The Film", metadata={"budget": 1.5e6})
    assert tenant.get_project("film") == film and film.metadata == {"budget": 1.5e6}
    other = tenant.create_project(name="Campaign")
    page = tenant.list_projects()
    assert {p.id for p in page} == {"film", other.id} and page.next_cursor is None
    with pytest.raises(holdfast.NotFoundError):
        tenant.get_project("nope")


# ---- bookings ----


def test_booking_lifecycle(tenant: holdfast.Tenant, clock: holdfast.ManualClock) -> None:
    tenant.create_project(id="film", name="Film")
    start, end = at("2026-12-01T09:00Z"), at("2026-12-01T17:00Z")
    hold = tenant.create_booking(
        resource_id="ada",
        start=start,
        end=end,
        status="hold",
        hold_ttl=timedelta(minutes=30),
        project_id="film",
        title="Storyboards",
        notes="bring pencils",
        metadata={"shot": 12},
        idempotency_key="k1",
    )
    assert (hold.status, hold.version, hold.quantity, hold.project_id) == ("hold", 1, 1, "film")
    assert hold.hold_expires_at == T0 + timedelta(minutes=30)
    assert hold.start == start and hold.start.tzinfo is timezone.utc
    assert (hold.title, hold.notes, hold.metadata, hold.idempotency_key) == ("Storyboards", "bring pencils", {"shot": 12}, "k1")
    assert tenant.get_booking(hold.id) == hold
    d = hold.to_dict()
    assert set(d) == {
        "id", "resource_id", "project_id", "start", "end", "status", "quantity", "hold_expires_at",
        "title", "notes", "metadata", "version", "created_at", "updated_at", "idempotency_key",
    }
    assert pickle.loads(pickle.dumps(d)) == d  # plain data

    extended = tenant.extend_hold(hold.id, hold_ttl=timedelta(hours=1), expected_version=1)
    assert extended.hold_expires_at == T0 + timedelta(hours=1) and extended.version == 2
    until = T0 + timedelta(hours=3)
    assert tenant.extend_hold(hold.id, hold_expires_at=until).hold_expires_at == until
    assert tenant.extend_hold(hold.id).hold_expires_at == T0 + timedelta(minutes=15)  # the default TTL
    pencilled = tenant.pencil(hold.id)
    assert pencilled.status == "pencil" and pencilled.hold_expires_at is None
    moved = tenant.reschedule(hold.id, start=at("2026-12-02T09:00Z"), end=at("2026-12-02T12:00Z"), expected_version=pencilled.version)
    assert (moved.start, moved.end, moved.status) == (at("2026-12-02T09:00Z"), at("2026-12-02T12:00Z"), "pencil")
    tenant.create_resource(id="grace", name="Grace")
    elsewhere = tenant.reschedule(hold.id, start=moved.start, end=moved.end, resource_id="grace")
    assert elsewhere.resource_id == "grace"
    confirmed = tenant.confirm(hold.id, expected_version=elsewhere.version)
    assert confirmed.status == "confirmed"
    cancelled = tenant.cancel(hold.id)
    assert cancelled.status == "cancelled"

    other = tenant.create_booking(resource_id="ada", start=start, end=end, status="pencil")
    assert tenant.decline(other.id).status == "declined"

    history = tenant.history(hold.id)
    assert [e.type for e in history] == [
        "created", "hold_extended", "hold_extended", "hold_extended", "pencilled", "rescheduled", "rescheduled", "confirmed", "cancelled",
    ]
    assert history[0].booking_id == hold.id and history[0].data["booking"]["id"] == hold.id
    assert history[-1].at == T0 and history[-1].to_dict()["type"] == "cancelled"
    assert "seq=" in repr(history[-1])

    # The same idempotency key and body replay the first result.
    again = tenant.create_booking(
        resource_id="ada", start=start, end=end, status="hold", hold_ttl=timedelta(minutes=30), project_id="film",
        title="Storyboards", notes="bring pencils", metadata={"shot": 12}, idempotency_key="k1",
    )
    assert again == hold
    with pytest.raises(holdfast.IdempotencyMismatchError):
        tenant.create_booking(resource_id="ada", start=start, end=end, idempotency_key="k1")
    mine = tenant.create_booking(id="my-id", resource_id="ada", start=at("2026-12-03T09:00Z"), end=at("2026-12-03T10:00Z"), hold_expires_at=T0 + timedelta(hours=1))
    assert mine.id == "my-id" and mine.hold_expires_at == T0 + timedelta(hours=1)


def test_create_bookings_all_or_nothing(tenant: holdfast.Tenant) -> None:
    items = [
        {"resource_id": "ada", "start": at("2026-12-01T09:00Z"), "end": at("2026-12-01T10:00Z"), "status": "confirmed"},
        {"resource_id": "ada", "start": at("2026-12-01T10:00Z"), "end": at("2026-12-01T11:00Z"), "quantity": 1, "title": "b"},
    ]
    created = tenant.create_bookings(items)
    assert [b.status for b in created] == ["confirmed", "hold"]
    clash = [
        {"resource_id": "ada", "start": at("2026-12-02T09:00Z"), "end": at("2026-12-02T10:00Z")},
        {"resource_id": "ada", "start": at("2026-12-01T09:30Z"), "end": at("2026-12-01T10:30Z")},
    ]
    with pytest.raises(holdfast.ConflictError) as e:
        tenant.create_bookings(clash)
    assert e.value.details["index"] == 1
    assert len(tenant.list_bookings()) == 2  # nothing of the failed batch was written
    with pytest.raises(holdfast.InvalidInputError) as bad:
        tenant.create_bookings([items[0], {"resource_id": "ada", "start": datetime(2026, 12, 5, 9), "end": at("2026-12-05T10:00Z")}])
    assert bad.value.details == {"field": "items[1].start"}
    with pytest.raises(TypeError, match="items\\[0\\]"):
        tenant.create_bookings(["not a dict"])  # type: ignore[list-item]
    assert tenant.create_bookings([]) == []


def test_list_bookings_filters_and_pages(tenant: holdfast.Tenant) -> None:
    tenant.create_resource(id="grace", name="Grace")
    tenant.create_project(id="film", name="Film")
    made = []
    for day in range(1, 6):
        for rid in ("ada", "grace"):
            made.append(
                tenant.create_booking(
                    resource_id=rid,
                    start=datetime(2026, 12, day, 9, tzinfo=UTC),
                    end=datetime(2026, 12, day, 10, tzinfo=UTC),
                    status="confirmed" if day % 2 else "pencil",
                    project_id="film" if rid == "ada" else None,
                )
            )
    everything = tenant.list_bookings()
    assert [b.id for b in everything] == [b.id for b in sorted(made, key=lambda b: (b.start, b.id))]
    assert {b.id for b in tenant.list_bookings(resource_ids=["grace"])} == {b.id for b in made if b.resource_id == "grace"}
    assert len(tenant.list_bookings(project_id="film")) == 5
    assert len(tenant.list_bookings(statuses=["pencil"])) == 4
    window = tenant.list_bookings(start=at("2026-12-02T00:00Z"), end=at("2026-12-03T00:00Z"))
    assert {b.start.day for b in window} == {2}
    seen = []
    cursor = None
    while True:
        page = tenant.list_bookings(limit=3, cursor=cursor)
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == everything.items
    with pytest.raises(holdfast.InvalidInputError) as e:
        tenant.list_bookings(statuses=["pencil", "maybe"])
    assert e.value.details == {"field": "statuses[1]"}
    with pytest.raises(holdfast.InvalidInputError):
        tenant.list_bookings(start=at("2026-12-02T00:00Z"))  # both or neither


def test_booking_records_walk_every_page(tenant: holdfast.Tenant) -> None:
    items = [
        {"resource_id": "ada", "start": at("2026-12-01T00:00Z") + timedelta(minutes=20 * i), "end": at("2026-12-01T00:00Z") + timedelta(minutes=20 * i + 10), "status": "confirmed"}
        for i in range(2_100)
    ]
    tenant.create_bookings(items)
    records = tenant.booking_records(at("2026-12-01T00:00Z"), at("2027-01-01T00:00Z"))
    assert len(records) == 2_100  # three pages of at most 1,000
    assert records[0]["start"] == at("2026-12-01T00:00Z") and records[-1]["status"] == "confirmed"
    assert len(tenant.booking_records(statuses=["hold"])) == 0
    assert len(tenant.booking_records(resource_ids=["ada"], project_id=None)) == 2_100


def test_events_iterator_and_subscriptions(tenant: holdfast.Tenant) -> None:
    log = list(tenant.events(timeout=0))
    assert [(e.seq, e.type) for e in log] == [(1, "tenant_created"), (2, "resource_created")]
    sub = tenant.subscribe()
    everything = tenant.engine.subscribe()
    b = tenant.create_booking(resource_id="ada", start=at("2026-12-01T09:00Z"), end=at("2026-12-01T10:00Z"))
    got = sub.next(timeout=5)
    assert isinstance(got, holdfast.Event) and got.seq == 3 and got.booking_id == b.id
    assert sub.next(timeout=0) is None
    also = everything.next(timedelta(seconds=5))
    assert isinstance(also, holdfast.Event) and also.seq == 3
    # Resume from a seq; limit; the core's events(since, limit) shape.
    assert [e.seq for e in tenant.events(1, timeout=0)] == [2, 3]
    assert [e.seq for e in tenant.events(0, limit=2, timeout=0)] == [1, 2]
    feed = tenant.events(since=3, timeout=0)
    assert list(feed) == [] and feed.last_seq == 3
    for bad in ({"timeout": -1}, {"poll_interval": 0}, {"limit": -1}):
        with pytest.raises(holdfast.InvalidInputError):
            tenant.events(**bad)  # type: ignore[arg-type]
    with pytest.raises(holdfast.InvalidInputError):
        list(tenant.events(-1, timeout=0))  # the core's rule


# ---- reports ----


def test_utilization_rows_and_records(tenant: holdfast.Tenant) -> None:
    tenant.create_project(id="film", name="Film")
    tenant.create_booking(resource_id="ada", start=at("2026-12-01T09:00Z"), end=at("2026-12-01T12:00Z"), status="confirmed", project_id="film")
    tenant.create_booking(resource_id="ada", start=at("2026-12-01T13:00Z"), end=at("2026-12-01T14:30Z"), status="pencil")
    start, end = at("2026-12-01T00:00Z"), at("2026-12-02T00:00Z")
    [row] = tenant.utilization_rows(start, end, "resource")
    assert (row.group, row.confirmed_us, row.pencil_us, row.booked_us) == ("ada", 3 * 3_600_000_000, 5_400_000_000, 16_200_000_000)
    assert row.available_us == 24 * 3_600_000_000  # never set: open around the clock
    [rec] = tenant.utilization(start, end)
    assert rec == {
        "resource_id": "ada", "available_hours": 24.0, "booked_hours": 4.5, "hold_hours": 0.0, "pencil_hours": 1.5,
        "confirmed_hours": 3.0, "booked_in_working_hours": 4.5, "utilization": 4.5 / 24,
    }
    by_project = tenant.utilization(start, end, group_by="project")
    assert [(r["project_id"], r["booked_hours"], r["available_hours"]) for r in by_project] == [(None, 1.5, None), ("film", 3.0, None)]
    by_day = tenant.utilization(start, end, group_by="day")
    # Ada works in Berlin (UTC+1): the UTC day spans her 1 December from 01:00 and 2 December to 01:00.
    assert [(r["date"], r["available_hours"], r["booked_hours"]) for r in by_day] == [
        (date(2026, 12, 1), 23.0, 4.5),
        (date(2026, 12, 2), 1.0, 0.0),
    ]
    with pytest.raises(holdfast.InvalidInputError):
        tenant.utilization(start, end, group_by="week")


def test_a_subscriber_that_falls_behind_is_told_and_the_feed_reads_the_log(tenant: holdfast.Tenant) -> None:
    since = list(tenant.events(timeout=0))[-1].seq
    sub = tenant.subscribe()
    day = at("2026-12-01T00:00Z")
    items = [{"resource_id": "ada", "start": day + timedelta(minutes=i), "end": day + timedelta(minutes=i + 1)} for i in range(4_100)]
    tenant.create_bookings(items)  # 4,100 events: more than a subscriber's queue (4,096)
    received = []
    while True:
        item = sub.next(timeout=0)
        if not isinstance(item, holdfast.Event):
            break
        received.append(item.seq)
    assert item == "lagged" and received == list(range(since + 1, since + 1 + 4_096))
    # The feed does not depend on the queue: it reads the log.
    assert [e.seq for e in tenant.events(since, timeout=0)] == list(range(since + 1, since + 1 + 4_100))


def test_the_feed_wakes_when_this_engine_commits(tenant: holdfast.Tenant) -> None:
    since = list(tenant.events(timeout=0))[-1].seq
    timer = threading.Timer(0.2, lambda: tenant.create_booking(resource_id="ada", start=at("2026-12-01T09:00Z"), end=at("2026-12-01T10:00Z")))
    began = time.monotonic()
    with tenant.events(since, timeout=60, limit=1, poll_interval=60) as feed:
        timer.start()
        [event] = list(feed)
    timer.join()
    # Woken by the commit, not by the 60 s poll.
    assert event.type == "created" and time.monotonic() - began < 30
    nothing = tenant.events(event.seq, timeout=timedelta(milliseconds=50))
    assert list(nothing) == [] and nothing.last_seq == event.seq
