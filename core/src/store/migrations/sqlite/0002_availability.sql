-- Holdfast schema v2 (SQLite): availability rules per resource. A resource
-- without a row has the default rules (open around the clock, advisory).

CREATE TABLE availability (
    tenant_id     TEXT    NOT NULL,
    resource_id   TEXT    NOT NULL,
    -- AvailabilityRules as compact JSON: {policy, weekly, overrides}.
    rules         TEXT    NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    updated_at_us INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, resource_id),
    FOREIGN KEY (tenant_id, resource_id) REFERENCES resources (tenant_id, id)
) STRICT, WITHOUT ROWID;
