"""Following a tenant's event log: ``for event in tenant.events(since=...)``."""

from __future__ import annotations

import time
from collections import deque
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Deque, Iterator, Optional, Type, Union

from . import _native
from .errors import InvalidInputError

if TYPE_CHECKING:
    from ._native import Event, Tenant

__all__ = ["EventFeed"]

Seconds = Union[float, timedelta]


def _seconds(name: str, value: Optional[Seconds]) -> Optional[float]:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not seconds >= 0:
        raise InvalidInputError(f"invalid {name}: must not be negative", details={"field": name})
    return seconds


class EventFeed(Iterator["Event"]):
    """Iterates a tenant's events with ``seq > since``, in ``seq`` order,
    without gaps, then waits for new ones.

    The log is the source: each step reads it from the last ``seq`` seen, so
    events written by other processes (another app on the same SQLite file or
    PostgreSQL database) arrive too. An in-process subscription, opened
    before the first read, wakes the iterator as soon as this engine commits;
    other processes' events are picked up within ``poll_interval``.

    Iteration stops when no new event arrives within ``timeout`` (seconds or
    a ``timedelta``; ``0``: only what the log holds now; ``None``: never), or
    after ``limit`` events. Waiting releases the GIL and is interruptible.
    """

    def __init__(
        self,
        tenant: Tenant,
        since: int = 0,
        *,
        timeout: Optional[Seconds] = None,
        limit: Optional[int] = None,
        poll_interval: Seconds = 1.0,
    ) -> None:
        self._tenant = tenant
        self._timeout = _seconds("timeout", timeout)
        poll = _seconds("poll_interval", poll_interval)
        if not poll:
            raise InvalidInputError("invalid poll_interval: must be positive", details={"field": "poll_interval"})
        self._poll = poll
        if limit is not None and limit < 0:
            raise InvalidInputError("invalid limit: must not be negative", details={"field": "limit"})
        self._limit = limit
        self._yielded = 0
        self._buffer: Deque[Event] = deque()
        # Subscribed before the first read: whatever commits from here on
        # either is in that read or wakes us.
        self._subscription: Optional[_native.Subscription] = tenant.subscribe()
        self._last_read = since
        #: ``seq`` of the last event returned (``since`` before any).
        self.last_seq = since

    def __iter__(self) -> EventFeed:
        return self

    def __next__(self) -> Event:
        if self._limit is not None and self._yielded >= self._limit:
            raise StopIteration
        if not self._buffer:
            self._fill()
        event = self._buffer.popleft()
        self._yielded += 1
        self.last_seq = event.seq
        return event

    def _fill(self) -> None:
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while True:
            want = _native.PAGE_SIZE_MAX
            if self._limit is not None:
                want = min(want, self._limit - self._yielded)
            page = self._tenant._events(self._last_read, want)
            if page:
                self._buffer.extend(page)
                self._last_read = page[-1].seq
                return
            if self._subscription is None:
                raise StopIteration
            wait = self._poll
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise StopIteration
            if self._subscription.next(wait) is not None:
                # Woken by a commit: drain the other wake-ups, then read the log.
                while self._subscription.next(0) is not None:
                    pass

    def close(self) -> None:
        """Stops following (the subscription is dropped)."""
        self._subscription = None
        self._buffer.clear()
        self._limit = self._yielded

    def __enter__(self) -> EventFeed:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()
