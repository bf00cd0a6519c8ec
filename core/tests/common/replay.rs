//! The event log replayed against the naive model of DESIGN.md sections
//! 2-4, and the paging helpers that read a tenant's whole state. The replay
//! checks every booking event against the transition table (copied from the
//! document, not from the engine), versions, expiry and capacity at the
//! decision instant the event records; `matches_rows` then holds the rows to
//! what the log says.

use std::collections::{BTreeMap, HashMap, HashSet};

use holdfast::{Booking, BookingFilter, Error, Event, EventType, PageRequest, Resource, Status, Tenant, Timestamp};

use super::{blocks_at, footprint};

/// The actor the engine records on what it does by itself (expiry).
pub const SYSTEM_ACTOR: &str = "system";

fn hf(what: &str, error: &Error) -> String {
    format!("{what}: {} {error}", error.code())
}

fn ts(us: i64) -> Timestamp {
    Timestamp::from_micros(us)
}

/// The table of DESIGN.md section 3, copied from the document (not from the
/// engine): the status after `action`, or `None` if it is not allowed.
pub fn legal(from: Status, action: &str) -> Option<Status> {
    use Status::{Cancelled, Confirmed, Declined, Expired, Hold, Pencil};
    match (from, action) {
        (Hold, "pencil") => Some(Pencil),
        (Hold | Pencil, "confirm") => Some(Confirmed),
        (Hold | Pencil | Confirmed, "cancel") => Some(Cancelled),
        (Hold | Pencil, "decline") => Some(Declined),
        (Hold, "expire") => Some(Expired),
        (Hold | Pencil | Confirmed, "reschedule") => Some(from),
        (Hold, "extend_hold") => Some(Hold),
        _ => None,
    }
}

/// The action a booking event records.
pub fn action_of(kind: EventType) -> Option<&'static str> {
    Some(match kind {
        EventType::Pencilled => "pencil",
        EventType::Confirmed => "confirm",
        EventType::Cancelled => "cancel",
        EventType::Declined => "decline",
        EventType::Expired => "expire",
        EventType::Rescheduled => "reschedule",
        EventType::HoldExtended => "extend_hold",
        _ => return None,
    })
}

/// Every event of the tenant, checking that `seq` runs 1, 2, 3, ... with no gap.
pub fn all_events(t: &Tenant) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    let mut since = 0;
    loop {
        let page = t.events(since, 1000).map_err(|e| hf("events", &e))?;
        if page.is_empty() {
            return Ok(events);
        }
        for event in page {
            if event.seq != since + 1 {
                return Err(format!("event seq jumps from {since} to {} (gap or disorder)", event.seq));
            }
            if event.tenant_id != t.id() {
                return Err(format!("event {} belongs to tenant {:?}", event.seq, event.tenant_id));
            }
            since = event.seq;
            events.push(event);
        }
    }
}

pub fn all_bookings(t: &Tenant) -> Result<Vec<Booking>, String> {
    let mut bookings = Vec::new();
    let mut cursor = None;
    loop {
        let page = t
            .list_bookings(&BookingFilter { limit: Some(1000), cursor, ..Default::default() })
            .map_err(|e| hf("list_bookings", &e))?;
        bookings.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(bookings),
        }
    }
}

pub fn all_resources(t: &Tenant) -> Result<Vec<Resource>, String> {
    let page =
        t.list_resources(&PageRequest { limit: Some(1000), cursor: None }).map_err(|e| hf("list_resources", &e))?;
    if page.next_cursor.is_some() {
        return Err("more than 1,000 resources: the test makes a few dozen".into());
    }
    Ok(page.items)
}

/// The event log replayed against the naive model. Every booking event is
/// checked against the transition table, versions, expiry and capacity at
/// the decision instant the event records.
#[derive(Default)]
pub struct Replay {
    pub resources: HashMap<String, Resource>,
    pub bookings: HashMap<String, Booking>,
    /// Resource id -> ids of the bookings on it now.
    members: HashMap<String, HashSet<String>>,
    /// (booking id, version) -> the event that produced that version.
    pub versions: HashMap<(String, i64), Event>,
    /// Booking id -> seqs of its events, ascending.
    pub seqs: HashMap<String, Vec<i64>>,
    /// Booking events per actor (the engine's own are counted in `expiries`).
    pub by_actor: BTreeMap<String, usize>,
    /// `expired` events made by the engine (actor `system`).
    pub expiries: usize,
    /// Capacity instants checked while replaying.
    pub instants: usize,
    /// The last event applied: the next must follow it.
    pub last_seq: i64,
    last_at: Option<Timestamp>,
}

impl Replay {
    /// Applies the next event of the log (`seq` must be `last_seq + 1`).
    pub fn apply(&mut self, e: &Event) -> Result<(), String> {
        let result = self.apply_in_order(e).and_then(|()| match e.kind {
            EventType::TenantCreated => {
                if e.seq == 1 {
                    Ok(())
                } else {
                    Err("tenant created again".into())
                }
            }
            EventType::ResourceCreated => {
                let r: Resource = serde_json::from_value(e.data["resource"].clone()).map_err(|x| x.to_string())?;
                match self.resources.insert(r.id.clone(), r) {
                    None => Ok(()),
                    Some(old) => Err(format!("resource {} created twice", old.id)),
                }
            }
            EventType::ResourceUpdated => self.apply_resource_update(e),
            EventType::ProjectCreated
            | EventType::AvailabilitySet
            | EventType::ApiKeyCreated
            | EventType::ApiKeyRevoked => Ok(()),
            _ => self.apply_booking(e),
        });
        result.map_err(|reason| format!("event seq {} ({}): {reason}", e.seq, e.kind.as_str()))
    }

    /// Gap-free `seq`, and decision instants that never go back.
    fn apply_in_order(&mut self, e: &Event) -> Result<(), String> {
        if e.seq != self.last_seq + 1 {
            return Err(format!("seq follows {} (gap or disorder)", self.last_seq));
        }
        if let Some(last) = self.last_at
            && e.at < last
        {
            return Err(format!("decision instant {} is before the previous one, {last}", e.at));
        }
        self.last_seq = e.seq;
        self.last_at = Some(e.at);
        Ok(())
    }

    /// A changed resource: one version on, and its bookings (judged at the
    /// change's instant) still fit its capacity and buffers.
    fn apply_resource_update(&mut self, e: &Event) -> Result<(), String> {
        let r: Resource = serde_json::from_value(e.data["resource"].clone()).map_err(|x| x.to_string())?;
        let prev = self.resources.get(&r.id).ok_or_else(|| format!("update of unknown resource {}", r.id))?;
        if r.version != prev.version + 1 {
            return Err(format!("resource {} at version {} after {}", r.id, r.version, prev.version));
        }
        let members: Vec<Booking> =
            self.members.get(&r.id).into_iter().flatten().map(|id| self.bookings[id].clone()).collect();
        self.instants += super::check_capacity_naive(std::slice::from_ref(&r), &members, e.at)
            .map_err(|v| format!("{v} after the change"))?;
        self.resources.insert(r.id.clone(), r);
        Ok(())
    }

    fn apply_booking(&mut self, e: &Event) -> Result<(), String> {
        let b: Booking = serde_json::from_value(e.data["booking"].clone()).map_err(|x| x.to_string())?;
        if e.booking_id.as_deref() != Some(b.id.as_str()) {
            return Err(format!("booking_id {:?} but data is booking {}", e.booking_id, b.id));
        }
        if !self.resources.contains_key(&b.resource_id) {
            return Err(format!("booking {} on unknown resource {}", b.id, b.resource_id));
        }
        if b.updated_at != e.at {
            return Err(format!("updated_at {} is not the event's instant {}", b.updated_at, e.at));
        }
        let system = e.kind == EventType::Expired;
        if system != (e.actor == SYSTEM_ACTOR) {
            return Err(format!("actor {:?} on a {} event", e.actor, e.kind.as_str()));
        }
        match (e.kind, self.bookings.get(&b.id)) {
            (EventType::Created, None) => {
                if b.version != 1 || b.created_at != e.at {
                    return Err(format!("created at version {} / created_at {}", b.version, b.created_at));
                }
                if !matches!(b.status, Status::Hold | Status::Pencil | Status::Confirmed) {
                    return Err(format!("created as {}", b.status));
                }
            }
            (EventType::Created, Some(_)) => return Err(format!("booking {} created twice", b.id)),
            (_, None) => return Err(format!("event for booking {} that was never created", b.id)),
            (kind, Some(prev)) => {
                let action = action_of(kind).ok_or("not a booking action")?;
                let next = legal(prev.status, action).ok_or_else(|| {
                    format!("illegal transition {} --{action}--> {} on {}", prev.status, b.status, b.id)
                })?;
                if b.status != next {
                    return Err(format!("{} --{action}--> {}, the table says {next}", prev.status, b.status));
                }
                if b.version != prev.version + 1 {
                    return Err(format!("version {} after {}", b.version, prev.version));
                }
                if (b.quantity, b.created_at, &b.project_id, &b.title)
                    != (prev.quantity, prev.created_at, &prev.project_id, &prev.title)
                {
                    return Err(format!("{action} changed fields it must keep on {}", b.id));
                }
                if kind == EventType::Rescheduled {
                    let previous = &e.data["previous"];
                    let same = previous["resource_id"] == prev.resource_id.as_str()
                        && previous["start"] == prev.start.to_string().as_str()
                        && previous["end"] == prev.end.to_string().as_str();
                    if !same {
                        return Err(format!("reschedule's previous {previous} is not the state replayed"));
                    }
                } else if (&b.resource_id, b.start, b.end) != (&prev.resource_id, prev.start, prev.end) {
                    return Err(format!("{action} moved booking {}", b.id));
                }
                let live_hold = prev.status == Status::Hold && blocks_at(prev, e.at);
                if kind == EventType::Expired {
                    if live_hold {
                        return Err(format!("hold {} expired before its expiry {:?}", b.id, prev.hold_expires_at));
                    }
                } else if prev.status == Status::Hold && !live_hold {
                    return Err(format!("{action} on hold {} that expired at {:?}", b.id, prev.hold_expires_at));
                }
            }
        }
        match b.status {
            Status::Hold if b.hold_expires_at.is_none_or(|at| at <= e.at) => {
                return Err(format!("hold {} left without a future expiry: {:?}", b.id, b.hold_expires_at));
            }
            Status::Pencil | Status::Confirmed | Status::Cancelled | Status::Declined
                if b.hold_expires_at.is_some() =>
            {
                return Err(format!("{} booking {} keeps a hold expiry", b.status, b.id));
            }
            _ => {}
        }
        if system {
            self.expiries += 1;
        } else {
            *self.by_actor.entry(e.actor.clone()).or_default() += 1;
        }
        if let Some(prev) = self.bookings.get(&b.id)
            && let Some(members) = self.members.get_mut(&prev.resource_id)
        {
            members.remove(&b.id);
        }
        self.members.entry(b.resource_id.clone()).or_default().insert(b.id.clone());
        self.seqs.entry(b.id.clone()).or_default().push(e.seq);
        if self.versions.insert((b.id.clone(), b.version), e.clone()).is_some() {
            return Err(format!("booking {} reached version {} twice", b.id, b.version));
        }
        self.check_around(&b, e.at)?;
        self.bookings.insert(b.id.clone(), b);
        Ok(())
    }

    /// The state after an event was valid before it, and only the changed
    /// booking can have added load: check every boundary instant inside its
    /// footprint, judged at the event's decision instant.
    fn check_around(&mut self, b: &Booking, at: Timestamp) -> Result<(), String> {
        if !blocks_at(b, at) {
            return Ok(());
        }
        let r = &self.resources[&b.resource_id];
        let (start, end) = footprint(b, r);
        let mut near: Vec<(i64, i64, u64)> = vec![(start, end, u64::from(b.quantity))];
        for id in self.members.get(&b.resource_id).into_iter().flatten() {
            if *id == b.id {
                continue;
            }
            let other = &self.bookings[id];
            if !blocks_at(other, at) {
                continue;
            }
            let (s, e) = footprint(other, r);
            if s < end && start < e {
                near.push((s, e, u64::from(other.quantity)));
            }
        }
        for t in near.iter().flat_map(|f| [f.0, f.1]).filter(|t| (start..end).contains(t)) {
            self.instants += 1;
            let used: u64 = near.iter().filter(|f| f.0 <= t && t < f.1).map(|f| f.2).sum();
            if used > u64::from(r.capacity) {
                return Err(format!(
                    "capacity of {} exceeded at {} after this event: {used} > {} (booking {})",
                    r.id,
                    ts(t),
                    r.capacity,
                    b.id
                ));
            }
        }
        Ok(())
    }

    /// The rows the engine lists must be exactly the state the log replays to.
    pub fn matches_rows(&self, rows: &[Booking]) -> Result<(), String> {
        if rows.len() != self.bookings.len() {
            return Err(format!("{} booking rows but the event log creates {}", rows.len(), self.bookings.len()));
        }
        for row in rows {
            match self.bookings.get(&row.id) {
                Some(replayed) if replayed == row => {}
                Some(replayed) => {
                    return Err(format!("booking row {row:?} differs from its last event {replayed:?}"));
                }
                None => return Err(format!("booking row {} has no created event", row.id)),
            }
        }
        Ok(())
    }
}
