"""Exceptions: :class:`HoldfastError` and one subclass per stable code.

Every error the engine raises is an instance of the subclass for its code
(DESIGN.md section 4), carrying ``.code`` (``"CONFLICT"``), ``.message`` and
``.details`` (a dict, the same JSON object every edge gives: HTTP's
``error.details``, Node's ``err.details``; instants in it are RFC 3339
strings). For example ``ConflictError.details["conflicts"]`` lists every
booking in the way, ``VersionMismatchError.details["current_version"]``
the version to retry with, and a failing ``create_bookings`` item's error
has ``details["index"]``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Optional, Tuple, Type

__all__ = [
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
    "ERRORS_BY_CODE",
]


class HoldfastError(Exception):
    """Base class of every engine error; ``code`` says which one."""

    #: The stable code of each subclass (``"CONFLICT"``, ...).
    CODE: ClassVar[str] = ""

    code: str
    message: str
    details: Dict[str, Any]

    def __init__(self, message: str, code: Optional[str] = None, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else type(self).CODE
        self.details = details if details is not None else {}

    def __reduce__(self) -> Tuple[Any, ...]:
        # Keep code and details through pickling (multiprocessing, logging).
        return (type(self), (self.message, self.code, self.details))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, details={self.details!r})"


class InvalidInputError(HoldfastError, ValueError):
    """A malformed value; ``details["field"]`` names it (also naive datetimes)."""

    CODE = "INVALID_INPUT"


class NotFoundError(HoldfastError):
    """No such tenant, resource, project, booking or key (in this tenant)."""

    CODE = "NOT_FOUND"


class AlreadyExistsError(HoldfastError):
    """The id is taken by an entity with a different body."""

    CODE = "ALREADY_EXISTS"


class ConflictError(HoldfastError):
    """Capacity would be exceeded; ``details["conflicts"]`` lists the blockers."""

    CODE = "CONFLICT"


class InvalidTransitionError(HoldfastError):
    """The action is not allowed from the booking's status."""

    CODE = "INVALID_TRANSITION"


class HoldExpiredError(HoldfastError):
    """The hold ran out before the action (and is now ``expired``)."""

    CODE = "HOLD_EXPIRED"


class OutsideAvailabilityError(HoldfastError):
    """A strict resource is not working then; ``details["reasons"]`` says why."""

    CODE = "OUTSIDE_AVAILABILITY"


class IdempotencyMismatchError(HoldfastError):
    """The idempotency key was used for a different request."""

    CODE = "IDEMPOTENCY_MISMATCH"


class VersionMismatchError(HoldfastError):
    """``expected_version`` is stale; ``details["current_version"]`` is current."""

    CODE = "VERSION_MISMATCH"


class LimitExceededError(HoldfastError, ValueError):
    """A limit was exceeded (``details``: ``field``, ``max``, ``actual``)."""

    CODE = "LIMIT_EXCEEDED"


class StoreUnavailableError(HoldfastError):
    """The store is down or busy past its timeout (or the engine is closed);
    nothing was written."""

    CODE = "STORE_UNAVAILABLE"


class InternalError(HoldfastError):
    """A bug in the engine, never bad input."""

    CODE = "INTERNAL"


#: Each code's class.
ERRORS_BY_CODE: Dict[str, Type[HoldfastError]] = {
    cls.CODE: cls
    for cls in (
        InvalidInputError,
        NotFoundError,
        AlreadyExistsError,
        ConflictError,
        InvalidTransitionError,
        HoldExpiredError,
        OutsideAvailabilityError,
        IdempotencyMismatchError,
        VersionMismatchError,
        LimitExceededError,
        StoreUnavailableError,
        InternalError,
    )
}
