//! Logins through a customer's OpenID Connect provider (npm `oidc-provider`, started here)
//! at the hosted login, in headless Chromium: the login page offers the org's IdP, the user
//! logs in there and comes back to the app as a user made just in time from the IdP's claims,
//! linked to the identity; the next login is the same user. And what an attacker would try:
//! a state that is changed, or brought by another browser, and an IdP (made here) whose ID
//! tokens are forged: signed by another key, for another client, login or issuer, expired;
//! and a linked user who is locked.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::default_org;
use super::http_sink::HttpSink;
use super::login_sessions::{auth_request, caller, finalize};
use super::oidc_behaviours::{auth_url, claims, exchange, VERIFIER};
use super::oidc_clients::run;
use super::oidc_support::{app, issuer, param, Es256Key, UserAgent, REDIRECT};

const SECRET: &str = "the-customer-idp-client-secret";

/// The customer's IdP, listening until dropped.
struct CustomerIdp {
    child: Child,
    issuer: String,
}

impl Drop for CustomerIdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the IdP with Portcullis's callback at `t` as its client's redirect URI.
fn customer_idp(t: &Tenant) -> CustomerIdp {
    let port = free_port();
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../loadtests/peers/oidc-provider"
    );
    let callback = format!("{}/ui/login/idp/callback", issuer(t));
    let mut child = Command::new("node")
        .args(["customer_idp.mjs", &port.to_string(), &callback, SECRET])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs the customer's IdP: run `bash scripts/test`, which installs it");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    // What it says later is drained, so that it never blocks; its errors are shown, its
    // development notices are not.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let err = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            if !line.starts_with("oidc-provider WARNING") {
                eprintln!("customer IdP: {line}");
            }
        }
    });
    CustomerIdp {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
    }
}

/// An org IdP of the tenant's default org at the customer's IdP: its id.
fn org_idp(t: &Tenant, idp: &CustomerIdp) -> String {
    with_org_idp(
        t,
        json!({"name": "Customer SSO", "type": "oidc",
               "oidc": {"issuer": idp.issuer, "client_id": "portcullis", "client_secret": SECRET,
                        "scopes": ["email", "profile"]}}),
    )
}

/// A browser's login for `app` sent on to the org's IdP by the login page's button: the
/// browser (with the IdP cookie) and the IdP's authorization URL.
pub(super) fn sent_to_idp(t: &Tenant, app: &super::oidc_support::App) -> (UserAgent, String) {
    let mut browser = UserAgent::default();
    let login = browser.request("GET", &auth_url(t, app, ""), None);
    let login_page = format!("{}{}", issuer(t), login.location.unwrap());
    let page = browser.request("GET", &login_page, None);
    let start = page
        .body
        .split("href=\"")
        .find(|s| s.starts_with("/ui/login/idp?"))
        .and_then(|s| s.split('"').next())
        .expect("the IdP's button")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let to_idp = browser.request("GET", &format!("{}{start}", issuer(t)), None);
    assert_eq!(to_idp.status, 302, "{}", to_idp.body);
    (browser, to_idp.location.expect("to the IdP"))
}

/// The login's callback as the IdP sends the browser back with `code`.
pub(super) fn back_from_idp(t: &Tenant, state: &str, code: &str) -> String {
    format!(
        "{}/ui/login/idp/callback?code={code}&state={}",
        issuer(t),
        super::oidc_support::enc(state)
    )
}

/// Logins through IdPs allowed for the tenant's default org, and `idp` added to it.
pub(super) fn with_org_idp(t: &Tenant, idp: Value) -> String {
    let org = default_org(t);
    let allowed = t.client.put(
        &format!("/v1/orgs/{org}/settings/login"),
        json!({"allow_external_idp": true}),
    );
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    let added = t
        .client
        .after(&allowed)
        .post(&format!("/v1/orgs/{org}/idps"), idp);
    assert_eq!(added.status, 201, "{}", added.body);
    let _ = t.client.after(&added).get("/v1/users/me");
    added.str("id")
}

fn chromium_login(t: &Tenant, app: &super::oidc_support::App, login: &str) -> Value {
    let shots = tempfile::tempdir().unwrap();
    let seen = run(
        "node",
        &["idp_login.mjs"],
        &[
            ("AUTH_URL", &auth_url(t, app, "")),
            ("IDP_NAME", "Customer SSO"),
            ("LOGIN", login),
            ("REDIRECT_URI", REDIRECT),
            ("OUT", shots.path().to_str().unwrap()),
        ],
    );
    if std::env::var_os("PORTCULLIS_WRITE_SCREENSHOTS").is_some() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots");
        std::fs::copy(
            shots.path().join("login-idp.png"),
            format!("{docs}/login-idp.png"),
        )
        .unwrap();
    }
    seen
}

#[test]
fn a_user_of_the_customers_idp_logs_in_and_is_made_and_linked_just_in_time() {
    let t = server().tenant();
    let idp = customer_idp(&t);
    let idp_id = org_idp(&t, &idp);
    let app = app(&t, "client_secret_basic", "jwt");
    let seen = chromium_login(&t, &app, "grace");
    assert_eq!(
        seen["buttons"],
        json!(["Log in with Customer SSO"]),
        "{seen}"
    );
    assert_eq!(seen["atIdp"], idp.issuer.trim_start_matches("http://"));
    let landed = seen["landed"].as_str().unwrap();
    let code = param(landed, "code").expect("a code for the app");
    let (status, tokens) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["fed"]));
    // A new user of the org, from the IdP's claims, its email verified as the IdP said.
    let user_id = id_token["sub"].as_str().unwrap().to_string();
    let user = t.client.get(&format!("/v1/users/{user_id}"));
    assert_eq!(user.status, 200, "{}", user.body);
    assert_eq!(user.body["username"], "grace");
    assert_eq!(user.body["org_id"], default_org(&t).as_str());
    assert_eq!(user.body["profile"]["given_name"], "Grace");
    assert_eq!(user.body["email"]["address"], "grace@customer.example");
    assert_eq!(user.body["email"]["verified"], true);
    // The link is on the user's record.
    let events = t.client.get("/v1/events?limit=1000");
    let linked = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "user.idp.linked")
        .expect("the link");
    assert_eq!(linked["aggregate_id"], user_id.as_str());
    assert_eq!(linked["payload"]["idp_id"], idp_id.as_str());
    assert_eq!(linked["payload"]["external_id"], "grace");

    // The next login (another browser) is the same user; nobody new is made.
    let again = chromium_login(&t, &app, "grace");
    let code = param(again["landed"].as_str().unwrap(), "code").unwrap();
    let (_, tokens) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["sub"],
        user_id.as_str()
    );
    let users = t.client.get("/v1/users?username=grace");
    assert_eq!(users.body["items"].as_array().unwrap().len(), 1);

    // The user's links, and an unlink: the identity logs in as that user no more.
    let links = t.client.get(&format!("/v1/users/{user_id}/idp_links"));
    assert_eq!(links.status, 200, "{}", links.body);
    let link = &links.body["items"][0];
    assert_eq!(
        (&link["idp_id"], &link["external_id"]),
        (&json!(idp_id), &json!("grace"))
    );
    assert_eq!(link["display_name"], "grace@customer.example");
    let path = format!("/v1/users/{user_id}/idp_links/{idp_id}/grace");
    let unlinked = t.client.delete(&path);
    assert_eq!(unlinked.status, 200, "{}", unlinked.body);
    assert_eq!(
        t.client.after(&unlinked).delete(&path).error(),
        (404, "IDP-0006")
    );
    let after = t
        .client
        .after(&unlinked)
        .get(&format!("/v1/users/{user_id}/idp_links"));
    assert_eq!(after.body["items"], json!([]));
    let third = chromium_login(&t, &app, "grace");
    let code = param(third["landed"].as_str().unwrap(), "code").unwrap();
    let (_, tokens) = exchange(&t, &app, &code, VERIFIER);
    let sub = claims(tokens["id_token"].as_str().unwrap())["sub"].clone();
    assert_ne!(
        sub,
        json!(user_id),
        "a new user, since nobody is linked any more"
    );
}

#[test]
fn a_changed_state_or_another_browsers_goes_nowhere() {
    let t = server().tenant();
    let idp = customer_idp(&t);
    org_idp(&t, &idp);
    let app = app(&t, "client_secret_basic", "jwt");
    // The login page's button leads to the IdP with a sealed state, and a cookie.
    let (mut browser, at_idp) = sent_to_idp(&t, &app);
    assert!(at_idp.starts_with(&idp.issuer), "{at_idp}");
    let state = param(&at_idp, "state").expect("a state");
    let callback = |state: &str| back_from_idp(&t, state, "anything");
    // Changed, or from a browser without the cookie: the login is over, nothing is made.
    let mut changed = state.clone().into_bytes();
    changed[20] = if changed[20] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();
    let r = browser.request("GET", &callback(&changed), None);
    assert_eq!(r.status, 400, "a changed state: {}", r.body);
    let mut stranger = UserAgent::default();
    let r = stranger.request("GET", &callback(&state), None);
    assert_eq!(r.status, 400, "another browser: {}", r.body);
    let users = t.client.get("/v1/users");
    assert!(users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["username"] != "grace"));
}

/// An IdP that answers what the test makes it answer: its discovery, its key, and the token
/// response of the moment.
struct ForgingIdp {
    site: HttpSink,
    key: Es256Key,
}

impl ForgingIdp {
    fn start() -> ForgingIdp {
        let site = HttpSink::start(0);
        let key = Es256Key::new();
        let iss = site.url("");
        site.serve_at(
            "/.well-known/openid-configuration",
            &json!({"issuer": iss, "authorization_endpoint": format!("{iss}/authorize"),
                    "token_endpoint": format!("{iss}/token"), "jwks_uri": format!("{iss}/jwks"),
                    "response_types_supported": ["code"], "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["ES256"]})
            .to_string(),
        );
        let mut jwk = key.jwk();
        jwk["kid"] = json!("k1");
        jwk["alg"] = json!("ES256");
        jwk["use"] = json!("sig");
        site.serve_at("/jwks", &json!({ "keys": [jwk] }).to_string());
        ForgingIdp { site, key }
    }

    fn issuer(&self) -> String {
        self.site.url("")
    }

    /// The token endpoint answers an ID token of `claims`, signed by `key`.
    fn answers(&self, key: &Es256Key, claims: &Value) {
        let id_token = key.sign(&json!({"alg": "ES256", "kid": "k1", "typ": "JWT"}), claims);
        let body = json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token});
        self.site.serve_at("/token", &body.to_string());
    }
}

#[test]
fn forged_id_tokens_log_nobody_in() {
    let t = server().tenant();
    let idp = ForgingIdp::start();
    with_org_idp(
        &t,
        json!({"name": "Customer SSO", "type": "oidc",
               "oidc": {"issuer": idp.issuer(), "client_id": "portcullis", "client_secret": SECRET}}),
    );
    let app = app(&t, "client_secret_basic", "jwt");
    // A login that went to the IdP: its state and nonce.
    let (mut browser, at_idp) = sent_to_idp(&t, &app);
    let (state, nonce) = (
        param(&at_idp, "state").unwrap(),
        param(&at_idp, "nonce").unwrap(),
    );
    let back = back_from_idp(&t, &state, "c");
    let now = super::oidc_support::unix_now();
    let honest = json!({"iss": idp.issuer(), "sub": "mallory", "aud": "portcullis",
        "iat": now, "exp": now + 300, "nonce": nonce, "email": "mallory@customer.example",
        "email_verified": true});
    let with = |name: &str, value: Value| {
        let mut c = honest.clone();
        c[name] = value;
        c
    };
    let stranger = Es256Key::new();
    for (attack, key, claims) in [
        ("signed by another key", &stranger, honest.clone()),
        (
            "for another client",
            &idp.key,
            with("aud", json!("someone-else")),
        ),
        (
            "for another login",
            &idp.key,
            with("nonce", json!("another-nonce")),
        ),
        (
            "from another issuer",
            &idp.key,
            with("iss", json!("https://evil.example")),
        ),
        ("expired", &idp.key, with("exp", json!(now - 600))),
    ] {
        idp.answers(key, &claims);
        let r = browser.request("GET", &back, None);
        assert_eq!(r.status, 400, "{attack}: {}", r.body);
        assert!(r.location.is_none(), "{attack}");
    }
    let users = t.client.get("/v1/users");
    assert!(users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["email"]["address"] != "mallory@customer.example"));
    // The same harness with an honest token logs the user in: the refusals were the token's.
    idp.answers(&idp.key, &honest);
    let r = browser.request("GET", &back, None);
    assert_eq!(r.status, 302, "{}", r.body);
    let landed = r.location.unwrap();
    assert!(landed.starts_with(REDIRECT));
    let (_, tokens) = exchange(&t, &app, &param(&landed, "code").unwrap(), VERIFIER);
    let mallory = claims(tokens["id_token"].as_str().unwrap())["sub"]
        .as_str()
        .map(String::from)
        .expect("mallory was made");
    // Once that user is locked, the IdP's word logs nobody in.
    let locked = t
        .client
        .post(&format!("/v1/users/{mallory}/lock"), json!({}));
    assert_eq!(locked.status, 200, "{}", locked.body);
    let _ = t.client.after(&locked).get("/v1/users/me");
    let r = browser.request("GET", &back, None);
    assert_eq!(r.status, 400, "a locked user: {}", r.body);
    assert!(r.body.contains("No account here may log in"), "{}", r.body);
}

#[test]
fn a_github_style_oauth_provider_logs_its_user_in_by_its_userinfo() {
    let t = server().tenant();
    let site = HttpSink::start(0);
    site.serve_at(
        "/login/oauth/access_token",
        &json!({"access_token": "gho_test", "token_type": "bearer", "scope": "read:user"})
            .to_string(),
    );
    site.serve_at(
        "/user",
        &json!({"id": 583231, "login": "octocat", "name": "The Octocat",
                "email": "octocat@github.example"})
        .to_string(),
    );
    with_org_idp(
        &t,
        json!({"name": "GitHub", "type": "oauth", "oauth": {
            "authorization_endpoint": site.url("/login/oauth/authorize"),
            "token_endpoint": site.url("/login/oauth/access_token"),
            "userinfo_endpoint": site.url("/user"),
            "client_id": "Iv1.portcullis", "client_secret": SECRET,
            "scopes": ["read:user", "user:email"], "id_attribute": "id"}}),
    );
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, at_idp) = sent_to_idp(&t, &app);
    assert!(
        at_idp.starts_with(&site.url("/login/oauth/authorize?")),
        "{at_idp}"
    );
    assert_eq!(
        param(&at_idp, "client_id").as_deref(),
        Some("Iv1.portcullis")
    );
    assert_eq!(
        param(&at_idp, "scope").as_deref(),
        Some("read:user user:email")
    );
    assert_eq!(
        param(&at_idp, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let state = param(&at_idp, "state").unwrap();
    let r = browser.request("GET", &back_from_idp(&t, &state, "the-code"), None);
    assert_eq!(r.status, 302, "{}", r.body);
    // The code went to the token endpoint with the PKCE verifier; the token to userinfo.
    let token_call = &site.calls("/login/oauth/access_token")[0];
    let form = String::from_utf8(token_call.body.clone()).unwrap();
    assert!(
        form.contains("code=the-code") && form.contains("code_verifier="),
        "{form}"
    );
    assert_eq!(site.calls("/user").len(), 1);
    let landed = r.location.unwrap();
    let (_, tokens) = exchange(&t, &app, &param(&landed, "code").unwrap(), VERIFIER);
    let sub = claims(tokens["id_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_string();
    let user = t.client.get(&format!("/v1/users/{sub}"));
    assert_eq!(user.body["username"], "octocat");
    assert_eq!(user.body["email"]["address"], "octocat@github.example");
    // GitHub does not say that the address is verified: it is not taken as verified.
    assert_eq!(user.body["email"]["verified"], false);
    let links = t.client.get(&format!("/v1/users/{sub}/idp_links"));
    assert_eq!(links.body["items"][0]["external_id"], "583231");

    // The user changes their address at the IdP: the next login brings it along.
    site.serve_at(
        "/user",
        &json!({"id": 583231, "login": "octocat", "email": "mona@github.example"}).to_string(),
    );
    let (mut browser, at_idp) = sent_to_idp(&t, &app);
    let state = param(&at_idp, "state").unwrap();
    let r = browser.request("GET", &back_from_idp(&t, &state, "the-code"), None);
    assert_eq!(r.status, 302, "{}", r.body);
    let user = t.client.get_until(&format!("/v1/users/{sub}"), |u| {
        u.body["email"]["address"] == "mona@github.example"
    });
    assert_eq!(user.body["email"]["address"], "mona@github.example");
    assert_eq!(user.body["username"], "octocat");
}

#[test]
fn a_login_ui_of_ones_own_logs_a_user_in_through_an_idp_with_an_intent() {
    let t = server().tenant();
    let idp = ForgingIdp::start();
    let idp_id = with_org_idp(
        &t,
        json!({"name": "Customer SSO", "type": "oidc",
               "oidc": {"issuer": idp.issuer(), "client_id": "portcullis", "client_secret": SECRET}}),
    );
    let app = app(&t, "client_secret_basic", "jwt");
    let login_ui = caller(&t, "login-ui", &["IAM_LOGIN_CLIENT"], true);
    let org = default_org(&t);
    let start = |ok: &str| {
        let r = login_ui.post(
            "/v1/idp_intents",
            json!({"idp_id": idp_id, "org_id": org, "success_url": ok,
                   "failure_url": "https://login.acme.example/idp/failed"}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.str("auth_url")
    };
    let at_idp = start("https://login.acme.example/idp/ok");
    assert!(at_idp.starts_with(&idp.issuer()), "{at_idp}");
    let (state, nonce) = (
        param(&at_idp, "state").unwrap(),
        param(&at_idp, "nonce").unwrap(),
    );
    let now = super::oidc_support::unix_now();
    let claims_of = |sub: &str| {
        json!({"iss": idp.issuer(), "sub": sub, "aud": "portcullis", "iat": now,
               "exp": now + 300, "nonce": nonce, "email": format!("{sub}@customer.example"),
               "email_verified": true})
    };
    idp.answers(&idp.key, &claims_of("lin"));
    // The browser comes back to the login UI with the intent's id and token (no cookie of
    // ours is needed: the login UI is another site).
    let back = UserAgent::default().request("GET", &back_from_idp(&t, &state, "c"), None);
    assert_eq!(back.status, 302, "{}", back.body);
    let landed = back.location.unwrap();
    assert!(
        landed.starts_with("https://login.acme.example/idp/ok?"),
        "{landed}"
    );
    let (id, token) = (
        param(&landed, "id").unwrap(),
        param(&landed, "token").unwrap(),
    );

    // The intent is the session's check: it names the user and finalizes a login.
    let intent = json!({"checks": {"idp_intent": {"id": id, "token": token}}});
    let session = login_ui.post("/v1/sessions", intent.clone());
    assert_eq!(session.status, 201, "{}", session.body);
    assert_eq!(session.body["factors"]["idp"]["idp_id"], idp_id.as_str());
    assert!(session.body["factors"]["idp"]["checked_at"].is_string());
    assert!(session.body["factors"].get("password").is_none());
    let request = auth_request(&t, &app, "");
    let done = finalize(&login_ui, &request, &session.body);
    assert_eq!(done.status, 200, "{}", done.body);
    let code = param(&done.str("callback_url"), "code").unwrap();
    let (_, tokens) = exchange(&t, &app, &code, VERIFIER);
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["fed"]));
    assert_eq!(id_token["sub"], session.body["factors"]["user"]["id"]);
    // Used once only; a made-up one is no better.
    assert_eq!(
        login_ui.post("/v1/sessions", intent).error(),
        (400, "SESSION-0002")
    );
    let made_up = json!({"checks": {"idp_intent": {"id": id, "token": "not-the-token"}}});
    assert_eq!(
        login_ui.post("/v1/sessions", made_up).error(),
        (400, "SESSION-0002")
    );

    // A forged answer sends the browser to the failure URL with the reason's code.
    let at_idp = start("https://login.acme.example/idp/ok");
    let state = param(&at_idp, "state").unwrap();
    idp.answers(&Es256Key::new(), &claims_of("eve"));
    let back = UserAgent::default().request("GET", &back_from_idp(&t, &state, "c"), None);
    let landed = back.location.unwrap_or_default();
    assert!(
        landed.starts_with("https://login.acme.example/idp/failed?"),
        "{landed}"
    );
    assert_eq!(param(&landed, "error").as_deref(), Some("IDP-0004"));
    // Plain http elsewhere than localhost is no place to send a token.
    let bad = login_ui.post(
        "/v1/idp_intents",
        json!({"idp_id": idp_id, "org_id": org, "success_url": "http://evil.example/ok",
               "failure_url": "https://login.acme.example/idp/failed"}),
    );
    assert_eq!(bad.error(), (400, "REQ-0001"), "{}", bad.body);
}
