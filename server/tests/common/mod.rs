//! A tenant "acme" with artists ada and bob, a room, a project and a key per
//! role; a second tenant "other" with an owner key; requests sent through
//! the router with `tower::ServiceExt::oneshot` (no socket). `process`:
//! the binary on a loopback socket.

#![allow(dead_code)]

pub mod process;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::TimeDelta;
use holdfast::{Engine, ManualClock, NewApiKey, NewProject, NewResource, Role, Timestamp};
use holdfast_server::{AppState, Settings, router};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const T0: &str = "2026-11-20T00:00:00Z";

pub struct Fixture {
    pub app: Router,
    pub state: AppState,
    pub engine: Engine,
    pub clock: ManualClock,
    pub owner: String,
    pub manager: String,
    pub viewer: String,
    /// A `resource` key bound to ada.
    pub ada_key: String,
    /// The owner of tenant "other".
    pub other: String,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    /// `error.code` of an error answer.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn field(&self) -> &str {
        self.body["error"]["details"]["field"].as_str().unwrap_or("")
    }

    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        self
    }

    /// Asserts an error answer's status and code.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!((self.status.as_u16(), self.code()), (status, code), "body: {}", self.text);
        assert!(self.body["error"]["message"].is_string(), "error without message: {}", self.text);
        assert!(self.body["error"]["details"].is_object(), "error without details: {}", self.text);
        self
    }
}

pub fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).expect("timestamp")
}

impl Fixture {
    pub fn new() -> Self {
        Self::with_settings(Settings { rate_limit_per_s: None, ..Settings::default() })
    }

    pub fn with_settings(settings: Settings) -> Self {
        Self::build(settings, "sqlite::memory:")
    }

    /// Over the store at `url` (a file when another engine must share it).
    pub fn build(settings: Settings, url: &str) -> Self {
        let clock = ManualClock::new(ts(T0));
        let engine = Engine::builder().url(url).clock(clock.clone()).open().expect("engine");
        engine.create_tenant("acme", "Acme Studio").expect("tenant");
        engine.create_tenant("other", "Other Studio").expect("tenant");
        let t = engine.tenant("acme").expect("acme");
        for (id, kind, tz, capacity) in
            [("ada", "artist", "Europe/Berlin", 1), ("bob", "artist", "UTC", 1), ("room", "room", "UTC", 2)]
        {
            t.create_resource(NewResource {
                id: Some(id.into()),
                name: id.to_uppercase(),
                kind: kind.into(),
                timezone: tz.into(),
                capacity,
                tags: vec!["animator".into()],
                ..Default::default()
            })
            .expect("resource");
        }
        t.create_project(NewProject { id: Some("film".into()), name: "Film".into(), ..Default::default() })
            .expect("project");
        let key = |tenant: &str, role, resource: Option<&str>| {
            engine
                .tenant(tenant)
                .and_then(|t| {
                    t.create_api_key(NewApiKey { role, resource_id: resource.map(Into::into), name: String::new() })
                })
                .expect("key")
                .token
        };
        let owner = key("acme", Role::Owner, None);
        let manager = key("acme", Role::Manager, None);
        let viewer = key("acme", Role::Viewer, None);
        let ada_key = key("acme", Role::Resource, Some("ada"));
        let other = key("other", Role::Owner, None);
        let state = AppState::new(engine.clone(), settings);
        let app = router(state.clone());
        Fixture { app, state, engine, clock, owner, manager, viewer, ada_key, other }
    }

    pub fn advance(&self, delta: TimeDelta) {
        self.clock.advance(delta);
    }

    pub async fn send(&self, request: Request<Body>) -> Resp {
        let response = self.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    /// A request with an optional key, JSON body and extra headers.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        key: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(key) = key {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(json).expect("json"))
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).expect("request")).await
    }

    pub async fn get(&self, key: &str, uri: &str) -> Resp {
        self.call(Method::GET, uri, Some(key), None, &[]).await
    }

    pub async fn post(&self, key: &str, uri: &str, body: Value) -> Resp {
        self.call(Method::POST, uri, Some(key), Some(&body), &[]).await
    }

    pub async fn patch(&self, key: &str, uri: &str, body: Value, headers: &[(&str, &str)]) -> Resp {
        self.call(Method::PATCH, uri, Some(key), Some(&body), headers).await
    }

    pub async fn put(&self, key: &str, uri: &str, body: Value) -> Resp {
        self.call(Method::PUT, uri, Some(key), Some(&body), &[]).await
    }

    pub async fn delete(&self, key: &str, uri: &str, headers: &[(&str, &str)]) -> Resp {
        self.call(Method::DELETE, uri, Some(key), None, headers).await
    }

    /// A body sent as raw bytes.
    pub async fn raw(&self, method: Method, uri: &str, key: &str, body: &str) -> Resp {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.send(request).await
    }

    /// Creates a booking through the API; returns its JSON.
    pub async fn book(&self, resource: &str, start: &str, end: &str, status: &str) -> Value {
        let r = self
            .post(
                &self.owner,
                "/api/v1/bookings",
                serde_json::json!({ "resource_id": resource, "start": start, "end": end, "status": status }),
            )
            .await;
        r.expect(201);
        r.data().clone()
    }
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}
