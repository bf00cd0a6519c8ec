-- Holdfast schema v2 (PostgreSQL): availability rules per resource. A
-- resource without a row has the default rules (open around the clock,
-- advisory).

CREATE TABLE availability (
    tenant_id   text COLLATE "C" NOT NULL,
    resource_id text COLLATE "C" NOT NULL,
    -- AvailabilityRules: {policy, weekly, overrides}.
    rules       jsonb       NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 1),
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, resource_id),
    FOREIGN KEY (tenant_id, resource_id) REFERENCES resources (tenant_id, id)
);

ALTER TABLE availability ENABLE ROW LEVEL SECURITY;
ALTER TABLE availability FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON availability
    USING (tenant_id = current_setting('holdfast.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('holdfast.tenant_id', true));
