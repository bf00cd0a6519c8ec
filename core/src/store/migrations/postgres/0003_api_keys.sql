-- Holdfast schema v3 (PostgreSQL): API keys. Only the SHA-256 of a key's
-- secret is kept. Looked up by id before the tenant is known, so — like the
-- tenants registry — the table has no row-level security; every tenant-bound
-- statement still filters by tenant.

CREATE TABLE api_keys (
    id          text COLLATE "C" NOT NULL PRIMARY KEY,
    tenant_id   text COLLATE "C" NOT NULL REFERENCES tenants (id),
    role        text        NOT NULL CHECK (role IN ('owner', 'manager', 'viewer', 'resource')),
    resource_id text COLLATE "C",
    name        text        NOT NULL,
    secret_hash text        NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CHECK ((role = 'resource') = (resource_id IS NOT NULL)),
    FOREIGN KEY (tenant_id, resource_id) REFERENCES resources (tenant_id, id)
);

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);
