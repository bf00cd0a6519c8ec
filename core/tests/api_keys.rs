#![allow(clippy::unwrap_used, clippy::expect_used)]
//! API keys through the public API, on every store of `common::stores()`:
//! issuing (the token is shown once and stored only as a hash), checking a
//! bearer token, revoking, listing, and the rules on roles.

mod common;

use holdfast::{Engine, EventType, NewApiKey, NewResource, PageRequest, Role};

fn engine_with_tenants(store: &common::TestStore) -> Engine {
    let engine = Engine::open(&store.fresh_url()).unwrap();
    for id in ["acme", "other"] {
        engine.create_tenant(id, id).unwrap();
        let t = engine.tenant(id).unwrap();
        t.create_resource(NewResource { id: Some("ada".into()), name: "Ada".into(), ..Default::default() }).unwrap();
    }
    engine
}

fn new_key(role: Role, resource: Option<&str>) -> NewApiKey {
    NewApiKey { role, resource_id: resource.map(str::to_owned), name: "test".into() }
}

#[test]
fn a_token_authenticates_its_key_until_revoked() {
    common::for_each_store(|store| {
        let engine = engine_with_tenants(store);
        let t = engine.tenant("acme").unwrap();
        let issued = t.create_api_key(new_key(Role::Manager, None)).unwrap();
        assert!(issued.token.starts_with("hf_"));
        assert!(!format!("{issued:?}").contains(&issued.token), "Debug never shows the token");
        let found = engine.authenticate(&issued.token).unwrap().expect("the new key authenticates");
        assert_eq!((found.tenant_id.as_str(), found.role), ("acme", Role::Manager));
        assert_eq!(found, issued.key);

        // Near misses: one character off, truncated, another prefix, garbage.
        let mut off = issued.token.clone().into_bytes();
        let last = off.len() - 1;
        off[last] = if off[last] == b'0' { b'1' } else { b'0' };
        let off = String::from_utf8(off).unwrap();
        let truncated = &issued.token[..issued.token.len() - 1];
        let other_prefix = issued.token.replacen("hf_", "hx_", 1);
        for bad in [off.as_str(), truncated, other_prefix.as_str(), "", "Bearer x", "hf__", "hf_\u{e9}_\u{e9}"] {
            assert_eq!(engine.authenticate(bad).unwrap(), None, "{bad:?} must not authenticate");
        }

        let revoked = t.revoke_api_key(&issued.key.id).unwrap();
        assert!(revoked.revoked_at.is_some());
        assert_eq!(engine.authenticate(&issued.token).unwrap(), None);
        assert_eq!(t.revoke_api_key(&issued.key.id).unwrap(), revoked, "revoking again changes nothing");

        let kinds: Vec<EventType> = t.events(0, 100).unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds.iter().filter(|k| **k == EventType::ApiKeyCreated).count(), 1);
        assert_eq!(kinds.iter().filter(|k| **k == EventType::ApiKeyRevoked).count(), 1);
        let secret = issued.token.rsplit('_').next().unwrap();
        for event in t.events(0, 100).unwrap() {
            assert!(!event.data.to_string().contains(secret), "an event recorded the secret");
        }
    });
}

#[test]
fn keys_stay_in_their_tenant() {
    common::for_each_store(|store| {
        let engine = engine_with_tenants(store);
        let acme = engine.tenant("acme").unwrap();
        let other = engine.tenant("other").unwrap();
        let issued = acme.create_api_key(new_key(Role::Owner, None)).unwrap();
        assert_eq!(other.revoke_api_key(&issued.key.id).unwrap_err().code(), "NOT_FOUND");
        assert!(other.list_api_keys(&PageRequest::default()).unwrap().items.is_empty());
        let listed = acme.list_api_keys(&PageRequest::default()).unwrap().items;
        assert_eq!(listed, vec![issued.key.clone()]);
        assert!(engine.authenticate(&issued.token).unwrap().is_some());
    });
}

#[test]
fn a_resource_key_names_an_existing_resource_and_only_it_does() {
    common::for_each_store(|store| {
        let engine = engine_with_tenants(store);
        let t = engine.tenant("acme").unwrap();
        let bound = t.create_api_key(new_key(Role::Resource, Some("ada"))).unwrap();
        assert_eq!(bound.key.resource_id.as_deref(), Some("ada"));
        let field = |e: holdfast::Error| (e.code(), e.details()["field"].as_str().unwrap_or_default().to_owned());
        assert_eq!(
            field(t.create_api_key(new_key(Role::Resource, None)).unwrap_err()),
            ("INVALID_INPUT", "resource_id".into())
        );
        assert_eq!(
            field(t.create_api_key(new_key(Role::Viewer, Some("ada"))).unwrap_err()),
            ("INVALID_INPUT", "resource_id".into())
        );
        assert_eq!(t.create_api_key(new_key(Role::Resource, Some("ghost"))).unwrap_err().code(), "NOT_FOUND");
        let long = NewApiKey { name: "x".repeat(256), ..new_key(Role::Viewer, None) };
        assert_eq!(field(t.create_api_key(long).unwrap_err()), ("LIMIT_EXCEEDED", "name".into()));
        assert_eq!(Role::parse("admin").unwrap_err().code(), "INVALID_INPUT");
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        // Only the successful key was written.
        assert_eq!(t.list_api_keys(&PageRequest::default()).unwrap().items.len(), 1);
    });
}

#[test]
fn the_store_keeps_a_hash_not_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.db");
    let engine = Engine::open(&format!("sqlite://{}", path.display())).unwrap();
    engine.create_tenant("acme", "Acme").unwrap();
    let issued = engine.tenant("acme").unwrap().create_api_key(new_key(Role::Owner, None)).unwrap();
    let secret = issued.token.rsplit('_').next().unwrap().to_owned();
    drop(engine);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let hash: String = conn.query_row("SELECT secret_hash FROM api_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(hash.len(), 64);
    assert_ne!(hash, secret);
    let everything: String = conn.query_row("SELECT group_concat(data, ' ') FROM events", [], |r| r.get(0)).unwrap();
    assert!(!everything.contains(&secret));
    assert!(Engine::open(&format!("sqlite://{}", path.display())).unwrap().ping().is_ok());
}
