//! Real clients, unchanged, against `portcullis start`'s default instance (reached as
//! `localhost`): node `openid-client`, Python `authlib`, and headless Chromium driven by
//! playwright-core, through the login and through registration at the login.
//! `scripts/test` installs them (npm, PyPI, Debian).

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

pub(super) fn issuer() -> String {
    format!("http://localhost:{}", server().addr.port())
}

const REDIRECT: &str = "http://localhost:7777/callback";

/// A confidential app in a project of `org` of its own, named for `tag`, authenticating with
/// `auth_method`.
pub(super) fn confidential_app(
    admin: &Client,
    org: &str,
    tag: &str,
    auth_method: &str,
) -> testkit::Reply {
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
    app
}

/// The default instance's default org.
pub(super) fn default_org_of(admin: &Client) -> String {
    let orgs = admin.get("/v1/orgs");
    orgs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Default")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A confidential app and a human in the default instance, named uniquely for this test. The
/// app authenticates with `auth_method`, the client library's default (openid-client's is
/// `client_secret_post`, authlib's `client_secret_basic`): the token endpoint accepts only the
/// method an app registered.
fn fixtures(admin: &Client, tag: &str, auth_method: &str) -> (String, String, String, String) {
    let org = default_org_of(admin);
    let app = confidential_app(admin, &org, tag, auth_method);
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

/// A confidential app in an org of its own whose `login` settings allow registration: its
/// client id and secret, and the org.
fn registration_app(admin: &Client, tag: &str, auth_method: &str) -> (String, String, String) {
    let org = admin.post("/v1/orgs", json!({"name": format!("o-{tag}")}));
    assert_eq!(org.status, 201, "{}", org.body);
    let org = org.str("id");
    let open = admin.put(
        &format!("/v1/orgs/{org}/settings/login"),
        json!({"allow_register": true}),
    );
    assert_eq!(open.status, 200, "{}", open.body);
    let app = confidential_app(admin, &org, tag, auth_method);
    let _ = admin.after(&app).get("/v1/users/me");
    (app.str("client_id"), app.str("client_secret"), org)
}

/// The user named `username`, once the read model has them (up to 5 s).
fn user_named(admin: &Client, username: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let found = admin.get(&format!("/v1/users?username={username}"));
        if let Some(user) = found.body["items"].get(0) {
            return user.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no user {username}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub(super) fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Value {
    let stdout = output(program, args, env);
    serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// One page in Chromium as `page_shot.mjs` sees it in `locale` on a phone without scripts
/// (what it says, labels, overflow): the screenshot `name`.png goes to PORTCULLIS_SCREENSHOTS
/// when that is set.
pub(super) fn page_shot(url: &str, locale: &str, name: &str) -> Value {
    let shots = tempfile::tempdir().unwrap();
    let out = shots.path().to_str().unwrap();
    let env = [
        ("URL", url),
        ("LOCALE", locale),
        ("NAME", name),
        ("OUT", out),
    ];
    let seen = run("node", &["page_shot.mjs"], &env);
    if let Some(dir) = std::env::var_os("PORTCULLIS_SCREENSHOTS") {
        let file = format!("{name}.png");
        std::fs::copy(
            shots.path().join(&file),
            std::path::Path::new(&dir).join(&file),
        )
        .unwrap();
    }
    seen
}

/// What a client printed (it must succeed).
pub(super) fn output(program: &str, args: &[&str], env: &[(&str, &str)]) -> String {
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
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
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
fn node_openid_client_gets_tokens_for_someone_who_registers_at_the_login() {
    let admin = server().default_instance();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let (client_id, secret, org) = registration_app(&admin, &tag, "client_secret_post");
    let username = format!("new-{tag}");
    let email = format!("{username}@example.com");
    let iss = issuer();
    let seen = run(
        "node",
        &["node_client.mjs"],
        &[
            ("FLOW", "register"),
            ("ISSUER", &iss),
            ("CLIENT_ID", &client_id),
            ("CLIENT_SECRET", &secret),
            ("REDIRECT_URI", REDIRECT),
            ("USERNAME", &username),
            ("EMAIL", &email),
            ("PASSWORD", "a long enough password"),
        ],
    );
    let user = user_named(&admin, &username);
    assert_eq!(user["org_id"], org.as_str());
    assert_eq!(seen["sub"], user["id"]);
    assert_eq!(seen["userinfo"]["email"], email.as_str());
    assert_eq!(seen["userinfo"]["email_verified"], false);
    assert_eq!(seen["introspected"]["sub"], user["id"]);
}

#[test]
fn python_authlib_gets_tokens_for_someone_who_registers_at_the_login() {
    let admin = server().default_instance();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let (client_id, secret, org) = registration_app(&admin, &tag, "client_secret_basic");
    let username = format!("new-{tag}");
    let email = format!("{username}@example.com");
    let iss = issuer();
    let seen = run(
        &venv_python(),
        &["authlib_register.py"],
        &[
            ("ISSUER", &iss),
            ("CLIENT_ID", &client_id),
            ("CLIENT_SECRET", &secret),
            ("REDIRECT_URI", REDIRECT),
            ("USERNAME", &username),
            ("EMAIL", &email),
            ("PASSWORD", "a long enough password"),
        ],
    );
    let user = user_named(&admin, &username);
    assert_eq!(user["org_id"], org.as_str());
    assert_eq!(seen["id_token"]["sub"], user["id"]);
    assert_eq!(seen["id_token"]["iss"], iss.as_str());
    assert!(seen["id_token"]["aud"]
        .as_array()
        .is_some_and(|aud| aud.contains(&json!(client_id))));
    assert_eq!(seen["nonce_matches"], true);
    assert_eq!(seen["userinfo"]["sub"], user["id"]);
    assert_eq!(seen["userinfo"]["email"], email.as_str());
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

/// Chromium logs a new user in to a new app with openid-client (`browser.mjs`, with `extra`
/// in its environment): what it saw, and the user's id.
fn chromium_login(extra: &[(&str, &str)]) -> (Value, String) {
    let admin = server().default_instance();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let (client_id, secret, username, user_id) = fixtures(&admin, &tag, "client_secret_post");
    let iss = issuer();
    let mut env = vec![
        ("ISSUER", iss.as_str()),
        ("CLIENT_ID", &client_id),
        ("CLIENT_SECRET", &secret),
        ("REDIRECT_URI", REDIRECT),
        ("USERNAME", &username),
        ("PASSWORD", "a long password"),
    ];
    env.extend_from_slice(extra);
    (run("node", &["browser.mjs"], &env), user_id)
}

#[test]
fn headless_chromium_logs_in_on_the_hosted_page() {
    let (seen, user_id) = chromium_login(&[]);
    assert!(seen["landed"].as_str().unwrap().starts_with(REDIRECT));
    assert_eq!(seen["sub"], user_id.as_str());
    let cookie = &seen["sessionCookie"];
    assert_eq!(cookie["httpOnly"], true);
    assert_eq!(cookie["sameSite"], "Lax");
    assert_eq!(cookie["secure"], false, "plain http in development");
}

#[test]
fn headless_chromium_posts_the_code_back_with_form_post() {
    let (seen, user_id) = chromium_login(&[("RESPONSE_MODE", "form_post")]);
    // The login's page posted the code (its script ran under the page's policy), and
    // openid-client took it from the posted form.
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["landed"], REDIRECT);
    assert_eq!(seen["sub"], user_id.as_str());
}

#[test]
fn openid_client_pushes_its_request_and_chromium_logs_in_with_it() {
    let (seen, user_id) = chromium_login(&[("PAR", "1")]);
    // The browser carried only the client id and the pushed request's reference.
    let url = seen["authUrl"].as_str().unwrap();
    assert!(
        url.contains("request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A"),
        "{url}"
    );
    assert!(!url.contains("code_challenge"), "{url}");
    assert_eq!(seen["method"], "GET");
    assert_eq!(seen["sub"], user_id.as_str());
}

#[test]
fn openid_client_on_a_device_and_chromium_on_the_users_phone() {
    let admin = server().default_instance();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let org = super::default_org_of(&admin);
    let project = admin
        .post(
            &format!("/v1/orgs/{org}/projects"),
            json!({"name": format!("tv-{tag}")}),
        )
        .str("id");
    let app = admin.post(
        &format!("/v1/projects/{project}/apps/oidc"),
        json!({"name": "Wohnzimmer-TV", "redirect_uris": [], "auth_method": "none",
               "grant_types": ["device_code"]}),
    );
    assert_eq!(app.status, 201, "{}", app.body);
    let username = format!("viewer-{tag}");
    let user = admin.post(
        &format!("/v1/orgs/{org}/users/human"),
        json!({"username": username, "profile": {"given_name": "Ada", "family_name": "L"},
               "email": {"address": format!("{username}@example.com")}, "password": "a long password"}),
    );
    let _ = admin.after(&user).get("/v1/users/me");
    let shots = tempfile::tempdir().unwrap();
    let seen = run(
        "node",
        &["device.mjs"],
        &[
            ("ISSUER", &issuer()),
            ("CLIENT_ID", &app.str("client_id")),
            ("USERNAME", &username),
            ("PASSWORD", "a long password"),
            ("OUT", shots.path().to_str().unwrap()),
        ],
    );
    // The page came filled from verification_uri_complete; the device got the user's tokens.
    assert_eq!(seen["prefilled"], seen["userCode"]);
    assert_eq!(seen["sub"], user.str("id").as_str());
    assert_eq!(seen["tokenType"], "bearer");
    let pages = &seen["pages"];
    for (name, heading) in [
        ("device-de-phone", "Gerät verbinden"),
        ("device-allow-de-phone", "Dieses Gerät zulassen?"),
        ("device-connected-de-phone", "Gerät verbunden"),
    ] {
        let p = &pages[name];
        assert_eq!(
            (p["lang"].as_str(), p["heading"].as_str()),
            (Some("de"), Some(heading))
        );
        assert_eq!(p["unlabelled"], json!([]), "{name}");
        assert_eq!(p["overflow"], false, "{name} is wider than the phone");
    }
    let allow = pages["device-allow-de-phone"]["text"].as_str().unwrap();
    assert!(allow.contains("Wohnzimmer-TV") && allow.contains(seen["userCode"].as_str().unwrap()));
    if std::env::var_os("PORTCULLIS_WRITE_SCREENSHOTS").is_some() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots");
        for name in ["device-de-phone", "device-allow-de-phone"] {
            let file = format!("{name}.png");
            std::fs::copy(shots.path().join(&file), format!("{docs}/{file}")).unwrap();
        }
    }
}
