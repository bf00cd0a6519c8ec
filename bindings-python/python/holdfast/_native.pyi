"""Type stubs of the native module ``holdfast._native`` (Rust, pyo3).

Import from ``holdfast``, not from here: ``holdfast.Engine`` and
``holdfast.Tenant`` subclass the classes below.
"""

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Generic, Literal, TypedDict, TypeVar, Union, final

from typing_extensions import NotRequired, Required, Self

__version__: str
PAGE_SIZE_MAX: int
BATCH_SIZE_MAX: int

Status = Literal["hold", "pencil", "confirmed", "cancelled", "declined", "expired"]
NewStatus = Literal["hold", "pencil", "confirmed"]
Policy = Literal["advisory", "strict"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Role = Literal["owner", "manager", "viewer", "resource"]
GroupBy = Literal["resource", "project", "day"]
Durability = Literal["full", "normal"]
EventType = Literal[
    "tenant_created",
    "resource_created",
    "resource_updated",
    "project_created",
    "availability_set",
    "api_key_created",
    "api_key_revoked",
    "created",
    "pencilled",
    "confirmed",
    "cancelled",
    "declined",
    "expired",
    "hold_extended",
    "rescheduled",
]
#: A wait: seconds or a timedelta.
Seconds = Union[float, timedelta]
#: JSON-compatible metadata (str keys; str, int, float, bool, None, lists, dicts).
Metadata = dict[str, Any]

_T = TypeVar("_T")

# ---- plain-dict shapes ----

class Interval(TypedDict):
    start: datetime
    end: datetime

class WeeklyHours(TypedDict):
    weekday: Weekday
    start: str  # "HH:MM"
    end: str  # "HH:MM" ("24:00" ends a day; end <= start runs overnight)

class Hours(TypedDict):
    start: str
    end: str

class DateOverride(TypedDict):
    date: date
    hours: list[Hours]  # empty: closed that day

class DateOverrideInput(TypedDict):
    date: Required[Union[date, str]]  # a date or "YYYY-MM-DD"
    hours: NotRequired[Sequence[Hours]]

class ConflictingBooking(TypedDict):
    id: str
    resource_id: str
    status: Status
    interval: Interval
    quantity: int

class ConflictReason(ConflictingBooking):
    kind: Literal["conflict"]

class OutsideHoursReason(TypedDict):
    kind: Literal["outside_hours"]
    intervals: list[Interval]

class ClosedOverrideReason(TypedDict):
    kind: Literal["closed_override"]
    date: date

class DstGapReason(TypedDict):
    kind: Literal["dst_gap"]
    date: date
    local_time: str
    resolved_to: datetime

class InactiveReason(TypedDict):
    kind: Literal["inactive"]

class QuantityAboveCapacityReason(TypedDict):
    kind: Literal["quantity_above_capacity"]
    quantity: int
    capacity: int

Reason = Union[
    ConflictReason,
    OutsideHoursReason,
    ClosedOverrideReason,
    DstGapReason,
    InactiveReason,
    QuantityAboveCapacityReason,
]

class BusyInterval(TypedDict):
    start: datetime
    end: datetime
    booking_id: str
    status: Status
    quantity: int

class CacheStats(TypedDict):
    hits: int
    misses: int
    evictions: int
    entries: int
    capacity: int

class WriteStats(TypedDict):
    writes: int
    batches: int
    queued: int

class NewBookingFields(TypedDict, total=False):
    """One item of ``create_bookings``: ``create_booking``'s keyword arguments."""

    resource_id: Required[str]
    start: Required[datetime]
    end: Required[datetime]
    status: NewStatus
    quantity: int
    hold_ttl: timedelta
    hold_expires_at: datetime
    project_id: str
    title: str
    notes: str
    metadata: Metadata
    idempotency_key: str
    id: str

# ---- results ----

@final
class Page(Generic[_T]):
    """One page of a list call; iterating it iterates ``items``."""

    @property
    def items(self) -> list[_T]: ...
    @property
    def next_cursor(self) -> str | None: ...
    def __iter__(self) -> Iterator[_T]: ...
    def __len__(self) -> int: ...

@final
class TenantInfo:
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Resource:
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def capacity(self) -> int: ...
    @property
    def timezone(self) -> str: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def buffer_before(self) -> timedelta: ...
    @property
    def buffer_after(self) -> timedelta: ...
    @property
    def active(self) -> bool: ...
    @property
    def metadata(self) -> Metadata: ...
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Project:
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def metadata(self) -> Metadata: ...
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Booking:
    """A booking. Instants are aware UTC datetimes; ``[start, end)`` is half-open."""

    @property
    def id(self) -> str: ...
    @property
    def resource_id(self) -> str: ...
    @property
    def project_id(self) -> str | None: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def status(self) -> Status: ...
    @property
    def quantity(self) -> int: ...
    @property
    def hold_expires_at(self) -> datetime | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def notes(self) -> str | None: ...
    @property
    def metadata(self) -> Metadata: ...
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def idempotency_key(self) -> str | None: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Event:
    """One entry of a tenant's log; ``data`` is the stored JSON payload."""

    @property
    def tenant_id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def booking_id(self) -> str | None: ...
    @property
    def type(self) -> EventType: ...
    @property
    def actor(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def data(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class ApiKey:
    @property
    def id(self) -> str: ...
    @property
    def tenant_id(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def resource_id(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class IssuedKey:
    @property
    def key(self) -> ApiKey: ...
    @property
    def token(self) -> str: ...

@final
class Availability:
    @property
    def resource_id(self) -> str: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def weekly(self) -> list[WeeklyHours]: ...
    @property
    def overrides(self) -> list[DateOverride]: ...
    @property
    def version(self) -> int: ...
    @property
    def updated_at(self) -> datetime | None: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class AvailabilityCheck:
    @property
    def resource_id(self) -> str: ...
    @property
    def interval(self) -> Interval: ...
    @property
    def quantity(self) -> int: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def available(self) -> bool: ...
    @property
    def bookable(self) -> bool: ...
    @property
    def reasons(self) -> list[Reason]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class FreeBusy:
    @property
    def resource_id(self) -> str: ...
    @property
    def capacity(self) -> int: ...
    @property
    def busy(self) -> list[BusyInterval]: ...
    @property
    def hours(self) -> list[Interval]: ...
    @property
    def free(self) -> list[Interval]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class FoundSlot:
    @property
    def resource_id(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def parts(self) -> list[Interval]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class UtilizationRow:
    """Capacity-unit microseconds, as the core computes them."""

    @property
    def group(self) -> str: ...
    @property
    def available_us(self) -> int | None: ...
    @property
    def hold_us(self) -> int: ...
    @property
    def pencil_us(self) -> int: ...
    @property
    def confirmed_us(self) -> int: ...
    @property
    def booked_us(self) -> int: ...
    @property
    def booked_in_hours_us(self) -> int: ...
    @property
    def utilization(self) -> float | None: ...
    def to_dict(self) -> dict[str, Any]: ...

# ---- engine ----

@final
class ManualClock:
    def __init__(self, start: datetime) -> None: ...
    def now(self) -> datetime: ...
    def set(self, instant: datetime) -> None: ...
    def advance(self, delta: timedelta) -> None: ...

@final
class Subscription:
    def next(self, timeout: Seconds | None = None) -> Event | Literal["lagged"] | None: ...

class Engine:
    def __init__(
        self,
        url: str,
        *,
        default_hold_ttl: timedelta | None = None,
        busy_timeout: Seconds | None = None,
        pool_size: int | None = None,
        cache_entries: int | None = None,
        clock: ManualClock | None = None,
        durability: Durability | None = None,
        write_batch_max: int | None = None,
        write_queue_max: int | None = None,
        write_linger: Seconds | None = None,
    ) -> None: ...
    def create_tenant(self, id: str, name: str) -> TenantInfo: ...
    def sweep_expired(self) -> int: ...
    def authenticate(self, token: str) -> ApiKey | None: ...
    def ping(self) -> None: ...
    def cache_stats(self) -> CacheStats: ...
    def write_stats(self) -> WriteStats: ...
    def now(self) -> datetime: ...
    def subscribe(self) -> Subscription: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...

class Tenant:
    def __init__(self, engine: Engine, id: str, actor: str | None = None) -> None: ...
    @property
    def id(self) -> str: ...
    @property
    def actor(self) -> str | None: ...
    @property
    def engine(self) -> Engine: ...
    def as_actor(self, actor: str) -> Self: ...
    # resources
    def create_resource(
        self,
        *,
        name: str,
        id: str | None = None,
        kind: str | None = None,
        capacity: int | None = None,
        timezone: str | None = None,
        tags: Sequence[str] | None = None,
        buffer_before: timedelta | None = None,
        buffer_after: timedelta | None = None,
        active: bool | None = None,
        metadata: Metadata | None = None,
    ) -> Resource: ...
    def get_resource(self, id: str) -> Resource: ...
    def list_resources(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Resource]: ...
    def update_resource(
        self,
        id: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        capacity: int | None = None,
        timezone: str | None = None,
        tags: Sequence[str] | None = None,
        buffer_before: timedelta | None = None,
        buffer_after: timedelta | None = None,
        active: bool | None = None,
        metadata: Metadata | None = None,
        expected_version: int | None = None,
    ) -> Resource: ...
    # availability
    def get_availability(self, resource_id: str) -> Availability: ...
    def set_availability(
        self,
        resource_id: str,
        *,
        policy: Policy | None = None,
        weekly: Sequence[WeeklyHours] | None = None,
        overrides: Sequence[DateOverrideInput] | None = None,
        expected_version: int | None = None,
    ) -> Availability: ...
    def check_availability(
        self, resource_id: str, *, start: datetime, end: datetime, quantity: int | None = None
    ) -> AvailabilityCheck: ...
    def free_busy(self, resource_ids: Sequence[str], *, start: datetime, end: datetime) -> list[FreeBusy]: ...
    def find_slots(
        self,
        *,
        start: datetime,
        end: datetime,
        resource_ids: Sequence[str] | None = None,
        tag: str | None = None,
        duration: timedelta | None = None,
        working_days: int | None = None,
        step: timedelta | None = None,
        quantity: int | None = None,
        limit: int | None = None,
        per_resource: bool | None = None,
    ) -> list[FoundSlot]: ...
    # API keys
    def create_api_key(self, *, role: Role, resource_id: str | None = None, name: str | None = None) -> IssuedKey: ...
    def revoke_api_key(self, id: str) -> ApiKey: ...
    def list_api_keys(self, *, limit: int | None = None, cursor: str | None = None) -> Page[ApiKey]: ...
    # projects
    def create_project(self, *, name: str, id: str | None = None, metadata: Metadata | None = None) -> Project: ...
    def get_project(self, id: str) -> Project: ...
    def list_projects(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Project]: ...
    # bookings
    def create_booking(
        self,
        *,
        resource_id: str,
        start: datetime,
        end: datetime,
        status: NewStatus | None = None,
        quantity: int | None = None,
        hold_ttl: timedelta | None = None,
        hold_expires_at: datetime | None = None,
        project_id: str | None = None,
        title: str | None = None,
        notes: str | None = None,
        metadata: Metadata | None = None,
        idempotency_key: str | None = None,
        id: str | None = None,
    ) -> Booking: ...
    def create_bookings(self, items: Sequence[NewBookingFields] | Sequence[Mapping[str, Any]]) -> list[Booking]: ...
    def get_booking(self, id: str) -> Booking: ...
    def list_bookings(
        self,
        *,
        resource_ids: Sequence[str] | None = None,
        project_id: str | None = None,
        statuses: Sequence[Status] | Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Booking]: ...
    def pencil(self, id: str, *, expected_version: int | None = None) -> Booking: ...
    def confirm(self, id: str, *, expected_version: int | None = None) -> Booking: ...
    def cancel(self, id: str, *, expected_version: int | None = None) -> Booking: ...
    def decline(self, id: str, *, expected_version: int | None = None) -> Booking: ...
    def extend_hold(
        self,
        id: str,
        *,
        hold_ttl: timedelta | None = None,
        hold_expires_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> Booking: ...
    def reschedule(
        self,
        id: str,
        *,
        start: datetime,
        end: datetime,
        resource_id: str | None = None,
        expected_version: int | None = None,
    ) -> Booking: ...
    # events and reports
    def history(self, booking_id: str) -> list[Event]: ...
    def _events(self, since: int, limit: int) -> list[Event]: ...
    def subscribe(self) -> Subscription: ...
    def utilization_rows(self, start: datetime, end: datetime, group_by: GroupBy | str) -> list[UtilizationRow]: ...

def booking_columns(bookings: Sequence[Booking], *, metadata_json: bool = False) -> dict[str, list[Any]]: ...
