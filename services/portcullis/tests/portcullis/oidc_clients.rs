//! Real clients, unchanged, against `portcullis start`'s default instance (reached as
//! `localhost`): node `openid-client`, Python `authlib`, and headless Chromium driven by
//! playwright-core. `scripts/test` installs them (npm, PyPI, Debian).

use std::process::Command;

use serde_json::{json, Value};
use testkit::{server, Client};

fn clients_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients").to_string()
}

pub(super) fn venv_python() -> String {
    let venv = std::env::var("PORTCULLIS_VENV").unwrap_or_else(|_| {
        format!(
            "{}/.cache/portcullis-venv-3.12",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    format!("{venv}/bin/python")
}

fn issuer() -> String {
    format!("http://localhost:{}", server().addr.port())
}

const REDIRECT: &str = "http://localhost:7777/callback";

/// A confidential app and a human in the default instance, named uniquely for this test. The
/// app authenticates with `auth_method`, the client library's default (openid-client's is
/// `client_secret_post`, authlib's `client_secret_basic`): the token endpoint accepts only the
/// method an app registered.
fn fixtures(admin: &Client, tag: &str, auth_method: &str) -> (String, String, String, String) {
    let orgs = admin.get("/v1/orgs");
    let org = orgs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Default")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let project = admin
        .post(
            &format!("/v1/orgs/{org}/projects"),
            json!({"name": format!("p-{tag}")}),
        )
        .str("id");
    let app = admin.post(
        &format!("/v1/projects/{project}/apps/oidc"),
        json!({"name": "web", "redirect_uris": [REDIRECT], "auth_method": auth_method,
               "grant_types": ["authorization_code", "refresh_token"]}),
    );
    assert_eq!(app.status, 201, "{}", app.body);
    let username = format!("user-{tag}");
    let user = admin.post(
        &format!("/v1/orgs/{org}/users/human"),
        json!({"username": username, "profile": {"given_name": "Ada", "family_name": "L"},
               "email": {"address": format!("{username}@example.com")}, "password": "a long password"}),
    );
    assert_eq!(user.status, 201, "{}", user.body);
    // The OIDC endpoints read from the read model: wait for both writes there.
    let _ = admin.after(&user).get("/v1/users/me");
    (
        app.str("client_id"),
        app.str("client_secret"),
        username,
        user.str("id"),
    )
}

pub(super) fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(clients_dir())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {program} ({e}): run `bash scripts/test`, which installs the clients"
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn node_openid_client_logs_in_refreshes_introspects_and_revokes() {
    let admin = server().default_instance();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let (client_id, secret, username, user_id) = fixtures(&admin, &tag, "client_secret_post");
    let iss = issuer();
    let seen = run(
        "node",
        &["node_client.mjs"],
        &[
            ("ISSUER", &iss),
            ("CLIENT_ID", &client_id),
            ("CLIENT_SECRET", &secret),
            ("REDIRECT_URI", REDIRECT),
            ("USERNAME", &username),
            ("PASSWORD", "a long password"),
        ],
    );
    assert_eq!(seen["sub"], user_id.as_str());
    assert_eq!(seen["userinfo"]["preferred_username"], username.as_str());
    assert_eq!(seen["rotated"], true);
    assert_eq!(seen["introspected"]["active"], true);
    assert_eq!(seen["introspected"]["sub"], user_id.as_str());
    assert_eq!(seen["afterRevocation"]["active"], false);
}

#[test]
fn python_authlib_uses_client_credentials_and_introspects() {
    let admin = server().default_instance();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let (client_id, secret, _, _) = fixtures(&admin, &tag, "client_secret_basic");
    let orgs = admin.get("/v1/orgs");
    let org = orgs.body["items"][0]["id"].as_str().unwrap().to_string();
    let bot = admin
        .post(
            &format!("/v1/orgs/{org}/users/machine"),
            json!({"username": format!("bot-{tag}"), "name": "Bot"}),
        )
        .str("id");
    let machine_secret = admin
        .post(&format!("/v1/users/{bot}/secret"), json!({}))
        .str("client_secret");
    let _ = admin.get("/v1/users/me"); // the secret is in the read model from here on
    let iss = issuer();
    let machine_id = format!("bot-{tag}");
    let seen = run(
        &venv_python(),
        &["authlib_client.py"],
        &[
            ("ISSUER", &iss),
            ("CLIENT_ID", &client_id),
            ("CLIENT_SECRET", &secret),
            ("MACHINE_ID", &machine_id),
            ("MACHINE_SECRET", &machine_secret),
        ],
    );
    assert_eq!(seen["token_type"], "Bearer");
    assert_eq!(seen["introspected"]["active"], true);
    assert_eq!(seen["introspected"]["sub"], bot.as_str());
    assert_eq!(seen["revoked"], 200);
    assert_eq!(seen["wrong_secret_refused"], true);
}

#[test]
fn headless_chromium_logs_in_on_the_hosted_page() {
    let admin = server().default_instance();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let (client_id, secret, username, user_id) = fixtures(&admin, &tag, "client_secret_post");
    let iss = issuer();
    let seen = run(
        "node",
        &["browser.mjs"],
        &[
            ("ISSUER", &iss),
            ("CLIENT_ID", &client_id),
            ("CLIENT_SECRET", &secret),
            ("REDIRECT_URI", REDIRECT),
            ("USERNAME", &username),
            ("PASSWORD", "a long password"),
        ],
    );
    assert!(seen["landed"].as_str().unwrap().starts_with(REDIRECT));
    assert_eq!(seen["sub"], user_id.as_str());
    let cookie = &seen["sessionCookie"];
    assert_eq!(cookie["httpOnly"], true);
    assert_eq!(cookie["sameSite"], "Lax");
    assert_eq!(cookie["secure"], false, "plain http in development");
}
