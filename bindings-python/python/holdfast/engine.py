"""``Engine`` and ``Tenant``: the native classes plus the pure-Python parts
(context manager, ``engine.tenant(id)``, the event iterator and the
analytics helpers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Dict, List, Literal, Optional, Sequence, Type, TypeVar, Union

from . import _native, analytics
from .feed import EventFeed

__all__ = ["Engine", "Tenant"]

_E = TypeVar("_E", bound="Engine")


class Engine(_native.Engine):
    """The booking engine over one store.

    ``Engine.open(url, **options)`` (or ``Engine(url, **options)``) opens
    ``sqlite://path.db`` or ``sqlite::memory:`` and applies migrations.
    Options: ``default_hold_ttl`` (timedelta), ``busy_timeout`` (timedelta
    or seconds; a store lock held longer is ``StoreUnavailableError``),
    ``pool_size``, ``cache_entries`` (0 turns the read cache off),
    ``clock`` (a :class:`ManualClock`), ``durability`` (``"full"``, the
    default: every commit is flushed to disk; ``"normal"``: survives a crash
    of the process, the last commits may be lost with the machine),
    ``write_batch_max`` (most concurrent writes sharing one transaction;
    1 turns group commit off), ``write_queue_max`` (most writes of one
    tenant waiting for their batch, default 4,096; past it a write waits up
    to ``busy_timeout``, then raises ``StoreUnavailableError``) and
    ``write_linger`` (timedelta or seconds a
    batch waits for more writes after a shared one; at most 10 ms);
    ``write_stats()`` tells how writes were grouped. Use it as a context
    manager, or call ``close()``. It is safe to share between threads:
    every call releases the GIL while the engine works.
    """

    @classmethod
    def open(
        cls: Type[_E],
        url: str,
        *,
        default_hold_ttl: Optional[timedelta] = None,
        busy_timeout: Optional[Union[timedelta, float]] = None,
        pool_size: Optional[int] = None,
        cache_entries: Optional[int] = None,
        clock: Optional[_native.ManualClock] = None,
        durability: Optional[Literal["full", "normal"]] = None,
        write_batch_max: Optional[int] = None,
        write_queue_max: Optional[int] = None,
        write_linger: Optional[Union[timedelta, float]] = None,
    ) -> _E:
        """Opens the store at ``url``; see the class documentation."""
        return cls(
            url,
            default_hold_ttl=default_hold_ttl,
            busy_timeout=busy_timeout,
            pool_size=pool_size,
            cache_entries=cache_entries,
            clock=clock,
            durability=durability,
            write_batch_max=write_batch_max,
            write_queue_max=write_queue_max,
            write_linger=write_linger,
        )

    def tenant(self, id: str, *, actor: Optional[str] = None) -> Tenant:
        """The handle of tenant ``id`` (``NotFoundError`` if it was never
        created), recording ``actor`` on the events it causes."""
        return Tenant(self, id, actor)

    def __enter__(self: _E) -> _E:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class Tenant(_native.Tenant):
    """One tenant's view of the engine: every core call of DESIGN.md section 5
    in snake_case, plus the helpers below."""

    def events(
        self,
        since: int = 0,
        *,
        timeout: Optional[Union[float, timedelta]] = None,
        limit: Optional[int] = None,
        poll_interval: Union[float, timedelta] = 1.0,
    ) -> EventFeed:
        """Iterates this tenant's events with ``seq > since`` in order, then
        waits for new ones (also from other processes); stops when none
        comes within ``timeout`` (``None``: never; ``0``: only what is logged
        now) or after ``limit`` events. ``list(t.events(s, limit=n,
        timeout=0))`` is the core's ``events(since, limit)``."""
        return EventFeed(self, since, timeout=timeout, limit=limit, poll_interval=poll_interval)

    def utilization(self, start: datetime, end: datetime, group_by: str = "resource") -> List[Dict[str, Any]]:
        """Booked against available hours over ``[start, end)`` per
        ``"resource"``, ``"project"`` or ``"day"``, as plain records; see
        :func:`holdfast.analytics.utilization_records`. The exact
        microsecond figures are ``utilization_rows(...)``."""
        return analytics.utilization_records(self, start, end, group_by)

    def booking_records(
        self,
        start: Optional[datetime] = None,
        end: Optional[datetime] = None,
        *,
        resource_ids: Optional[Sequence[str]] = None,
        project_id: Optional[str] = None,
        statuses: Optional[Sequence[str]] = None,
    ) -> List[Dict[str, Any]]:
        """Every booking overlapping ``[start, end)`` (all without a window)
        that matches the filters, as plain dicts, walking every page."""
        return analytics.booking_records(
            self, start, end, resource_ids=resource_ids, project_id=project_id, statuses=statuses
        )

    def to_pandas(
        self,
        table: str = "bookings",
        start: Optional[datetime] = None,
        end: Optional[datetime] = None,
        *,
        group_by: str = "resource",
        resource_ids: Optional[Sequence[str]] = None,
        project_id: Optional[str] = None,
        statuses: Optional[Sequence[str]] = None,
    ) -> Any:
        """A ``pandas.DataFrame`` of ``"bookings"`` or ``"utilization"``
        (needs pandas: ``pip install 'holdfast[pandas]'``)."""
        return analytics.to_pandas(
            self,
            table,
            start,
            end,
            group_by=group_by,
            resource_ids=resource_ids,
            project_id=project_id,
            statuses=statuses,
        )

    def to_polars(
        self,
        table: str = "bookings",
        start: Optional[datetime] = None,
        end: Optional[datetime] = None,
        *,
        group_by: str = "resource",
        resource_ids: Optional[Sequence[str]] = None,
        project_id: Optional[str] = None,
        statuses: Optional[Sequence[str]] = None,
    ) -> Any:
        """A ``polars.DataFrame`` of ``"bookings"`` or ``"utilization"``
        (needs polars: ``pip install 'holdfast[polars]'``)."""
        return analytics.to_polars(
            self,
            table,
            start,
            end,
            group_by=group_by,
            resource_ids=resource_ids,
            project_id=project_id,
            statuses=statuses,
        )
