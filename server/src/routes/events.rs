//! `GET /events`: the tenant's event log, as JSON pages or, with
//! `Accept: text/event-stream`, as Server-Sent Events that resume after
//! `Last-Event-ID` (the `seq` of the last event received) with keep-alives.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use holdfast::{Event, Tenant};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::page;
use crate::auth::Reader;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::feed::HubItem;
use crate::state::{AppState, blocking};
use crate::wire::{Data, EventOut, EventsQuery, Meta};

/// Events an SSE stream reads from the log per store call.
const LOG_PAGE_EVENTS: usize = holdfast::limits::PAGE_SIZE_MAX;
/// SSE events queued for one slow client before its stream waits.
const STREAM_QUEUE_EVENTS: usize = 256;

/// The tenant's events with `seq` above `since` (or `Last-Event-ID`).
#[utoipa::path(get, path = "/events", tag = "events",
    params(EventsQuery,
        ("Accept" = Option<String>, Header, description = "`text/event-stream` for a live SSE stream; otherwise JSON pages"),
        ("Last-Event-ID" = Option<String>, Header, description = "SSE: resume after this seq")),
    responses((status = 200, description = "JSON: a page of events by seq (`meta.next_cursor` = last seq when more may follow). \
        SSE: `id` = seq, `event` = type, `data` = the event as JSON; comments as keep-alives.",
        content(
            (Data<Vec<EventOut>> = "application/json"),
            (String = "text/event-stream")
        ))))]
pub async fn events(
    State(state): State<AppState>,
    Reader(caller): Reader,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Response> {
    let cursor = match &q.cursor {
        None => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| ApiError::invalid("cursor", "not a cursor returned by /events"))?),
    };
    if cursor.is_some() && q.since.is_some() {
        return Err(ApiError::invalid("cursor", "give cursor or since, not both"));
    }
    let since = cursor.or(q.since).unwrap_or(0);
    let wants_stream = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"));
    let t = caller.tenant;
    if !wants_stream {
        let limit = q.limit.unwrap_or(holdfast::limits::PAGE_SIZE_DEFAULT);
        let list = blocking(move || t.events(since, limit)).await?;
        let next_cursor = (list.len() == limit).then(|| list.last().map(|e| e.seq.to_string())).flatten();
        let data = Data { data: list.into_iter().map(EventOut::from).collect(), meta: Meta { next_cursor } };
        return Ok(page(data));
    }
    if q.limit.is_some() {
        return Err(ApiError::invalid("limit", "a stream has no page size"));
    }
    let last_event_id = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| ApiError::invalid("Last-Event-ID", "expected the seq of an event"))?,
        ),
    };
    let start = last_event_id.unwrap_or(since);
    if start < 0 {
        return Err(ApiError::invalid("since", "must not be negative"));
    }
    let (tx, rx) = mpsc::channel(STREAM_QUEUE_EVENTS);
    tokio::spawn(pump(state.clone(), t, start, tx));
    let stream = ReceiverStream::new(rx);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(state.settings.sse_keep_alive)).into_response())
}

type Sink = mpsc::Sender<Result<SseEvent, Infallible>>;

/// Feeds one SSE stream until the client leaves or the server stops.
async fn pump(state: AppState, tenant: Tenant, mut last: i64, tx: Sink) {
    let mut hub = Some(state.hub.subscribe());
    let mut shutdown = state.shutdown_signal();
    let poll = state.settings.events_poll.max(Duration::from_millis(10));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + poll, poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut read_log = true;
    loop {
        if *shutdown.borrow() {
            return;
        }
        if read_log {
            if catch_up(&tenant, &mut last, &tx).await.is_err() {
                return;
            }
            read_log = false;
        }
        tokio::select! {
            () = tx.closed() => return,
            _ = shutdown.changed() => return,
            _ = tick.tick() => read_log = true,
            item = recv(&mut hub) => match item {
                Ok(HubItem::Event(event)) if event.tenant_id == tenant.id() => {
                    if event.seq == last + 1 {
                        if send(&tx, &event).await.is_err() {
                            return;
                        }
                        last = event.seq;
                    } else if event.seq > last + 1 {
                        read_log = true;
                    }
                }
                Ok(HubItem::Event(_)) => {}
                Ok(HubItem::Lagged) | Err(broadcast::error::RecvError::Lagged(_)) => read_log = true,
                Err(broadcast::error::RecvError::Closed) => hub = None,
            },
        }
    }
}

async fn recv(hub: &mut Option<broadcast::Receiver<HubItem>>) -> Result<HubItem, broadcast::error::RecvError> {
    match hub {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// Sends every logged event after `last`; `Err` when the stream must end.
async fn catch_up(tenant: &Tenant, last: &mut i64, tx: &Sink) -> Result<(), ()> {
    loop {
        let t = tenant.clone();
        let since = *last;
        let page = match blocking(move || t.events(since, LOG_PAGE_EVENTS)).await {
            Ok(page) => page,
            Err(error) => {
                // Tell the client why; it reconnects with Last-Event-ID.
                let body = serde_json::json!({ "error": { "code": error.code, "message": error.message } });
                let _ = tx.send(Ok(SseEvent::default().event("error").data(body.to_string()))).await;
                return Err(());
            }
        };
        let full = page.len() == LOG_PAGE_EVENTS;
        for event in page {
            send(tx, &event).await?;
            *last = event.seq;
        }
        if !full {
            return Ok(());
        }
    }
}

async fn send(tx: &Sink, event: &Event) -> Result<(), ()> {
    let out = EventOut::from(event.clone());
    let data = serde_json::to_string(&out).map_err(|_| ())?;
    let sse = SseEvent::default().id(event.seq.to_string()).event(out.kind.as_str()).data(data);
    tx.send(Ok(sse)).await.map_err(|_| ())
}
