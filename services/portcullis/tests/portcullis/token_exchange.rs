//! Token exchange (RFC 8693): a service exchanges a user's token for one of its own, names an
//! actor (delegation, `act`), and impersonation by the `*_IMPERSONATOR` roles where the
//! `security` settings allow it, within the role's scope, recorded on the user. And what an
//! attacker would try: an app's own token as the actor, garbage, an app that may not exchange,
//! end-user impersonators reaching for a manager.

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::oidc_behaviours::{post_as, post_form};
use super::oidc_support::{human, machine, new_app, App};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const USER_ID: &str = "urn:portcullis:params:oauth:token-type:user_id";

/// A confidential app allowed `grant_types`.
fn service(t: &Tenant, grant_types: &[&str]) -> App {
    let (project, app) = new_app(
        t,
        json!({"name": "orders", "redirect_uris": [], "auth_method": "client_secret_basic",
               "grant_types": grant_types}),
    );
    App::created(project, &app, "client_secret_basic")
}

/// A machine user's access token by client credentials.
fn token_of(t: &Tenant, username: &str, secret: &str) -> String {
    let (status, body) = post_form(
        t,
        "/oauth/v2/token",
        Some((username, secret)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "openid profile"),
        ],
    );
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

fn exchange(t: &Tenant, app: &App, fields: &[(&str, &str)]) -> (u16, Value) {
    let mut all = vec![("grant_type", EXCHANGE)];
    all.extend_from_slice(fields);
    post_as(t, app, "/oauth/v2/token", &all)
}

fn introspect(t: &Tenant, app: &App, token: &str) -> Value {
    let (status, body) = post_as(t, app, "/oauth/v2/introspect", &[("token", token)]);
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn a_service_exchanges_a_users_token_and_names_its_actor() {
    let t = server().tenant();
    let app = service(&t, &["client_credentials", "token_exchange"]);
    let (alice, alice_secret) = machine(&t, "alice-svc", &["ORG_USER_MANAGER"]);
    let (bob, bob_secret) = machine(&t, "bob-svc", &["ORG_USER_MANAGER"]);
    let subject = token_of(&t, "alice-svc", &alice_secret);
    let actor = token_of(&t, "bob-svc", &bob_secret);

    // Exchange: a token of the app about the same user, at most the scope it had.
    let (status, got) = exchange(
        &t,
        &app,
        &[
            ("subject_token", &subject),
            ("subject_token_type", ACCESS),
            ("scope", "openid email"),
        ],
    );
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["issued_token_type"], ACCESS);
    assert_eq!(got["scope"], "openid");
    let seen = introspect(&t, &app, got["access_token"].as_str().unwrap());
    assert_eq!(
        (seen["sub"].as_str(), seen["client_id"].as_str()),
        (Some(alice.as_str()), Some(app.client_id.as_str()))
    );
    assert_eq!(seen.get("act"), None);

    // Delegation: the actor is named, and an actor of the subject token is kept under it.
    let (_, delegated) = exchange(
        &t,
        &app,
        &[
            ("subject_token", &subject),
            ("subject_token_type", ACCESS),
            ("actor_token", &actor),
            ("actor_token_type", ACCESS),
        ],
    );
    let delegated = delegated["access_token"].as_str().unwrap().to_string();
    let seen = introspect(&t, &app, &delegated);
    assert_eq!(seen["sub"], alice.as_str());
    assert_eq!(seen["act"], json!({"sub": bob}));
    let (_, again) = exchange(
        &t,
        &app,
        &[
            ("subject_token", &delegated),
            ("subject_token_type", ACCESS),
            ("actor_token", &subject),
            ("actor_token_type", ACCESS),
        ],
    );
    let seen = introspect(&t, &app, again["access_token"].as_str().unwrap());
    assert_eq!(seen["act"], json!({"sub": alice, "act": {"sub": bob}}));
}

#[test]
fn what_is_no_exchange_is_refused() {
    let t = server().tenant();
    let app = service(&t, &["client_credentials", "token_exchange"]);
    let plain = service(&t, &["client_credentials"]);
    let (_, secret) = machine(&t, "carol-svc", &["ORG_USER_MANAGER"]);
    let subject = token_of(&t, "carol-svc", &secret);
    let (_, apps_own) = post_as(
        &t,
        &app,
        "/oauth/v2/token",
        &[("grant_type", "client_credentials")],
    );
    let apps_own = apps_own["access_token"].as_str().unwrap().to_string();
    for (why, who, fields, error) in [
        (
            "an app that may not exchange",
            &plain,
            vec![
                ("subject_token", subject.as_str()),
                ("subject_token_type", ACCESS),
            ],
            "unauthorized_client",
        ),
        (
            "garbage",
            &app,
            vec![
                ("subject_token", "not-a-token"),
                ("subject_token_type", ACCESS),
            ],
            "invalid_grant",
        ),
        (
            "an app's own token as the subject",
            &app,
            vec![
                ("subject_token", apps_own.as_str()),
                ("subject_token_type", ACCESS),
            ],
            "invalid_grant",
        ),
        (
            "an app's own token as the actor",
            &app,
            vec![
                ("subject_token", subject.as_str()),
                ("subject_token_type", ACCESS),
                ("actor_token", apps_own.as_str()),
                ("actor_token_type", ACCESS),
            ],
            "invalid_grant",
        ),
        (
            "an ID token asked for",
            &app,
            vec![
                ("subject_token", subject.as_str()),
                ("subject_token_type", ACCESS),
                (
                    "requested_token_type",
                    "urn:ietf:params:oauth:token-type:id_token",
                ),
            ],
            "invalid_request",
        ),
        (
            "an unknown subject type",
            &app,
            vec![
                ("subject_token", subject.as_str()),
                ("subject_token_type", "urn:x:saml"),
            ],
            "invalid_request",
        ),
        (
            "impersonation without an actor",
            &app,
            vec![
                ("subject_token", "someone"),
                ("subject_token_type", USER_ID),
            ],
            "invalid_request",
        ),
    ] {
        let (status, body) = exchange(&t, who, &fields);
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{why}: {body}"
        );
    }
}

#[test]
fn impersonators_act_as_users_of_their_scope_once_the_instance_allows_it() {
    let t = server().tenant();
    let org = super::default_org(&t);
    let app = service(&t, &["client_credentials", "token_exchange"]);
    let grace = human(&t, "grace", "a long password");
    let (_, end_secret) = machine(&t, "end-imp", &["ORG_END_USER_IMPERSONATOR"]);
    let (admin_imp, admin_secret) = machine(&t, "admin-imp", &["ORG_ADMIN_IMPERSONATOR"]);
    let (manager, _) = machine(&t, "a-manager", &["ORG_USER_MANAGER"]);
    let (_, owner_secret) = machine(&t, "no-imp", &["ORG_OWNER"]);
    let end_user_impersonator = token_of(&t, "end-imp", &end_secret);
    let admin_impersonator = token_of(&t, "admin-imp", &admin_secret);
    let impersonate = |actor: &str, user: &str| {
        exchange(
            &t,
            &app,
            &[
                ("subject_token", user),
                ("subject_token_type", USER_ID),
                ("actor_token", actor),
                ("actor_token_type", ACCESS),
                ("scope", "openid profile"),
            ],
        )
    };

    // Off until the instance turns it on.
    let (status, off) = impersonate(&end_user_impersonator, &grace);
    assert_eq!(
        (status, off["error"].as_str()),
        (400, Some("invalid_request")),
        "{off}"
    );
    let on = t.client.put(
        "/v1/instance/settings/security",
        json!({"impersonation": true}),
    );
    assert_eq!(on.status, 200, "{}", on.body);
    let _ = t.client.after(&on).get("/v1/instance/settings/security");

    // An end user, by an end-user impersonator: a token as grace, the impersonator in act.
    let (status, got) = impersonate(&end_user_impersonator, &grace);
    assert_eq!(status, 200, "{got}");
    let token = got["access_token"].as_str().unwrap();
    let seen = introspect(&t, &app, token);
    assert_eq!(seen["sub"], grace.as_str());
    assert_eq!(
        seen["act"]["sub"].as_str().map(|s| !s.is_empty()),
        Some(true)
    );
    let userinfo = t.as_token(token).get("/oidc/v1/userinfo");
    assert_eq!(userinfo.body["sub"], grace.as_str(), "{}", userinfo.body);
    // Recorded on the user, naming both.
    // (The exchange answers no position: the audit trail is read until it has the event.)
    let events = t
        .client
        .get_until(&format!("/v1/events?aggregate_id={grace}"), |r| {
            r.body["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|e| e["type"] == "user.impersonated"))
        });
    let recorded: Vec<&Value> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "user.impersonated")
        .collect();
    assert_eq!(recorded.len(), 1, "{}", events.body);
    assert_eq!(recorded[0]["payload"]["client_id"], app.client_id.as_str());
    assert_eq!(recorded[0]["payload"]["by"], seen["act"]["sub"]);

    // A manager: only an admin impersonator.
    let (status, denied) = impersonate(&end_user_impersonator, &manager);
    assert_eq!(
        (status, denied["error"].as_str()),
        (400, Some("access_denied")),
        "{denied}"
    );
    let (status, admin) = impersonate(&admin_impersonator, &manager);
    assert_eq!(status, 200, "{admin}");
    let seen = introspect(&t, &app, admin["access_token"].as_str().unwrap());
    assert_eq!(seen["act"], json!({"sub": admin_imp}));
    // No impersonator role, not even an owner: denied.
    let owner = token_of(&t, "no-imp", &owner_secret);
    let (_, denied) = impersonate(&owner, &grace);
    assert_eq!(denied["error"], "access_denied");

    // The org turns it off for its users: off again.
    let off = t.client.put(
        &format!("/v1/orgs/{org}/settings/security"),
        json!({"impersonation": false}),
    );
    assert_eq!(off.status, 200, "{}", off.body);
    let _ = t
        .client
        .after(&off)
        .get(&format!("/v1/orgs/{org}/settings/security"));
    let (_, refused) = impersonate(&end_user_impersonator, &grace);
    assert_eq!(refused["error"], "invalid_request");
}

#[test]
fn an_exchanged_token_names_only_audiences_of_the_calling_apps_org() {
    let t = server().tenant();
    // A user's token naming a project of the default org as its audience.
    let home = new_app(
        &t,
        json!({"name": "home", "redirect_uris": [], "auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"]}),
    )
    .0;
    let (_, secret) = machine(&t, "dave-svc", &["ORG_USER_MANAGER"]);
    let audience = format!("urn:portcullis:project:id:{home}:aud");
    let (status, body) = post_form(
        &t,
        "/oauth/v2/token",
        Some(("dave-svc", &secret)),
        &[
            ("grant_type", "client_credentials"),
            ("scope", &format!("openid {audience}")),
        ],
    );
    assert_eq!(status, 200, "{body}");
    let subject = body["access_token"].as_str().unwrap().to_string();
    // A service of another org exchanges it: it may not keep that org's project as audience.
    let other = t
        .client
        .post("/v1/orgs", json!({"name": "Other"}))
        .str("id");
    let project = t
        .client
        .post(
            &format!("/v1/orgs/{other}/projects"),
            json!({"name": "Theirs"}),
        )
        .str("id");
    let created = t.client.post(
        &format!("/v1/projects/{project}/apps/oidc"),
        json!({"name": "theirs", "redirect_uris": [], "auth_method": "client_secret_basic",
               "grant_types": ["client_credentials", "token_exchange"]}),
    );
    let _ = t
        .client
        .after(&created)
        .get(&format!("/v1/projects/{project}/apps"));
    let theirs = App {
        project_id: project,
        app_id: created.str("id"),
        client_id: created.str("client_id"),
        client_secret: created.body["client_secret"].as_str().map(String::from),
        auth_method: "client_secret_basic".into(),
    };
    let asked = format!("openid {audience}");
    let fields = [
        ("subject_token", subject.as_str()),
        ("subject_token_type", ACCESS),
        ("scope", asked.as_str()),
    ];
    let (status, refused) = exchange(&t, &theirs, &fields);
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_scope")),
        "{refused}"
    );
    // A service of the same org may.
    let ours = service(&t, &["client_credentials", "token_exchange"]);
    let (status, got) = exchange(&t, &ours, &fields);
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["scope"], asked);
}
