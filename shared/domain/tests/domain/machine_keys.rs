//! Given / when / then for the keys of machine users and `private_key_jwt` apps, the
//! assertions they sign (each good once), and the rules of an assertion's claims.

use domain::app::{AccessTokenType, AuthMethod, GrantType, OidcConfig, ResponseType};
use domain::machine_keys::{PublicJwk, MAX_KEYS};
use domain::oidc::{
    AssertionClaims, AssertionCommand as XC, AssertionEvent as XE, Audience, UsedAssertions,
    MAX_ASSERTION_LIFETIME,
};
use domain::project::{Project, ProjectCommand as PC, ProjectEvent as PE};
use domain::testing::{given, NOW};
use domain::user::{Email, Profile, User, UserChange as Ch, UserCommand as C, UserEvent as E};
use domain::{Aggregate, Code};

fn s(v: &str) -> String {
    v.to_string()
}

fn jwk() -> PublicJwk {
    PublicJwk {
        kty: s("OKP"),
        alg: s("EdDSA"),
        crv: Some(s("Ed25519")),
        n: None,
        e: None,
        x: Some(s("ctqiAEr4_0TWD7-h6EU8bf76AcnYLvv7fnfS5Pjh2VA")),
        y: None,
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

fn add_key(id: &str, expires_at: Option<i64>) -> C {
    C::Change(Ch::AddMachineKey {
        key_id: s(id),
        jwk: jwk(),
        expires_at,
    })
}

fn key_added(id: &str, expires_at: Option<i64>, at: i64) -> E {
    E::MachineKeyAdded {
        key_id: s(id),
        jwk: jwk(),
        expires_at,
        at,
    }
}

#[test]
fn a_machine_user_gets_keys_and_loses_them() {
    // Given a machine user, when a key is added, then it is recorded with its time.
    given::<User>(&[machine()])
        .when(add_key("k1", Some(NOW + 1)))
        .then(&[key_added("k1", Some(NOW + 1), NOW)]);
    // An expiry in the past, or a human: refused.
    given::<User>(&[machine()])
        .when(add_key("k1", Some(NOW)))
        .then_error(Code::InvalidExpiry);
    let human = E::HumanAdded {
        org_id: s("o1"),
        username: s("ada"),
        profile: Profile {
            given_name: s("Ada"),
            family_name: s("L"),
            display_name: s("Ada L"),
            preferred_language: None,
        },
        email: Email {
            address: s("ada@example.com"),
            verified: true,
        },
        phone: None,
        password_hash: None,
        password_set_at: None,
        password_change_required: false,
    };
    given::<User>(&[human])
        .when(add_key("k1", None))
        .then_error(Code::WrongUserType);
    // Removed once; a key it does not hold is KEY-0001.
    given::<User>(&[machine(), key_added("k1", None, NOW)])
        .when(C::Change(Ch::RemoveMachineKey { key_id: s("k1") }))
        .then(&[E::MachineKeyRemoved { key_id: s("k1") }]);
    given::<User>(&[machine()])
        .when(C::Change(Ch::RemoveMachineKey { key_id: s("k1") }))
        .then_error(Code::KeyNotFound);
}

#[test]
fn keys_are_capped_and_expired_ones_make_room() {
    let mut events = vec![machine()];
    for i in 0..MAX_KEYS {
        events.push(key_added(&format!("k{i}"), Some(NOW + 10), NOW - 10));
    }
    given::<User>(&events)
        .when(add_key("one-more", None))
        .then_error(Code::TooManyKeys);
    // Once they have expired they count no more, and the next key added drops them.
    let mut later = User::from_events(&events);
    later.apply(&key_added("fresh", None, NOW + 11));
    assert_eq!(later.machine_keys.keys().collect::<Vec<_>>(), vec!["fresh"]);
}

fn app_config(method: AuthMethod) -> OidcConfig {
    OidcConfig {
        name: s("api"),
        redirect_uris: vec![s("https://app.example.com/cb")],
        post_logout_redirect_uris: vec![],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::ClientCredentials],
        response_types: vec![ResponseType::Code],
        auth_method: method,
        access_token_type: AccessTokenType::Jwt,
        require_par: false,
        jwks_uri: None,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
    }
}

fn project_with(method: AuthMethod) -> Vec<PE> {
    vec![
        PE::Added {
            org_id: s("o1"),
            name: s("P"),
            assert_roles: false,
        },
        PE::AppAdded {
            app_id: s("a1"),
            client_id: s("c1@p1"),
            config: app_config(method),
            secret_hash: method.uses_secret().then(|| s("h")),
            sealed_secret: method.keeps_secret().then(|| s("sealed")),
        },
    ]
}

#[test]
fn only_private_key_jwt_apps_hold_keys() {
    let add = || PC::AddAppKey {
        app_id: s("a1"),
        key_id: s("k1"),
        jwk: jwk(),
        expires_at: None,
    };
    given::<Project>(&project_with(AuthMethod::PrivateKeyJwt))
        .when(add())
        .then(&[PE::AppKeyAdded {
            app_id: s("a1"),
            key_id: s("k1"),
            jwk: jwk(),
            expires_at: None,
            at: NOW,
        }]);
    given::<Project>(&project_with(AuthMethod::ClientSecretBasic))
        .when(add())
        .then_error(Code::KeysNotUsed);
    given::<Project>(&project_with(AuthMethod::PrivateKeyJwt))
        .when(PC::RemoveAppKey {
            app_id: s("a1"),
            key_id: s("k9"),
        })
        .then_error(Code::KeyNotFound);
    // An app that changes to another method drops its keys.
    let mut events = project_with(AuthMethod::PrivateKeyJwt);
    events.push(PE::AppKeyAdded {
        app_id: s("a1"),
        key_id: s("k1"),
        jwk: jwk(),
        expires_at: None,
        at: NOW,
    });
    events.push(PE::AppChanged {
        app_id: s("a1"),
        config: app_config(AuthMethod::None),
    });
    assert!(Project::from_events(&events).apps["a1"].keys.is_empty());
}

#[test]
fn a_client_secret_jwt_app_keeps_its_secret_sealed_and_only_it_does() {
    // Created with a sealed secret: kept; a basic app with one, or a JWT app without: refused.
    let add = |method: AuthMethod, sealed: Option<&str>| PC::AddApp {
        app_id: s("a2"),
        client_id: s("c2@p1"),
        config: app_config(method),
        secret_hash: Some(s("h")),
        sealed_secret: sealed.map(s),
    };
    let project = &project_with(AuthMethod::None)[..1];
    given::<Project>(project)
        .when(add(AuthMethod::ClientSecretJwt, Some("sealed")))
        .then(&[PE::AppAdded {
            app_id: s("a2"),
            client_id: s("c2@p1"),
            config: app_config(AuthMethod::ClientSecretJwt),
            secret_hash: Some(s("h")),
            sealed_secret: Some(s("sealed")),
        }]);
    given::<Project>(project)
        .when(add(AuthMethod::ClientSecretBasic, Some("sealed")))
        .then_error(Code::Internal);
    given::<Project>(project)
        .when(add(AuthMethod::ClientSecretJwt, None))
        .then_error(Code::Internal);
    // Changing to client_secret_basic forgets the sealed secret: the hash alone is kept.
    let mut events = project_with(AuthMethod::ClientSecretJwt);
    events.push(PE::AppChanged {
        app_id: s("a1"),
        config: app_config(AuthMethod::ClientSecretBasic),
    });
    let app = &Project::from_events(&events).apps["a1"];
    assert_eq!(
        (app.sealed_secret.as_deref(), app.secret_hash.as_deref()),
        (None, Some("h"))
    );
}

#[test]
fn an_assertion_is_used_once_and_forgotten_when_it_expires() {
    let in_an_hour = NOW / 1000 + 3600;
    let used = XE::Used {
        jti: s("j1"),
        expires_at: in_an_hour,
        at: NOW,
    };
    let use_ = |jti: &str, exp: i64| XC::Use {
        jti: s(jti),
        expires_at: exp,
    };
    // Given none used, when one is presented, then it is recorded.
    given::<UsedAssertions>(&[])
        .when(use_("j1", in_an_hour))
        .then(&[used.clone()]);
    // Presented again: refused. Expired: refused (it could not be used anyway).
    given::<UsedAssertions>(std::slice::from_ref(&used))
        .when(use_("j1", in_an_hour))
        .then_error(Code::InvalidGrant);
    given::<UsedAssertions>(&[])
        .when(use_("j2", NOW / 1000))
        .then_error(Code::InvalidGrant);
    // An entry goes once its assertion has expired: the record does not grow with time.
    let later = XE::Used {
        jti: s("j3"),
        expires_at: in_an_hour + 3600,
        at: (in_an_hour + 1) * 1000,
    };
    let state = UsedAssertions::from_events(&[used, later]);
    assert_eq!(state.used.keys().collect::<Vec<_>>(), vec!["j3"]);
}

fn claims() -> AssertionClaims {
    AssertionClaims {
        iss: s("bot-id"),
        sub: s("bot-id"),
        aud: Audience::Many(vec![s("https://other.example"), s("https://id.example")]),
        exp: NOW / 1000 + 300,
        iat: Some(NOW / 1000),
        nbf: None,
        jti: Some(s("j1")),
    }
}

#[test]
fn an_assertion_names_its_signer_our_audience_and_a_short_life() {
    let now = NOW / 1000;
    let check = |c: &AssertionClaims| c.check("bot-id", &["https://id.example"], now);
    assert!(check(&claims()).is_ok());
    let refused: Vec<(&str, AssertionClaims)> = vec![
        (
            "another signer",
            AssertionClaims {
                sub: s("other"),
                ..claims()
            },
        ),
        (
            "issued by another",
            AssertionClaims {
                iss: s("other"),
                ..claims()
            },
        ),
        (
            "another audience",
            AssertionClaims {
                aud: Audience::One(s("https://evil.example")),
                ..claims()
            },
        ),
        (
            "expired",
            AssertionClaims {
                exp: now,
                ..claims()
            },
        ),
        (
            "too long a life",
            AssertionClaims {
                exp: now + MAX_ASSERTION_LIFETIME + 61,
                ..claims()
            },
        ),
        (
            "issued in the future",
            AssertionClaims {
                iat: Some(now + 120),
                ..claims()
            },
        ),
        (
            "not valid yet",
            AssertionClaims {
                nbf: Some(now + 120),
                ..claims()
            },
        ),
        (
            "an empty jti",
            AssertionClaims {
                jti: Some(s("")),
                ..claims()
            },
        ),
        (
            "a huge jti",
            AssertionClaims {
                jti: Some("j".repeat(201)),
                ..claims()
            },
        ),
    ];
    for (why, c) in refused {
        let e = check(&c).expect_err(why);
        assert_eq!(e.code, Code::InvalidGrant, "{why}");
    }
    // A clock a little ahead is tolerated.
    assert!(check(&AssertionClaims {
        iat: Some(now + 30),
        ..claims()
    })
    .is_ok());
}
