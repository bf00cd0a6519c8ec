//! Every limit of the engine in one place, each named with its unit.
//!
//! Exceeding a limit is `LIMIT_EXCEEDED` (or `INVALID_INPUT` where the value
//! is not a size but a malformed one) and changes nothing. Nothing is ever
//! truncated silently.

/// One microsecond, the engine's time quantum.
pub const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// Longest booking, `end - start`.
pub const BOOKING_LENGTH_MAX_US: i64 = 366 * MICROS_PER_DAY;
/// Longest query window (`list_bookings`, availability, reports).
pub const QUERY_WINDOW_MAX_US: i64 = 400 * MICROS_PER_DAY;
/// Most bookings in one `create_bookings` call.
pub const BATCH_SIZE_MAX: usize = 10_000;
/// Longest booking title.
pub const TITLE_LENGTH_MAX_CHARS: usize = 255;
/// Longest booking notes.
pub const NOTES_LENGTH_MAX_CHARS: usize = 10_000;
/// Largest metadata object, serialized as compact JSON.
pub const METADATA_SIZE_MAX_BYTES: usize = 16 * 1024;
/// Largest resource capacity (and so the largest booking quantity).
pub const CAPACITY_MAX: u32 = 10_000;
/// Largest page a list call returns.
pub const PAGE_SIZE_MAX: usize = 1_000;
/// Most resource ids in one list filter.
pub const FILTER_IDS_MAX: usize = 1_000;
/// Page size when the caller gives none.
pub const PAGE_SIZE_DEFAULT: usize = 100;
/// Largest HTTP request body (enforced by the server).
pub const HTTP_BODY_MAX_BYTES: usize = 1024 * 1024;

/// Longest tenant id; tenant ids match `[A-Za-z0-9_-]`.
pub const TENANT_ID_LENGTH_MAX_CHARS: usize = 64;
/// Longest resource, project or booking id; ids match `[A-Za-z0-9_.:-]`.
pub const ID_LENGTH_MAX_CHARS: usize = 128;
/// Longest name of a tenant, resource or project.
pub const NAME_LENGTH_MAX_CHARS: usize = 255;
/// Longest resource kind ("artist", "room").
pub const KIND_LENGTH_MAX_CHARS: usize = 64;
/// Most tags on one resource.
pub const TAGS_COUNT_MAX: usize = 64;
/// Longest tag.
pub const TAG_LENGTH_MAX_CHARS: usize = 64;
/// Longest idempotency key.
pub const IDEMPOTENCY_KEY_LENGTH_MAX_CHARS: usize = 255;
/// Longest actor name recorded on events.
pub const ACTOR_LENGTH_MAX_CHARS: usize = 128;
/// Largest buffer before or after a booking.
pub const BUFFER_MAX_US: i64 = 7 * MICROS_PER_DAY;
/// Longest hold time to live (a "first hold" may last weeks, not years).
pub const HOLD_TTL_MAX_US: i64 = 366 * MICROS_PER_DAY;
/// Hold time to live when the caller gives none.
pub const HOLD_TTL_DEFAULT_US: i64 = 15 * 60 * MICROS_PER_SECOND;

/// Earliest instant accepted: 0001-01-01T00:00:00Z.
pub const TIMESTAMP_MIN_US: i64 = -62_135_596_800 * MICROS_PER_SECOND;
/// Latest instant accepted: 9999-12-31T23:59:59.999999Z.
pub const TIMESTAMP_MAX_US: i64 = 253_402_300_800 * MICROS_PER_SECOND - 1;

/// Read-cache entries an engine keeps when the builder names no size.
pub const CACHE_ENTRIES_DEFAULT: usize = 4_096;
/// Bytes of cached bookings (listing entries) per read-cache entry: 32 MiB
/// at the default size. One resource's listing entry takes at most an
/// eighth of it.
pub const CACHE_BYTES_PER_ENTRY: usize = 8 * 1024;

/// Most bookings `list_bookings` keeps in the read cache for one resource's
/// stretch of time; a busier stretch is listed from the store every time.
pub const LISTING_ENTRY_ROWS_MAX: usize = 4_096;
/// Most bookings one `list_bookings` call loads into the read cache for the
/// resources it lists; past it the call is answered by the store.
pub const LISTING_LOAD_ROWS_MAX: usize = 16_384;

/// Most expired holds one `sweep_expired` call turns into `expired` per tenant
/// (bounded so a sweep never holds the write lock for long; call it again).
pub const SWEEP_BATCH_MAX: usize = 1_000;
/// Most weekly shifts in one resource's availability rules.
pub const WEEKLY_HOURS_MAX: usize = 64;
/// Most dated overrides in one resource's availability rules.
pub const DATE_OVERRIDES_MAX: usize = 1_000;
/// Most shifts on one overridden date.
pub const OVERRIDE_HOURS_MAX: usize = 16;
/// Most resources one `free_busy` or `find_slots` call looks at.
pub const RESOURCES_PER_QUERY_MAX: usize = 1_000;
/// Most slots one `find_slots` call returns (per resource with `per_resource`).
pub const SLOTS_MAX: usize = 1_000;
/// Slots returned when the caller gives no limit.
pub const SLOTS_DEFAULT: usize = 10;
/// Finest slot alignment: one minute keeps a search's grid bounded.
pub const SLOT_STEP_MIN_US: i64 = 60 * MICROS_PER_SECOND;
/// Most working days one slot spans.
pub const WORKING_DAYS_MAX: u32 = 31;

/// Queued events per in-process subscriber before it is marked lagged.
pub const SUBSCRIBER_QUEUE_MAX: usize = 4_096;

/// Writes grouped into one transaction by default, and at most.
pub const WRITE_BATCH_DEFAULT: usize = 128;
pub const WRITE_BATCH_MAX: usize = 10_000;

/// Writes of one tenant waiting for a batch, by default and at most.
pub const WRITE_QUEUE_DEFAULT: usize = 4_096;
pub const WRITE_QUEUE_MAX: usize = 1_000_000;

/// Longest wait for more writes before a shared batch.
pub const WRITE_LINGER_MAX: std::time::Duration = std::time::Duration::from_millis(10);
