//! Throwaway schemas on the PostgreSQL server: one per store, so every
//! workload starts empty and systems never see each other's tables.

use postgres::{Client, Config, NoTls};

use super::{Context, Result};

/// A schema that exists while this value lives.
pub struct PgSchema {
    admin: Client,
    pub name: String,
}

impl PgSchema {
    /// Creates `compare_<prefix>_<label>_<pid>` (the pid keeps two runs on
    /// one server apart), owned by `owner` when given.
    pub fn create(admin: &Config, prefix: &str, label: &str, owner: Option<&str>) -> Result<PgSchema> {
        let label: String =
            label.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        let name = format!("compare_{prefix}_{label}_{}", std::process::id());
        let mut client = admin.connect(NoTls).context("connect to PostgreSQL (--pg-url)")?;
        let authorization = owner.map(|o| format!(" AUTHORIZATION {}", quote_ident(o))).unwrap_or_default();
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}{authorization}"))
            .with_context(|| format!("create schema {name}"))?;
        Ok(PgSchema { admin: client, name })
    }

    /// Collects planner statistics on every table of the schema.
    pub fn analyze(&mut self) -> Result<()> {
        let tables = self
            .admin
            .query("SELECT tablename FROM pg_tables WHERE schemaname = $1", &[&self.name])
            .context("list the schema's tables")?;
        for table in tables {
            let table: String = table.get(0);
            self.admin
                .batch_execute(&format!("ANALYZE {}.{}", self.name, quote_ident(&table)))
                .with_context(|| format!("ANALYZE {table}"))?;
        }
        Ok(())
    }

    /// Session options that make `name` the first schema searched
    /// (`public` stays on the path: btree_gist lives there).
    pub fn search_path_option(&self) -> String {
        format!("-c search_path={},public", self.name)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Err(e) = self.admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name)) {
            eprintln!("compare: could not drop schema {}: {e}", self.name);
        }
    }
}

/// `config` with `extra` appended to its session options.
pub fn with_options(config: &Config, extra: &str) -> Config {
    let mut config = config.clone();
    let options = format!("{} {extra}", config.get_options().unwrap_or(""));
    config.options(options.trim());
    config
}

/// `url` with session `options` added as a URL parameter (for callers that
/// take a URL, such as `Engine::builder().url`). The options must not need
/// escaping beyond spaces and `=`.
pub fn url_with_options(url: &str, options: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options={}", options.replace(' ', "%20").replace('=', "%3D"))
}

fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}
