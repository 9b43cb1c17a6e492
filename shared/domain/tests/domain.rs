//! Given / when / then for every command of every aggregate, rejections included.

#[path = "domain/actions.rs"]
mod actions;
#[path = "domain/codes.rs"]
mod codes;
#[path = "domain/device.rs"]
mod device;
#[path = "domain/factors.rs"]
mod factors;
#[path = "domain/golden.rs"]
mod golden;
#[path = "domain/grants.rs"]
mod grants;
#[path = "domain/machine_keys.rs"]
mod machine_keys;
#[path = "domain/oidc.rs"]
mod oidc;
#[path = "domain/org_domains.rs"]
mod org_domains;
#[path = "domain/project.rs"]
mod project;
#[path = "domain/public_shape.rs"]
mod public_shape;
#[path = "domain/saml_apps.rs"]
mod saml_apps;
#[path = "domain/settings.rs"]
mod settings;
#[path = "domain/signing_keys.rs"]
mod signing_keys;
#[path = "domain/user_changes.rs"]
mod user_changes;

use domain::instance::{Instance, InstanceCommand as IC, InstanceEvent as IE};
use domain::members::MemberCommand;
use domain::org::{Org, OrgCommand as OC, OrgEvent as OE};
use domain::testing::{given, outside_caller, NOW};
use domain::unique::{Unique, UniqueCommand as UC, UniqueEvent as UE};
use domain::user::{Email, NewHuman, Profile, User, UserChange, UserCommand as C, UserEvent as E};
use domain::{Code, DomainEvent};

fn s(v: &str) -> String {
    v.to_string()
}

fn roles(r: &[&str]) -> Vec<String> {
    r.iter().map(|x| s(x)).collect()
}

mod instance {
    use super::*;

    fn added() -> IE {
        IE::Added {
            name: s("Acme"),
            domains: vec![s("acme.test")],
        }
    }

    #[test]
    fn create_validates_and_lowercases_domains() {
        given::<Instance>(&[])
            .when(IC::Create {
                name: s(" Acme "),
                domains: vec![s("ACME.test"), s("acme.test")],
            })
            .then(&[added()]);
    }

    #[test]
    fn create_rejects_bad_input_and_recreation() {
        given::<Instance>(&[])
            .when(IC::Create {
                name: s("Acme"),
                domains: vec![],
            })
            .then_error(Code::InvalidDomain);
        given::<Instance>(&[])
            .when(IC::Create {
                name: s("Acme"),
                domains: vec![s("a b")],
            })
            .then_error(Code::InvalidDomain);
        given::<Instance>(&[])
            .when(IC::Create {
                name: s(""),
                domains: vec![s("a.test")],
            })
            .then_error(Code::InvalidInstanceName);
        given::<Instance>(&[added()])
            .when(IC::Create {
                name: s("Acme"),
                domains: vec![s("b.test")],
            })
            .then_error(Code::DomainTaken);
    }

    #[test]
    fn set_member_takes_only_instance_roles_and_is_idempotent() {
        given::<Instance>(&[added()])
            .when(IC::Member(MemberCommand::Set {
                user_id: s("u1"),
                roles: roles(&["IAM_OWNER"]),
            }))
            .then(&[IE::MemberSet {
                user_id: s("u1"),
                roles: roles(&["IAM_OWNER"]),
            }]);
        given::<Instance>(&[
            added(),
            IE::MemberSet {
                user_id: s("u1"),
                roles: roles(&["IAM_OWNER"]),
            },
        ])
        .when(IC::Member(MemberCommand::Set {
            user_id: s("u1"),
            roles: roles(&["IAM_OWNER"]),
        }))
        .then(&[]);
        given::<Instance>(&[added()])
            .when(IC::Member(MemberCommand::Set {
                user_id: s("u1"),
                roles: roles(&["ORG_OWNER"]),
            }))
            .then_error(Code::InvalidRole);
        given::<Instance>(&[added()])
            .when(IC::Member(MemberCommand::Set {
                user_id: s("u1"),
                roles: roles(&["NOPE"]),
            }))
            .then_error(Code::InvalidRole);
        given::<Instance>(&[added()])
            .when(IC::Member(MemberCommand::Set {
                user_id: s("u1"),
                roles: vec![],
            }))
            .then_error(Code::NoRoles);
        given::<Instance>(&[])
            .when(IC::Member(MemberCommand::Set {
                user_id: s("u1"),
                roles: roles(&["IAM_OWNER"]),
            }))
            .then_error(Code::InstanceNotFound);
    }

    #[test]
    fn add_member_only_adds() {
        let set = IE::MemberSet {
            user_id: s("u1"),
            roles: roles(&["IAM_OWNER"]),
        };
        given::<Instance>(&[added()])
            .when(IC::Member(MemberCommand::Add {
                user_id: s("u1"),
                roles: roles(&["IAM_OWNER"]),
            }))
            .then(&[set.clone()]);
        given::<Instance>(&[added(), set])
            .when(IC::Member(MemberCommand::Add {
                user_id: s("u1"),
                roles: roles(&["IAM_OWNER_VIEWER"]),
            }))
            .then_error(Code::MemberExists);
    }

    #[test]
    fn remove_member() {
        given::<Instance>(&[
            added(),
            IE::MemberSet {
                user_id: s("u1"),
                roles: roles(&["IAM_OWNER"]),
            },
        ])
        .when(IC::Member(MemberCommand::Remove { user_id: s("u1") }))
        .then(&[IE::MemberRemoved { user_id: s("u1") }]);
        given::<Instance>(&[added()])
            .when(IC::Member(MemberCommand::Remove { user_id: s("u1") }))
            .then_error(Code::MemberNotFound);
    }

    #[test]
    fn system_members_take_only_system_roles() {
        given::<Instance>(&[added()])
            .when(IC::SetSystemMember {
                user_id: s("sys"),
                roles: roles(&["SYSTEM_OWNER"]),
            })
            .then(&[IE::SystemMemberSet {
                user_id: s("sys"),
                roles: roles(&["SYSTEM_OWNER"]),
            }]);
        given::<Instance>(&[added()])
            .when(IC::SetSystemMember {
                user_id: s("sys"),
                roles: roles(&["IAM_OWNER"]),
            })
            .then_error(Code::InvalidRole);
    }

    #[test]
    fn remove_and_nothing_after() {
        given::<Instance>(&[added()])
            .by(outside_caller())
            .when(IC::Remove)
            .then(&[IE::Removed {
                domains: vec![s("acme.test")],
            }]);
        given::<Instance>(&[added(), IE::Removed { domains: vec![] }])
            .by(outside_caller())
            .when(IC::Remove)
            .then_error(Code::InstanceNotFound);
        // Not by one of its own users (the system user's home would lock the system API out).
        given::<Instance>(&[added()])
            .when(IC::Remove)
            .then_error(Code::InstanceHoldsCaller);
    }
}

mod org {
    use super::*;

    fn added() -> OE {
        OE::Added { name: s("Acme") }
    }

    #[test]
    fn create() {
        given::<Org>(&[])
            .when(OC::Create { name: s("  Acme ") })
            .then(&[added()]);
        given::<Org>(&[])
            .when(OC::Create { name: s(" ") })
            .then_error(Code::InvalidOrgName);
        given::<Org>(&[])
            .when(OC::Create {
                name: "x".repeat(201),
            })
            .then_error(Code::InvalidOrgName);
        given::<Org>(&[added()])
            .when(OC::Create { name: s("Acme") })
            .then_error(Code::OrgNameTaken);
    }

    #[test]
    fn members() {
        given::<Org>(&[added()])
            .when(OC::Member(MemberCommand::Set {
                user_id: s("u"),
                roles: roles(&["ORG_OWNER", "ORG_OWNER"]),
            }))
            .then(&[OE::MemberSet {
                user_id: s("u"),
                roles: roles(&["ORG_OWNER"]),
            }]);
        given::<Org>(&[added()])
            .when(OC::Member(MemberCommand::Set {
                user_id: s("u"),
                roles: roles(&["IAM_OWNER"]),
            }))
            .then_error(Code::InvalidRole);
        given::<Org>(&[
            added(),
            OE::MemberSet {
                user_id: s("u"),
                roles: roles(&["ORG_OWNER"]),
            },
        ])
        .when(OC::Member(MemberCommand::Remove { user_id: s("u") }))
        .then(&[OE::MemberRemoved { user_id: s("u") }]);
        given::<Org>(&[added()])
            .when(OC::Member(MemberCommand::Remove { user_id: s("u") }))
            .then_error(Code::MemberNotFound);
        given::<Org>(&[])
            .when(OC::Member(MemberCommand::Set {
                user_id: s("u"),
                roles: roles(&["ORG_OWNER"]),
            }))
            .then_error(Code::OrgNotFound);
    }

    #[test]
    fn add_member_only_adds() {
        let set = OE::MemberSet {
            user_id: s("u1"),
            roles: roles(&["ORG_OWNER"]),
        };
        given::<Org>(&[added()])
            .when(OC::Member(MemberCommand::Add {
                user_id: s("u1"),
                roles: roles(&["ORG_OWNER"]),
            }))
            .then(&[set.clone()]);
        given::<Org>(&[added(), set])
            .when(OC::Member(MemberCommand::Add {
                user_id: s("u1"),
                roles: roles(&["ORG_OWNER"]),
            }))
            .then_error(Code::MemberExists);
        given::<Org>(&[added()])
            .when(OC::Member(MemberCommand::Add {
                user_id: s("u1"),
                roles: roles(&["PROJECT_OWNER"]),
            }))
            .then_error(Code::InvalidRole);
    }

    #[test]
    fn remove() {
        given::<Org>(&[added()])
            .when(OC::Remove)
            .then(&[OE::Removed { name: s("Acme") }]);
        given::<Org>(&[added(), OE::Removed { name: s("Acme") }])
            .when(OC::Remove)
            .then_error(Code::OrgNotFound);
        given::<Org>(&[added(), OE::Removed { name: s("Acme") }])
            .when(OC::Create { name: s("Acme") })
            .then_error(Code::OrgNameTaken);
    }
}

mod user {
    use super::*;

    fn new_human() -> NewHuman {
        NewHuman {
            org_id: s("o1"),
            username: s("Alice"),
            profile: Profile {
                given_name: s("Alice"),
                family_name: s("Doe"),
                display_name: s(""),
                preferred_language: None,
            },
            email: Email {
                address: s("alice@acme.test"),
                verified: false,
            },
            phone: None,
            password_hash: Some(s("$argon2id$...")),
            password_change_required: false,
            then: vec![],
        }
    }

    fn human_added() -> E {
        E::HumanAdded {
            org_id: s("o1"),
            username: s("Alice"),
            profile: Profile {
                given_name: s("Alice"),
                family_name: s("Doe"),
                display_name: s("Alice Doe"),
                preferred_language: None,
            },
            email: Email {
                address: s("alice@acme.test"),
                verified: false,
            },
            phone: None,
            password_hash: Some(s("$argon2id$...")),
            password_set_at: Some(domain::testing::NOW),
            password_change_required: false,
        }
    }

    fn pat(expires_at: Option<i64>) -> C {
        C::AddPat {
            pat_id: s("p1"),
            token_hash: s("ab"),
            expires_at,
        }
    }

    #[test]
    fn add_human() {
        given::<User>(&[])
            .when(C::AddHuman(new_human()))
            .then(&[human_added()]);
        given::<User>(&[human_added()])
            .when(C::AddHuman(new_human()))
            .then_error(Code::UsernameTaken);
    }

    #[test]
    fn a_human_a_directory_makes_is_recorded_with_what_it_sets_at_once() {
        let mut h = new_human();
        h.then = vec![
            UserChange::SetMetadata {
                key: s("scim.externalId"),
                value: b"00u1".to_vec(),
            },
            UserChange::Deactivate,
        ];
        given::<User>(&[]).when(C::AddHuman(h.clone())).then(&[
            human_added(),
            E::MetadataSet {
                key: s("scim.externalId"),
                value: b"00u1".to_vec(),
            },
            E::Deactivated,
        ]);
        // A part that fails fails the creation.
        h.then.push(UserChange::Deactivate);
        given::<User>(&[])
            .when(C::AddHuman(h))
            .then_error(Code::UserStateConflict);
    }

    #[test]
    fn add_human_rejects_bad_input() {
        let mut h = new_human();
        h.email.address = s("not-an-email");
        given::<User>(&[])
            .when(C::AddHuman(h))
            .then_error(Code::InvalidEmail);
        let mut h = new_human();
        h.username = s("a b");
        given::<User>(&[])
            .when(C::AddHuman(h))
            .then_error(Code::InvalidUsername);
        let mut h = new_human();
        h.profile.given_name = s("");
        given::<User>(&[])
            .when(C::AddHuman(h))
            .then_error(Code::InvalidProfile);
    }

    #[test]
    fn add_machine() {
        given::<User>(&[])
            .when(C::AddMachine {
                org_id: s("o1"),
                username: s("bot"),
                name: s("Bot"),
                description: s(" d "),
            })
            .then(&[E::MachineAdded {
                org_id: s("o1"),
                username: s("bot"),
                name: s("Bot"),
                description: s("d"),
            }]);
        given::<User>(&[])
            .when(C::AddMachine {
                org_id: s("o1"),
                username: s("bot"),
                name: s(""),
                description: s(""),
            })
            .then_error(Code::InvalidProfile);
    }

    #[test]
    fn personal_access_tokens() {
        given::<User>(&[human_added()])
            .when(pat(Some(NOW + 1)))
            .then(&[E::PatAdded {
                pat_id: s("p1"),
                token_hash: s("ab"),
                expires_at: Some(NOW + 1),
            }]);
        given::<User>(&[human_added()])
            .when(pat(Some(NOW)))
            .then_error(Code::InvalidExpiry);
        given::<User>(&[])
            .when(pat(None))
            .then_error(Code::UserNotFound);
        let with_pat = [
            human_added(),
            E::PatAdded {
                pat_id: s("p1"),
                token_hash: s("ab"),
                expires_at: None,
            },
        ];
        given::<User>(&with_pat)
            .when(C::RemovePat { pat_id: s("p1") })
            .then(&[E::PatRemoved { pat_id: s("p1") }]);
        given::<User>(&[human_added()])
            .when(C::RemovePat { pat_id: s("p1") })
            .then_error(Code::PatNotFound);
    }

    #[test]
    fn remove() {
        given::<User>(&[human_added()])
            .when(C::Remove)
            .then(&[E::Removed {
                username: s("Alice"),
            }]);
        given::<User>(&[
            human_added(),
            E::Removed {
                username: s("Alice"),
            },
        ])
        .when(C::Remove)
        .then_error(Code::UserNotFound);
        given::<User>(&[])
            .when(C::Remove)
            .then_error(Code::UserNotFound);
    }
}

mod unique {
    use super::*;
    use domain::testing::NOW;

    fn claimed(owner: &str, at: i64) -> UE {
        UE::Claimed {
            owner: s(owner),
            at,
        }
    }

    fn claim(owner: &str) -> UC {
        UC::Claim {
            owner: s(owner),
            taken: Code::UsernameTaken,
        }
    }

    #[test]
    fn claim_release() {
        given::<Unique>(&[])
            .when(claim("u1"))
            .then(&[claimed("u1", NOW)]);
        given::<Unique>(&[claimed("u1", 5)])
            .when(claim("u1"))
            .then(&[]);
        given::<Unique>(&[claimed("u1", 5)])
            .when(claim("u2"))
            .then_error(Code::UsernameTaken);
        given::<Unique>(&[claimed("u1", 5)])
            .when(UC::Release { owner: s("u2") })
            .then(&[]);
        given::<Unique>(&[claimed("u1", 5)])
            .when(UC::Release { owner: s("u1") })
            .then(&[UE::Released { owner: s("u1") }]);
        given::<Unique>(&[claimed("u1", 5), UE::Released { owner: s("u1") }])
            .when(claim("u2"))
            .then(&[claimed("u2", NOW)]);
    }

    fn reclaim(stale: &str, owner: &str, after_ms: i64) -> UC {
        UC::Reclaim {
            stale: s(stale),
            owner: s(owner),
            taken: Code::UsernameTaken,
            after_ms,
        }
    }

    #[test]
    fn a_claim_whose_holder_never_came_to_hold_it_is_taken_over_once_old_enough() {
        // Given a claim made a minute ago, when another owner reclaims it from that holder
        // after 60 s, then the holder's claim is released and the new owner's recorded.
        given::<Unique>(&[claimed("ghost", NOW - 60_000)])
            .when(reclaim("ghost", "u2", 60_000))
            .then(&[UE::Released { owner: s("ghost") }, claimed("u2", NOW)]);
        // Younger than the bound: still taken.
        given::<Unique>(&[claimed("ghost", NOW - 59_999)])
            .when(reclaim("ghost", "u2", 60_000))
            .then_error(Code::UsernameTaken);
        // Held by someone else than the holder the caller found wanting: taken.
        given::<Unique>(&[claimed("real", NOW - 600_000)])
            .when(reclaim("ghost", "u2", 60_000))
            .then_error(Code::UsernameTaken);
        // Free meanwhile: simply claimed; already the caller's: nothing to do.
        given::<Unique>(&[claimed("ghost", 1), UE::Released { owner: s("ghost") }])
            .when(reclaim("ghost", "u2", 60_000))
            .then(&[claimed("u2", NOW)]);
        given::<Unique>(&[claimed("u2", NOW)])
            .when(reclaim("ghost", "u2", 60_000))
            .then(&[]);
        // A claim written before claims said when (at 0) is as old as can be.
        given::<Unique>(&[claimed("ghost", 0)])
            .when(reclaim("ghost", "u2", 60_000))
            .then(&[UE::Released { owner: s("ghost") }, claimed("u2", NOW)]);
    }
}

#[test]
fn events_round_trip_through_the_codec() {
    use domain::{codec, Aggregate, EventType};
    let e = E::PatAdded {
        pat_id: s("p"),
        token_hash: s("h"),
        expires_at: Some(5),
    };
    let (version, bytes) = codec::encode(&e);
    let t = e.event_type();
    assert_eq!(
        DomainEvent::decode(User::KIND, t, version, &bytes).unwrap(),
        DomainEvent::User(e.clone())
    );
    assert_eq!(t, "user.pat.added");
    // A version newer than this build writes is refused with a clear error, not misread.
    let newer = DomainEvent::decode(User::KIND, t, version + 1, &bytes).unwrap_err();
    assert!(newer.message.contains("upgrade Portcullis"), "{newer}");
    assert!(DomainEvent::decode("nope", t, version, &bytes).is_err());
}
