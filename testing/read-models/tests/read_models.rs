//! The read-model contract: every test runs against each adapter, fed by real commands through
//! the command bus into a log on disk: the embedded SQLite read model (`sqlite::`) and the CQL
//! one (`cql::`, on the CQL server `scripts/test` starts, each test in a keyspace of its own).

use std::sync::Arc;
use std::time::Duration;

use authz::{
    Authorizer, Caller, InternalFlow, Memberships, Permission, Principal, ReadScope, Requirement,
    Resource, Role, RoleMap, SelfPolicy,
};
use command::{CommandBus, CommandOptions, MemberOf};
use domain::instance::{Instance, InstanceCommand};
use domain::members::MemberCommand;
use domain::user::{User, UserCommand};
use domain::{AggregateKey, Code};
use eventlog::{EventLog, SqliteLog, SqliteLogOptions};
use projector::Projector;
use readmodel::{CqlReadModel, EventFilter, ReadModel, SqliteReadModel, UserFilter};

const I: &str = "inst-1";

/// The read model under test.
#[derive(Clone, Copy, Debug)]
enum Adapter {
    Sqlite,
    Cql,
}

struct World {
    _dir: tempfile::TempDir,
    log: Arc<dyn EventLog>,
    bus: std::sync::Arc<CommandBus>,
    model: Arc<dyn ReadModel>,
    opened: Opened,
}

/// A read model of `adapter` and how to open it again; the CQL keyspace is dropped with it.
struct Opened {
    reopen: Box<dyn Fn() -> Arc<dyn ReadModel>>,
    keyspace: Option<testkit::cql::Keyspace>,
}

/// A read model of `adapter` (`dir` holds the embedded one).
fn open(adapter: Adapter, dir: &std::path::Path) -> Opened {
    match adapter {
        Adapter::Sqlite => {
            let path = dir.join("read.db");
            Opened {
                reopen: Box::new(move || Arc::new(SqliteReadModel::open(&path).unwrap())),
                keyspace: None,
            }
        }
        Adapter::Cql => {
            let keyspace = testkit::cql::keyspace();
            let options = keyspace.options();
            Opened {
                reopen: Box::new(move || Arc::new(CqlReadModel::connect(&options).unwrap())),
                keyspace: Some(keyspace),
            }
        }
    }
}

fn world(adapter: Adapter) -> World {
    let dir = tempfile::tempdir().unwrap();
    let log: Arc<dyn EventLog> = Arc::new(
        SqliteLog::open(&dir.path().join("events.db"), SqliteLogOptions::default()).unwrap(),
    );
    let bus = std::sync::Arc::new(CommandBus::new(
        log.clone(),
        Authorizer::new(RoleMap::default_map()),
        CommandOptions::default(),
    ));
    let opened = open(adapter, dir.path());
    World {
        _dir: dir,
        log,
        bus,
        model: (opened.reopen)(),
        opened,
    }
}

fn setup() -> Caller {
    Caller::Internal {
        flow: InternalFlow::Setup,
        instance: I.into(),
    }
}

fn system() -> Caller {
    let map = RoleMap::default_map();
    Caller::Principal(Arc::new(Principal {
        instance: "home".into(),
        org: "o".into(),
        user: "sys".into(),
        memberships: Memberships::from_grants(
            [(Resource::System, [Role::SystemOwner].into_iter().collect())],
            &map,
        ),
    }))
}

fn machine(org: &str, username: &str) -> UserCommand {
    UserCommand::AddMachine {
        org_id: org.into(),
        username: username.into(),
        name: username.into(),
        description: String::new(),
    }
}

fn user_key(id: &str) -> AggregateKey {
    AggregateKey {
        instance: I.into(),
        kind: "user",
        id: id.into(),
    }
}

fn projector(w: &World) -> Projector {
    Projector::new(w.log.clone(), w.model.clone())
}

/// Two orgs with users; u-a0 is an ORG_USER_MANAGER of org-a, with a PAT.
async fn populate(w: &World, per_org: usize) {
    let key = AggregateKey {
        instance: I.into(),
        kind: "instance",
        id: I.into(),
    };
    let create = InstanceCommand::Create {
        name: "One".into(),
        domains: vec!["one.test".into()],
    };
    w.bus
        .execute::<Instance>(&key, &system(), create, None)
        .await
        .unwrap();
    for org in ["org-a", "org-b"] {
        w.bus.create_org(&setup(), I, org, org).await.unwrap();
        for n in 0..per_org {
            let id = format!("u-{}{n:02}", &org[4..]);
            w.bus
                .create_user(&setup(), I, &id, machine(org, &id))
                .await
                .unwrap();
        }
    }
    w.bus
        .change_member(
            &setup(),
            I,
            MemberOf::Org("org-a".into()),
            MemberCommand::Set {
                user_id: "u-a00".into(),
                roles: vec!["ORG_USER_MANAGER".into()],
            },
            None,
        )
        .await
        .unwrap();
    let pat = UserCommand::AddPat {
        pat_id: "p1".into(),
        token_hash: "hash-1".into(),
        expires_at: None,
    };
    w.bus
        .execute::<User>(&user_key("u-a00"), &setup(), pat, None)
        .await
        .unwrap();
}

fn manager(w: &World) -> Caller {
    let map = RoleMap::default_map();
    Caller::Principal(Arc::new(Principal {
        instance: I.into(),
        org: "org-a".into(),
        user: "u-a00".into(),
        memberships: w.model.memberships(I, "u-a00", &map).unwrap(),
    }))
}

async fn the_projection_answers_the_gateways_lookups(a: Adapter) {
    let w = world(a);
    populate(&w, 2).await;
    let read = projector(&w).catch_up().await.unwrap();
    assert_eq!(w.model.progress().position(), *w.log.head().borrow());
    assert!(read > 0);
    assert_eq!(
        w.model.instance_by_domain("ONE.test").unwrap().as_deref(),
        Some(I)
    );
    assert_eq!(w.model.instance_by_domain("two.test").unwrap(), None);
    assert_eq!(
        w.model.pat_owner("hash-1").unwrap(),
        Some((I.to_string(), "u-a00".to_string(), None))
    );
    let u = w.model.user(I, "u-b01").unwrap().unwrap();
    assert_eq!(
        (u.org_id.as_str(), u.username.as_str(), u.kind.as_str()),
        ("org-b", "u-b01", "machine")
    );
    let m = w
        .model
        .memberships(I, "u-a00", &RoleMap::default_map())
        .unwrap();
    assert_eq!(
        m.iter().map(|x| x.resource.clone()).collect::<Vec<_>>(),
        [Resource::Org("org-a".into())]
    );
}

async fn lists_filter_by_the_readable_scope_and_page_with_a_stable_cursor(a: Adapter) {
    let w = world(a);
    populate(&w, 12).await;
    projector(&w).catch_up().await.unwrap();
    let authz = Authorizer::new(RoleMap::default_map());
    let read = Requirement::with_self(Permission::USER_READ, SelfPolicy::Allowed);
    let scope = authz.readable_scope(&manager(&w), read, I);

    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = w
            .model
            .list_users(I, &scope, &UserFilter::default(), 5, cursor.as_deref())
            .unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|u| u.id.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let expected: Vec<String> = (0..12).map(|n| format!("u-a{n:02}")).collect();
    assert_eq!(seen, expected, "exactly org-a's users, in order, once each");

    let none = w
        .model
        .list_users(
            I,
            &scope,
            &UserFilter {
                org_id: Some("org-b".into()),
                username: None,
                username_prefix: None,
            },
            100,
            None,
        )
        .unwrap();
    assert!(
        none.items.is_empty(),
        "org-b is outside the manager's scope"
    );
    // A user without memberships sees only themself.
    let plain = Caller::Principal(Arc::new(Principal {
        instance: I.into(),
        org: "org-b".into(),
        user: "u-b03".into(),
        memberships: Memberships::new(),
    }));
    let own = w
        .model
        .list_users(
            I,
            &authz.readable_scope(&plain, read, I),
            &UserFilter::default(),
            100,
            None,
        )
        .unwrap();
    assert_eq!(
        own.items.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        ["u-b03"]
    );
}

/// The users whose login name starts with `prefix` (all pages of `size`), as login names.
fn by_prefix(
    w: &World,
    scope: &ReadScope,
    org: Option<&str>,
    prefix: &str,
    size: usize,
) -> Vec<String> {
    let filter = UserFilter {
        org_id: org.map(str::to_string),
        username: None,
        username_prefix: Some(prefix.into()),
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = w
            .model
            .list_users(I, scope, &filter, size, cursor.as_deref())
            .unwrap();
        assert!(page.items.len() <= size);
        seen.extend(page.items.into_iter().map(|u| u.username));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return seen,
        }
    }
}

async fn login_name_prefixes_find_users_in_order_inside_the_scope(a: Adapter) {
    let w = world(a);
    populate(&w, 1).await;
    for (org, name) in [
        ("org-a", "adam"),
        ("org-a", "Ada"),
        ("org-a", "Adelheid"),
        ("org-a", "bob"),
        ("org-a", "ad"),
        ("org-b", "adrian"),
    ] {
        let id = format!("id-{}", name.to_lowercase());
        w.bus
            .create_user(&setup(), I, &id, machine(org, name))
            .await
            .unwrap();
    }
    // More than one read of the index's partition holds.
    for n in 0..250 {
        let id = format!("zz-{n:03}");
        w.bus
            .create_user(&setup(), I, &id, machine("org-a", &id))
            .await
            .unwrap();
    }
    projector(&w).catch_up().await.unwrap();
    let everyone = ReadScope::Instance;
    assert_eq!(
        by_prefix(&w, &everyone, None, "AD", 2),
        ["ad", "Ada", "adam", "Adelheid", "adrian"],
        "in login-name order, without regard to case, over pages"
    );
    assert_eq!(
        by_prefix(&w, &everyone, Some("org-b"), "ad", 10),
        ["adrian"]
    );
    assert_eq!(by_prefix(&w, &everyone, None, "ada", 10), ["Ada", "adam"]);
    assert!(by_prefix(&w, &everyone, None, "adz", 10).is_empty());
    // An org manager finds only their orgs' users.
    let authz = Authorizer::new(RoleMap::default_map());
    let read = Requirement::with_self(Permission::USER_READ, SelfPolicy::Allowed);
    let scope = authz.readable_scope(&manager(&w), read, I);
    assert_eq!(
        by_prefix(&w, &scope, None, "ad", 3),
        ["ad", "Ada", "adam", "Adelheid"]
    );
    let many = by_prefix(&w, &scope, None, "zz-", 100);
    let expected: Vec<String> = (0..250).map(|n| format!("zz-{n:03}")).collect();
    assert_eq!(many, expected, "each once, in order");
    // A removed user is found no more.
    w.bus
        .remove_user(&setup(), I, "id-adam", None)
        .await
        .unwrap();
    projector(&w).catch_up().await.unwrap();
    assert_eq!(by_prefix(&w, &everyone, None, "ada", 10), ["Ada"]);
}

/// A scope of a few orgs reads each as its own index seek; one of many orgs (past the seek
/// limit) as one filtered scan. Both page the same: exactly the scope's users, in id order.
async fn scopes_of_few_and_of_many_orgs_page_alike(a: Adapter) {
    let w = world(a);
    populate(&w, 1).await;
    let orgs: Vec<String> = (0..70).map(|n| format!("org-{n:02}")).collect();
    for org in &orgs {
        w.bus.create_org(&setup(), I, org, org).await.unwrap();
        let id = format!("u-{org}");
        w.bus
            .create_user(&setup(), I, &id, machine(org, &id))
            .await
            .unwrap();
    }
    projector(&w).catch_up().await.unwrap();
    for in_scope in [3, 70] {
        let limited = authz::Limited {
            orgs: orgs[..in_scope].iter().cloned().collect(),
            ..Default::default()
        };
        let scope = authz::ReadScope::Limited(limited);
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = w
                .model
                .list_users(I, &scope, &UserFilter::default(), 9, cursor.as_deref())
                .unwrap();
            seen.extend(page.items.iter().map(|u| u.id.clone()));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let expected: Vec<String> = orgs[..in_scope].iter().map(|o| format!("u-{o}")).collect();
        assert_eq!(seen, expected, "{in_scope} orgs");
    }
}

async fn replays_change_nothing_and_a_rebuild_from_zero_gives_the_same_answers(a: Adapter) {
    let w = world(a);
    populate(&w, 3).await;
    w.bus.remove_user(&setup(), I, "u-a00", None).await.unwrap();
    let p = projector(&w);
    p.catch_up().await.unwrap();
    let snapshot = |m: &dyn ReadModel| {
        let all = m
            .list_users(
                I,
                &authz::ReadScope::Instance,
                &UserFilter::default(),
                1000,
                None,
            )
            .unwrap()
            .items;
        (
            all,
            m.pat_owner("hash-1").unwrap(),
            m.memberships(I, "u-a00", &RoleMap::default_map()).unwrap(),
        )
    };
    let before = snapshot(w.model.as_ref());
    assert_eq!(before.0.len(), 5, "the removed user is gone");
    assert_eq!(before.1, None, "its token is gone");
    assert!(before.2.is_empty(), "its memberships are gone");
    assert_eq!(p.catch_up().await.unwrap(), 0, "nothing new to read");
    assert_eq!(p.rebuild().await.unwrap() as u64, *w.log.head().borrow());
    assert_eq!(snapshot(w.model.as_ref()), before);
    // The checkpoint is on disk: a reopened model continues where it was.
    let reopened = (w.opened.reopen)();
    assert_eq!(reopened.progress().position(), *w.log.head().borrow());
    assert_eq!(snapshot(reopened.as_ref()), before);
}

async fn a_read_can_wait_for_the_position_of_a_write(a: Adapter) {
    let w = world(a);
    actix_rt::spawn(projector(&w).run());
    w.bus.create_org(&setup(), I, "org-a", "A").await.unwrap();
    for n in 0..20 {
        let id = format!("u{n}");
        let written = w
            .bus
            .create_user(&setup(), I, &id, machine("org-a", &id))
            .await
            .unwrap();
        w.model
            .progress()
            .wait_for(written.position.first(), Duration::from_secs(5))
            .await
            .unwrap();
        assert!(
            w.model.user(I, &id).unwrap().is_some(),
            "read-your-writes for {id}"
        );
    }
    let far = *w.log.head().borrow() + 1000;
    let err = w
        .model
        .progress()
        .wait_for(far, Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::PositionNotReached);
}

/// A machine user's creation as a log would hold it, at `position`.
fn machine_added(position: u64, id: &str) -> eventlog::StoredEvent {
    use domain::EventType;
    let event = domain::user::UserEvent::MachineAdded {
        org_id: "org-1".into(),
        username: id.into(),
        name: id.into(),
        description: String::new(),
    };
    eventlog::StoredEvent {
        position,
        stream: eventlog::StreamId::new(I, "user", id),
        version: 1,
        event: eventlog::NewEvent {
            event_type: event.event_type().into(),
            schema_version: domain::codec::encode(&event).0,
            payload: domain::codec::encode(&event).1,
            creator: "test".into(),
            created_at: 0,
        },
    }
}

/// The trail newest first: by the time each event was written, then by position, over days
/// (a partition of CQL's `events_by_day` each), page by page, each event once.
async fn the_newest_events_page_back_over_days(a: Adapter) {
    let w = world(a);
    let day = 86_400_000;
    // 250 events spread over ten days out of log order, two of them at the same moment.
    let events: Vec<_> = (0..250u64)
        .map(|n| {
            let mut e = machine_added(n + 1, &format!("u{n:03}"));
            e.event.created_at = 1_760_000_000_000 + ((n * 7919) % 240) as i64 * day / 24;
            e
        })
        .collect();
    w.model.apply_batch(&events).unwrap();
    let mut expected: Vec<(i64, u64)> = events
        .iter()
        .map(|e| (e.event.created_at, e.position))
        .collect();
    expected.sort_by(|x, y| y.cmp(x));
    let pages = |filter: &EventFilter, limit: usize| {
        let (mut seen, mut before) = (Vec::new(), None);
        loop {
            let page = w.model.latest_events(I, filter, before, limit).unwrap();
            assert!(page.items.len() <= limit);
            seen.extend(page.items.iter().map(|e| (e.created_at, e.position)));
            match page.older {
                Some(o) => before = Some(o),
                None => return seen,
            }
        }
    };
    assert_eq!(pages(&EventFilter::default(), 40), expected);
    let users = EventFilter {
        aggregate_type: Some("user".into()),
        ..EventFilter::default()
    };
    assert_eq!(pages(&users, 100), expected);
    let orgs = EventFilter {
        aggregate_type: Some("org".into()),
        ..EventFilter::default()
    };
    assert!(pages(&orgs, 40).is_empty());
    let one = EventFilter {
        aggregate_id: Some("u007".into()),
        ..EventFilter::default()
    };
    assert_eq!(pages(&one, 10), [(events[7].event.created_at, 8)]);
    // Another instance has none of them.
    let page = w
        .model
        .latest_events("another", &EventFilter::default(), None, 10)
        .unwrap();
    assert_eq!((page.items.len(), page.older), (0, None));
}

async fn each_log_partition_has_its_own_checkpoint_and_reads_wait_for_theirs(a: Adapter) {
    use eventlog::position::tag;
    let w = world(a);
    // Partition 0 (the embedded log's) far ahead, partition 3 at 5.
    w.model
        .apply_batch(&[
            machine_added(tag(0, 100), "u0"),
            machine_added(tag(3, 5), "u3"),
        ])
        .unwrap();
    assert_eq!(w.model.progress().position(), 100);
    let short = Duration::from_millis(200);
    let progress = w.model.progress();
    progress.wait_for(tag(3, 5), short).await.unwrap();
    progress.wait_for(100, short).await.unwrap();
    let e = progress.wait_for(tag(3, 6), short).await.unwrap_err();
    assert_eq!(
        e.code,
        Code::PositionNotReached,
        "partition 0 is not partition 3"
    );
    // A later batch of partition 3 wakes the reader that waits for it.
    let waiting = {
        let model = w.model.clone();
        tokio::spawn(async move {
            model
                .progress()
                .wait_for(tag(3, 6), Duration::from_secs(5))
                .await
        })
    };
    w.model
        .apply_batch(&[machine_added(tag(3, 6), "u3b")])
        .unwrap();
    waiting.await.unwrap().unwrap();
    // The checkpoints are stored with the tables: a reopened model has them.
    let reopened = (w.opened.reopen)();
    assert_eq!(
        reopened.progress().applied(),
        readmodel::Applied([(0, 100), (3, 6)].into_iter().collect())
    );
    assert!(reopened.user(I, "u3b").unwrap().is_some());
}

async fn a_projector_on_the_kafka_topic_applies_each_partition_and_reads_wait_for_theirs(
    a: Adapter,
) {
    use eventlog::kafka::broker::Broker;
    use eventlog::kafka::follower::Follower;
    use eventlog::kafka::{topics, KafkaLog, KafkaLogOptions};
    use eventlog::position::tag;
    let broker = Broker::start();
    topics::create(&broker.brokers(), 2, 1).await.unwrap();
    let mut written = Vec::new();
    for (p, id) in [(0, "u-a"), (1, "u-b")] {
        let log = KafkaLog::open(KafkaLogOptions::new(&broker.brokers(), p, "node"))
            .await
            .unwrap();
        let event = machine_added(0, id);
        let done = log
            .append(eventlog::Append {
                stream: event.stream,
                expected_version: 0,
                events: vec![event.event],
                owners: vec!["org-1".into()],
            })
            .await
            .unwrap();
        written.push((tag(p, done.position), id));
    }
    let dir = tempfile::tempdir().unwrap();
    let opened = open(a, dir.path());
    let model = (opened.reopen)();
    let applied = model.clone();
    let follower = Follower::start(
        &broker.brokers(),
        topics::EVENTS,
        2,
        "projector",
        model.checkpoints().unwrap(),
        std::sync::Arc::new(move |s: &eventlog::StreamId| applied.version_of(s).unwrap()),
    )
    .unwrap();
    let projecting = tokio::spawn(projector::follow(follower, model.clone()));
    for (position, id) in written {
        model
            .progress()
            .wait_for(position, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(model.user(I, id).unwrap().is_some(), "{id}");
    }
    let applied = model.progress().applied();
    assert_eq!(applied.0.len(), 2, "{applied:?}");
    projecting.abort();
    // Stored with what was applied: where each partition's reader resumes, past the events.
    let checkpoints = model.checkpoints().unwrap();
    for p in 0..2 {
        let c = checkpoints[&p];
        assert!(
            c.applied > 0 && c.resume.offset as u64 >= c.applied,
            "{p}: {c:?}"
        );
        assert!(c.resume.epoch.is_some(), "{p}: {c:?}");
    }
}

/// Ten thousand users in 20 orgs, as the log holds them, paged through 100 at a time: every
/// user once, in id order, whatever the page's seam; a scope of two orgs pages through exactly
/// theirs.
async fn ten_thousand_users_page_in_order_each_once(a: Adapter) {
    let w = world(a);
    let (users, orgs) = (10_000, 20);
    let id = |n: usize| format!("u{n:05}");
    let events: Vec<_> = (0..users)
        .map(|n| {
            let mut e = machine_added(n as u64 + 1, &id(n));
            let event = domain::user::UserEvent::MachineAdded {
                org_id: format!("org-{:02}", n % orgs),
                username: id(n),
                name: id(n),
                description: String::new(),
            };
            e.event.payload = domain::codec::encode(&event).1;
            e
        })
        .collect();
    for batch in events.chunks(1000) {
        w.model.apply_batch(batch).unwrap();
    }
    // Pages of the sizes given in turn: a cursor holds whatever page size comes next.
    let all = |scope: &authz::ReadScope, sizes: &[usize]| {
        let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
        loop {
            let size = sizes[pages % sizes.len()];
            let page = w
                .model
                .list_users(I, scope, &UserFilter::default(), size, cursor.as_deref())
                .unwrap();
            assert!(page.items.len() <= size);
            pages += 1;
            seen.extend(page.items.into_iter().map(|u| u.id));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return (seen, pages),
            }
        }
    };
    let (seen, pages) = all(&authz::ReadScope::Instance, &[100]);
    assert_eq!(seen, (0..users).map(id).collect::<Vec<_>>());
    assert_eq!(pages, 100);
    let two = authz::ReadScope::Limited(authz::Limited {
        orgs: ["org-03".to_string(), "org-17".to_string()].into(),
        ..Default::default()
    });
    let (seen, _) = all(&two, &[100]);
    let expected: Vec<String> = (0..users)
        .filter(|n| n % orgs == 3 || n % orgs == 17)
        .map(id)
        .collect();
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen, expected);
    // The same scope with the caller's own user (of another org) merged in, in pages of
    // changing size: each user once, in order.
    let with_own = authz::ReadScope::Limited(authz::Limited {
        orgs: ["org-03".to_string(), "org-17".to_string()].into(),
        own_user: Some(id(5005)),
        ..Default::default()
    });
    let (seen, _) = all(&with_own, &[37, 250, 1]);
    let expected: Vec<String> = (0..users)
        .filter(|n| n % orgs == 3 || n % orgs == 17 || *n == 5005)
        .map(id)
        .collect();
    assert_eq!(seen.len(), 1001);
    assert_eq!(seen, expected);
}

/// The CQL adapter's cursors resume from the driver's paging state: a page given whole resumes
/// where the driver's next page begins, not by searching the partition again.
#[actix_rt::test]
async fn cql_cursors_carry_the_drivers_paging_state() {
    use base64::Engine;
    let w = world(Adapter::Cql);
    let events: Vec<_> = (0..250)
        .map(|n| machine_added(n + 1, &format!("u{n:03}")))
        .collect();
    w.model.apply_batch(&events).unwrap();
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    for page in 0..3 {
        let listed = w
            .model
            .list_users(
                I,
                &authz::ReadScope::Instance,
                &UserFilter::default(),
                100,
                cursor.as_deref(),
            )
            .unwrap();
        seen.extend(listed.items.into_iter().map(|u| u.id));
        cursor = listed.next_cursor;
        let Some(c) = &cursor else {
            assert_eq!(page, 2, "the third page is the last");
            break;
        };
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(c)
            .unwrap();
        let held: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let resume = &held["at"]["instance"];
        assert!(
            resume["state"].as_str().is_some_and(|s| !s.is_empty()),
            "{held}"
        );
        assert_eq!(resume["skip"], 0, "{held}");
    }
    assert_eq!(
        seen,
        (0..250).map(|n| format!("u{n:03}")).collect::<Vec<_>>()
    );
}

/// A keyspace of a release before `users_by_login_prefix` (0004) and `events_by_day` (0005):
/// `migrate` fills the new tables from the users and events already there, so that the search
/// by a login name's start finds the users and the trail newest first has every event.
#[actix_rt::test]
async fn migrate_fills_the_new_tables_from_what_was_there_before_them() {
    let w = world(Adapter::Cql);
    populate(&w, 1).await;
    for (id, name) in [("id-ada", "Ada"), ("id-adam", "adam"), ("id-bob", "bob")] {
        w.bus
            .create_user(&setup(), I, id, machine("org-a", name))
            .await
            .unwrap();
    }
    projector(&w).catch_up().await.unwrap();
    let keyspace = w.opened.keyspace.as_ref().unwrap();
    // As the release before 0004 left it: the users, no index of their login names' starts.
    let session = scylla::client::session_builder::SessionBuilder::new()
        .known_node(&keyspace.nodes[0])
        .build()
        .await
        .unwrap();
    for cql in [
        format!("TRUNCATE {}.users_by_login_prefix", keyspace.name),
        format!("TRUNCATE {}.events_by_day", keyspace.name),
        format!("TRUNCATE {}.event_days", keyspace.name),
        format!(
            "DELETE FROM {}.schema_migrations WHERE version IN (4, 5)",
            keyspace.name
        ),
    ] {
        session.query_unpaged(cql, ()).await.unwrap();
    }
    let everyone = ReadScope::Instance;
    assert!(by_prefix(&w, &everyone, None, "ad", 10).is_empty());
    let newest = |limit| {
        w.model
            .latest_events(I, &EventFilter::default(), None, limit)
            .unwrap()
            .items
    };
    assert!(newest(10).is_empty());
    let trail = w.model.events(I, &EventFilter::default(), 1000).unwrap();
    let replication = "datacenter1:1".parse().unwrap();
    let applied = readmodel::cql::migrate(
        &keyspace.nodes,
        &keyspace.name,
        &replication,
        testkit::cql::SCHEMA_METADATA,
    )
    .unwrap();
    assert_eq!(
        applied,
        ["0004_users_by_login_prefix.cql", "0005_events_by_day.cql"]
    );
    assert_eq!(by_prefix(&w, &everyone, None, "AD", 1), ["Ada", "adam"]);
    assert_eq!(by_prefix(&w, &everyone, None, "b", 10), ["bob"]);
    // Every event of the trail, newest first.
    let mut positions: Vec<u64> = newest(1000).iter().map(|e| e.position).collect();
    positions.reverse();
    let in_log_order: Vec<u64> = trail.iter().map(|e| e.position).collect();
    assert_eq!(positions, in_log_order);
}

/// Each test of the contract, once per adapter.
/// The golden log: every event type as each release wrote it (`shared/domain/tests/golden`).
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/domain/tests/golden/events.json"
);

async fn a_log_of_every_release_projects_with_its_meaning(a: Adapter) {
    use base64::Engine;
    let w = world(a);
    let golden: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(GOLDEN).unwrap()).unwrap();
    // Each entry in a stream of its own, as the log would hold it (release 0.1's positional
    // payloads and today's JSON alike).
    let batch: Vec<eventlog::StoredEvent> = golden
        .iter()
        .enumerate()
        .map(|(n, g)| {
            let text = |k: &str| g[k].as_str().unwrap().to_string();
            eventlog::StoredEvent {
                position: n as u64 + 1,
                stream: eventlog::StreamId::new(I, &text("kind"), &format!("golden-{n}")),
                version: 1,
                event: eventlog::NewEvent {
                    event_type: text("type"),
                    schema_version: g["version"].as_u64().unwrap() as u16,
                    payload: base64::engine::general_purpose::STANDARD
                        .decode(text("payload"))
                        .unwrap(),
                    creator: "golden".into(),
                    created_at: 1_700_000_000_000,
                },
            }
        })
        .collect();
    assert_eq!(w.model.apply_batch(&batch).unwrap(), batch.len() as u64);
    // The audit trail shows each with the fields it meant (secrets redacted).
    let trail = w
        .model
        .events(I, &readmodel::EventFilter::default(), 10_000)
        .unwrap();
    assert_eq!(trail.len(), golden.len());
    for (row, g) in trail.iter().zip(&golden) {
        assert_eq!(row.event_type, g["type"].as_str().unwrap());
        let meant = match &g["means"] {
            serde_json::Value::Object(tagged) => tagged.values().next().unwrap().clone(),
            _ => serde_json::Value::Null,
        };
        if meant.is_object() {
            shown_as_meant(&row.payload, &meant, &row.event_type);
        }
    }
}

/// Whether the audit trail shows `shown` as the golden log's `meant`: every field alike, at any
/// depth, but secrets, which show as `[redacted]` (never their value).
fn shown_as_meant(shown: &serde_json::Value, meant: &serde_json::Value, at: &str) {
    use serde_json::Value;
    let Value::Object(fields) = meant else {
        assert_eq!(shown, meant, "{at}");
        return;
    };
    for (key, value) in fields {
        let at = format!("{at}.{key}");
        let secret = key.ends_with("_hash")
            || key.starts_with("sealed")
            || ["password", "secret", "token"].contains(&key.as_str());
        match (secret, value) {
            (true, Value::Null) => assert!(shown[key].is_null(), "{at}"),
            (true, _) => assert_eq!(shown[key], "[redacted]", "{at}"),
            (false, _) => shown_as_meant(&shown[key], value, &at),
        }
    }
}

/// The events of one user stream as the log stores them, from position `first`, each at its
/// time.
fn user_stream(
    first: u64,
    user: &str,
    events: Vec<(i64, domain::user::UserEvent)>,
) -> Vec<eventlog::StoredEvent> {
    events
        .into_iter()
        .enumerate()
        .map(|(n, (at, e))| {
            let (schema_version, payload) = domain::DomainEvent::User(e.clone()).encode();
            eventlog::StoredEvent {
                position: first + n as u64,
                stream: eventlog::StreamId::new(I, "user", user),
                version: n as u64 + 1,
                event: eventlog::NewEvent {
                    event_type: domain::EventType::event_type(&e).into(),
                    schema_version,
                    payload,
                    creator: "test".into(),
                    created_at: at,
                },
            }
        })
        .collect()
}

async fn the_outbox_queue_holds_each_users_waiting_messages_in_order(a: Adapter) {
    use domain::user::{Channel, CodeKind, Email, Message, Profile, UserEvent as E};
    let w = world(a);
    let human = E::HumanAdded {
        org_id: "org-a".into(),
        username: "ada".into(),
        profile: Profile {
            given_name: "Ada".into(),
            family_name: "L".into(),
            display_name: "Ada L".into(),
            preferred_language: None,
        },
        email: Email {
            address: "ada@example.com".into(),
            verified: false,
        },
        phone: Some("+41791234567".into()),
        password_hash: None,
        password_set_at: None,
        password_change_required: false,
    };
    let code = |kind: CodeKind, id: &str| E::CodeAdded {
        kind,
        code_hash: "h".into(),
        expires_at: 9_000_000,
        message: Some(Message {
            id: id.into(),
            channel: Channel::Email,
            sealed_code: "s".into(),
            base_url: "https://one.test".into(),
        }),
    };
    let ids = |due: Vec<readmodel::DueMessage>| -> Vec<String> {
        due.into_iter()
            .map(|d| format!("{}:{}", d.user_id, d.message_id))
            .collect()
    };
    let mut batch = user_stream(
        1,
        "ada",
        vec![
            (1000, human.clone()),
            (1000, code(CodeKind::VerifyEmail, "m1")),
            (2000, code(CodeKind::VerifyPhone, "m2")),
        ],
    );
    batch.extend(user_stream(
        4,
        "bob",
        vec![(1500, human), (1500, code(CodeKind::Init, "m3"))],
    ));
    w.model.apply_batch(&batch).unwrap();
    // Each user's oldest message, when due, most overdue first.
    assert_eq!(
        ids(w.model.due_messages(999, 10).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(w.model.due_messages(1500, 10).unwrap()),
        ["ada:m1", "bob:m3"]
    );
    assert_eq!(ids(w.model.due_messages(5000, 1).unwrap()), ["ada:m1"]);
    // A failed attempt waits; the user's next message waits behind it.
    let failed = E::NotificationFailed {
        message_id: "m1".into(),
        attempt: 1,
        reason: "refused".into(),
        retry_at: Some(7000),
    };
    let sent_m3 = E::NotificationSent {
        message_id: "m3".into(),
    };
    let mut more = user_stream(6, "ada", vec![(3000, failed)]);
    more[0].version = 4;
    let mut bob = user_stream(7, "bob", vec![(3000, sent_m3)]);
    bob[0].version = 3;
    more.extend(bob);
    w.model.apply_batch(&more).unwrap();
    assert_eq!(
        ids(w.model.due_messages(5000, 10).unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(ids(w.model.due_messages(7000, 10).unwrap()), ["ada:m1"]);
    // Verified: the email's message waits no longer, the phone's goes next.
    let mut verified = user_stream(8, "ada", vec![(4000, E::EmailVerified)]);
    verified[0].version = 5;
    w.model.apply_batch(&verified).unwrap();
    assert_eq!(ids(w.model.due_messages(7000, 10).unwrap()), ["ada:m2"]);
    // A removed user's messages go with them.
    let mut removed = user_stream(
        9,
        "ada",
        vec![(
            5000,
            E::Removed {
                username: "ada".into(),
            },
        )],
    );
    removed[0].version = 6;
    w.model.apply_batch(&removed).unwrap();
    assert!(w.model.due_messages(i64::MAX, 10).unwrap().is_empty());
}

async fn accounts_are_found_by_their_verified_address_in_their_org(a: Adapter) {
    use domain::user::{Email, Profile, UserEvent as E};
    let w = world(a);
    let human = |org: &str, name: &str, address: &str, verified| E::HumanAdded {
        org_id: org.into(),
        username: name.into(),
        profile: Profile {
            given_name: name.into(),
            family_name: "X".into(),
            display_name: name.into(),
            preferred_language: None,
        },
        email: Email {
            address: address.into(),
            verified,
        },
        phone: None,
        password_hash: None,
        password_set_at: None,
        password_change_required: false,
    };
    let mut batch = user_stream(
        1,
        "ada",
        vec![(1, human("org-a", "ada", "Ada@x.example", true))],
    );
    batch.extend(user_stream(
        2,
        "bob",
        vec![(1, human("org-a", "bob", "bob@x.example", false))],
    ));
    batch.extend(user_stream(
        3,
        "eve",
        vec![(1, human("org-b", "eve", "ada@x.example", true))],
    ));
    w.model.apply_batch(&batch).unwrap();
    let found =
        |org: &str, address: &str| w.model.users_with_verified_email(I, org, address).unwrap();
    assert_eq!(found("org-a", "ada@X.example"), ["ada"]);
    // Unverified, or of another org: not found.
    assert!(found("org-a", "bob@x.example").is_empty());
    assert_eq!(found("org-b", "ada@x.example"), ["eve"]);
    // A new address moves the account; removal forgets it.
    let mut moved = user_stream(
        4,
        "ada",
        vec![(
            2,
            E::EmailChanged {
                email: Email {
                    address: "lovelace@x.example".into(),
                    verified: true,
                },
            },
        )],
    );
    moved[0].version = 2;
    w.model.apply_batch(&moved).unwrap();
    assert!(found("org-a", "ada@x.example").is_empty());
    assert_eq!(found("org-a", "lovelace@x.example"), ["ada"]);
    let mut removed = user_stream(
        5,
        "ada",
        vec![(
            3,
            E::Removed {
                username: "ada".into(),
            },
        )],
    );
    removed[0].version = 3;
    w.model.apply_batch(&removed).unwrap();
    assert!(found("org-a", "lovelace@x.example").is_empty());
}

macro_rules! contract {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_rt::test]
                async fn $test() {
                    super::$test(super::Adapter::Sqlite).await
                }
            )*

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_projector_on_the_kafka_topic_applies_each_partition_and_reads_wait_for_theirs() {
                super::a_projector_on_the_kafka_topic_applies_each_partition_and_reads_wait_for_theirs(super::Adapter::Sqlite).await
            }
        }
        mod cql {
            $(
                #[actix_rt::test]
                async fn $test() {
                    super::$test(super::Adapter::Cql).await
                }
            )*

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_projector_on_the_kafka_topic_applies_each_partition_and_reads_wait_for_theirs() {
                super::a_projector_on_the_kafka_topic_applies_each_partition_and_reads_wait_for_theirs(super::Adapter::Cql).await
            }
        }
    };
}

contract!(
    the_projection_answers_the_gateways_lookups,
    lists_filter_by_the_readable_scope_and_page_with_a_stable_cursor,
    scopes_of_few_and_of_many_orgs_page_alike,
    replays_change_nothing_and_a_rebuild_from_zero_gives_the_same_answers,
    a_read_can_wait_for_the_position_of_a_write,
    each_log_partition_has_its_own_checkpoint_and_reads_wait_for_theirs,
    ten_thousand_users_page_in_order_each_once,
    a_log_of_every_release_projects_with_its_meaning,
    the_outbox_queue_holds_each_users_waiting_messages_in_order,
    accounts_are_found_by_their_verified_address_in_their_org,
    login_name_prefixes_find_users_in_order_inside_the_scope,
    the_newest_events_page_back_over_days,
);
