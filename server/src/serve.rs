//! Running the server: listen, sweep expired holds, stop gracefully on
//! SIGTERM/SIGINT (stop accepting, end SSE streams, let in-flight requests
//! finish within the grace period).

use std::net::SocketAddr;
use std::time::Duration;

use holdfast::Engine;
use tokio::net::TcpListener;

use crate::state::{AppState, Settings, blocking};

/// Everything `serve` needs besides the engine.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub listen: SocketAddr,
    pub settings: Settings,
    /// How often to sweep expired holds; `None` = never.
    pub sweep_interval: Option<Duration>,
    pub shutdown_grace: Duration,
}

/// Serves until a shutdown signal; `ready` is told the bound address.
pub async fn serve(engine: Engine, options: HttpOptions, ready: impl FnOnce(SocketAddr)) -> Result<(), String> {
    let listener =
        TcpListener::bind(options.listen).await.map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    serve_on(listener, engine, options, move || ready(addr)).await
}

/// Serves on a bound listener until a shutdown signal.
pub async fn serve_on(
    listener: TcpListener,
    engine: Engine,
    options: HttpOptions,
    ready: impl FnOnce(),
) -> Result<(), String> {
    let state = AppState::new(engine, options.settings.clone());
    let app = crate::router(state.clone());
    if let Some(every) = options.sweep_interval {
        tokio::spawn(sweeper(state.clone(), every));
    }
    ready();

    let stopping = state.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        stopping.begin_shutdown();
    });
    let mut signalled = state.shutdown_signal();
    let grace = options.shutdown_grace;
    tokio::select! {
        result = server => result.map_err(|e| format!("server: {e}")),
        () = async move {
            let _ = signalled.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!(grace_ms = grace.as_millis() as u64, "grace period over; exiting with requests in flight");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Turns expired holds into `expired` every `every` (visibility only: a
/// hold stops blocking at its expiry whether or not this runs).
async fn sweeper(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopping = state.shutdown_signal();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        let engine = state.engine.clone();
        match blocking(move || engine.sweep_expired()).await {
            Ok(0) => {}
            Ok(n) => {
                state.metrics.holds_expired(n);
                tracing::info!(expired = n, "swept expired holds");
            }
            Err(e) => tracing::warn!(code = e.code, message = %e.message, "sweeping expired holds failed"),
        }
    }
}
