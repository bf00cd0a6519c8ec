//! `holdfast-server`: the Holdfast booking engine over HTTP.
//!
//! A thin axum layer over the core (crate `holdfast`): every handler checks
//! the caller's role, converts the request, runs one synchronous engine call
//! on the blocking pool and converts the answer. No business rule lives
//! here; what a role may do (`auth.rs`) is the server's own policy.
//!
//! ```no_run
//! use holdfast_server::{AppState, Settings, router};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = holdfast::Engine::open("sqlite://studio.db")?;
//! let app = router(AppState::new(engine, Settings::default()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod auth;
pub mod cli;
mod demo;
mod error;
mod extract;
mod feed;
mod metrics;
mod openapi;
mod routes;
pub mod serve;
mod state;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use demo::seed as seed_demo;
pub use error::ApiError;
pub use state::{AppState, Settings};

use routes::{ResourceScope, availability, bookings, events, keys, ops, projects, reports, resources};

/// The routes and the OpenAPI document, built together.
fn api() -> OpenApiRouter<AppState> {
    let resource_routes = || {
        OpenApiRouter::new()
            .routes(routes!(resources::list, resources::create))
            .routes(routes!(resources::get, resources::update))
            .routes(routes!(resources::bookings))
            .routes(routes!(availability::get_rules, availability::put_rules))
            .routes(routes!(availability::free_busy))
    };
    let v1 = OpenApiRouter::new()
        .nest("/resources", resource_routes())
        .nest("/artists", resource_routes().layer(axum::Extension(ResourceScope::Kind("artist"))))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::get))
        .routes(routes!(projects::bookings))
        .routes(routes!(bookings::list, bookings::create))
        .routes(routes!(bookings::create_batch))
        .routes(routes!(availability::check))
        .routes(routes!(bookings::get, bookings::reschedule, bookings::delete))
        .routes(routes!(bookings::pencil))
        .routes(routes!(bookings::confirm))
        .routes(routes!(bookings::cancel))
        .routes(routes!(bookings::decline))
        .routes(routes!(bookings::extend))
        .routes(routes!(bookings::history))
        .routes(routes!(availability::search_slots))
        .routes(routes!(events::events))
        .routes(routes!(reports::utilization))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", v1)
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
}

/// The OpenAPI 3.1 document of every route [`router`] serves.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, doc) = api().split_for_parts();
    openapi::complete(doc)
}

/// The whole HTTP application: `/api/v1`, probes, metrics and the OpenAPI
/// document, with the protection and observability layers.
pub fn router(state: AppState) -> Router {
    let (app, doc) = api().split_for_parts();
    let document: Arc<[u8]> = serde_json::to_vec(&openapi::complete(doc)).unwrap_or_default().into();
    let app = app
        .route(
            openapi::DOCUMENT_PATH,
            get(move || {
                let body = Arc::clone(&document);
                async move { ([(header::CONTENT_TYPE, "application/json")], body.to_vec()) }
            }),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(holdfast::limits::HTTP_BODY_MAX_BYTES))
        .layer(from_fn_with_state(state.clone(), time_limit))
        .layer(from_fn_with_state(state.clone(), metrics::track));
    let app = match cors(&state.settings.cors_origins) {
        Some(layer) => app.layer(layer),
        None => app,
    };
    app.layer(
        TraceLayer::new_for_http()
            .make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
                tracing::info_span!("request", method = %req.method(), route = %route)
            })
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
    )
    .with_state(state)
}

async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such route", serde_json::json!({}))
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "INVALID_INPUT",
        format!("method {method} is not allowed on this path"),
        serde_json::json!({ "field": "method" }),
    )
}

/// 503 when a request runs past the configured time.
async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limit) = state.settings.request_timeout else { return next.run(request).await };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timed_out(limit.as_millis() as u64).into_response(),
    }
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("last-event-id"),
            ])
            .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(3_600)),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_request_past_the_time_limit_is_503_with_the_envelope() {
        let engine = holdfast::Engine::open("sqlite::memory:").expect("engine");
        let settings = Settings { request_timeout: Some(Duration::from_millis(20)), ..Settings::default() };
        let state = AppState::new(engine, settings);
        let app: Router = Router::new()
            .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(30)).await }))
            .route("/fast", get(|| async { "ok" }))
            .layer(from_fn_with_state(state.clone(), time_limit))
            .with_state(state);
        let slow = app.clone().oneshot(Request::get("/slow").body(Body::empty()).expect("req")).await.expect("resp");
        assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(slow.headers()[header::RETRY_AFTER], "1");
        let fast = app.oneshot(Request::get("/fast").body(Body::empty()).expect("req")).await.expect("resp");
        assert_eq!(fast.status(), StatusCode::OK);
    }
}
