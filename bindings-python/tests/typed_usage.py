"""A small script as a user writes it, checked with `mypy --strict` by
scripts/test.sh (and run by test_typed_usage.py): the stubs must type it
without a single `Any` leaking into these annotations."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Dict, List, Optional

import holdfast


def main(url: str = "sqlite::memory:") -> Dict[str, float]:
    utc = timezone.utc
    start = datetime(2026, 12, 7, 9, tzinfo=utc)
    with holdfast.Engine.open(url, busy_timeout=timedelta(seconds=5), durability="normal", write_batch_max=64) as engine:
        engine.create_tenant("acme", "Acme Studio")
        t: holdfast.Tenant = engine.tenant("acme")
        ada: holdfast.Resource = t.create_resource(id="ada", name="Ada", timezone="Europe/Berlin", tags=["animator"])
        rules: holdfast.Availability = t.set_availability(
            ada.id,
            policy="strict",
            weekly=[{"weekday": "monday", "start": "09:00", "end": "18:00"}],
            overrides=[{"date": date(2026, 12, 24)}],
        )
        assert rules.version == 1
        hold: holdfast.Booking = t.create_booking(
            resource_id="ada", start=start, end=start + timedelta(hours=2), status="hold", hold_ttl=timedelta(minutes=30)
        )
        confirmed = t.confirm(hold.id, expected_version=hold.version)
        version: int = confirmed.version
        expires: Optional[datetime] = confirmed.hold_expires_at
        assert expires is None and version == 2
        try:
            t.create_booking(resource_id="ada", start=start, end=start + timedelta(hours=1), status="pencil")
        except holdfast.ConflictError as e:
            code: str = e.code
            assert code == "CONFLICT" and e.details["conflicts"]
        check = t.check_availability("ada", start=start, end=start + timedelta(hours=1))
        for reason in check.reasons:
            if reason["kind"] == "conflict":
                blocker: str = reason["id"]
                assert blocker == hold.id
        page: holdfast.Page[holdfast.Booking] = t.list_bookings(statuses=["confirmed"], limit=10)
        ids: List[str] = [b.id for b in page]
        assert ids == [hold.id] and page.next_cursor is None
        batch = t.create_bookings(
            [{"resource_id": "ada", "start": start + timedelta(days=7), "end": start + timedelta(days=7, hours=1), "status": "pencil"}]
        )
        assert batch[0].status == "pencil"
        slots: List[holdfast.FoundSlot] = t.find_slots(
            tag="animator", start=start, end=start + timedelta(days=1), duration=timedelta(hours=1)
        )
        assert slots
        seqs: List[int] = [event.seq for event in t.events(since=0, timeout=0)]
        assert seqs == list(range(1, len(seqs) + 1))
        writes: int = engine.write_stats()["writes"]
        assert writes >= engine.write_stats()["batches"] >= 1
        records = t.utilization(start - timedelta(hours=9), start + timedelta(days=1), group_by="resource")
        hours: Dict[str, float] = {str(r["resource_id"]): float(r["booked_hours"]) for r in records}
        return hours


if __name__ == "__main__":
    print(main())
