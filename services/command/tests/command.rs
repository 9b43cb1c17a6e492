//! The command service on a real embedded log on disk.

#[path = "command/outages.rs"]
mod outages;

use std::sync::Arc;
use std::time::Duration;

use authz::{Authorizer, Caller, InternalFlow, Memberships, Principal, Resource, Role, RoleMap};
use command::{CommandBus, CommandOptions};
use domain::members::MemberCommand;
use domain::org::{Org, OrgCommand};
use domain::unique::{Unique, UniqueCommand};
use domain::user::{User, UserCommand};
use domain::{Aggregate, AggregateKey, Code};
use eventlog::{EventLog, SqliteLog, SqliteLogOptions, StreamId};

const I: &str = "inst-1";

fn log(dir: &tempfile::TempDir) -> Arc<dyn EventLog> {
    Arc::new(SqliteLog::open(&dir.path().join("events.db"), SqliteLogOptions::default()).unwrap())
}

fn bus(log: Arc<dyn EventLog>, options: CommandOptions) -> Arc<CommandBus> {
    Arc::new(CommandBus::new(
        log,
        Authorizer::new(RoleMap::default_map()),
        options,
    ))
}

fn key(kind: &'static str, id: &str) -> AggregateKey {
    AggregateKey {
        instance: I.into(),
        kind,
        id: id.into(),
    }
}

fn setup() -> Caller {
    Caller::Internal {
        flow: InternalFlow::Setup,
        instance: I.into(),
    }
}

fn manager_of(org: &str, role: Role) -> Caller {
    let map = RoleMap::default_map();
    Caller::Principal(Arc::new(Principal {
        instance: I.into(),
        org: org.into(),
        user: "manager".into(),
        memberships: Memberships::from_grants(
            [(Resource::Org(org.into()), [role].into_iter().collect())],
            &map,
        ),
    }))
}

async fn create_org(bus: &CommandBus, id: &str) {
    bus.execute::<Org>(
        &key("org", id),
        &setup(),
        OrgCommand::Create { name: id.into() },
        None,
    )
    .await
    .unwrap();
}

#[actix_rt::test]
async fn a_command_commits_and_a_new_process_restores_the_state_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = log(&dir);
    {
        let bus = bus(log.clone(), CommandOptions::default());
        let w = bus
            .execute::<Org>(
                &key("org", "o1"),
                &setup(),
                OrgCommand::Create {
                    name: "Acme".into(),
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(w.sequence, 1);
        assert!(w.position.first() > 0);
        let cmd = OrgCommand::Member(MemberCommand::Set {
            user_id: "u1".into(),
            roles: vec!["ORG_OWNER".into()],
        });
        let w2 = bus
            .execute::<Org>(&key("org", "o1"), &setup(), cmd.clone(), None)
            .await
            .unwrap();
        assert_eq!(w2.sequence, 2);
        // The same roles again decide no event: same sequence, nothing written.
        let w3 = bus
            .execute::<Org>(&key("org", "o1"), &setup(), cmd, None)
            .await
            .unwrap();
        assert_eq!(w3.sequence, 2);
    }
    let bus = bus(log.clone(), CommandOptions::default());
    let (org, version) = bus.state::<Org>(&key("org", "o1")).await.unwrap();
    assert_eq!(version, 2);
    assert_eq!(org.name, "Acme");
    assert_eq!(org.members["u1"], ["ORG_OWNER"]);
    assert_eq!(
        log.read_stream(&StreamId::new(I, "org", "o1"), 0)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[actix_rt::test]
async fn the_actor_checks_the_permission_against_the_aggregates_real_owner() {
    let dir = tempfile::tempdir().unwrap();
    let bus = bus(log(&dir), CommandOptions::default());
    create_org(&bus, "org-a").await;
    create_org(&bus, "org-b").await;
    let user_in_b = key("user", "bob");
    let add = UserCommand::AddMachine {
        org_id: "org-b".into(),
        username: "bob".into(),
        name: "Bob".into(),
        description: String::new(),
    };
    bus.execute::<User>(&user_in_b, &setup(), add, None)
        .await
        .unwrap();

    let manager_a = manager_of("org-a", Role::OrgUserManager);
    let err = bus
        .execute::<User>(&user_in_b, &manager_a, UserCommand::Remove, None)
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::PermissionDenied);
    assert!(
        err.details
            .contains(&("missing".into(), "user.delete".into())),
        "{err:?}"
    );
    let (bob, _) = bus.state::<User>(&user_in_b).await.unwrap();
    assert!(bob.exists(), "a denied command writes nothing");

    let manager_b = manager_of("org-b", Role::OrgUserManager);
    bus.execute::<User>(&user_in_b, &manager_b, UserCommand::Remove, None)
        .await
        .unwrap();
    assert!(!bus.state::<User>(&user_in_b).await.unwrap().0.exists());

    // A manager of org A cannot remove org B either.
    let err = bus
        .execute::<Org>(&key("org", "org-b"), &manager_a, OrgCommand::Remove, None)
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::PermissionDenied);
}

#[actix_rt::test]
async fn fifty_concurrent_claims_of_one_name_have_exactly_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let bus = bus(log(&dir), CommandOptions::default());
    let name = key("unique", "login:alice");
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (bus, name) = (bus.clone(), name.clone());
            actix_rt::spawn(async move {
                let claim = UniqueCommand::Claim {
                    owner: format!("user-{i}"),
                    taken: Code::UsernameTaken,
                };
                bus.execute::<Unique>(&name, &setup(), claim, None).await
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap().map_err(|e| e.code));
    }
    assert_eq!(codes.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(codes
        .iter()
        .filter(|r| r.is_err())
        .all(|r| *r == Err(Code::UsernameTaken)));

    let (claim, _) = bus.state::<Unique>(&name).await.unwrap();
    let winner = claim.owner.unwrap();
    bus.execute::<Unique>(
        &name,
        &setup(),
        UniqueCommand::Release { owner: winner },
        None,
    )
    .await
    .unwrap();
    let again = UniqueCommand::Claim {
        owner: "user-new".into(),
        taken: Code::UsernameTaken,
    };
    bus.execute::<Unique>(&name, &setup(), again, None)
        .await
        .expect("a released name is free again");
}

#[actix_rt::test]
async fn concurrent_commands_on_one_aggregate_all_commit_in_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let log = log(&dir);
    let bus = bus(log.clone(), CommandOptions::default());
    create_org(&bus, "o1").await;
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let bus = bus.clone();
            actix_rt::spawn(async move {
                let cmd = OrgCommand::Member(MemberCommand::Set {
                    user_id: format!("u{i}"),
                    roles: vec!["ORG_OWNER_VIEWER".into()],
                });
                bus.execute::<Org>(&key("org", "o1"), &setup(), cmd, None)
                    .await
                    .unwrap()
                    .sequence
            })
        })
        .collect();
    let mut sequences = Vec::new();
    for t in tasks {
        sequences.push(t.await.unwrap());
    }
    sequences.sort();
    assert_eq!(sequences, (2..=31).collect::<Vec<u64>>());
    let versions: Vec<u64> = log
        .read_stream(&StreamId::new(I, "org", "o1"), 0)
        .await
        .unwrap()
        .iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(versions, (1..=31).collect::<Vec<u64>>());
}

#[actix_rt::test]
async fn a_stale_if_match_is_a_conflict_that_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bus = bus(log(&dir), CommandOptions::default());
    create_org(&bus, "o1").await;
    let cmd = OrgCommand::Member(MemberCommand::Set {
        user_id: "u".into(),
        roles: vec!["ORG_OWNER".into()],
    });
    let err = bus
        .execute::<Org>(&key("org", "o1"), &setup(), cmd.clone(), Some(0))
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::VersionConflict);
    assert_eq!(bus.state::<Org>(&key("org", "o1")).await.unwrap().1, 1);
    assert_eq!(
        bus.execute::<Org>(&key("org", "o1"), &setup(), cmd, Some(1))
            .await
            .unwrap()
            .sequence,
        2
    );
}

#[actix_rt::test]
async fn idle_actors_are_passivated_and_come_back_with_their_state() {
    let dir = tempfile::tempdir().unwrap();
    let options = CommandOptions {
        idle: Duration::from_millis(100),
        ..Default::default()
    };
    let bus = bus(log(&dir), options);
    create_org(&bus, "o1").await;
    assert_eq!(bus.live_actors(), 1);
    live_actors_fall_to(&bus, 0).await;
    let cmd = OrgCommand::Member(MemberCommand::Set {
        user_id: "u".into(),
        roles: vec!["ORG_OWNER".into()],
    });
    assert_eq!(
        bus.execute::<Org>(&key("org", "o1"), &setup(), cmd, None)
            .await
            .unwrap()
            .sequence,
        2
    );
}

/// Org `o1` with `members` owners, as its actor has it (state and version).
async fn org_with_members(bus: &CommandBus, members: usize) -> (Org, u64) {
    create_org(bus, "o1").await;
    for i in 0..members {
        let cmd = OrgCommand::Member(MemberCommand::Set {
            user_id: format!("u{i}"),
            roles: vec!["ORG_OWNER".into()],
        });
        bus.execute::<Org>(&key("org", "o1"), &setup(), cmd, None)
            .await
            .unwrap();
    }
    bus.state::<Org>(&key("org", "o1")).await.unwrap()
}

#[actix_rt::test]
async fn snapshots_are_written_and_restore_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let log = log(&dir);
    let options = CommandOptions {
        snapshot_every: 5,
        ..Default::default()
    };
    let expected = org_with_members(&bus(log.clone(), options.clone()), 11).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let snap = log
            .load_snapshot(&StreamId::new(I, "org", "o1"))
            .await
            .unwrap();
        if snap.as_ref().is_some_and(|s| s.version >= 10) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no snapshot at version 10: {snap:?}"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    let restored = bus(log, options)
        .state::<Org>(&key("org", "o1"))
        .await
        .unwrap();
    assert_eq!(restored, expected);
    assert_eq!(restored.1, 12);
}

#[actix_rt::test]
async fn a_snapshot_of_another_shape_is_dropped_and_the_state_rebuilt_from_events() {
    let dir = tempfile::tempdir().unwrap();
    let log = log(&dir);
    let options = CommandOptions {
        snapshot_every: 1000,
        ..Default::default()
    };
    let expected = org_with_members(&bus(log.clone(), options.clone()), 3).await;
    let current = bincode::serde::encode_to_vec(&expected.0, bincode::config::standard()).unwrap();
    let mut other_shape = b"PCS1".to_vec();
    other_shape.extend_from_slice(&0xdead_beefu64.to_le_bytes());
    other_shape.extend_from_slice(&current);
    let stale = [
        // An earlier release's snapshot: bincode of an older state, no header.
        bincode::serde::encode_to_vec(("Acme", 7u32), bincode::config::standard()).unwrap(),
        // The current state's bytes, but written for another shape.
        other_shape,
        // A header and nothing readable behind it.
        b"PCS1garbage!".to_vec(),
    ];
    for state in stale {
        log.save_snapshot(
            &StreamId::new(I, "org", "o1"),
            eventlog::Snapshot {
                version: expected.1,
                state,
            },
        )
        .await
        .unwrap();
        let restored = bus(log.clone(), options.clone())
            .state::<Org>(&key("org", "o1"))
            .await
            .unwrap();
        assert_eq!(restored, expected);
    }
}

mod sagas {
    use super::*;
    use command::MemberOf;
    use domain::user::{Email, NewHuman, Profile};

    fn human(org: &str, username: &str, email: &str) -> UserCommand {
        UserCommand::AddHuman(NewHuman {
            org_id: org.into(),
            username: username.into(),
            profile: Profile {
                given_name: "Al".into(),
                family_name: "Ice".into(),
                display_name: String::new(),
                preferred_language: None,
            },
            email: Email {
                address: email.into(),
                verified: false,
            },
            phone: None,
            password_hash: None,
            password_change_required: false,
            then: vec![],
        })
    }

    fn nobody() -> Caller {
        Caller::Principal(Arc::new(Principal {
            instance: I.into(),
            org: "org-a".into(),
            user: "nobody".into(),
            memberships: Memberships::new(),
        }))
    }

    #[actix_rt::test]
    async fn fifty_concurrent_creates_of_one_username_one_wins_and_no_claim_is_orphaned() {
        let dir = tempfile::tempdir().unwrap();
        let bus = bus(log(&dir), CommandOptions::default());
        create_org(&bus, "org-a").await;
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let bus = bus.clone();
                actix_rt::spawn(async move {
                    let cmd = human("org-a", "alice", "alice@acme.test");
                    bus.create_user(&setup(), I, &format!("u{i}"), cmd)
                        .await
                        .map_err(|e| e.code)
                })
            })
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        assert!(results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| *r == Err(Code::UsernameTaken)));
        let winner = format!("u{}", results.iter().position(|r| r.is_ok()).unwrap());
        // Deleting the user frees the name, whatever its case.
        bus.remove_user(&setup(), I, &winner, None).await.unwrap();
        bus.create_user(&setup(), I, "again", human("org-a", "ALICE", "a@acme.test"))
            .await
            .expect("the name is free again");
    }

    #[actix_rt::test]
    async fn failed_creates_leave_the_name_free() {
        let dir = tempfile::tempdir().unwrap();
        let bus = bus(log(&dir), CommandOptions::default());
        create_org(&bus, "org-a").await;
        // Refused before any claim: no permission, unknown org.
        let err = bus
            .create_user(&nobody(), I, "u1", human("org-a", "bob", "b@acme.test"))
            .await
            .unwrap_err();
        assert_eq!(err.code, Code::PermissionDenied);
        let err = bus
            .create_user(&setup(), I, "u1", human("org-x", "bob", "b@acme.test"))
            .await
            .unwrap_err();
        assert_eq!(err.code, Code::OrgNotFound);
        // Refused by the user aggregate after the claim: the claim is released.
        let err = bus
            .create_user(&setup(), I, "u1", human("org-a", "bob", "not-an-email"))
            .await
            .unwrap_err();
        assert_eq!(err.code, Code::InvalidEmail);
        bus.create_user(&setup(), I, "u2", human("org-a", "bob", "b@acme.test"))
            .await
            .expect("bob is still free");
    }

    #[actix_rt::test]
    async fn org_names_are_unique_per_instance_without_regard_to_case_and_freed_on_removal() {
        let dir = tempfile::tempdir().unwrap();
        let bus = bus(log(&dir), CommandOptions::default());
        bus.create_org(&setup(), I, "o1", "Acme").await.unwrap();
        let err = bus
            .create_org(&setup(), I, "o2", " ACME ")
            .await
            .unwrap_err();
        assert_eq!(err.code, Code::OrgNameTaken);
        let other_instance = Caller::Internal {
            flow: InternalFlow::Setup,
            instance: "inst-2".into(),
        };
        bus.create_org(&other_instance, "inst-2", "o3", "Acme")
            .await
            .expect("another instance has its own names");
        let err = bus.create_org(&setup(), I, "o4", "").await.unwrap_err();
        assert_eq!(err.code, Code::InvalidOrgName);
        bus.remove_org(&setup(), I, "o1", None).await.unwrap();
        bus.create_org(&setup(), I, "o2", "acme")
            .await
            .expect("the name is free again");
    }

    #[actix_rt::test]
    async fn members_must_be_users_of_the_instance() {
        let dir = tempfile::tempdir().unwrap();
        let bus = bus(log(&dir), CommandOptions::default());
        create_org(&bus, "org-a").await;
        let roles = vec!["ORG_OWNER".to_string()];
        let err = bus
            .change_member(
                &setup(),
                I,
                MemberOf::Org("org-a".into()),
                MemberCommand::Set {
                    user_id: "ghost".into(),
                    roles: roles.clone(),
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(err.code, Code::MemberUserUnknown);
        bus.create_user(&setup(), I, "u1", human("org-a", "carol", "c@acme.test"))
            .await
            .unwrap();
        bus.change_member(
            &setup(),
            I,
            MemberOf::Org("org-a".into()),
            MemberCommand::Set {
                user_id: "u1".into(),
                roles: roles.clone(),
            },
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            bus.state::<Org>(&key("org", "org-a"))
                .await
                .unwrap()
                .0
                .members["u1"],
            roles
        );
        let err = bus
            .change_member(
                &setup(),
                I,
                MemberOf::Instance,
                MemberCommand::Set {
                    user_id: "u1".into(),
                    roles: roles.clone(),
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.code,
            Code::InvalidRole,
            "org roles are not instance roles"
        );
        let err = bus
            .change_member(
                &setup(),
                I,
                MemberOf::Instance,
                MemberCommand::Set {
                    user_id: "u1".into(),
                    roles: vec!["IAM_OWNER".into()],
                },
                None,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.code,
            Code::InstanceNotFound,
            "this test's instance was never created"
        );
    }
}

#[actix_rt::test]
async fn a_first_use_of_keys_another_just_provided_waits_for_them_too() {
    // The gateway waits for the returned position before it reads the keys from its read
    // model: a use that finds them made a moment ago by another must wait as well, or it
    // finds none there yet.
    let dir = tempfile::tempdir().unwrap();
    let options = CommandOptions {
        master_key: Some(crypto::sealing::MasterKey::generate()),
        ..Default::default()
    };
    let bus = bus(log(&dir), options);
    let first = bus.ensure_signing_keys(I, &["ES256"]).await.unwrap();
    assert_ne!(first.to_string(), "", "the first use writes the key");
    let later = bus.ensure_signing_keys(I, &["ES256"]).await.unwrap();
    assert_eq!(later, first, "a later use waits for the same position");
}

#[actix_rt::test]
async fn a_removed_users_sessions_get_the_instances_lifetimes_not_an_error() {
    // A session of a user removed since (0.1 did not end them) still opens nothing rather
    // than failing the login page: its lifetimes are the instance's.
    let dir = tempfile::tempdir().unwrap();
    let bus = bus(log(&dir), CommandOptions::default());
    let lifetimes = bus.session_lifetimes(I, "gone").await.unwrap();
    assert_eq!(lifetimes, domain::settings::SessionSettings::default());
}

/// Waits (bounded) until no more than `n` actors are live.
async fn live_actors_fall_to(bus: &CommandBus, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while bus.live_actors() > n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} actors are still live, wanted {n}",
            bus.live_actors()
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_rt::test]
async fn made_up_ids_keep_no_actor_whether_read_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Actors stay an hour when idle: only the rule under test stops them.
    let options = CommandOptions {
        idle: Duration::from_secs(3600),
        ..Default::default()
    };
    let bus = bus(log(&dir), options);
    for i in 0..300 {
        let (user, version) = bus
            .state::<User>(&key("user", &format!("made-up-{i}")))
            .await
            .unwrap();
        assert!(!user.exists() && version == 0);
        let refused = bus
            .execute::<User>(
                &key("user", &format!("made-up-too-{i}")),
                &setup(),
                UserCommand::Remove,
                None,
            )
            .await;
        assert!(refused.is_err());
    }
    live_actors_fall_to(&bus, 0).await;
    // A real aggregate keeps its actor.
    create_org(&bus, "o1").await;
    actix_rt::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(bus.live_actors(), 1);
}

#[actix_rt::test]
async fn live_actors_are_capped_and_the_least_recently_used_go_first() {
    let dir = tempfile::tempdir().unwrap();
    let options = CommandOptions {
        idle: Duration::from_secs(3600),
        max_live_actors: 20,
        ..Default::default()
    };
    let bus = bus(log(&dir), options);
    for i in 0..50 {
        create_org(&bus, &format!("o{i}")).await;
    }
    live_actors_fall_to(&bus, 20).await;
    // Every org is still there, from the log.
    for i in 0..50 {
        let (org, version) = bus
            .state::<Org>(&key("org", &format!("o{i}")))
            .await
            .unwrap();
        assert!(org.exists() && version == 1, "o{i}");
    }
    live_actors_fall_to(&bus, 20).await;
}
