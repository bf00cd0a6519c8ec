-- Holdfast schema v1 (SQLite). Instants are INTEGER microseconds since the
-- Unix epoch (UTC); JSON columns hold compact serde_json text.

CREATE TABLE tenants (
    id            TEXT    NOT NULL PRIMARY KEY,
    name          TEXT    NOT NULL,
    created_at_us INTEGER NOT NULL,
    -- Last event seq handed out; bumped in the writing transaction, so seq
    -- stays gap-free and doubles as the tenant's freshness token.
    last_seq      INTEGER NOT NULL DEFAULT 0,
    -- Latest decision instant of any writer (any process): decisions take
    -- max(own clock, this), so a writer whose clock lags never judges a
    -- hold alive that an earlier decision already judged expired.
    last_decision_us INTEGER
) STRICT;

CREATE TABLE resources (
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    id               TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    capacity         INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    timezone         TEXT    NOT NULL,
    tags             TEXT    NOT NULL,
    buffer_before_us INTEGER NOT NULL CHECK (buffer_before_us >= 0),
    buffer_after_us  INTEGER NOT NULL CHECK (buffer_after_us >= 0),
    active           INTEGER NOT NULL,
    metadata         TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    created_at_us    INTEGER NOT NULL,
    updated_at_us    INTEGER NOT NULL,
    -- Longest booking ever placed here (never shrinks): bounds how far back
    -- an overlap query must scan the start index.
    max_booking_length_us INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE projects (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    id            TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    metadata      TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    created_at_us INTEGER NOT NULL,
    updated_at_us INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE bookings (
    tenant_id          TEXT    NOT NULL,
    id                 TEXT    NOT NULL,
    resource_id        TEXT    NOT NULL,
    project_id         TEXT,
    start_us           INTEGER NOT NULL,
    end_us             INTEGER NOT NULL,
    status             TEXT    NOT NULL
        CHECK (status IN ('hold', 'pencil', 'confirmed', 'cancelled', 'declined', 'expired')),
    quantity           INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    hold_expires_at_us INTEGER,
    title              TEXT,
    notes              TEXT,
    metadata           TEXT    NOT NULL,
    version            INTEGER NOT NULL,
    created_at_us      INTEGER NOT NULL,
    updated_at_us      INTEGER NOT NULL,
    idempotency_key    TEXT,
    request_hash       TEXT    NOT NULL,
    -- Place in a waiting line (ranked holds); reserved, always NULL for now.
    position           INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, resource_id) REFERENCES resources (tenant_id, id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id),
    CHECK (start_us < end_us),
    CHECK ((status = 'hold') = (hold_expires_at_us IS NOT NULL) OR status = 'expired')
) STRICT;

-- Overlap queries for capacity decisions: only capacity-consuming rows, so
-- the index stays the size of the live schedule however long history grows.
CREATE INDEX bookings_blocking ON bookings (tenant_id, resource_id, start_us)
    WHERE status IN ('hold', 'pencil', 'confirmed');
-- Listing, with keyset pagination on (start_us, id).
CREATE INDEX bookings_by_start ON bookings (tenant_id, start_us, id);
CREATE INDEX bookings_by_resource ON bookings (tenant_id, resource_id, start_us, id);
CREATE INDEX bookings_by_project ON bookings (tenant_id, project_id, start_us, id)
    WHERE project_id IS NOT NULL;
CREATE UNIQUE INDEX bookings_idempotency ON bookings (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- The sweeper's scan of running holds.
CREATE INDEX bookings_holds ON bookings (hold_expires_at_us, tenant_id)
    WHERE status = 'hold';

CREATE TABLE events (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    seq        INTEGER NOT NULL,
    booking_id TEXT,
    type       TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    at_us      INTEGER NOT NULL,
    data       TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX events_by_booking ON events (tenant_id, booking_id, seq)
    WHERE booking_id IS NOT NULL;
