-- Holdfast schema v1 (PostgreSQL): the SQLite schema's logical twin with
-- timestamptz instants and jsonb documents. Created in the first schema of
-- the connection's search_path. Ids compare bytewise (COLLATE "C"), as in
-- SQLite, so both stores order and page identically.

CREATE TABLE tenants (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL,
    -- Last event seq handed out; bumped in the writing transaction.
    last_seq   bigint      NOT NULL DEFAULT 0,
    -- Latest decision instant of any writer (any machine): decisions take
    -- max(own clock, this), so clock skew between app servers never lets
    -- two of them judge one hold both expired and alive.
    last_decision_at timestamptz
);

CREATE TABLE resources (
    tenant_id        text COLLATE "C" NOT NULL REFERENCES tenants (id),
    id               text COLLATE "C" NOT NULL,
    name             text        NOT NULL,
    kind             text        NOT NULL,
    capacity         integer     NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    timezone         text        NOT NULL,
    tags             jsonb       NOT NULL,
    buffer_before_us bigint      NOT NULL CHECK (buffer_before_us >= 0),
    buffer_after_us  bigint      NOT NULL CHECK (buffer_after_us >= 0),
    active           boolean     NOT NULL,
    metadata         jsonb       NOT NULL,
    version          bigint      NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    -- Longest booking ever placed here (never shrinks): bounds overlap scans.
    max_booking_length_us bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE projects (
    tenant_id  text COLLATE "C" NOT NULL REFERENCES tenants (id),
    id         text COLLATE "C" NOT NULL,
    name       text        NOT NULL,
    metadata   jsonb       NOT NULL,
    version    bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE bookings (
    tenant_id       text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    resource_id     text COLLATE "C" NOT NULL,
    project_id      text COLLATE "C",
    start_at        timestamptz NOT NULL,
    end_at          timestamptz NOT NULL,
    status          text        NOT NULL
        CHECK (status IN ('hold', 'pencil', 'confirmed', 'cancelled', 'declined', 'expired')),
    quantity        integer     NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    hold_expires_at timestamptz,
    title           text,
    notes           text,
    metadata        jsonb       NOT NULL,
    version         bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    idempotency_key text,
    request_hash    text        NOT NULL,
    -- Place in a waiting line (ranked holds); reserved, always NULL for now.
    position        integer,
    -- Whether the booking's resource is exclusive (capacity 1); kept in step
    -- with the resource by the store, for the constraint below.
    exclusive       boolean     NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, resource_id) REFERENCES resources (tenant_id, id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id),
    CHECK (start_at < end_at),
    CHECK ((status = 'hold') = (hold_expires_at IS NOT NULL) OR status = 'expired'),
    -- Second line of defence behind the engine's capacity decision: two
    -- firm bookings of an exclusive resource never overlap (raw intervals:
    -- weaker than the engine's buffered check, so it never refuses what
    -- the engine accepts correctly). Holds are left out: whether they block
    -- depends on the decision instant.
    CONSTRAINT bookings_exclusive_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, resource_id WITH =, tstzrange(start_at, end_at) WITH &&
    ) WHERE (exclusive AND status IN ('pencil', 'confirmed'))
);

CREATE INDEX bookings_blocking ON bookings (tenant_id, resource_id, start_at)
    WHERE status IN ('hold', 'pencil', 'confirmed');
CREATE INDEX bookings_by_start ON bookings (tenant_id, start_at, id);
CREATE INDEX bookings_by_resource ON bookings (tenant_id, resource_id, start_at, id);
CREATE INDEX bookings_by_project ON bookings (tenant_id, project_id, start_at, id)
    WHERE project_id IS NOT NULL;
CREATE UNIQUE INDEX bookings_idempotency ON bookings (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX bookings_holds ON bookings (hold_expires_at, tenant_id)
    WHERE status = 'hold';

CREATE TABLE events (
    tenant_id  text COLLATE "C" NOT NULL REFERENCES tenants (id),
    seq        bigint      NOT NULL,
    booking_id text COLLATE "C",
    type       text        NOT NULL,
    actor      text        NOT NULL,
    at         timestamptz NOT NULL,
    data       jsonb       NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE INDEX events_by_booking ON events (tenant_id, booking_id, seq)
    WHERE booking_id IS NOT NULL;

-- Row-level security: every tenant table shows a session only the rows of
-- the tenant named by the transaction-local setting `holdfast.tenant_id`
-- (set with set_config(..., true) at the start of each transaction). FORCE
-- applies it to the table owner too; superusers and BYPASSRLS roles are
-- never subject to it, so run the engine as an ordinary role.
ALTER TABLE resources ENABLE ROW LEVEL SECURITY;
ALTER TABLE resources FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON resources
    USING (tenant_id = current_setting('holdfast.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('holdfast.tenant_id', true));

ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON projects
    USING (tenant_id = current_setting('holdfast.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('holdfast.tenant_id', true));

ALTER TABLE bookings ENABLE ROW LEVEL SECURITY;
ALTER TABLE bookings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON bookings
    USING (tenant_id = current_setting('holdfast.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('holdfast.tenant_id', true));

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
    USING (tenant_id = current_setting('holdfast.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('holdfast.tenant_id', true));

-- The tenants registry (id, name, seq counter) is the one table without
-- RLS: the hold sweeper walks it to visit every tenant.
