//! Security keys and passkeys with a real authenticator: Chromium's DevTools virtual
//! authenticator (CTAP2, resident keys, user verification) answers the ceremonies on a page of
//! the instance's origin, and the API registers the keys and checks their signatures through
//! the Sessions API. Attacks: a signature made on another origin, an answer replayed to a new
//! challenge, a registration answered twice, a signature counter that goes back, a key of
//! another user.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::login_reset::field;
use super::mail_sink::{link_in, MailSink};
use super::notifications::use_sink;
use super::oidc_behaviours::{auth_url, claims, exchange, VERIFIER};
use super::oidc_support::{app, human, issuer, param, App, UserAgent};

const PASSWORD: &str = "a long password";

/// A browser with a virtual authenticator, driven line by line.
struct Authenticator {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Authenticator {
    /// A browser whose ceremonies may run on the origins of `pages` (the instance's first).
    fn start(pages: &[String]) -> Authenticator {
        Self::photographing(pages, None)
    }

    /// As [`Authenticator::start`], photographing the registration link's pages into `out`.
    fn photographing(pages: &[String], out: Option<&std::path::Path>) -> Authenticator {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients");
        let mut command = Command::new("node");
        if let Some(out) = out {
            command.env("OUT", out);
        }
        let mut child = command
            .arg("webauthn.mjs")
            .current_dir(dir)
            .env("PAGES", pages.join(" "))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs: run `bash scripts/test`, which installs the clients");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Authenticator {
            child,
            input,
            output,
        }
    }

    fn send(&mut self, command: Value) -> Value {
        writeln!(self.input, "{command}").unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    /// The authenticator's answer to creation options.
    fn create(&mut self, options: &Value) -> Value {
        let a = self.send(json!({"op": "create", "options": options}));
        assert!(a["error"].is_null(), "{a}");
        a["credential"].clone()
    }

    /// The authenticator's answer to request options, signed on a page of `origin`.
    fn get(&mut self, options: &Value, origin: Option<&str>) -> Value {
        let a = self.send(json!({"op": "get", "options": options, "origin": origin}));
        assert!(a["error"].is_null(), "{a} for {options}");
        a["credential"].clone()
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The screenshots `names` in `dir`, each a picture, copied to `docs/screenshots/` when
/// `PORTCULLIS_WRITE_SCREENSHOTS` is set.
fn keep_shots(dir: &std::path::Path, names: &[&str]) {
    for name in names {
        let png = dir.join(format!("{name}.png"));
        assert!(std::fs::metadata(&png).unwrap().len() > 5_000, "{name}.png");
        if std::env::var_os("PORTCULLIS_WRITE_SCREENSHOTS").is_some() {
            let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots");
            std::fs::copy(&png, format!("{docs}/{name}.png")).unwrap();
        }
    }
}

/// A page of the instance's origin.
fn home(t: &Tenant) -> String {
    format!("{}/.well-known/openid-configuration", issuer(t))
}

/// Registers a key of `kind` (`u2f`, `passkeys`) for `user`, named `name`: its id, and the
/// credential id the authenticator gave it.
fn register(
    t: &Tenant,
    key: &mut Authenticator,
    user: &str,
    kind: &str,
    name: &str,
) -> (String, String) {
    let started = t
        .client
        .post(&format!("/v1/users/{user}/{kind}"), json!({}));
    assert_eq!(started.status, 200, "{}", started.body);
    let key_id = started.str("id");
    let options = &started.body["public_key_credential_creation_options"];
    let answer = key.create(options);
    let verify = |c: &testkit::Client| {
        c.post(
            &format!("/v1/users/{user}/{kind}/{key_id}/verify"),
            json!({"public_key_credential": answer, "name": name}),
        )
    };
    let verified = verify(&t.client.after(&started));
    assert_eq!(verified.status, 200, "{}", verified.body);
    // The same answer again: no registration waits for it.
    assert_eq!(
        verify(&t.client.after(&verified)).error(),
        (404, "MFA-0001")
    );
    (key_id, answer["id"].as_str().unwrap().to_string())
}

/// A session of `username` (with the password when given), and the WebAuthn options of its
/// challenge.
fn challenged(t: &Tenant, username: &str, password: Option<&str>) -> (String, String, Value) {
    let mut checks = json!({"user": {"login_name": username}});
    if let Some(p) = password {
        checks["password"] = json!({"password": p});
    }
    let created = t.client.post(
        "/v1/sessions",
        json!({"checks": checks, "challenges": {"webauthn": {}}}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let options = created.body["challenges"]["webauthn"].clone();
    assert!(options["publicKey"]["challenge"].is_string(), "{options}");
    (
        created.str("session_id"),
        created.str("session_token"),
        options,
    )
}

fn sign_in(t: &Tenant, session: &str, credential: &Value) -> testkit::Reply {
    t.client.patch(
        &format!("/v1/sessions/{session}"),
        json!({"checks": {"webauthn": {"credential": credential}}}),
    )
}

/// Finalizes a fresh authorization request of `app` with a session.
fn finalize(t: &Tenant, app: &App, session: &str, token: &str) -> testkit::Reply {
    let started = UserAgent::default().request("GET", &auth_url(t, app, ""), None);
    let auth_request = param(started.location.as_deref().unwrap(), "authRequest").unwrap();
    t.client.post(
        &format!("/v1/auth_requests/{auth_request}/finalize"),
        json!({"session_id": session, "session_token": token}),
    )
}

/// Finalizes a fresh authorization request with a session: the ID token's claims.
fn id_token_of(t: &Tenant, session: &str, token: &str) -> Value {
    let app = app(t, "client_secret_basic", "jwt");
    let done = finalize(t, &app, session, token);
    assert_eq!(done.status, 200, "{}", done.body);
    let code = param(&done.str("callback_url"), "code").unwrap();
    let (status, tokens) = exchange(t, &app, &code, VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    claims(tokens["id_token"].as_str().unwrap())
}

#[test]
fn a_passkey_logs_in_without_a_password_and_signs_only_for_its_origin_and_once() {
    let t = server().tenant_under("localhost");
    let ada = human(&t, "ada", PASSWORD);
    let page = home(&t);
    let elsewhere = format!("http://{}:{}", t.domain, server().admin.port());
    let mut key = Authenticator::start(&[page, format!("{elsewhere}/metrics")]);
    let (key_id, _) = register(&t, &mut key, &ada, "passkeys", "Laptop");
    let factors = t.client.get(&format!("/v1/users/{ada}/factors"));
    assert_eq!(
        factors.body["items"],
        json!([{"type": "passkey", "id": key_id, "name": "Laptop", "verified": true}])
    );

    // No password: the passkey alone, user-verifying, is both factors.
    let (session, token, options) = challenged(&t, "ada", None);
    let answer = key.get(&options, None);
    let signed = sign_in(&t, &session, &answer);
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert!(signed.body["factors"]["passkey"]["checked_at"].is_string());
    let c = id_token_of(&t, &session, &token);
    assert_eq!(c["amr"], json!(["hwk", "user", "mfa"]));
    assert_eq!(c["acr"], "urn:portcullis:loa:2fa");

    // At the hosted login, from its first page: "Log in with a passkey", no login name.
    let app = app(&t, "client_secret_basic", "jwt");
    let login = key.send(json!({"op": "passkey", "url": auth_url(&t, &app, ""),
        "redirect": super::oidc_support::REDIRECT}));
    assert_eq!(login["button"], "Log in with a passkey", "{login}");
    let landed = login["landed"].as_str().unwrap();
    let (status, tokens) = exchange(&t, &app, &param(landed, "code").unwrap(), VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    let c = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(c["amr"], json!(["hwk", "user", "mfa"]));
    assert_eq!(c["sub"], ada);
    // The same answer to a new challenge: refused.
    let (session, _, _) = challenged(&t, "ada", None);
    assert_eq!(sign_in(&t, &session, &answer).error(), (400, "USER-0017"));
    // Signed on another origin of the same host: refused.
    let (session, _, options) = challenged(&t, "ada", None);
    let foreign = key.get(&options, Some(&elsewhere));
    assert_eq!(sign_in(&t, &session, &foreign).error(), (400, "USER-0017"));
    // A key whose counter went back (a clone): refused.
    assert_eq!(key.send(json!({"op": "rewind"}))["rewound"], 1);
    let (session, token, options) = challenged(&t, "ada", None);
    let cloned = key.get(&options, None);
    assert_eq!(sign_in(&t, &session, &cloned).error(), (400, "USER-0017"));
    // Without any check the session finalizes nothing.
    let early = finalize(&t, &app, &session, &token);
    assert_eq!(early.error(), (412, "SESSION-0003"));
    // Removed: the key is no factor any more.
    let removed = t
        .client
        .delete(&format!("/v1/users/{ada}/passkeys/{key_id}"));
    assert_eq!(removed.status, 200, "{}", removed.body);
    let none = t.client.after(&removed).post(
        "/v1/sessions",
        json!({"checks": {"user": {"login_name": "ada"}}, "challenges": {"webauthn": {}}}),
    );
    assert_eq!(none.error(), (404, "MFA-0001"));
}

#[test]
fn a_security_key_is_a_second_factor_after_the_password_and_only_its_users() {
    let t = server().tenant_under("localhost");
    let shots = tempfile::tempdir().unwrap();
    let bob = human(&t, "bob", PASSWORD);
    let eve = human(&t, "eve", PASSWORD);
    let mut key = Authenticator::photographing(&[home(&t)], Some(shots.path()));
    register(&t, &mut key, &bob, "u2f", "YubiKey");
    let mut eves = Authenticator::start(&[home(&t)]);
    let (_, eves_credential) = register(&t, &mut eves, &eve, "u2f", "Eve's key");

    // Eve's key signing Bob's challenge: no key of Bob's.
    let (session, _, options) = challenged(&t, "bob", Some(PASSWORD));
    let mut theirs = options.clone();
    theirs["publicKey"]["allowCredentials"] =
        json!([{"type": "public-key", "id": eves_credential}]);
    let answer = eves.get(&theirs, None);
    assert_eq!(sign_in(&t, &session, &answer).error(), (400, "USER-0017"));
    // Bob's key after his password.
    let (session, token, options) = challenged(&t, "bob", Some(PASSWORD));
    let signed = sign_in(&t, &session, &key.get(&options, None));
    assert_eq!(signed.status, 200, "{}", signed.body);
    let c = id_token_of(&t, &session, &token);
    assert_eq!(c["amr"], json!(["pwd", "hwk", "mfa"]));
    // At the hosted login: the password, then the key, in the browser.
    let app = app(&t, "client_secret_basic", "jwt");
    let login = key.send(
        json!({"op": "login", "url": auth_url(&t, &app, ""), "username": "bob",
        "password": PASSWORD, "redirect": super::oidc_support::REDIRECT}),
    );
    assert_eq!(login["heading"], "Confirm it is you", "{login}");
    assert_eq!(login["button"], "Use my key", "{login}");
    keep_shots(shots.path(), &["mfa-key"]);
    let landed = login["landed"].as_str().unwrap();
    let (status, tokens) = exchange(&t, &app, &param(landed, "code").unwrap(), VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    let c = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(c["amr"], json!(["pwd", "hwk", "mfa"]));
    // A security key alone is no login: the password is still asked for.
    let (session, token, options) = challenged(&t, "bob", None);
    let signed = sign_in(&t, &session, &key.get(&options, None));
    assert_eq!(signed.status, 200, "{}", signed.body);
    let early = finalize(&t, &app, &session, &token);
    assert_eq!(early.error(), (412, "SESSION-0003"));
    assert_eq!(early.body["details"]["check"], "password");
}

#[test]
fn a_registration_link_registers_a_passkey_once_and_it_then_logs_in() {
    let t = server().tenant_under("localhost");
    let mail = MailSink::start(0);
    use_sink(&t, &mail);
    let ada = human(&t, "ada", PASSWORD);
    let shots = tempfile::tempdir().unwrap();
    let mut key = Authenticator::photographing(&[home(&t)], Some(shots.path()));
    // Returned to a manager: a link to the hosted login. Never to oneself.
    let r = t.client.post(
        &format!("/v1/users/{ada}/passkeys/registration_link"),
        json!({"send": "return"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let link = r.str("link");
    assert!(
        link.starts_with(&format!("{}/ui/login/passkey?", issuer(&t))),
        "{link}"
    );
    let (grace, as_grace) = super::self_management::human(&t, "grace");
    let own = as_grace.post(
        &format!("/v1/users/{grace}/passkeys/registration_link"),
        json!({"send": "return"}),
    );
    assert_eq!(own.error().0, 403, "{}", own.body);
    // Sent by email: the message's link, opened in the browser.
    let sent = t.client.after(&r).post(
        &format!("/v1/users/{ada}/passkeys/registration_link"),
        json!({}),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let message = mail.wait_for("ada@example.com", 1);
    assert_eq!(message["subject"], "Register a passkey");
    let mailed = link_in(&message);
    // The returned link was replaced by the mailed one: it registers nothing.
    let stale = key.send(json!({"op": "register", "url": link}));
    assert_eq!(stale["asked"], "Register a passkey", "{stale}");
    assert!(
        stale["text"]
            .as_str()
            .unwrap_or("")
            .starts_with("The link is wrong"),
        "{stale}"
    );
    let done = key.send(json!({"op": "register", "url": mailed}));
    assert_eq!(done["heading"], "Passkey registered", "{done}");
    keep_shots(
        shots.path(),
        &["passkey-link", "passkey-create", "passkey-registered"],
    );
    let factors = t.client.get(&format!("/v1/users/{ada}/factors"));
    assert_eq!(
        factors.body["items"][0]["type"], "passkey",
        "{}",
        factors.body
    );
    assert_eq!(
        factors.body["items"][0]["name"], "Passkey",
        "{}",
        factors.body
    );
    // Used up: the same link registers nothing more.
    let again = key.send(json!({"op": "register", "url": mailed}));
    assert!(
        again["text"]
            .as_str()
            .unwrap_or("")
            .starts_with("The link is wrong"),
        "{again}"
    );
    // The new passkey logs in from the login's first page.
    let app = app(&t, "client_secret_basic", "jwt");
    let login = key.send(json!({"op": "passkey", "url": auth_url(&t, &app, ""),
        "redirect": super::oidc_support::REDIRECT}));
    let landed = login["landed"]
        .as_str()
        .unwrap_or_else(|| panic!("{login}"));
    let (status, tokens) = exchange(&t, &app, &param(landed, "code").unwrap(), VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["sub"], ada);
}

/// PyPI fido2's software authenticator (`tests/clients/soft_key.py`): `op` with `input`.
fn soft_key(op: &str, input: Value) -> Value {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients");
    let mut child = Command::new(super::oidc_clients::venv_python())
        .args(["soft_key.py", op])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs (is fido2 in PORTCULLIS_VENV?)");
    write!(child.stdin.take().unwrap(), "{input}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Registers a passkey of the software authenticator for `user`: the authenticator's state.
fn soft_passkey(t: &Tenant, user: &str) -> Value {
    let started = t
        .client
        .post(&format!("/v1/users/{user}/passkeys"), json!({}));
    assert_eq!(started.status, 200, "{}", started.body);
    let options = &started.body["public_key_credential_creation_options"];
    let made = soft_key("create", json!({"options": options, "origin": issuer(t)}));
    let verified = t.client.after(&started).post(
        &format!("/v1/users/{user}/passkeys/{}/verify", started.str("id")),
        json!({"public_key_credential": made["credential"], "name": "fido2"}),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    made["key"].clone()
}

#[test]
fn a_software_authenticator_registers_and_logs_in_at_the_api_and_cannot_replay() {
    let t = server().tenant();
    let ada = human(&t, "ada", PASSWORD);
    let origin = issuer(&t);
    let mut key = soft_passkey(&t, &ada);
    // A login without a password, at the API.
    let (session, token, options) = challenged(&t, "ada", None);
    let signed = soft_key(
        "get",
        json!({"options": options, "origin": origin, "key": key}),
    );
    key = signed["key"].clone();
    let r = sign_in(&t, &session, &signed["credential"]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        id_token_of(&t, &session, &token)["amr"],
        json!(["hwk", "user", "mfa"])
    );
    // Signed for another origin, or replayed: refused.
    let (session, _, options) = challenged(&t, "ada", None);
    let elsewhere = json!({"options": options, "origin": "https://evil.example", "key": key});
    let foreign = soft_key("get", elsewhere);
    assert_eq!(
        sign_in(&t, &session, &foreign["credential"]).error(),
        (400, "USER-0017")
    );
    let (session, _, _) = challenged(&t, "ada", None);
    assert_eq!(
        sign_in(&t, &session, &signed["credential"]).error(),
        (400, "USER-0017")
    );
}

#[test]
fn the_login_pages_passkey_form_refuses_a_replay_an_altered_challenge_and_garbage() {
    let t = server().tenant();
    let ada = human(&t, "ada", PASSWORD);
    let key = soft_passkey(&t, &ada);
    let app = app(&t, "client_secret_basic", "jwt");
    let mut b = UserAgent::default();
    let started = b.request("GET", &auth_url(&t, &app, ""), None);
    let page = b.request(
        "GET",
        &format!("{}{}", issuer(&t), started.location.unwrap()),
        None,
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page.body.find("data-options=\"").unwrap() + 14;
    let options: Value = serde_json::from_str(
        &page.body[start..start + page.body[start..].find('"').unwrap()]
            .replace("&#34;", "\"")
            .replace("&quot;", "\""),
    )
    .unwrap();
    let signed = soft_key(
        "get",
        json!({"options": options, "origin": issuer(&t), "key": key}),
    );
    let credential = signed["credential"].to_string();
    let state = field(&page.body, "state");
    let auth_request = field(&page.body, "authRequest");
    let mut csrf = field(&page.body, "csrf");
    let mut post = |state: &str, credential: &str| {
        let answer = b.request(
            "POST",
            &format!("{}/ui/login/passkey", issuer(&t)),
            Some(&[
                ("authRequest", &auth_request),
                ("csrf", &csrf),
                ("state", state),
                ("credential", credential),
            ]),
        );
        // A refusal is the login form again, with a new CSRF token.
        if answer.status == 401 {
            csrf = field(&answer.body, "csrf");
        }
        answer
    };
    // Garbage, and a challenge altered by a byte: the login form again, 401.
    assert_eq!(post(&state, "{\"id\": 1}").status, 401);
    let mut altered = state.clone().into_bytes();
    altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    assert_eq!(post(&altered, &credential).status, 401);
    // The passkey's answer logs in once; the same form posted again does not.
    let done = post(&state, &credential);
    assert_eq!(done.status, 302, "{}", done.body);
    let back = done.location.unwrap();
    assert!(back.starts_with(super::oidc_support::REDIRECT), "{back}");
    let again = post(&state, &credential);
    assert_eq!(
        again.status, 401,
        "a replayed passkey login: {}",
        again.body
    );
    let (status, tokens) = exchange(&t, &app, &param(&back, "code").unwrap(), VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["sub"], ada);
}
