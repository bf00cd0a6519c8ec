"""Analytics helpers over the native calls: plain records for reports and
DataFrames, built only from what the core returns.

Records are lists of plain dicts with the same keys on every row, so
``pandas.DataFrame(records)`` and ``polars.DataFrame(records)`` take them as
they are. pandas and polars are optional: nothing here imports them until
``to_pandas`` / ``to_polars`` is called.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence

from . import _native

if TYPE_CHECKING:
    from ._native import Booking, Tenant

__all__ = ["utilization_records", "iter_bookings", "booking_records", "to_pandas", "to_polars"]

Record = Dict[str, Any]

_MICROS_PER_HOUR = 3_600_000_000
#: Booking fields holding instants (integer microseconds in `booking_columns`).
_TIME_COLUMNS = ("start", "end", "hold_expires_at", "created_at", "updated_at")
#: Booking fields holding text (or None) and integers.
_TEXT_COLUMNS = ("id", "resource_id", "project_id", "status", "title", "notes", "idempotency_key")
_INT_COLUMNS = ("quantity", "version")
#: The key column of each grouping.
_GROUP_KEYS = {"resource": "resource_id", "project": "project_id", "day": "date"}


def _hours(micros: Optional[int]) -> Optional[float]:
    return None if micros is None else micros / _MICROS_PER_HOUR


def utilization_records(tenant: Tenant, start: datetime, end: datetime, group_by: str = "resource") -> List[Record]:
    """The core's utilization report in hours, one plain dict per group.

    Keys: the group (``resource_id``; ``project_id``, ``None`` for bookings
    without a project; or ``date``, a ``datetime.date``, each resource's
    time counted on its own local date), ``available_hours`` (working hours
    of active resources times capacity; ``None`` for projects),
    ``booked_hours`` (every blocking status) split into ``hold_hours``,
    ``pencil_hours`` and ``confirmed_hours``, ``booked_in_working_hours``
    (the part inside working hours) and ``utilization``
    (``booked_in_working_hours / available_hours``; ``None`` when nothing is
    available). Hours are capacity-unit hours: a 2-unit booking for an hour
    is 2.0. Expired holds do not count.
    """
    rows = tenant.utilization_rows(start, end, group_by)
    key = _GROUP_KEYS[group_by]  # the core has refused any other grouping
    records: List[Record] = []
    for row in rows:
        group: Any = row.group
        if group_by == "day":
            group = date.fromisoformat(row.group)
        elif group_by == "project" and group == "":
            group = None
        records.append(
            {
                key: group,
                "available_hours": _hours(row.available_us),
                "booked_hours": _hours(row.booked_us),
                "hold_hours": _hours(row.hold_us),
                "pencil_hours": _hours(row.pencil_us),
                "confirmed_hours": _hours(row.confirmed_us),
                "booked_in_working_hours": _hours(row.booked_in_hours_us),
                "utilization": row.utilization,
            }
        )
    return records


def iter_bookings(
    tenant: Tenant,
    start: Optional[datetime] = None,
    end: Optional[datetime] = None,
    *,
    resource_ids: Optional[Sequence[str]] = None,
    project_id: Optional[str] = None,
    statuses: Optional[Sequence[str]] = None,
) -> Iterator[Booking]:
    """Every booking matching the filters (overlapping ``[start, end)`` if
    given), walking every page of ``list_bookings`` in ``(start, id)`` order."""
    cursor: Optional[str] = None
    while True:
        page = tenant.list_bookings(
            resource_ids=None if resource_ids is None else list(resource_ids),
            project_id=project_id,
            statuses=None if statuses is None else list(statuses),
            start=start,
            end=end,
            limit=_native.PAGE_SIZE_MAX,
            cursor=cursor,
        )
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def booking_records(
    tenant: Tenant,
    start: Optional[datetime] = None,
    end: Optional[datetime] = None,
    *,
    resource_ids: Optional[Sequence[str]] = None,
    project_id: Optional[str] = None,
    statuses: Optional[Sequence[str]] = None,
) -> List[Record]:
    """Every matching booking as a plain dict (``Booking.to_dict()``)."""
    bookings = iter_bookings(tenant, start, end, resource_ids=resource_ids, project_id=project_id, statuses=statuses)
    return [b.to_dict() for b in bookings]


def _bookings_columns(
    tenant: Tenant, start: Optional[datetime], end: Optional[datetime], filters: Dict[str, Any], metadata_json: bool = False
) -> Dict[str, Any]:
    bookings = list(iter_bookings(tenant, start, end, **filters))
    return _native.booking_columns(bookings, metadata_json=metadata_json)


def _import(name: str, extra: str) -> Any:
    try:
        return __import__(name)
    except ImportError as e:
        raise ImportError(f"this needs {name}: pip install 'holdfast[{extra}]'") from e


def to_pandas(
    tenant: Tenant,
    table: str = "bookings",
    start: Optional[datetime] = None,
    end: Optional[datetime] = None,
    *,
    group_by: str = "resource",
    resource_ids: Optional[Sequence[str]] = None,
    project_id: Optional[str] = None,
    statuses: Optional[Sequence[str]] = None,
) -> Any:
    """A ``pandas.DataFrame`` of ``"bookings"`` (every matching booking;
    instants as ``datetime64[us, UTC]``) or ``"utilization"`` (the records
    of :func:`utilization_records`; needs ``start`` and ``end``)."""
    pd = _import("pandas", "pandas")
    if table == "utilization":
        return pd.DataFrame(utilization_records(tenant, _required(start, "start"), _required(end, "end"), group_by))
    _table(table)
    columns = _bookings_columns(
        tenant, start, end, {"resource_ids": resource_ids, "project_id": project_id, "statuses": statuses}
    )
    empty = not columns["id"]
    for name in _TIME_COLUMNS:
        micros = pd.array(columns[name], dtype="Int64")
        columns[name] = pd.to_datetime(micros, unit="us", utc=True).as_unit("us")
    for name in _INT_COLUMNS:
        columns[name] = pd.array(columns[name], dtype="int64")
    if empty:  # typed as a non-empty frame would be, not float64
        for name in _TEXT_COLUMNS:
            columns[name] = pd.Series([], dtype=str)
        columns["metadata"] = pd.Series([], dtype=object)
    return pd.DataFrame(columns)


def to_polars(
    tenant: Tenant,
    table: str = "bookings",
    start: Optional[datetime] = None,
    end: Optional[datetime] = None,
    *,
    group_by: str = "resource",
    resource_ids: Optional[Sequence[str]] = None,
    project_id: Optional[str] = None,
    statuses: Optional[Sequence[str]] = None,
) -> Any:
    """A ``polars.DataFrame``, as :func:`to_pandas` (instants as
    ``Datetime("us", "UTC")``; ``metadata`` as JSON text, which
    ``pl.col("metadata").str.json_decode()`` unpacks when it has one shape)."""
    pl = _import("polars", "polars")
    if table == "utilization":
        return pl.DataFrame(utilization_records(tenant, _required(start, "start"), _required(end, "end"), group_by))
    _table(table)
    columns = _bookings_columns(
        tenant, start, end, {"resource_ids": resource_ids, "project_id": project_id, "statuses": statuses}, True
    )
    schema = {name: pl.Utf8 for name in (*_TEXT_COLUMNS, "metadata")}
    schema.update({name: pl.Int64 for name in _INT_COLUMNS})
    schema.update({name: pl.Int64 for name in _TIME_COLUMNS})
    frame = pl.DataFrame({name: pl.Series(name, values, dtype=schema[name]) for name, values in columns.items()})
    return frame.with_columns([pl.col(name).cast(pl.Datetime("us", "UTC")) for name in _TIME_COLUMNS])


def _required(value: Optional[datetime], name: str) -> datetime:
    if value is None:
        from .errors import InvalidInputError

        raise InvalidInputError(f"invalid {name}: required for utilization", details={"field": name})
    return value


def _table(table: str) -> None:
    if table != "bookings":
        from .errors import InvalidInputError

        raise InvalidInputError(
            f"invalid table: {table!r} is not 'bookings' or 'utilization'", details={"field": "table"}
        )
