//! Given / when / then for second factors: an authenticator app whose codes are good once, login
//! codes that need a verified address, recovery codes used once, wrong codes that lock out as
//! the lockout settings say; and sessions that need a fresh second factor.

use domain::oidc::{
    acr, Needs, Session, SessionCommand as SC, SessionEvent as SE, ACR_MFA, ACR_ONE_FACTOR,
};
use domain::settings::{LockoutSettings, LoginSettings};
use domain::testing::{given, NOW};
use domain::user::{
    Channel, CodeKind, Factor, FactorProof, KeyKind, NewCode, User, UserChange as Ch,
    UserCommand as C, UserEvent as E, WebAuthnKey,
};
use domain::{Aggregate, Code};

use super::user_changes::human;

fn s(v: &str) -> String {
    v.to_string()
}

fn totp_set_up() -> Vec<E> {
    vec![
        human(),
        E::TotpAdded {
            sealed_secret: s("sealed"),
        },
        E::TotpVerified { step: 100 },
    ]
}

fn check(proof: FactorProof) -> C {
    C::Change(Ch::FactorRight { proof, at: NOW })
}

fn wrong(max_otp_attempts: u32) -> C {
    C::Change(Ch::FactorWrong {
        lockout: LockoutSettings {
            max_otp_attempts,
            ..LockoutSettings::default()
        },
        at: NOW,
    })
}

#[test]
fn an_authenticator_app_is_verified_by_its_first_code_and_each_code_is_good_once() {
    // Given a human, when they add an app, then its sealed secret waits for a first code.
    given::<User>(&[human()])
        .when(C::Change(Ch::AddTotp {
            sealed_secret: s("sealed"),
        }))
        .then(&[E::TotpAdded {
            sealed_secret: s("sealed"),
        }]);
    let pending = [
        human(),
        E::TotpAdded {
            sealed_secret: s("sealed"),
        },
    ];
    given::<User>(&pending)
        .when(C::Change(Ch::VerifyTotp { step: Some(100) }))
        .then(&[E::TotpVerified { step: 100 }]);
    given::<User>(&pending)
        .when(C::Change(Ch::VerifyTotp { step: None }))
        .then_error(Code::InvalidCode);
    // A pending app is not a factor a login may ask for.
    assert!(User::from_events(&pending).factors.usable().is_empty());
    // Set up: another app is refused until it is removed.
    given::<User>(&totp_set_up())
        .when(C::Change(Ch::AddTotp {
            sealed_secret: s("other"),
        }))
        .then_error(Code::FactorExists);
    // At a login: a later step is right once; the verifying step, or an earlier one, is a
    // replay.
    given::<User>(&totp_set_up())
        .when(check(FactorProof::Totp { step: 101 }))
        .then(&[E::TotpChecked { step: 101 }]);
    for replay in [100, 99] {
        given::<User>(&totp_set_up())
            .when(check(FactorProof::Totp { step: replay }))
            .then_error(Code::InvalidCode);
    }
    let mut used = totp_set_up();
    used.push(E::TotpChecked { step: 101 });
    given::<User>(&used)
        .when(check(FactorProof::Totp { step: 101 }))
        .then_error(Code::InvalidCode);
    // Removed: no code is right any more.
    given::<User>(&totp_set_up())
        .when(C::Change(Ch::RemoveTotp))
        .then(&[E::TotpRemoved]);
    let mut removed = totp_set_up();
    removed.push(E::TotpRemoved);
    given::<User>(&removed)
        .when(check(FactorProof::Totp { step: 200 }))
        .then_error(Code::InvalidCode);
    given::<User>(&removed)
        .when(C::Change(Ch::RemoveTotp))
        .then_error(Code::FactorNotFound);
}

#[test]
fn login_codes_need_a_verified_address_and_are_good_once() {
    // Given an unverified email, when login codes by email are turned on, then it is refused.
    given::<User>(&[human()])
        .when(C::Change(Ch::AddOtp {
            channel: Channel::Email,
        }))
        .then_error(Code::FactorNeedsVerifiedContact);
    given::<User>(&[human()])
        .when(C::Change(Ch::AddOtp {
            channel: Channel::Sms,
        }))
        .then_error(Code::FactorNeedsVerifiedContact);
    let on = [
        human(),
        E::EmailVerified,
        E::OtpAdded {
            channel: Channel::Email,
        },
    ];
    given::<User>(&[human(), E::EmailVerified])
        .when(C::Change(Ch::AddOtp {
            channel: Channel::Email,
        }))
        .then(&[E::OtpAdded {
            channel: Channel::Email,
        }]);
    given::<User>(&on)
        .when(C::Change(Ch::AddOtp {
            channel: Channel::Email,
        }))
        .then(&[]);
    // A code is made only for a factor the user has.
    let code = |kind| {
        C::Change(Ch::AddCode(NewCode {
            kind,
            code_hash: s("h1"),
            message: None,
        }))
    };
    given::<User>(&[human(), E::EmailVerified])
        .when(code(CodeKind::OtpEmail))
        .then_error(Code::FactorNotFound);
    given::<User>(&on)
        .when(code(CodeKind::OtpEmail))
        .then(&[E::CodeAdded {
            kind: CodeKind::OtpEmail,
            code_hash: s("h1"),
            expires_at: NOW + 5 * 60 * 1000,
            message: None,
        }]);
    let mut sent = on.to_vec();
    sent.push(E::CodeAdded {
        kind: CodeKind::OtpEmail,
        code_hash: s("h1"),
        expires_at: NOW + 5 * 60 * 1000,
        message: None,
    });
    let otp = |hash: &str, channel| FactorProof::Otp {
        channel,
        code_hash: s(hash),
    };
    given::<User>(&sent)
        .when(check(otp("h1", Channel::Email)))
        .then(&[E::OtpChecked {
            channel: Channel::Email,
        }]);
    // Wrong, sent to the other channel, or used: refused alike.
    given::<User>(&sent)
        .when(check(otp("h2", Channel::Email)))
        .then_error(Code::InvalidCode);
    given::<User>(&sent)
        .when(check(otp("h1", Channel::Sms)))
        .then_error(Code::InvalidCode);
    let mut used = sent.clone();
    used.push(E::OtpChecked {
        channel: Channel::Email,
    });
    given::<User>(&used)
        .when(check(otp("h1", Channel::Email)))
        .then_error(Code::InvalidCode);
    // A new, unverified address turns login codes by email off.
    let mut changed = sent;
    changed.push(E::EmailChanged {
        email: domain::user::Email {
            address: s("new@example.com"),
            verified: false,
        },
    });
    let user = User::from_events(&changed);
    assert!(!user.factors.otp_email);
    assert!(!user.codes.contains_key(&CodeKind::OtpEmail));
}

#[test]
fn recovery_codes_need_a_factor_and_each_is_good_once() {
    let hashes: Vec<String> = (0..10).map(|i| format!("r{i}")).collect();
    given::<User>(&[human()])
        .when(C::Change(Ch::SetRecoveryCodes {
            code_hashes: hashes.clone(),
        }))
        .then_error(Code::FactorNotFound);
    given::<User>(&totp_set_up())
        .when(C::Change(Ch::SetRecoveryCodes {
            code_hashes: hashes.clone(),
        }))
        .then(&[E::RecoveryCodesSet {
            code_hashes: hashes.clone(),
        }]);
    let mut with_codes = totp_set_up();
    with_codes.push(E::RecoveryCodesSet {
        code_hashes: hashes.clone(),
    });
    let recovery = |h: &str| check(FactorProof::RecoveryCode { code_hash: s(h) });
    given::<User>(&with_codes)
        .when(recovery("r3"))
        .then(&[E::RecoveryCodeUsed { index: 3 }]);
    given::<User>(&with_codes)
        .when(recovery("nope"))
        .then_error(Code::InvalidCode);
    with_codes.push(E::RecoveryCodeUsed { index: 3 });
    given::<User>(&with_codes)
        .when(recovery("r3"))
        .then_error(Code::InvalidCode);
    given::<User>(&with_codes)
        .when(recovery("r4"))
        .then(&[E::RecoveryCodeUsed { index: 3 }]);
    let user = User::from_events(&with_codes);
    assert_eq!(user.factors.recovery_codes.len(), 9);
    assert_eq!(
        user.factors.usable(),
        [Factor::Totp, Factor::RecoveryCode],
        "recovery codes are offered beside the factor they stand in for"
    );
}

#[test]
fn wrong_codes_lock_out_at_max_otp_attempts_and_nothing_is_right_while_locked_out() {
    let mut failed = totp_set_up();
    failed.push(E::SecondFactorCheckFailed);
    given::<User>(&totp_set_up())
        .when(wrong(2))
        .then(&[E::SecondFactorCheckFailed]);
    let lock = LockoutSettings::default();
    given::<User>(&failed).when(wrong(2)).then(&[
        E::SecondFactorCheckFailed,
        E::LockedOut {
            until: NOW + lock.lock_seconds as i64 * 1000,
        },
    ]);
    // 0: never locked.
    given::<User>(&failed)
        .when(wrong(0))
        .then(&[E::SecondFactorCheckFailed]);
    // Locked out: even the right code is refused, and wrong ones are not counted.
    let mut locked = totp_set_up();
    locked.push(E::LockedOut { until: NOW + 1 });
    given::<User>(&locked)
        .when(check(FactorProof::Totp { step: 101 }))
        .then_error(Code::InvalidCode);
    given::<User>(&locked).when(wrong(2)).then(&[]);
    // A right code starts the count again.
    let mut right = failed.clone();
    right.push(E::TotpChecked { step: 101 });
    assert_eq!(User::from_events(&right).factors.failed_checks, 0);
}

#[test]
fn a_session_needs_a_fresh_second_factor_when_the_login_needs_one() {
    let created = SE::Created {
        user_id: s("u1"),
        secret_hash: s("h"),
        at: NOW,
    };
    let login = LoginSettings {
        second_factor_check_lifetime_s: 60,
        ..LoginSettings::default()
    };
    let names = |s: &Session, needs, now| -> Vec<&str> {
        s.missing_checks(&login, needs, now)
            .into_iter()
            .map(|c| c.name())
            .collect()
    };
    let mfa = Needs {
        second_factor: true,
        not_before: None,
    };
    let password = Session::from_events(&[created.clone(), SE::PasswordChecked { at: NOW }]);
    assert!(names(&password, Needs::default(), NOW).is_empty());
    assert_eq!(names(&password, mfa, NOW), ["second_factor"]);
    assert_eq!(password.amr(&login, NOW), ["pwd"]);
    assert_eq!(acr(&password.amr(&login, NOW)), ACR_ONE_FACTOR);
    let both = Session::from_events(&[
        created,
        SE::PasswordChecked { at: NOW },
        SE::FactorChecked {
            factor: Factor::Totp,
            at: NOW + 1000,
        },
    ]);
    assert!(names(&both, mfa, NOW + 1000).is_empty());
    assert_eq!(both.auth_time, NOW + 1000);
    assert_eq!(both.amr(&login, NOW + 1000), ["pwd", "otp", "mfa"]);
    assert_eq!(acr(&both.amr(&login, NOW + 1000)), ACR_MFA);
    // Past its lifetime the second factor is asked again; the password is still fresh.
    assert_eq!(names(&both, mfa, NOW + 62_000), ["second_factor"]);
    assert_eq!(both.amr(&login, NOW + 62_000), ["pwd"]);
    // A client asking for a login after a time: checks before it do not count.
    let after = Needs {
        second_factor: true,
        not_before: Some(NOW + 500),
    };
    assert_eq!(names(&both, after, NOW + 1000), ["password"]);
}

fn key(kind: KeyKind, credential_id: &str) -> WebAuthnKey {
    WebAuthnKey {
        kind,
        name: s("Laptop"),
        credential_id: s(credential_id),
        credential: s("{}"),
        counter: 0,
    }
}

fn with_passkey(counter: u32) -> Vec<E> {
    let mut events = vec![
        human(),
        E::WebAuthnStarted {
            key_id: s("k1"),
            kind: KeyKind::Passkey,
            state: s("{}"),
        },
        E::WebAuthnAdded {
            key_id: s("k1"),
            kind: KeyKind::Passkey,
            name: s("Laptop"),
            credential_id: s("cred-1"),
            credential: s("{}"),
        },
    ];
    if counter > 0 {
        events.push(E::WebAuthnChecked {
            key_id: s("k1"),
            counter,
            challenge: s("c0"),
            at: NOW - 1000,
        });
    }
    events
}

#[test]
fn a_key_is_registered_once_per_waiting_registration_and_its_counter_only_moves_on() {
    let started = [
        human(),
        E::WebAuthnStarted {
            key_id: s("k1"),
            kind: KeyKind::Passkey,
            state: s("{}"),
        },
    ];
    let add = |key_id: &str, k: WebAuthnKey| {
        C::Change(Ch::AddKey {
            key_id: s(key_id),
            key: k,
        })
    };
    given::<User>(&started)
        .when(add("k1", key(KeyKind::Passkey, "cred-1")))
        .then(&[E::WebAuthnAdded {
            key_id: s("k1"),
            kind: KeyKind::Passkey,
            name: s("Laptop"),
            credential_id: s("cred-1"),
            credential: s("{}"),
        }]);
    // Another registration's id, another kind, or none waiting: refused.
    given::<User>(&started)
        .when(add("k2", key(KeyKind::Passkey, "cred-1")))
        .then_error(Code::FactorNotFound);
    given::<User>(&started)
        .when(add("k1", key(KeyKind::U2f, "cred-1")))
        .then_error(Code::FactorNotFound);
    given::<User>(&with_passkey(0))
        .when(add("k1", key(KeyKind::Passkey, "cred-2")))
        .then_error(Code::FactorNotFound);
    // The same authenticator twice: refused.
    let mut again = with_passkey(0);
    again.push(E::WebAuthnStarted {
        key_id: s("k2"),
        kind: KeyKind::Passkey,
        state: s("{}"),
    });
    given::<User>(&again)
        .when(add("k2", key(KeyKind::Passkey, "cred-1")))
        .then_error(Code::FactorExists);
    // A passkey is usable, and stands for the second factor.
    assert_eq!(
        User::from_events(&with_passkey(0)).factors.usable(),
        [Factor::Passkey]
    );
    // Counters: each signature's must pass the last seen, unless the authenticator keeps none.
    let signed = |key_id: &str, counter, challenge: &str| {
        check(FactorProof::WebAuthn {
            key_id: s(key_id),
            counter,
            challenge: s(challenge),
        })
    };
    let checked = |counter, challenge: &str| E::WebAuthnChecked {
        key_id: s("k1"),
        counter,
        challenge: s(challenge),
        at: NOW,
    };
    given::<User>(&with_passkey(0))
        .when(signed("k1", 0, "c1"))
        .then(&[checked(0, "c1")]);
    given::<User>(&with_passkey(5))
        .when(signed("k1", 6, "c1"))
        .then(&[checked(6, "c1")]);
    // A challenge signed before: refused, whatever the counter says.
    given::<User>(&with_passkey(5))
        .when(signed("k1", 6, "c0"))
        .then_error(Code::InvalidCode);
    for backwards in [5, 4, 0] {
        given::<User>(&with_passkey(5))
            .when(signed("k1", backwards, "c1"))
            .then_error(Code::InvalidCode);
    }
    given::<User>(&with_passkey(5))
        .when(signed("k9", 6, "c1"))
        .then_error(Code::InvalidCode);
    // Removed by its kind and id only.
    given::<User>(&with_passkey(0))
        .when(C::Change(Ch::RemoveKey {
            key_id: s("k1"),
            kind: KeyKind::U2f,
        }))
        .then_error(Code::FactorNotFound);
    given::<User>(&with_passkey(0))
        .when(C::Change(Ch::RemoveKey {
            key_id: s("k1"),
            kind: KeyKind::Passkey,
        }))
        .then(&[E::WebAuthnRemoved { key_id: s("k1") }]);
}

#[test]
fn a_passkey_checked_stands_for_the_password_and_the_second_factor() {
    let login = LoginSettings::default();
    let session = Session::from_events(&[
        SE::Created {
            user_id: s("u1"),
            secret_hash: s("h"),
            at: NOW,
        },
        SE::FactorChecked {
            factor: Factor::Passkey,
            at: NOW,
        },
    ]);
    let mfa = Needs {
        second_factor: true,
        not_before: None,
    };
    assert!(session.missing_checks(&login, mfa, NOW).is_empty());
    assert_eq!(session.amr(&login, NOW), ["hwk", "user", "mfa"]);
    // A security key alone is not a password.
    let key_only = Session::from_events(&[
        SE::Created {
            user_id: s("u1"),
            secret_hash: s("h"),
            at: NOW,
        },
        SE::FactorChecked {
            factor: Factor::U2f,
            at: NOW,
        },
    ]);
    let missing: Vec<&str> = key_only
        .missing_checks(&login, mfa, NOW)
        .into_iter()
        .map(|c| c.name())
        .collect();
    assert_eq!(missing, ["password"]);
}

#[test]
fn a_registration_link_starts_and_adds_one_passkey_with_its_code() {
    let linked = [
        human(),
        E::CodeAdded {
            kind: CodeKind::PasskeyRegistration,
            code_hash: s("h1"),
            expires_at: NOW + 60 * 60 * 1000,
            message: None,
        },
    ];
    let start = |hash: &str, at| {
        C::Change(Ch::StartKeyByCode {
            code_hash: s(hash),
            at,
            key_id: s("k1"),
            state: s("{}"),
        })
    };
    given::<User>(&linked)
        .when(start("h1", NOW))
        .then(&[E::WebAuthnStarted {
            key_id: s("k1"),
            kind: KeyKind::Passkey,
            state: s("{}"),
        }]);
    given::<User>(&linked)
        .when(start("h2", NOW))
        .then_error(Code::InvalidCode);
    given::<User>(&linked)
        .when(start("h1", NOW + 60 * 60 * 1000))
        .then_error(Code::InvalidCode);
    let mut started = linked.to_vec();
    started.push(E::WebAuthnStarted {
        key_id: s("k1"),
        kind: KeyKind::Passkey,
        state: s("{}"),
    });
    let add = |hash: &str| {
        C::Change(Ch::AddKeyByCode {
            code_hash: s(hash),
            at: NOW,
            key_id: s("k1"),
            key: key(KeyKind::Passkey, "cred-1"),
        })
    };
    given::<User>(&started)
        .when(add("h2"))
        .then_error(Code::InvalidCode);
    given::<User>(&started)
        .when(add("h1"))
        .then(&[E::WebAuthnAdded {
            key_id: s("k1"),
            kind: KeyKind::Passkey,
            name: s("Laptop"),
            credential_id: s("cred-1"),
            credential: s("{}"),
        }]);
    // Registered: the code is used up.
    started.push(E::WebAuthnAdded {
        key_id: s("k1"),
        kind: KeyKind::Passkey,
        name: s("Laptop"),
        credential_id: s("cred-1"),
        credential: s("{}"),
    });
    assert!(!User::from_events(&started)
        .codes
        .contains_key(&CodeKind::PasskeyRegistration));
}

#[test]
fn a_login_through_an_idp_stands_for_the_password_and_says_fed() {
    let created = SE::Created {
        user_id: s("u1"),
        secret_hash: s("h"),
        at: NOW,
    };
    // Given a session, when the user logs in through an IdP, then the check is recorded
    given::<Session>(&[created.clone()])
        .when(SC::CheckIdp { idp_id: s("acme") })
        .then(&[SE::IdpChecked {
            idp_id: s("acme"),
            at: NOW,
        }]);
    given::<Session>(&[created.clone(), SE::Ended])
        .when(SC::CheckIdp { idp_id: s("acme") })
        .then_error(Code::SessionNotFound);
    // and it stands for the password while fresh: nothing missing, `fed` in the amr
    let login = LoginSettings::default();
    let session = Session::from_events(&[
        created.clone(),
        SE::IdpChecked {
            idp_id: s("acme"),
            at: NOW,
        },
    ]);
    let none = Needs::default();
    assert!(session.missing_checks(&login, none, NOW).is_empty());
    assert_eq!(session.amr(&login, NOW), ["fed"]);
    assert_eq!(session.auth_time, NOW);
    // Not for a second factor, and not once stale.
    let mfa = Needs {
        second_factor: true,
        not_before: None,
    };
    let missing: Vec<&str> = session
        .missing_checks(&login, mfa, NOW)
        .into_iter()
        .map(|c| c.name())
        .collect();
    assert_eq!(missing, ["second_factor"]);
    let later = NOW + login.password_check_lifetime_ms() + 1;
    assert_eq!(session.missing_checks(&login, none, later).len(), 1);
    // With a password too it is still one factor, not two.
    let both = Session::from_events(&[
        created,
        SE::PasswordChecked { at: NOW },
        SE::IdpChecked {
            idp_id: s("acme"),
            at: NOW,
        },
    ]);
    assert_eq!(both.amr(&login, NOW), ["pwd", "fed"]);
}
