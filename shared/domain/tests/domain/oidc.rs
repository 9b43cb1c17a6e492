//! Given / when / then for the OIDC flow aggregates and the password lockout.

use domain::oidc::Needs;
use domain::oidc::{
    AuthParams, AuthRequest, AuthRequestCommand as AC, AuthRequestEvent as AE, Grant, Login,
    PendingAuthRequest, RefreshCommand as RC, RefreshEvent as RE, RefreshFamily, Session,
    SessionCommand as SC, SessionEvent as SE, TokenRevocationCommand as TC,
    TokenRevocationEvent as TE, TokenRevocations, AUTH_REQUEST_TTL, CODE_TTL,
};
use domain::settings::{LockoutSettings, LoginSettings, SessionSettings};
use domain::testing::{given, NOW};
use domain::user::{Email, Profile, User, UserChange, UserCommand, UserEvent, UserState};
use domain::{Aggregate, Code};

fn s(v: &str) -> String {
    v.to_string()
}

fn login() -> Login {
    Login {
        user_id: s("u1"),
        session_id: s("s1"),
        auth_time: NOW,
        amr: vec![s("pwd")],
    }
}

fn with_code(issued_at: i64) -> Vec<AE> {
    vec![
        AE::Added {
            params: AuthParams::default(),
            at: issued_at,
        },
        AE::CodeIssued {
            login: login(),
            code_hash: s("code-hash"),
            at: issued_at,
        },
    ]
}

#[test]
fn a_code_is_exchanged_once_and_a_second_use_is_reported() {
    let exchange = |hash: &str| AC::Exchange {
        code_hash: s(hash),
        family_id: s("f1"),
    };
    given::<AuthRequest>(&with_code(NOW))
        .when(exchange("code-hash"))
        .then(&[AE::CodeExchanged { family_id: s("f1") }]);
    given::<AuthRequest>(&with_code(NOW))
        .when(exchange("other"))
        .then_error(Code::InvalidGrant);
    let mut used = with_code(NOW);
    used.push(AE::CodeExchanged { family_id: s("f1") });
    given::<AuthRequest>(&used)
        .when(exchange("code-hash"))
        .then(&[AE::CodeReused {
            family_id: Some(s("f1")),
        }]);
    given::<AuthRequest>(&with_code(NOW - CODE_TTL - 1))
        .when(exchange("code-hash"))
        .then_error(Code::InvalidGrant);
}

fn pending(started_at: i64) -> PendingAuthRequest {
    PendingAuthRequest {
        issuer: s("https://id.example.com"),
        ui_locales: vec![],
        id: s("ar1"),
        params: AuthParams::default(),
        started_at,
    }
}

fn complete(started_at: i64) -> AC {
    AC::Complete {
        pending: Box::new(pending(started_at)),
        login: login(),
        code_hash: s("code-hash"),
    }
}

#[test]
fn a_pending_auth_request_is_recorded_only_when_its_login_completes_it_once() {
    // Given nothing, when a live pending request is completed, then it is recorded as it was
    // started, with its code.
    given::<AuthRequest>(&[])
        .when(complete(NOW - 1_000))
        .then(&[
            AE::Added {
                params: AuthParams::default(),
                at: NOW - 1_000,
            },
            AE::CodeIssued {
                login: login(),
                code_hash: s("code-hash"),
                at: NOW,
            },
        ]);
    // Completed already (the same handle used twice): refused.
    given::<AuthRequest>(&with_code(NOW))
        .when(complete(NOW))
        .then_error(Code::AuthRequestExpired);
    // Started longer ago than an auth request lives: refused.
    given::<AuthRequest>(&[])
        .when(complete(NOW - AUTH_REQUEST_TTL - 1))
        .then_error(Code::AuthRequestExpired);
}

fn grant(auth_time: i64) -> Grant {
    Grant {
        user_id: s("u1"),
        auth_time,
        ..Grant::default()
    }
}

/// A family issued at `at` for a login at the same time.
fn issued(token_hash: &str, at: i64) -> RE {
    RE::Issued {
        grant: grant(at),
        token_hash: s(token_hash),
        at,
    }
}

fn rotated(token_hash: &str, at: i64) -> RE {
    RE::Rotated {
        token_hash: s(token_hash),
        at,
    }
}

fn rotate(presented: &str, lifetimes: SessionSettings) -> RC {
    RC::Rotate {
        presented: s(presented),
        next: s("t2"),
        lifetimes,
        jkt: None,
    }
}

#[test]
fn a_family_bound_to_a_dpop_key_rotates_only_with_a_proof_of_that_key() {
    let bound = RE::Issued {
        grant: Grant {
            jkt: Some(s("key-1")),
            ..grant(NOW)
        },
        token_hash: s("t1"),
        at: NOW,
    };
    let with = |jkt: Option<&str>| RC::Rotate {
        presented: s("t1"),
        next: s("t2"),
        lifetimes: short(),
        jkt: jkt.map(s),
    };
    // Without a proof, or with another key's: refused, and neither the token is used up nor
    // the family revoked (a thief's try costs the holder nothing).
    given::<RefreshFamily>(&[bound.clone()])
        .when(with(None))
        .then_error(Code::InvalidDpopProof);
    given::<RefreshFamily>(&[bound.clone()])
        .when(with(Some("key-2")))
        .then_error(Code::InvalidDpopProof);
    given::<RefreshFamily>(&[bound])
        .when(with(Some("key-1")))
        .then(&[rotated("t2", NOW)]);
}

/// One hour idle, one day absolute.
fn short() -> SessionSettings {
    SessionSettings {
        idle_lifetime_s: 3600,
        absolute_lifetime_s: 24 * 3600,
    }
}

const HOUR: i64 = 3_600_000;

#[test]
fn a_refresh_token_unused_for_the_idle_lifetime_is_refused() {
    // Given a family issued 59 minutes ago, when its token is used, then it rotates.
    given::<RefreshFamily>(&[issued("t1", NOW - HOUR + 60_000)])
        .when(rotate("t1", short()))
        .then(&[rotated("t2", NOW)]);
    // Given one whose token was last issued an hour and a millisecond ago: refused.
    let login = NOW - 5 * HOUR;
    let idle = [
        RE::Issued {
            grant: grant(login),
            token_hash: s("t0"),
            at: login,
        },
        RE::Rotated {
            token_hash: s("t1"),
            at: NOW - HOUR - 1,
        },
    ];
    given::<RefreshFamily>(&idle)
        .when(rotate("t1", short()))
        .then_error(Code::InvalidGrant);
    // The same family under longer lifetimes (the settings in force at its use) rotates.
    given::<RefreshFamily>(&idle)
        .when(rotate("t1", SessionSettings::default()))
        .then(&[rotated("t2", NOW)]);
}

#[test]
fn a_refresh_token_is_refused_after_the_absolute_lifetime_however_used() {
    // Used every 30 minutes since a login a day and a millisecond ago.
    let login = NOW - 24 * HOUR - 1;
    let used = [
        RE::Issued {
            grant: grant(login),
            token_hash: s("t0"),
            at: login,
        },
        rotated("t1", NOW - HOUR / 2),
    ];
    given::<RefreshFamily>(&used)
        .when(rotate("t1", short()))
        .then_error(Code::InvalidGrant);
}

#[test]
fn a_family_of_release_0_1_counts_its_idle_time_from_its_next_use() {
    // Events of 0.1 carry no time (read as 0): only the absolute lifetime, from the login,
    // applies until the token is used again.
    let old = [RE::Issued {
        grant: grant(NOW - 20 * HOUR),
        token_hash: s("t1"),
        at: 0,
    }];
    given::<RefreshFamily>(&old)
        .when(rotate("t1", short()))
        .then(&[rotated("t2", NOW)]);
    let too_old = [RE::Issued {
        grant: grant(NOW - 25 * HOUR),
        token_hash: s("t1"),
        at: 0,
    }];
    given::<RefreshFamily>(&too_old)
        .when(rotate("t1", short()))
        .then_error(Code::InvalidGrant);
}

#[test]
fn a_session_answers_within_its_lifetimes_and_records_uses_sparingly() {
    let started = |at: i64| SE::Started {
        user_id: s("u1"),
        secret_hash: s("h"),
        at,
    };
    let used = SC::Use { lifetimes: short() };
    // Given a session started 30 minutes ago, when it is used, then the use is recorded.
    given::<Session>(&[started(NOW - HOUR / 2)])
        .when(used.clone())
        .then(&[SE::Used { at: NOW }]);
    // Used again within a minute of the last recorded use: nothing to write.
    given::<Session>(&[started(NOW - HOUR / 2), SE::Used { at: NOW - 30_000 }])
        .when(used.clone())
        .then(&[]);
    // Unused for longer than the idle lifetime: over.
    given::<Session>(&[started(NOW - HOUR - 1)])
        .when(used.clone())
        .then_error(Code::SessionNotFound);
    // Used all along, but its login is older than the absolute lifetime: over.
    given::<Session>(&[started(NOW - 24 * HOUR - 1), SE::Used { at: NOW - 60_000 }])
        .when(used.clone())
        .then_error(Code::SessionNotFound);
    // A new login in it (prompt=login) starts its absolute lifetime again.
    given::<Session>(&[
        started(NOW - 24 * HOUR - 1),
        SE::Renewed { at: NOW - HOUR / 2 },
    ])
    .when(used.clone())
    .then(&[SE::Used { at: NOW }]);
    // It ends at the earlier of its idle and absolute ends.
    let session = Session::from_events(&[started(NOW - HOUR / 2)]);
    assert_eq!(session.ends_at(&short()), NOW + HOUR / 2);
    let old = Session::from_events(&[started(NOW - 23 * HOUR), SE::Used { at: NOW }]);
    assert_eq!(old.ends_at(&short()), NOW + HOUR);
    let older = Session::from_events(&[started(NOW - 23 * HOUR - HOUR / 2), SE::Used { at: NOW }]);
    assert_eq!(older.ends_at(&short()), NOW + HOUR / 2);
    // An ended session is over.
    given::<Session>(&[started(NOW - 60_000), SE::Ended])
        .when(used)
        .then_error(Code::SessionNotFound);
}

#[test]
fn a_session_records_its_checks_and_needs_a_fresh_password_check_to_log_in() {
    let created = SE::Created {
        user_id: s("u1"),
        secret_hash: s("h"),
        at: NOW,
    };
    let create = |password_checked| SC::Create {
        user_id: s("u1"),
        secret_hash: s("h"),
        password_checked,
    };
    // Given nothing, when a session is created with its user checked, then only that.
    given::<Session>(&[])
        .when(create(false))
        .then(&[created.clone()]);
    // With the password checked too, both checks, at the same time.
    given::<Session>(&[])
        .when(create(true))
        .then(&[created.clone(), SE::PasswordChecked { at: NOW }]);
    // A session id is never taken twice.
    given::<Session>(&[created.clone()])
        .when(create(true))
        .then_error(Code::Internal);
    // A password check later in the session.
    given::<Session>(&[created.clone()])
        .when(SC::CheckPassword)
        .then(&[SE::PasswordChecked { at: NOW }]);
    given::<Session>(&[created.clone(), SE::Ended])
        .when(SC::CheckPassword)
        .then_error(Code::SessionNotFound);

    let login = |lifetime_s| LoginSettings {
        password_check_lifetime_s: lifetime_s,
        ..LoginSettings::default()
    };
    let names = |s: &Session, lifetime_s, now| -> Vec<&str> {
        s.missing_checks(&login(lifetime_s), Needs::default(), now)
            .into_iter()
            .map(|c| c.name())
            .collect()
    };
    // Only the user checked: the password is missing.
    let user_only = Session::from_events(&[created.clone()]);
    assert_eq!(names(&user_only, 3600, NOW), ["password"]);
    assert_eq!(user_only.auth_time, 0);
    // Checked: nothing is missing while the check is fresh, the password once it is stale.
    let checked = Session::from_events(&[created.clone(), SE::PasswordChecked { at: NOW }]);
    assert!(names(&checked, 3600, NOW + HOUR).is_empty());
    assert_eq!(names(&checked, 3600, NOW + HOUR + 1), ["password"]);
    assert_eq!(checked.auth_time, NOW);
    // A session of the previous release (started with both checks) reads the same.
    let legacy = Session::from_events(&[SE::Started {
        user_id: s("u1"),
        secret_hash: s("h"),
        at: NOW,
    }]);
    assert!(names(&legacy, 3600, NOW).is_empty());
    // A session without an authentication lives from its creation.
    assert_eq!(user_only.ends_at(&short()), NOW + HOUR);
}

#[test]
fn a_reused_refresh_token_revokes_its_family() {
    let first = issued("t1", NOW);
    let rotate = |presented: &str| rotate(presented, SessionSettings::default());
    given::<RefreshFamily>(&[first.clone()])
        .when(rotate("t1"))
        .then(&[rotated("t2", NOW)]);
    let rotated = [first.clone(), rotated("t2", NOW)];
    given::<RefreshFamily>(&rotated)
        .when(rotate("t1"))
        .then(&[RE::Revoked]);
    given::<RefreshFamily>(&rotated)
        .when(rotate("nope"))
        .then_error(Code::InvalidGrant);
    given::<RefreshFamily>(&[first, RE::Revoked])
        .when(rotate("t1"))
        .then_error(Code::InvalidGrant);
}

#[test]
fn a_family_revoked_before_it_is_issued_refuses_its_issue() {
    // A code used twice revokes its first exchange's family, even if that exchange has not
    // issued it yet: the exchange then fails instead of handing out live tokens.
    let issue = RC::Issue {
        grant: grant(NOW),
        token_hash: s("t1"),
    };
    given::<RefreshFamily>(&[])
        .when(RC::Revoke)
        .then(&[RE::Revoked]);
    given::<RefreshFamily>(&[RE::Revoked])
        .when(issue)
        .then_error(Code::InvalidGrant);
    given::<RefreshFamily>(&[RE::Revoked])
        .when(RC::Revoke)
        .then(&[]);
}

#[test]
fn revoking_a_refresh_token_needs_the_whole_token() {
    let first = issued("t1", NOW);
    let revoke = |presented: &str| RC::RevokeToken {
        presented: s(presented),
    };
    // The family id alone (any other secret) revokes nothing.
    given::<RefreshFamily>(&[first.clone()])
        .when(revoke("guessed"))
        .then(&[]);
    given::<RefreshFamily>(&[first.clone()])
        .when(revoke("t1"))
        .then(&[RE::Revoked]);
    // A rotated token still names the family.
    let rotated = [first, rotated("t2", NOW)];
    given::<RefreshFamily>(&rotated)
        .when(revoke("t1"))
        .then(&[RE::Revoked]);
    // A family that holds no refresh token (an app without the grant) is revoked by no token.
    let without = issued("", NOW);
    given::<RefreshFamily>(&[without])
        .when(revoke(""))
        .then(&[]);
}

fn ada() -> UserEvent {
    UserEvent::HumanAdded {
        org_id: s("o"),
        username: s("ada"),
        profile: Profile {
            given_name: s("A"),
            family_name: s("L"),
            display_name: s("A L"),
            preferred_language: None,
        },
        email: Email {
            address: s("a@b.io"),
            verified: false,
        },
        phone: None,
        password_hash: Some(s("h")),
        password_set_at: None,
        password_change_required: false,
    }
}

/// A password check at `at`: right, or wrong under a lockout of 3 attempts and
/// `lock_seconds`.
fn check(ok: bool, lock_seconds: u64, at: i64) -> UserCommand {
    UserCommand::Change(match ok {
        true => UserChange::PasswordRight { at },
        false => UserChange::PasswordWrong {
            lockout: LockoutSettings {
                max_password_attempts: 3,
                max_otp_attempts: 3,
                lock_seconds,
            },
            at,
        },
    })
}

#[test]
fn wrong_passwords_lock_a_user_out_for_lock_seconds_at_the_limit() {
    let two = [
        ada(),
        UserEvent::PasswordCheckFailed,
        UserEvent::PasswordCheckFailed,
    ];
    // Given a user, when a wrong password is checked, then it counts.
    given::<User>(&[ada()])
        .when(check(false, 60, NOW))
        .then(&[UserEvent::PasswordCheckFailed]);
    // Given two wrong ones, when a third comes, then the user is locked out for a minute.
    given::<User>(&two).when(check(false, 60, NOW)).then(&[
        UserEvent::PasswordCheckFailed,
        UserEvent::LockedOut {
            until: NOW + 60_000,
        },
    ]);
    // With lock_seconds 0 the lock lasts until a manager unlocks.
    given::<User>(&two)
        .when(check(false, 0, NOW))
        .then(&[UserEvent::PasswordCheckFailed, UserEvent::Locked]);
    // A right one before the limit resets the count; with nothing counted, nothing to record.
    given::<User>(&two)
        .when(check(true, 60, NOW))
        .then(&[UserEvent::PasswordCheckSucceeded]);
    given::<User>(&[ada()]).when(check(true, 60, NOW)).then(&[]);
}

#[test]
fn a_lock_out_ends_by_itself_and_counts_nothing_while_it_lasts() {
    let locked = [
        ada(),
        UserEvent::PasswordCheckFailed,
        UserEvent::LockedOut {
            until: NOW + 60_000,
        },
    ];
    // While locked out, no check is made, so none is recorded (right or wrong).
    given::<User>(&locked)
        .when(check(false, 60, NOW + 1_000))
        .then(&[]);
    given::<User>(&locked)
        .when(check(true, 60, NOW + 59_999))
        .then(&[]);
    // After it, counting starts again from nothing, and a right password clears the lock.
    given::<User>(&locked)
        .when(check(false, 60, NOW + 60_001))
        .then(&[UserEvent::PasswordCheckFailed]);
    given::<User>(&locked)
        .when(check(true, 60, NOW + 60_001))
        .then(&[UserEvent::PasswordCheckSucceeded]);
    let mut state = User::default();
    for e in &locked {
        state.apply(e);
    }
    assert!(state.locked_out_at(NOW) && !state.locked_out_at(NOW + 60_000));
    assert_eq!(
        state.state,
        UserState::Active,
        "a lock-out is not a manager's lock"
    );
}

#[test]
fn an_access_token_is_revoked_once_and_forgotten_when_it_expires() {
    let revoke = |jti: &str, expires_at: i64| TC::Revoke {
        jti: s(jti),
        expires_at,
    };
    let in_an_hour = NOW / 1000 + 3600;
    // Given no revocations, when a live token is revoked, then it is recorded.
    given::<TokenRevocations>(&[])
        .when(revoke("j1", in_an_hour))
        .then(&[TE::Revoked {
            jti: s("j1"),
            expires_at: in_an_hour,
            at: NOW,
        }]);
    let revoked = [TE::Revoked {
        jti: s("j1"),
        expires_at: in_an_hour,
        at: NOW,
    }];
    // Revoked again, or expired already: nothing to record.
    given::<TokenRevocations>(&revoked)
        .when(revoke("j1", in_an_hour))
        .then(&[]);
    given::<TokenRevocations>(&[])
        .when(revoke("j2", NOW / 1000))
        .then(&[]);
    // An entry goes once its token has expired: the list does not grow with time.
    let later = TE::Revoked {
        jti: s("j3"),
        expires_at: in_an_hour + 7200,
        at: (in_an_hour + 1) * 1000,
    };
    let state = TokenRevocations::from_events(&[revoked[0].clone(), later]);
    assert!(!state.holds("j1"));
    assert!(state.holds("j3"));
}

#[test]
fn an_idp_intent_is_used_once_with_its_token_before_it_expires() {
    use domain::oidc::{IdpIntent, IdpIntentCommand as IC, IdpIntentEvent as IE, IDP_INTENT_TTL};
    let succeeded = IE::Succeeded {
        idp_id: s("acme"),
        user_id: s("u1"),
        token_hash: s("hash-1"),
        expires_at: NOW + IDP_INTENT_TTL,
    };
    // Given nothing, when the IdP vouched for a user, then the intent holds it for 5 minutes
    given::<IdpIntent>(&[])
        .when(IC::Succeed {
            idp_id: s("acme"),
            user_id: s("u1"),
            token_hash: s("hash-1"),
        })
        .then(std::slice::from_ref(&succeeded));
    let consume = |hash: &str| IC::Consume {
        token_hash: s(hash),
    };
    // Used with its token once; never again, never with another token, never unknown
    given::<IdpIntent>(std::slice::from_ref(&succeeded))
        .when(consume("hash-1"))
        .then(&[IE::Consumed]);
    given::<IdpIntent>(&[succeeded.clone(), IE::Consumed])
        .when(consume("hash-1"))
        .then_error(Code::SessionCheckFailed);
    given::<IdpIntent>(std::slice::from_ref(&succeeded))
        .when(consume("hash-2"))
        .then_error(Code::SessionCheckFailed);
    given::<IdpIntent>(&[])
        .when(consume("hash-1"))
        .then_error(Code::SessionCheckFailed);
    // Expired
    let stale = IE::Succeeded {
        idp_id: s("acme"),
        user_id: s("u1"),
        token_hash: s("hash-1"),
        expires_at: NOW,
    };
    given::<IdpIntent>(&[stale])
        .when(consume("hash-1"))
        .then_error(Code::SessionCheckFailed);
}
