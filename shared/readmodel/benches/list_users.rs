//! A permission-filtered page of users, as `GET /v1/users?org_id=` runs it, on an instance of
//! 100,000 users in 10 orgs: latency percentiles of the query (the read model, without HTTP),
//! and the first page of a search by the start of a login name, beside a baseline measured in
//! the same run: reading one user by id.
//!
//! `cargo bench -p readmodel --bench list_users`; under `cargo test` a smoke pass on 2,000
//! users.

use std::sync::Arc;
use std::time::{Duration, Instant};

use authz::{Authorizer, Caller, Memberships, Principal, Resource, Role, RoleMap, RoleSet, UserOp};
use domain::codec;
use domain::user::UserEvent;
use domain::EventType;
use eventlog::{NewEvent, StoredEvent, StreamId};
use readmodel::prelude::*;
use readmodel::{SqliteReadModel, UserFilter};

const ORGS: usize = 10;

fn stored(position: u64, id: &str, e: &UserEvent) -> StoredEvent {
    StoredEvent {
        position,
        stream: StreamId::new("bench", "user", id),
        version: 1,
        event: NewEvent {
            event_type: e.event_type().into(),
            schema_version: codec::encode(e).0,
            payload: codec::encode(e).1,
            creator: "bench".into(),
            created_at: 0,
        },
    }
}

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(at(0.50)), ms(at(0.95)), ms(at(0.99)))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (users, queries) = if full { (100_000, 2_000) } else { (2_000, 50) };
    let dir = tempfile::tempdir().unwrap();
    let model = SqliteReadModel::open(&dir.path().join("read.db")).unwrap();
    let ids: Vec<String> = (0..users).map(|n| format!("u{n:07}")).collect();
    for (chunk_no, chunk) in ids.chunks(5_000).enumerate() {
        let batch: Vec<StoredEvent> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let n = chunk_no * 5_000 + i;
                let e = UserEvent::MachineAdded {
                    org_id: format!("org-{}", n % ORGS),
                    username: format!("user{n}"),
                    name: "Bench".into(),
                    description: String::new(),
                };
                stored(n as u64 + 1, id, &e)
            })
            .collect();
        model.apply_batch(&batch).unwrap();
    }

    // A user manager of one org: the list is limited to it by the readable scope.
    let map = RoleMap::default_map();
    let roles: RoleSet = [Role::from_name("ORG_USER_MANAGER").unwrap()]
        .into_iter()
        .collect();
    let memberships = Memberships::from_grants([(Resource::Org("org-3".into()), roles)], &map);
    let caller = Caller::Principal(Arc::new(Principal {
        instance: "bench".into(),
        org: "org-3".into(),
        user: "manager".into(),
        memberships,
    }));
    let authz = Authorizer::new(map);
    let filter = UserFilter {
        org_id: Some("org-3".into()),
        username: None,
        username_prefix: None,
    };

    let mut pages = Vec::with_capacity(queries);
    let mut cursor: Option<String> = None;
    for _ in 0..queries {
        let start = Instant::now();
        let scope = authz.readable_scope(&caller, UserOp::Read.requirement(), "bench");
        let page = model
            .list_users("bench", &scope, &filter, 100, cursor.as_deref())
            .unwrap();
        pages.push(start.elapsed());
        assert_eq!(page.items.len(), 100.min(users / ORGS));
        assert!(page.items.iter().all(|u| u.org_id == "org-3"));
        // Walk the org's pages, then start over.
        cursor = page.next_cursor;
    }
    let mut singles = Vec::with_capacity(queries);
    for n in 0..queries {
        let id = &ids[(n * 7919) % users];
        let start = Instant::now();
        model.user("bench", id).unwrap().unwrap();
        singles.push(start.elapsed());
    }
    // The first page of a search by the start of a login name (`?username_prefix=`), in the
    // same org manager's scope: each start ("user10" to "user99") matches about 1,100 names.
    let mut searches = Vec::with_capacity(queries);
    for n in 0..queries {
        let prefix = format!("user{}", 10 + n % 90);
        let filter = UserFilter {
            org_id: None,
            username: None,
            username_prefix: Some(prefix.clone()),
        };
        let start = Instant::now();
        let scope = authz.readable_scope(&caller, UserOp::Read.requirement(), "bench");
        let page = model
            .list_users("bench", &scope, &filter, 100, None)
            .unwrap();
        searches.push(start.elapsed());
        assert!(!page.items.is_empty());
        assert!(page
            .items
            .iter()
            .all(|u| u.org_id == "org-3" && u.username.starts_with(&prefix)));
    }
    let (s50, s95, s99) = percentiles(searches);
    let (p50, p95, p99) = percentiles(pages);
    let (b50, b95, b99) = percentiles(singles);
    println!(
        "| query ({users} users, {queries} runs) | p50 ms | p95 ms | p99 ms | p95 vs. baseline |"
    );
    println!("|---|---|---|---|---|");
    println!("| one user by id (baseline) | {b50:.3} | {b95:.3} | {b99:.3} | 1.0x |");
    println!(
        "| page of 100, one org, readable scope | {p50:.3} | {p95:.3} | {p99:.3} | {:.1}x |",
        p95 / b95
    );
    println!(
        "| first page of a login-name search, one org's scope | {s50:.3} | {s95:.3} | {s99:.3} | {:.1}x |",
        s95 / b95
    );
}
