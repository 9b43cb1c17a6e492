//! A data directory made by an earlier release (0.1: the system user was a machine user of the
//! default instance's org `Default`, its SYSTEM_OWNER membership on that instance) keeps
//! working after the upgrade: the system user is moved into the system scope by events, the
//! log as it was is left untouched, and a second start moves nothing more. The same for a
//! cluster whose Kafka log holds what 0.1 wrote.

use std::path::Path;

use domain::instance::{InstanceEvent, SYSTEM_SCOPE};
use domain::user::UserEvent;
use domain::DomainEvent;
use eventlog::{EventLog, SqliteLog};
use serde_json::Value;
use testkit::cluster::ReadModels;

use super::{events, read, start};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/data-0.1");

pub(super) fn copy_fixture(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(FIXTURE).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
}

fn get(base: &str, path: &str, token: &str, host: &str) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Host", host)
        .call()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.body_mut().read_json().unwrap_or(Value::Null))
}

#[test]
fn an_earlier_releases_system_user_is_moved_out_of_the_default_instance() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_fixture(&data);
    let before = events(&data);
    // The earlier layout, as the fixture holds it.
    assert!(before.iter().any(|(id, e)| id != SYSTEM_SCOPE
        && matches!(
            e,
            DomainEvent::Instance(InstanceEvent::SystemMemberSet { .. })
        )));

    let server = start(&data, &[]);
    let (system, admin) = (read(&data, "system.pat"), read(&data, "admin.pat"));
    // The system token still reaches the system API, and no instance route.
    let (status, listed) = get(&server.base, "/v1/system/instances", &system, "localhost");
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(
        get(&server.base, "/v1/users/me", &system, "localhost").0,
        401
    );
    // The default instance no longer holds it; its admins work as before.
    let (status, found) = get(
        &server.base,
        "/v1/users?username=system",
        &admin,
        "localhost",
    );
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["items"], serde_json::json!([]));
    assert_eq!(server.stop().code(), Some(0));

    let after = events(&data);
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "the earlier log is kept as it was"
    );
    let added = &after[before.len()..];
    let moved_in = added.iter().any(|(id, e)| id == SYSTEM_SCOPE
        && matches!(e, DomainEvent::Instance(InstanceEvent::SystemMemberSet { roles, .. }) if roles == &["SYSTEM_OWNER"]));
    let left = added.iter().any(|(_, e)| {
        matches!(
            e,
            DomainEvent::Instance(InstanceEvent::SystemMemberRemoved { .. })
        )
    });
    let removed = added.iter().any(|(_, e)| {
        matches!(e, DomainEvent::User(UserEvent::Removed { username }) if username == "system")
    });
    assert!(moved_in && left && removed, "{added:?}");

    // A second start moves nothing more, and the system token still works.
    let server = start(&data, &[]);
    let (status, _) = get(&server.base, "/v1/system/instances", &system, "localhost");
    assert_eq!(status, 200);
    assert_eq!(server.stop().code(), Some(0));
    assert_eq!(events(&data).len(), after.len(), "the move is made once");
}

/// The fixture's events as a 0.1 cluster would hold them: every event, with its stream's owners
/// and its payload as written (schema version 1), appended to the partition its aggregate maps
/// to. (The records around them are today's; `eventlog`'s record tests read 0.1's.)
fn fill_cluster_log(brokers: &str) {
    use eventlog::kafka::{KafkaLog, KafkaLogOptions};
    use eventlog::position::partition_for;
    use eventlog::{Append, NewEvent};
    let db = rusqlite::Connection::open(Path::new(FIXTURE).join("events.db")).unwrap();
    let mut owners: std::collections::HashMap<(String, String, String), Vec<String>> =
        Default::default();
    let mut rows = db
        .prepare("SELECT instance, kind, aggregate_id, owner FROM owners")
        .unwrap();
    let found = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    for row in found {
        let (instance, kind, id, owner): (String, String, String, String) = row.unwrap();
        owners.entry((instance, kind, id)).or_default().push(owner);
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let from =
            SqliteLog::open(&Path::new(FIXTURE).join("events.db"), Default::default()).unwrap();
        let mut logs = Vec::new();
        for p in 0..testkit::cluster::PARTITIONS {
            let options = KafkaLogOptions::new(brokers, p, "release-0.1");
            logs.push(KafkaLog::open(options).await.unwrap());
        }
        for e in from.read_all(0, 10_000).await.unwrap() {
            let s = &e.stream;
            let partition = partition_for(&s.id, testkit::cluster::PARTITIONS as u32);
            let key = (s.instance.clone(), s.kind.clone(), s.id.clone());
            let append = Append {
                stream: s.clone(),
                expected_version: e.version - 1,
                events: vec![NewEvent { ..e.event.clone() }],
                owners: match e.version {
                    1 => owners.get(&key).cloned().unwrap_or_default(),
                    _ => Vec::new(),
                },
            };
            logs[partition as usize].append(append).await.unwrap();
        }
        for log in &logs {
            log.release();
        }
    });
}

#[test]
fn an_earlier_releases_cluster_log_has_its_system_user_moved_too() {
    let broker = eventlog::kafka::broker::Broker::with_topics(testkit::cluster::PARTITIONS);
    fill_cluster_log(&broker.brokers());
    let master_key = read(Path::new(FIXTURE), "master.key");
    let fixture = Path::new(FIXTURE);
    let server =
        testkit::cluster::start_on(ReadModels::Embedded, broker, master_key, Some(fixture));
    let (system, admin) = (read(fixture, "system.pat"), read(fixture, "admin.pat"));
    let base = server.base();
    // The system token reaches the system API once the move is through (the gateway's start
    // makes it), and never an instance route.
    let mut listed = (0, Value::Null);
    for _ in 0..100 {
        listed = get(&base, "/v1/system/instances", &system, "localhost");
        if listed.0 == 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(listed.0, 200, "{}", listed.1);
    assert_eq!(
        listed.1["items"].as_array().unwrap().len(),
        1,
        "{}",
        listed.1
    );
    assert_eq!(get(&base, "/v1/users/me", &system, "localhost").0, 401);
    let (status, found) = get(&base, "/v1/users?username=system", &admin, "localhost");
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["items"], serde_json::json!([]));
    // The instance's admin works as before.
    let (status, me) = get(&base, "/v1/users/me", &admin, "localhost");
    assert_eq!(
        (status, me["username"].as_str()),
        (200, Some("admin-bot")),
        "{me}"
    );
}
