"""DataFrames: to_pandas / to_polars, and the package without either."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

import holdfast
from conftest import at

START = at("2026-12-01T09:00Z")


@pytest.fixture
def booked(tenant: holdfast.Tenant) -> holdfast.Tenant:
    tenant.create_project(id="film", name="Film")
    tenant.create_booking(resource_id="ada", start=START, end=START + timedelta(hours=2), status="confirmed", project_id="film", metadata={"shot": 1})
    tenant.create_booking(resource_id="ada", start=START + timedelta(days=1), end=START + timedelta(days=1, hours=1), hold_ttl=timedelta(hours=1))
    return tenant


def test_to_pandas_bookings(booked: holdfast.Tenant) -> None:
    pandas = pytest.importorskip("pandas")
    frame = booked.to_pandas("bookings")
    records = booked.booking_records()
    assert list(frame.columns) == list(records[0])
    assert len(frame) == 2
    for column in ("start", "end", "hold_expires_at", "created_at", "updated_at"):
        assert str(frame[column].dtype) == "datetime64[us, UTC]", column
    assert frame["start"].iloc[0] == pandas.Timestamp(START) and frame["start"].iloc[0].to_pydatetime() == records[0]["start"]
    assert pandas.isna(frame["hold_expires_at"].iloc[0]) and frame["hold_expires_at"].iloc[1] == pandas.Timestamp(records[1]["hold_expires_at"])
    assert list(frame["status"]) == ["confirmed", "hold"] and list(frame["metadata"]) == [{"shot": 1}, {}]
    assert frame["project_id"].iloc[0] == "film" and pandas.isna(frame["project_id"].iloc[1])
    filtered = booked.to_pandas("bookings", START, START + timedelta(hours=1), statuses=["confirmed"], resource_ids=["ada"], project_id="film")
    assert len(filtered) == 1
    empty = booked.to_pandas("bookings", statuses=["declined"])
    assert len(empty) == 0 and str(empty["start"].dtype) == "datetime64[us, UTC]"
    with pytest.raises(holdfast.InvalidInputError):
        booked.to_pandas("nonsense")
    with pytest.raises(holdfast.InvalidInputError):
        booked.to_pandas("utilization")  # needs a window


def test_to_polars(booked: holdfast.Tenant) -> None:
    polars = pytest.importorskip("polars")
    frame = booked.to_polars("bookings")
    assert frame.height == 2 and frame.columns == list(booked.booking_records()[0])
    assert frame.schema["start"] == polars.Datetime("us", "UTC")
    assert frame["start"][0] == START and frame["hold_expires_at"][0] is None
    assert frame["metadata"].to_list() == ['{"shot":1}', "{}"] and frame.schema["quantity"] == polars.Int64
    empty = booked.to_polars("bookings", statuses=["declined"])
    assert empty.height == 0 and empty.schema == frame.schema
    utilization = booked.to_polars("utilization", at("2026-12-01T00:00Z"), at("2026-12-03T00:00Z"))
    assert utilization["booked_hours"].to_list() == [3.0]


def test_the_package_works_without_pandas_or_polars() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["pandas"] = None  # importing it now fails
        sys.modules["polars"] = None
        import holdfast
        from datetime import datetime, timezone
        with holdfast.Engine.open("sqlite::memory:") as engine:
            engine.create_tenant("acme", "Acme")
            t = engine.tenant("acme")
            t.create_resource(id="ada", name="Ada")
            day = datetime(2026, 12, 1, tzinfo=timezone.utc)
            t.create_booking(resource_id="ada", start=day, end=day.replace(hour=8), status="confirmed")
            assert t.utilization(day, day.replace(day=2))[0]["confirmed_hours"] == 8.0
            assert len(t.booking_records()) == 1
            for helper in (t.to_pandas, t.to_polars):
                try:
                    helper("bookings")
                except ImportError as e:
                    assert "pip install 'holdfast[" in str(e), e
                else:
                    raise AssertionError("no ImportError")
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
