//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! annotations as the router is built (utoipa-axum), so every route served
//! is in it. This module completes it: the bearer scheme, the error answers
//! every operation can give, unique operation ids, the `/artists…`
//! aliases tagged as such, the rules the server applies to ids, `If-Match`
//! and page sizes (so that a generated request the document calls valid is
//! one the server accepts: schemathesis checks both ways), and links from
//! each create to the operations on what it created.

use utoipa::OpenApi;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required};

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Holdfast",
        description = "Booking engine over HTTP: resources, projects, bookings with holds, availability, an event feed.\n\n\
            Every success is `{\"data\": ..., \"meta\": {\"next_cursor\"?: ...}}`; every error \
            `{\"error\": {\"code\", \"message\", \"details\"}}` with the codes of the design contract. \
            Instants are RFC 3339 with an offset (in a query string write `+` as `%2B`, or use `Z`); durations are milliseconds (`*_ms`)."
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "resources", description = "Bookable resources"),
        (name = "artists", description = "Resources of kind `artist` (the studio design's paths)"),
        (name = "availability", description = "Working hours, free/busy, checks and slot search"),
        (name = "projects", description = "Projects group bookings"),
        (name = "bookings", description = "Bookings and the hold → pencil → confirmed state machine"),
        (name = "events", description = "The tenant's event log and live feed"),
        (name = "reports", description = "Utilization"),
        (name = "keys", description = "API keys (owner keys only)"),
        (name = "operations", description = "Probes and metrics; no key needed"),
    )
)]
pub struct ApiDoc;

const BEARER: &str = "bearer";
/// The one path served outside the annotated handlers: this document.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";

/// Completes the generated document (see the module doc).
pub fn complete(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components
        .security_schemes
        .insert(BEARER.into(), RefOr::T(SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer))));

    for (_, schema) in components.schemas.iter_mut().filter(|(name, _)| name.ends_with("In")) {
        if let RefOr::T(Schema::Object(object)) = schema {
            for (name, property) in &mut object.properties {
                if let (true, RefOr::T(Schema::Object(property))) = (ID_FIELDS.contains(&name.as_str()), property) {
                    property.pattern = Some(ID_PATTERN.into());
                }
            }
        }
    }

    for (path, item) in doc.paths.paths.iter_mut() {
        let authenticated = path.starts_with("/api/v1/");
        let artist = path.starts_with("/api/v1/artists");
        for op in
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
        {
            name_operation(op, artist);
            add_errors(op, path, authenticated);
            state_parameter_rules(op, path);
            if authenticated {
                op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
            }
        }
    }
    link_creates(&mut doc.paths.paths);

    let document = ResponseBuilder::new()
        .description("This document (OpenAPI 3.1)")
        .content("application/json", ContentBuilder::new().build())
        .build();
    let mut op = Operation::new();
    op.tags = Some(vec!["operations".into()]);
    op.operation_id = Some("openapi_document".into());
    op.summary = Some("The OpenAPI document".into());
    op.responses.responses.insert("200".into(), RefOr::T(document));
    let item = utoipa::openapi::path::PathItem::new(utoipa::openapi::HttpMethod::Get, op);
    doc.paths.paths.insert(DOCUMENT_PATH.into(), item);
    doc
}

/// Resource, project, booking and key ids (`holdfast::model::ids`).
const ID_PATTERN: &str = "^[A-Za-z0-9_.:-]{1,128}$";
/// Body fields (of the `*In` schemas) that carry such an id.
const ID_FIELDS: &[&str] = &["id", "resource_id", "project_id"];
/// What `If-Match` may hold (`extract::if_match`): `*` or a version,
/// quoted or not.
const IF_MATCH_PATTERN: &str = r#"^[ \t]*(\*|"[+-]?[0-9]{1,18}"|[+-]?[0-9]{1,18})[ \t]*$"#;

/// The server's rules for parameters the generated document leaves loose.
fn state_parameter_rules(op: &mut Operation, path: &str) {
    let Some(parameters) = op.parameters.as_mut() else { return };
    // `/resources/{id}/bookings` and `/projects/{id}/bookings` take the
    // filters of `GET /bookings` except the one the path already names.
    let named_by_path = match path {
        "/api/v1/resources/{id}/bookings" | "/api/v1/artists/{id}/bookings" => Some("resource_id"),
        "/api/v1/projects/{id}/bookings" => Some("project_id"),
        _ => None,
    };
    parameters.retain(|p| match p {
        RefOr::T(p) => !(p.parameter_in == ParameterIn::Query && Some(p.name.as_str()) == named_by_path),
        RefOr::Ref(_) => true,
    });
    for parameter in parameters.iter_mut() {
        let RefOr::T(parameter) = parameter else { continue };
        // utoipa drops `required` from a parameter whose schema comes from
        // `schema_with`: the report's grouping is one.
        if path == "/api/v1/reports/utilization" && parameter.name == "group_by" {
            parameter.required = Required::True;
        }
        let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut() else { continue };
        match (&parameter.parameter_in, parameter.name.as_str()) {
            (ParameterIn::Path, "id") => schema.pattern = Some(ID_PATTERN.into()),
            (ParameterIn::Header, "If-Match") => schema.pattern = Some(IF_MATCH_PATTERN.into()),
            _ => {}
        }
    }
}

/// Links from each create (`POST` answering 201 with `data.id`) to the
/// operations on `<collection>/{id}…`, so stateful tests reach real ids.
fn link_creates(paths: &mut utoipa::openapi::path::PathsMap<String, utoipa::openapi::path::PathItem>) {
    let mut targets: Vec<(String, String)> = Vec::new();
    for (path, item) in paths.iter() {
        let Some((collection, _)) = path.split_once("/{id}") else { continue };
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch].into_iter().flatten() {
            if let Some(id) = &op.operation_id {
                targets.push((collection.to_owned(), id.clone()));
            }
        }
    }
    for (path, item) in paths.iter_mut() {
        let Some(RefOr::T(created)) = item.post.as_mut().and_then(|op| op.responses.responses.get_mut("201")) else {
            continue;
        };
        // A batch answers a list; keys are revoked through their own id.
        if path.ends_with("/batch") {
            continue;
        }
        for (_, operation_id) in targets.iter().filter(|(collection, _)| collection == path) {
            let link = LinkBuilder::new()
                .operation_id(operation_id.clone())
                .parameter("id", "$response.body#/data/id")
                .description(format!("{operation_id} on what was created"))
                .build();
            created.links.insert(operation_id.clone(), RefOr::T(link));
        }
    }
}

/// `<tag>_<handler>`: handler names repeat across modules (`list`, `get`).
fn name_operation(op: &mut Operation, artist: bool) {
    if artist {
        op.tags = Some(vec!["artists".into()]);
    }
    let tag = op.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
    if let Some(id) = &op.operation_id {
        op.operation_id = Some(format!("{tag}_{id}"));
    }
}

fn error(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build(),
    )
}

/// The answers any operation may give besides its own.
fn add_errors(op: &mut Operation, path: &str, authenticated: bool) {
    let mut common: Vec<(&str, &str)> = vec![
        ("500", "INTERNAL: a bug (logged; no detail returned)"),
        ("503", "STORE_UNAVAILABLE: the store is down or busy, or the request timed out; retry (Retry-After)"),
    ];
    if authenticated {
        common.push(("400", "INVALID_INPUT (details.field names the field) or LIMIT_EXCEEDED"));
        common.push(("401", "UNAUTHENTICATED: no key, or an unknown or revoked one"));
        common.push(("403", "FORBIDDEN: the key's role may not do this"));
        common.push(("429", "RATE_LIMITED: this key's request budget is spent (Retry-After)"));
    }
    if path.contains('{') {
        common.push(("404", "NOT_FOUND (also for another tenant's ids)"));
    }
    if op.request_body.is_some() {
        common.push(("413", "LIMIT_EXCEEDED: the body is over 1 MiB"));
    }
    for (status, description) in common {
        op.responses.responses.entry(status.into()).or_insert_with(|| error(description));
    }
}
