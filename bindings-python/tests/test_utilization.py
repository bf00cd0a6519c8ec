"""Utilization on a hand-computed fixture: two artists with weekly hours in
their own zones, over the week Europe springs forward (Sunday 2026-03-29,
02:00 CET -> 03:00 CEST; New York is already on EDT, UTC-4).

Window: [2026-03-23T00:00Z, 2026-03-30T00:00Z), the report at 2026-03-01.

ada, Europe/Berlin, capacity 1: Mon-Fri 09:00-17:00 (CET, UTC+1: 08:00-16:00Z,
5 x 8 h = 40 h) and Sunday 01:00-05:00, which the jump shortens to 3 h
(01:00 CET = 00:00Z to 05:00 CEST = 03:00Z). Available: 43 h.
ben, America/New_York, capacity 2: Mon-Fri 09:00-17:00 EDT = 13:00-21:00Z,
5 x 8 h x 2 units = 80 h.

Bookings (UTC):
  b1 ada confirmed Sun 29 00:30-02:30 (film): 2 h, all inside the DST-short shift
  b2 ada pencil    Fri 27 15:00-18:00 (film): 3 h, 1 h inside (to 16:00)
  b3 ada hold      Wed 25 07:00-09:00 (none): 2 h, 1 h inside (from 08:00)
  b4 ben confirmed Tue 24 12:00-15:00 x2 (ad): 6 h, 4 h inside (13:00-15:00 x 2)
  b5 ben confirmed Sun 29 23:00-Mon 30 02:00 (ad): 1 h inside the window, none in hours
  b6 ada hold that expired before the report; b7 ada cancelled: not counted
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List

import pandas
import pytest

import holdfast
from conftest import at

START, END = at("2026-03-23T00:00Z"), at("2026-03-30T00:00Z")
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]


@pytest.fixture
def studio(db_path: Any) -> holdfast.Tenant:
    clock = holdfast.ManualClock(at("2026-03-01T00:00Z"))
    engine = holdfast.Engine.open(f"sqlite://{db_path}", clock=clock)
    engine.create_tenant("studio", "Studio")
    t = engine.tenant("studio")
    t.create_resource(id="ada", name="Ada", kind="artist", timezone="Europe/Berlin")
    t.create_resource(id="ben", name="Ben", kind="artist", timezone="America/New_York", capacity=2)
    week = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in WEEKDAYS]
    t.set_availability("ada", weekly=[*week, {"weekday": "sunday", "start": "01:00", "end": "05:00"}])
    t.set_availability("ben", weekly=week)
    t.create_project(id="film", name="Film")
    t.create_project(id="ad", name="Ad")

    def book(rid: str, start: str, end: str, **fields: Any) -> holdfast.Booking:
        return t.create_booking(resource_id=rid, start=at(start), end=at(end), **fields)

    book("ada", "2026-03-29T00:30Z", "2026-03-29T02:30Z", status="confirmed", project_id="film")
    book("ada", "2026-03-27T15:00Z", "2026-03-27T18:00Z", status="pencil", project_id="film")
    book("ada", "2026-03-25T07:00Z", "2026-03-25T09:00Z", status="hold", hold_ttl=timedelta(days=60))
    book("ben", "2026-03-24T12:00Z", "2026-03-24T15:00Z", status="confirmed", quantity=2, project_id="ad")
    book("ben", "2026-03-29T23:00Z", "2026-03-30T02:00Z", status="confirmed", project_id="ad")
    book("ada", "2026-03-26T10:00Z", "2026-03-26T11:00Z", status="hold", hold_ttl=timedelta(minutes=1))
    t.cancel(book("ada", "2026-03-26T12:00Z", "2026-03-26T13:00Z", status="confirmed").id)
    clock.advance(timedelta(minutes=2))  # the short hold has expired by the report
    return t


def row(key: Any, available: Any, hold: float, pencil: float, confirmed: float, inside: float, keyname: str) -> Dict[str, Any]:
    return {
        keyname: key,
        "available_hours": available,
        "booked_hours": hold + pencil + confirmed,
        "hold_hours": hold,
        "pencil_hours": pencil,
        "confirmed_hours": confirmed,
        "booked_in_working_hours": inside,
        "utilization": None if not available else inside / available,
    }


def test_by_resource(studio: holdfast.Tenant) -> None:
    assert studio.utilization(START, END, group_by="resource") == [
        row("ada", 43.0, 2.0, 3.0, 2.0, 4.0, "resource_id"),
        row("ben", 80.0, 0.0, 0.0, 7.0, 4.0, "resource_id"),
    ]
    # The exact figures underneath, in capacity-unit microseconds.
    ada = studio.utilization_rows(START, END, "resource")[0]
    hour = 3_600_000_000
    assert (ada.available_us, ada.booked_us, ada.booked_in_hours_us) == (43 * hour, 7 * hour, 4 * hour)


def test_by_project(studio: holdfast.Tenant) -> None:
    assert studio.utilization(START, END, group_by="project") == [
        row(None, None, 2.0, 0.0, 0.0, 1.0, "project_id"),
        row("ad", None, 0.0, 0.0, 7.0, 4.0, "project_id"),
        row("film", None, 0.0, 3.0, 2.0, 3.0, "project_id"),
    ]


def test_by_local_day(studio: holdfast.Tenant) -> None:
    def day(d: int, available: float, hold: float = 0, pencil: float = 0, confirmed: float = 0, inside: float = 0) -> Dict[str, Any]:
        return row(date(2026, 3, d), available, hold, pencil, confirmed, inside, "date")

    assert studio.utilization(START, END, group_by="day") == [
        day(22, 0.0),  # ben's Sunday evening, New York time: no hours
        day(23, 24.0),  # ada 8 h + ben 8 h x 2
        day(24, 24.0, confirmed=6.0, inside=4.0),
        day(25, 24.0, hold=2.0, inside=1.0),
        day(26, 24.0),  # an expired hold and a cancelled booking count for nothing
        day(27, 24.0, pencil=3.0, inside=1.0),
        day(28, 0.0),
        day(29, 3.0, confirmed=3.0, inside=2.0),  # ada's 3-hour Sunday; ben's evening booking
        day(30, 0.0),  # ada's Monday up to 02:00 local
    ]


def test_records_go_into_pandas_as_they_are(studio: holdfast.Tenant) -> None:
    records: List[Dict[str, Any]] = studio.utilization(START, END, group_by="day")
    frame = pandas.DataFrame(records)
    assert list(frame.columns) == [
        "date", "available_hours", "booked_hours", "hold_hours", "pencil_hours", "confirmed_hours",
        "booked_in_working_hours", "utilization",
    ]
    assert frame["available_hours"].sum() == 43.0 + 80.0
    assert frame["booked_hours"].sum() == 14.0
    assert frame["available_hours"].dtype == "float64"
    by_resource = studio.to_pandas("utilization", START, END, group_by="resource").set_index("resource_id")
    assert by_resource.loc["ben", "utilization"] == 0.05

    bookings = pandas.DataFrame(studio.booking_records(START, END))
    assert len(bookings) == 7 and set(bookings["status"]) == {"confirmed", "pencil", "hold", "cancelled"}  # the lapsed hold was never swept
    first = bookings.sort_values("start").iloc[0]
    assert first["start"] == datetime(2026, 3, 24, 12, tzinfo=timezone.utc)
