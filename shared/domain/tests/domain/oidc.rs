//! Given / when / then for the OIDC flow aggregates and the password lockout.

use domain::oidc::{
    AuthParams, AuthRequest, AuthRequestCommand as AC, AuthRequestEvent as AE, Grant, Login,
    RefreshCommand as RC, RefreshEvent as RE, RefreshFamily, CODE_TTL,
};
use domain::testing::{given, NOW};
use domain::user::{Email, Profile, User, UserChange, UserCommand, UserEvent};
use domain::Code;

fn s(v: &str) -> String {
    v.to_string()
}

fn login() -> Login {
    Login {
        user_id: s("u1"),
        session_id: s("s1"),
        auth_time: NOW,
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

#[test]
fn an_auth_request_completes_once() {
    let complete = AC::Complete {
        login: login(),
        code_hash: s("h"),
    };
    given::<AuthRequest>(&with_code(NOW))
        .when(complete.clone())
        .then_error(Code::AuthRequestExpired);
    given::<AuthRequest>(&[])
        .when(complete)
        .then_error(Code::AuthRequestExpired);
}

#[test]
fn a_reused_refresh_token_revokes_its_family() {
    let issued = RE::Issued {
        grant: Grant::default(),
        token_hash: s("t1"),
    };
    let rotate = |presented: &str| RC::Rotate {
        presented: s(presented),
        next: s("t2"),
    };
    given::<RefreshFamily>(&[issued.clone()])
        .when(rotate("t1"))
        .then(&[RE::Rotated {
            token_hash: s("t2"),
        }]);
    let rotated = [
        issued.clone(),
        RE::Rotated {
            token_hash: s("t2"),
        },
    ];
    given::<RefreshFamily>(&rotated)
        .when(rotate("t1"))
        .then(&[RE::Revoked]);
    given::<RefreshFamily>(&rotated)
        .when(rotate("nope"))
        .then_error(Code::InvalidGrant);
    given::<RefreshFamily>(&[issued, RE::Revoked])
        .when(rotate("t1"))
        .then_error(Code::InvalidGrant);
}

#[test]
fn a_family_revoked_before_it_is_issued_refuses_its_issue() {
    // A code used twice revokes its first exchange's family, even if that exchange has not
    // issued it yet: the exchange then fails instead of handing out live tokens.
    let issue = RC::Issue {
        grant: Grant::default(),
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
    let issued = RE::Issued {
        grant: Grant::default(),
        token_hash: s("t1"),
    };
    let revoke = |presented: &str| RC::RevokeToken {
        presented: s(presented),
    };
    // The family id alone (any other secret) revokes nothing.
    given::<RefreshFamily>(&[issued.clone()])
        .when(revoke("guessed"))
        .then(&[]);
    given::<RefreshFamily>(&[issued.clone()])
        .when(revoke("t1"))
        .then(&[RE::Revoked]);
    // A rotated token still names the family.
    let rotated = [
        issued.clone(),
        RE::Rotated {
            token_hash: s("t2"),
        },
    ];
    given::<RefreshFamily>(&rotated)
        .when(revoke("t1"))
        .then(&[RE::Revoked]);
    // A family that holds no refresh token (an app without the grant) is revoked by no token.
    let without = RE::Issued {
        grant: Grant::default(),
        token_hash: String::new(),
    };
    given::<RefreshFamily>(&[without])
        .when(revoke(""))
        .then(&[]);
}

#[test]
fn wrong_passwords_lock_a_user_at_the_limit() {
    let human = UserEvent::HumanAdded {
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
    };
    let check = |ok| {
        UserCommand::Change(UserChange::PasswordChecked {
            ok,
            max_attempts: 3,
        })
    };
    given::<User>(&[human.clone()])
        .when(check(false))
        .then(&[UserEvent::PasswordCheckFailed]);
    let two = [
        human.clone(),
        UserEvent::PasswordCheckFailed,
        UserEvent::PasswordCheckFailed,
    ];
    given::<User>(&two)
        .when(check(false))
        .then(&[UserEvent::PasswordCheckFailed, UserEvent::Locked]);
    given::<User>(&two)
        .when(check(true))
        .then(&[UserEvent::PasswordCheckSucceeded]);
    given::<User>(&[human]).when(check(true)).then(&[]);
}
