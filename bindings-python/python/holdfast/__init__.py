"""Holdfast: an embedded booking engine.

Capacity-checked bookings that never overrun a resource's capacity, across
threads, processes on one SQLite file, and app servers sharing PostgreSQL;
holds that expire by themselves; working hours that survive DST; an event
log per tenant. See ``Engine`` to start::

    import holdfast
    with holdfast.Engine.open("sqlite://studio.db") as engine:
        engine.create_tenant("acme", "Acme Studio")
        t = engine.tenant("acme")
"""

from __future__ import annotations

from ._native import (
    __version__,
    ApiKey,
    Availability,
    AvailabilityCheck,
    Booking,
    Event,
    FoundSlot,
    FreeBusy,
    IssuedKey,
    ManualClock,
    Page,
    Project,
    Resource,
    Subscription,
    TenantInfo,
    UtilizationRow,
)
from .engine import Engine, Tenant
from .errors import (
    AlreadyExistsError,
    ConflictError,
    HoldExpiredError,
    HoldfastError,
    IdempotencyMismatchError,
    InternalError,
    InvalidInputError,
    InvalidTransitionError,
    LimitExceededError,
    NotFoundError,
    OutsideAvailabilityError,
    StoreUnavailableError,
    VersionMismatchError,
)
from .feed import EventFeed

__all__ = [
    "__version__",
    "Engine",
    "Tenant",
    "ManualClock",
    "EventFeed",
    "Subscription",
    "Page",
    "TenantInfo",
    "Resource",
    "Project",
    "Booking",
    "Event",
    "ApiKey",
    "IssuedKey",
    "Availability",
    "AvailabilityCheck",
    "FreeBusy",
    "FoundSlot",
    "UtilizationRow",
    "HoldfastError",
    "InvalidInputError",
    "NotFoundError",
    "AlreadyExistsError",
    "ConflictError",
    "InvalidTransitionError",
    "HoldExpiredError",
    "OutsideAvailabilityError",
    "IdempotencyMismatchError",
    "VersionMismatchError",
    "LimitExceededError",
    "StoreUnavailableError",
    "InternalError",
]
