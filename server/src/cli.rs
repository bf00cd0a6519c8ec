//! The command line: `serve`, `demo`, `tenant create`, `key create|revoke|list`,
//! `migrate`, `openapi`. Every flag can also be set by its `HOLDFAST_*`
//! environment variable. Logs go to stderr; stdout carries only what a
//! command prints for its user (a key's token, the demo's examples).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use holdfast::{Durability, Engine, EngineBuilder, NewApiKey, PageRequest, Role};

use crate::serve::{self, HttpOptions};

#[derive(Debug, Parser)]
#[command(name = "holdfast-server", version, about = "The Holdfast booking engine over HTTP")]
pub struct Cli {
    /// Log format on stderr (level from RUST_LOG, default info).
    #[arg(long, env = "HOLDFAST_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API over a store.
    Serve(ServeArgs),
    /// Seed a fresh studio in a SQLite file under the working directory,
    /// print an owner key and example requests, and serve it until Ctrl-C.
    Demo(DemoArgs),
    /// Tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Apply the store's schema migrations (opening a store also does).
    Migrate(StoreArgs),
    /// Print the OpenAPI document.
    Openapi,
}

/// The store and the engine's settings (unset ones keep the core's defaults).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Store URL: sqlite://path.db, sqlite::memory:, postgres://… (feature `postgres`).
    #[arg(long, env = "HOLDFAST_DB")]
    pub db: String,
    /// Most store connections held open.
    #[arg(long, env = "HOLDFAST_POOL_SIZE")]
    pub pool_size: Option<u32>,
    /// How long a call waits for the store's lock before STORE_UNAVAILABLE.
    #[arg(long, env = "HOLDFAST_BUSY_TIMEOUT_MS")]
    pub busy_timeout_ms: Option<u64>,
    /// Read-cache entries (0 turns the cache off).
    #[arg(long, env = "HOLDFAST_CACHE_ENTRIES")]
    pub cache_entries: Option<usize>,
    /// Hold lifetime when a create names none.
    #[arg(long, env = "HOLDFAST_DEFAULT_HOLD_TTL_MS")]
    pub default_hold_ttl_ms: Option<i64>,
}

impl StoreArgs {
    pub fn open(&self) -> holdfast::Result<Engine> {
        self.builder()?.open()
    }

    /// The engine's builder with these settings (the store opens on `open()`).
    pub fn builder(&self) -> holdfast::Result<EngineBuilder> {
        let mut builder = Engine::builder().url(self.db.clone());
        if let Some(n) = self.pool_size {
            builder = builder.pool_size(n);
        }
        if let Some(ms) = self.busy_timeout_ms {
            builder = builder.busy_timeout(Duration::from_millis(ms));
        }
        if let Some(n) = self.cache_entries {
            builder = builder.cache_entries(n);
        }
        if let Some(ms) = self.default_hold_ttl_ms {
            let ttl = chrono::TimeDelta::try_milliseconds(ms).ok_or_else(|| holdfast::Error::InvalidInput {
                field: "default_hold_ttl_ms".into(),
                message: "duration out of range".into(),
            })?;
            builder = builder.default_hold_ttl(ttl);
        }
        Ok(builder)
    }
}

/// How a serving engine commits writes (unset ones keep the core's defaults;
/// the core refuses values out of its range when the engine opens).
#[derive(Debug, Clone, Args)]
pub struct WriteArgs {
    /// What an acknowledged write survives: `full` flushes every commit to
    /// disk (survives a power loss); `normal` survives a crash of the
    /// process, but the last commits may be lost with the machine (SQLite
    /// synchronous=NORMAL, PostgreSQL synchronous_commit=off).
    #[arg(long, env = "HOLDFAST_DURABILITY", value_name = "full|normal", value_parser = parse_durability,
          default_value = Durability::default().as_str())]
    pub durability: Durability,
    /// Most concurrent writes of one tenant that share a transaction and a
    /// commit (core default 128; 1 turns grouping off).
    #[arg(long, env = "HOLDFAST_WRITE_BATCH_MAX")]
    pub write_batch_max: Option<usize>,
    /// Most writes of one tenant waiting for their batch (core default
    /// 4,096); past it a write waits up to the busy timeout, then fails with
    /// STORE_UNAVAILABLE (HTTP 503).
    #[arg(long, env = "HOLDFAST_WRITE_QUEUE_MAX")]
    pub write_queue_max: Option<usize>,
    /// How long a batch waits for more writes after a shared one, in
    /// milliseconds (fractions allowed; core default 0, at most 10).
    #[arg(long, env = "HOLDFAST_WRITE_LINGER_MS", value_name = "MS", value_parser = parse_ms)]
    pub write_linger_ms: Option<Duration>,
}

impl WriteArgs {
    pub fn apply(&self, builder: EngineBuilder) -> EngineBuilder {
        let mut builder = builder.durability(self.durability);
        if let Some(n) = self.write_batch_max {
            builder = builder.write_batch_max(n);
        }
        if let Some(n) = self.write_queue_max {
            builder = builder.write_queue_max(n);
        }
        if let Some(linger) = self.write_linger_ms {
            builder = builder.write_linger(linger);
        }
        builder
    }
}

/// The core's parser, so the accepted names are the core's.
fn parse_durability(text: &str) -> Result<Durability, String> {
    text.parse().map_err(|e: holdfast::Error| e.to_string())
}

/// Milliseconds, fractions allowed, as a duration.
fn parse_ms(text: &str) -> Result<Duration, String> {
    let ms: f64 = text.parse().map_err(|_| format!("{text:?} is not a number of milliseconds"))?;
    if ms.is_nan() || ms < 0.0 {
        return Err("must not be negative".into());
    }
    Duration::try_from_secs_f64(ms / 1_000.0).map_err(|_| "out of range".into())
}

/// How the HTTP side behaves.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Address to listen on.
    #[arg(long, env = "HOLDFAST_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Longest a request may take before 503 (0: no limit). A write may
    /// still commit after it: clients retry with their idempotency key.
    #[arg(long, env = "HOLDFAST_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// Requests per second each API key may make on average (0: no limit;
    /// per server process).
    #[arg(long, env = "HOLDFAST_RATE_LIMIT_PER_S", default_value_t = 1_000.0)]
    pub rate_limit_per_s: f64,
    /// Requests each API key may make at once above the average.
    #[arg(long, env = "HOLDFAST_RATE_LIMIT_BURST", default_value_t = 2_000)]
    pub rate_limit_burst: u32,
    /// Origins allowed by CORS, comma-separated; `*` for any. None: no CORS.
    #[arg(long, env = "HOLDFAST_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// How often expired holds are swept into `expired` (0: never; holds
    /// stop blocking at their expiry either way).
    #[arg(long, env = "HOLDFAST_SWEEP_INTERVAL_MS", default_value_t = 1_000)]
    pub sweep_interval_ms: u64,
    /// How often SSE streams read the log for events other processes wrote.
    #[arg(long, env = "HOLDFAST_EVENTS_POLL_MS", default_value_t = 1_000)]
    pub events_poll_ms: u64,
    /// Keep-alive comment interval on SSE streams.
    #[arg(long, env = "HOLDFAST_SSE_KEEP_ALIVE_MS", default_value_t = 15_000)]
    pub sse_keep_alive_ms: u64,
    /// After SIGTERM/SIGINT, how long in-flight requests may finish.
    #[arg(long, env = "HOLDFAST_SHUTDOWN_GRACE_MS", default_value_t = 30_000)]
    pub shutdown_grace_ms: u64,
}

impl HttpArgs {
    pub fn options(&self) -> HttpOptions {
        let positive = |ms: u64| (ms > 0).then(|| Duration::from_millis(ms));
        HttpOptions {
            listen: self.listen,
            settings: crate::Settings {
                request_timeout: positive(self.request_timeout_ms),
                rate_limit_per_s: (self.rate_limit_per_s > 0.0).then_some(self.rate_limit_per_s),
                rate_limit_burst: self.rate_limit_burst,
                cors_origins: self.cors_origins.clone(),
                events_poll: Duration::from_millis(self.events_poll_ms.max(10)),
                sse_keep_alive: Duration::from_millis(self.sse_keep_alive_ms.max(1_000)),
            },
            sweep_interval: positive(self.sweep_interval_ms),
            shutdown_grace: Duration::from_millis(self.shutdown_grace_ms),
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub writes: WriteArgs,
    #[command(flatten)]
    pub http: HttpArgs,
}

impl ServeArgs {
    pub fn open(&self) -> holdfast::Result<Engine> {
        self.writes.apply(self.store.builder()?).open()
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The SQLite file, relative to the working directory (replaced each run).
    #[arg(long, env = "HOLDFAST_DEMO_FILE", default_value = "holdfast-demo.db")]
    pub file: PathBuf,
    #[command(flatten)]
    pub writes: WriteArgs,
    #[command(flatten)]
    pub http: HttpArgs,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant (the same id and name again changes nothing).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// `[A-Za-z0-9_-]{1,64}`.
        #[arg(long, env = "HOLDFAST_TENANT")]
        id: String,
        #[arg(long, env = "HOLDFAST_TENANT_NAME")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Issue a key and print its token (shown this once).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, env = "HOLDFAST_TENANT")]
        tenant: String,
        /// owner, manager, viewer or resource.
        #[arg(long, env = "HOLDFAST_ROLE")]
        role: String,
        /// The resource a `resource` key is bound to.
        #[arg(long, env = "HOLDFAST_RESOURCE")]
        resource: Option<String>,
        /// A label for people ("ci", "ada's phone").
        #[arg(long, env = "HOLDFAST_KEY_NAME", default_value = "")]
        name: String,
    },
    /// Revoke a key at once.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, env = "HOLDFAST_TENANT")]
        tenant: String,
        /// The key id (the part after `hf_` in its token, before the next `_`).
        #[arg(long, env = "HOLDFAST_KEY_ID")]
        id: String,
    },
    /// List a tenant's keys (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long, env = "HOLDFAST_TENANT")]
        tenant: String,
    },
}

/// The binary's entry point.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

fn failed(e: holdfast::Error) -> String {
    format!("{}: {e}", e.code())
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve(args) => {
            let engine = args.open().map_err(failed)?;
            outside_runtime(engine, |engine| {
                serve::serve(engine, args.http.options(), |addr| {
                    tracing::info!(%addr, "holdfast-server listening");
                })
            })
        }
        Command::Demo(args) => {
            let (engine, seeded) = crate::demo::prepare(&args.file, &args.writes)?;
            let file = args.file.display().to_string();
            outside_runtime(engine, |engine| crate::demo::serve(engine, file, seeded, args.http.options()))
        }
        Command::Tenant(TenantCommand::Create { store, id, name }) => {
            let engine = store.open().map_err(failed)?;
            let tenant = engine.create_tenant(&id, &name).map_err(failed)?;
            println!("tenant {} ({})", tenant.id, tenant.name);
            Ok(())
        }
        Command::Key(KeyCommand::Create { store, tenant, role, resource, name }) => {
            let engine = store.open().map_err(failed)?;
            let role = Role::parse(&role).map_err(failed)?;
            let issued = engine
                .tenant(&tenant)
                .and_then(|t| t.create_api_key(NewApiKey { role, resource_id: resource, name }))
                .map_err(failed)?;
            eprintln!("key {} ({}) for tenant {}; the token is shown this once:", issued.key.id, role, tenant);
            println!("{}", issued.token);
            Ok(())
        }
        Command::Key(KeyCommand::Revoke { store, tenant, id }) => {
            let engine = store.open().map_err(failed)?;
            let key = engine.tenant(&tenant).and_then(|t| t.revoke_api_key(&id)).map_err(failed)?;
            println!("key {} revoked", key.id);
            Ok(())
        }
        Command::Key(KeyCommand::List { store, tenant }) => {
            let engine = store.open().map_err(failed)?;
            let t = engine.tenant(&tenant).map_err(failed)?;
            let mut page = PageRequest::default();
            loop {
                let keys = t.list_api_keys(&page).map_err(failed)?;
                for k in &keys.items {
                    let state = k.revoked_at.map_or_else(|| "live".to_owned(), |at| format!("revoked {at}"));
                    let bound = k.resource_id.as_deref().map(|r| format!(" resource={r}")).unwrap_or_default();
                    println!("{}\t{}{}\t{}\t{}", k.id, k.role, bound, state, k.name);
                }
                match keys.next_cursor {
                    Some(cursor) => page.cursor = Some(cursor),
                    None => break,
                }
            }
            Ok(())
        }
        Command::Migrate(store) => {
            store.open().map_err(failed)?;
            println!("store is at the current schema");
            Ok(())
        }
        Command::Openapi => {
            let doc = serde_json::to_string_pretty(&crate::openapi_document()).map_err(|e| e.to_string())?;
            println!("{doc}");
            Ok(())
        }
    }
}

/// Runs `serve` on a tokio runtime while this frame keeps a handle of the
/// engine, so the engine is dropped here, after the runtime: the PostgreSQL
/// client runs a small tokio runtime of its own, which must not be dropped
/// inside another runtime (that panics, and aborts the process on exit).
fn outside_runtime<F>(engine: Engine, serve: impl FnOnce(Engine) -> F) -> Result<(), String>
where
    F: std::future::Future<Output = Result<(), String>>,
{
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("tokio runtime: {e}"))?;
    let result = runtime.block_on(serve(engine.clone()));
    drop(runtime);
    drop(engine);
    result
}
