//! Given / when / then for changes of an existing user, with the self-management rules of the
//! seed pull request.

use authz::UserOp;
use domain::testing::{given, self_caller, NOW};
use domain::user::{
    Email, Profile, ProfilePatch, User, UserChange as Ch, UserCommand as C, UserEvent as E,
};
use domain::Code;

fn s(v: &str) -> String {
    v.to_string()
}

pub(crate) fn human() -> E {
    E::HumanAdded {
        org_id: s("o1"),
        username: s("ada"),
        profile: Profile {
            given_name: s("Ada"),
            family_name: s("Lovelace"),
            display_name: s("Ada Lovelace"),
            preferred_language: None,
        },
        email: Email {
            address: s("ada@example.com"),
            verified: false,
        },
        phone: None,
        password_hash: Some(s("old-hash")),
        password_set_at: None,
        password_change_required: false,
    }
}

fn machine() -> E {
    E::MachineAdded {
        org_id: s("o1"),
        username: s("bot"),
        name: s("Bot"),
        description: s(""),
    }
}

fn change(c: Ch) -> C {
    C::Change(c)
}

#[test]
fn profiles_change_by_kind_and_unchanged_writes_nothing() {
    let patch = ProfilePatch {
        given_name: Some(s("Augusta")),
        ..Default::default()
    };
    given::<User>(&[human()])
        .when(change(Ch::Profile(patch)))
        .then(&[E::ProfileChanged {
            profile: Profile {
                given_name: s("Augusta"),
                family_name: s("Lovelace"),
                display_name: s("Ada Lovelace"),
                preferred_language: None,
            },
        }]);
    let same = ProfilePatch {
        family_name: Some(s("Lovelace")),
        ..Default::default()
    };
    given::<User>(&[human()])
        .when(change(Ch::Profile(same)))
        .then(&[]);
    let machine_fields = ProfilePatch {
        name: Some(s("x")),
        ..Default::default()
    };
    given::<User>(&[human()])
        .when(change(Ch::Profile(machine_fields.clone())))
        .then_error(Code::WrongUserType);
    given::<User>(&[machine()])
        .when(change(Ch::Profile(machine_fields)))
        .then(&[E::MachineChanged {
            name: s("x"),
            description: s(""),
        }]);
    let empty_name = ProfilePatch {
        given_name: Some(s(" ")),
        ..Default::default()
    };
    given::<User>(&[human()])
        .when(change(Ch::Profile(empty_name)))
        .then_error(Code::InvalidProfile);
}

#[test]
fn email_and_phone_are_validated_and_only_humans_have_them() {
    given::<User>(&[human()])
        .when(change(Ch::Email {
            address: s("ada@lovelace.org"),
            verified: false,
        }))
        .then(&[E::EmailChanged {
            email: Email {
                address: s("ada@lovelace.org"),
                verified: false,
            },
        }]);
    given::<User>(&[human()])
        .when(change(Ch::Email {
            address: s("nope"),
            verified: false,
        }))
        .then_error(Code::InvalidEmail);
    given::<User>(&[machine()])
        .when(change(Ch::Email {
            address: s("a@b.io"),
            verified: false,
        }))
        .then_error(Code::WrongUserType);
    given::<User>(&[human()])
        .when(change(Ch::Phone {
            phone: Some(s("+41 79 123 45 67")),
            verified: true,
        }))
        .then(&[E::PhoneChanged {
            phone: Some(s("+41791234567")),
            verified: true,
        }]);
    given::<User>(&[human()])
        .when(change(Ch::Phone {
            phone: Some(s("12")),
            verified: false,
        }))
        .then_error(Code::InvalidPhone);
    // Removing a phone that is not there changes nothing.
    given::<User>(&[human()])
        .when(change(Ch::Phone {
            phone: None,
            verified: true,
        }))
        .then(&[]);
}

#[test]
fn marking_verified_is_its_own_operation() {
    let verified = Ch::Email {
        address: s("a@b.io"),
        verified: true,
    };
    assert_eq!(verified.op(), UserOp::MarkVerified);
    let unverified = Ch::Email {
        address: s("a@b.io"),
        verified: false,
    };
    assert_eq!(unverified.op(), UserOp::ChangeEmail);
    let phone = Ch::Phone {
        phone: Some(s("+41791234567")),
        verified: true,
    };
    assert_eq!(phone.op(), UserOp::MarkVerified);
    let metadata = Ch::SetMetadata {
        key: s("k"),
        value: vec![1],
    };
    assert_eq!(metadata.op(), UserOp::SetMetadata);
}

#[test]
fn ones_own_password_needs_the_current_one() {
    let new = |current_verified| {
        change(Ch::Password {
            password_hash: s("new-hash"),
            current_verified,
        })
    };
    let changed = [E::PasswordChanged {
        password_hash: s("new-hash"),
        at: Some(NOW),
    }];
    given::<User>(&[human()])
        .by(self_caller())
        .when(new(false))
        .then_error(Code::CurrentPasswordMismatch);
    given::<User>(&[human()])
        .by(self_caller())
        .when(new(true))
        .then(&changed);
    // A manager (the permission is checked by the actor) sets it without the current one.
    given::<User>(&[human()]).when(new(false)).then(&changed);
    given::<User>(&[machine()])
        .when(new(false))
        .then_error(Code::WrongUserType);
}

#[test]
fn state_moves_only_along_its_transitions() {
    given::<User>(&[human()])
        .when(change(Ch::Deactivate))
        .then(&[E::Deactivated]);
    given::<User>(&[human(), E::Deactivated])
        .when(change(Ch::Deactivate))
        .then_error(Code::UserStateConflict);
    given::<User>(&[human(), E::Deactivated])
        .when(change(Ch::Reactivate))
        .then(&[E::Reactivated]);
    given::<User>(&[human()])
        .when(change(Ch::Reactivate))
        .then_error(Code::UserStateConflict);
    given::<User>(&[human()])
        .when(change(Ch::Lock))
        .then(&[E::Locked]);
    given::<User>(&[human(), E::Deactivated])
        .when(change(Ch::Lock))
        .then_error(Code::UserStateConflict);
    given::<User>(&[human(), E::Locked])
        .when(change(Ch::Unlock))
        .then(&[E::Unlocked]);
    given::<User>(&[human(), E::Locked])
        .when(change(Ch::Deactivate))
        .then(&[E::Deactivated]);
    given::<User>(&[human()])
        .when(change(Ch::Unlock))
        .then_error(Code::UserStateConflict);
    // A manager cannot lock themself out.
    for c in [Ch::Deactivate, Ch::Lock] {
        given::<User>(&[human()])
            .by(self_caller())
            .when(change(c))
            .then_error(Code::CannotLockOutSelf);
    }
}

#[test]
fn metadata_can_be_set_again_after_removal_and_unchanged_is_a_no_op() {
    let set = |v: &[u8]| {
        change(Ch::SetMetadata {
            key: s("team"),
            value: v.to_vec(),
        })
    };
    let was_set = E::MetadataSet {
        key: s("team"),
        value: b"blue".to_vec(),
    };
    given::<User>(&[human()])
        .when(set(b"blue"))
        .then(std::slice::from_ref(&was_set));
    given::<User>(&[human(), was_set.clone()])
        .when(set(b"blue"))
        .then(&[]);
    let removed = E::MetadataRemoved { key: s("team") };
    given::<User>(&[human(), was_set.clone()])
        .when(change(Ch::RemoveMetadata { key: s("team") }))
        .then(std::slice::from_ref(&removed));
    // The seed pull request: a removed key can be set again, also to its previous value.
    given::<User>(&[human(), was_set.clone(), removed.clone()])
        .when(set(b"blue"))
        .then(std::slice::from_ref(&was_set));
    given::<User>(&[human(), was_set, removed])
        .when(change(Ch::RemoveMetadata { key: s("team") }))
        .then_error(Code::MetadataNotFound);
    given::<User>(&[human()])
        .when(set(b""))
        .then_error(Code::InvalidMetadata);
    given::<User>(&[human()])
        .when(set(&vec![0; domain::user::MAX_METADATA + 1]))
        .then_error(Code::InvalidMetadata);
    given::<User>(&[human()])
        .when(change(Ch::SetMetadata {
            key: s(""),
            value: vec![1],
        }))
        .then_error(Code::InvalidMetadata);
}

#[test]
fn only_machine_users_have_client_secrets() {
    let secret = change(Ch::SetSecret {
        secret_hash: s("h"),
    });
    given::<User>(&[machine()])
        .when(secret.clone())
        .then(&[E::SecretSet {
            secret_hash: s("h"),
        }]);
    given::<User>(&[human()])
        .when(secret)
        .then_error(Code::WrongUserType);
    given::<User>(&[machine()])
        .when(change(Ch::RemoveSecret))
        .then_error(Code::NoSecret);
    given::<User>(&[
        machine(),
        E::SecretSet {
            secret_hash: s("h"),
        },
    ])
    .when(change(Ch::RemoveSecret))
    .then(&[E::SecretRemoved]);
}

#[test]
fn ending_sessions_is_recorded_and_takes_over_the_user() {
    given::<User>(&[human()])
        .when(change(Ch::EndSessions {
            only: Some(s("s1")),
        }))
        .then(&[E::SessionsEnded {
            session_id: Some(s("s1")),
        }]);
    given::<User>(&[human()])
        .by(self_caller())
        .when(change(Ch::EndSessions { only: None }))
        .then(&[E::SessionsEnded { session_id: None }]);
    let end = Ch::EndSessions { only: None };
    // Ending someone's sessions acts against them: the no-escalation rule applies.
    assert!(end.takes_over());
    assert_eq!(end.op(), UserOp::ManageSessions);
    assert_eq!(end.ends_sessions(), Some(None));
    let one = Ch::EndSessions {
        only: Some(s("s1")),
    };
    assert_eq!(one.ends_sessions(), Some(Some(s("s1"))));
    // A password change, a lock and a deactivation end them all; a profile change none.
    assert_eq!(Ch::Lock.ends_sessions(), Some(None));
    assert_eq!(Ch::Unlock.ends_sessions(), None);
}

#[test]
fn a_human_is_linked_to_an_idps_user_once_and_unlinked() {
    let link = || {
        change(Ch::LinkIdp {
            idp_id: s("acme"),
            external_id: s("248289761001"),
            display_name: s("ada@acme.example"),
        })
    };
    let linked = E::IdpLinked {
        idp_id: s("acme"),
        external_id: s("248289761001"),
        display_name: s("ada@acme.example"),
        at: NOW,
    };
    // Given a human, when linked, then the link is recorded; linking again writes nothing
    given::<User>(&[human()])
        .when(link())
        .then(&[linked.clone()]);
    given::<User>(&[human(), linked.clone()])
        .when(link())
        .then(&[]);
    // A machine user logs in through no IdP.
    given::<User>(&[machine()])
        .when(link())
        .then_error(Code::WrongUserType);
    let unlink = || {
        change(Ch::UnlinkIdp {
            idp_id: s("acme"),
            external_id: s("248289761001"),
        })
    };
    given::<User>(&[human(), linked])
        .when(unlink())
        .then(&[E::IdpUnlinked {
            idp_id: s("acme"),
            external_id: s("248289761001"),
        }]);
    given::<User>(&[human()])
        .when(unlink())
        .then_error(Code::IdpLinkNotFound);
}

#[test]
fn a_directorys_changes_are_recorded_together_or_not_at_all() {
    let changes = vec![
        Ch::Profile(ProfilePatch {
            family_name: Some(s("King")),
            ..Default::default()
        }),
        Ch::Email {
            address: s("ada@acme.example"),
            verified: true,
        },
        Ch::SetMetadata {
            key: s("scim.externalId"),
            value: b"00u1".to_vec(),
        },
        Ch::Deactivate,
    ];
    given::<User>(&[human()])
        .when(change(Ch::Provision(changes.clone())))
        .then(&[
            E::ProfileChanged {
                profile: Profile {
                    given_name: s("Ada"),
                    family_name: s("King"),
                    display_name: s("Ada Lovelace"),
                    preferred_language: None,
                },
            },
            E::EmailChanged {
                email: Email {
                    address: s("ada@acme.example"),
                    verified: true,
                },
            },
            E::MetadataSet {
                key: s("scim.externalId"),
                value: b"00u1".to_vec(),
            },
            E::Deactivated,
        ]);
    // The last change fails (the user is inactive already): the others are not recorded.
    given::<User>(&[human(), E::Deactivated])
        .when(change(Ch::Provision(changes)))
        .then_error(Code::UserStateConflict);
    // Each change is decided on what the earlier ones left.
    let twice = vec![
        Ch::SetMetadata {
            key: s("scim.title"),
            value: b"A".to_vec(),
        },
        Ch::RemoveMetadata {
            key: s("scim.title"),
        },
    ];
    given::<User>(&[human()])
        .when(change(Ch::Provision(twice)))
        .then(&[
            E::MetadataSet {
                key: s("scim.title"),
                value: b"A".to_vec(),
            },
            E::MetadataRemoved {
                key: s("scim.title"),
            },
        ]);
    // Nothing but what a directory keeps belongs in it.
    given::<User>(&[human()])
        .when(change(Ch::Provision(vec![Ch::RemoveSecret])))
        .then_error(Code::Internal);
    // It is never one's own to make, and needs user.write.
    assert_eq!(Ch::Provision(vec![]).op(), UserOp::Provision);
    assert!(Ch::Provision(vec![Ch::Deactivate]).takes_over());
    assert_eq!(
        Ch::Provision(vec![Ch::Deactivate]).ends_sessions(),
        Some(None)
    );
    assert_eq!(Ch::Provision(vec![Ch::Reactivate]).ends_sessions(), None);
}
