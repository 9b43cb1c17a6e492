//! A data directory made by an earlier release (0.1: the system user was a machine user of the
//! default instance's org `Default`, its SYSTEM_OWNER membership on that instance) keeps
//! working after the upgrade: the system user is moved into the system scope by events, the
//! log as it was is left untouched, and a second start moves nothing more.

use std::path::Path;

use domain::instance::{InstanceEvent, SYSTEM_SCOPE};
use domain::user::UserEvent;
use domain::DomainEvent;
use serde_json::Value;

use super::{events, read, start};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/data-0.1");

fn copy_fixture(to: &Path) {
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
