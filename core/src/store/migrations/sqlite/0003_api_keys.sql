-- Holdfast schema v3 (SQLite): API keys. Only the SHA-256 of a key's
-- secret is kept. Looked up by id before the tenant is known, so the id is
-- the primary key on its own.

CREATE TABLE api_keys (
    id            TEXT    NOT NULL PRIMARY KEY,
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'manager', 'viewer', 'resource')),
    resource_id   TEXT,
    name          TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL,
    created_at_us INTEGER NOT NULL,
    revoked_at_us INTEGER,
    CHECK ((role = 'resource') = (resource_id IS NOT NULL)),
    FOREIGN KEY (tenant_id, resource_id) REFERENCES resources (tenant_id, id)
) STRICT;

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);
