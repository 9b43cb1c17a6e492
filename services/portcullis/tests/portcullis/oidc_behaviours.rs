//! The OpenID Foundation's Basic OP behaviours, as our own tests, plus lockout, tenant
//! isolation, client credentials, introspection and revocation.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::oidc_support::{app, enc, human, issuer, param, send, App, UserAgent, REDIRECT};

pub const VERIFIER: &str = "a-verifier-of-enough-length-for-pkce-0123456789abcdefghij";

pub fn challenge() -> String {
    challenge_of(VERIFIER)
}

/// The S256 challenge of a verifier.
pub fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

pub fn auth_url(t: &Tenant, app: &App, extra: &str) -> String {
    format!(
        "{}/oauth/v2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state=s1&nonce=n1&code_challenge={}&code_challenge_method=S256{extra}",
        issuer(t),
        enc(&app.client_id),
        enc(REDIRECT),
        challenge()
    )
}

/// POSTs a form to the tenant, with Basic client authentication when a secret is given.
pub fn post_form(
    t: &Tenant,
    path: &str,
    client: Option<(&str, &str)>,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}{path}", issuer(t)))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some((id, secret)) = client {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            enc(id),
            enc(secret)
        ));
        req = req.header("authorization", format!("Basic {basic}"));
    }
    let resp = send(req.body(body.into_bytes()).unwrap());
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_slice(resp.body()).unwrap_or(Value::Null),
    )
}

/// POSTs a form as `app`, authenticated the way it registered.
pub fn post_as(t: &Tenant, app: &App, path: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let secret = app.client_secret.as_deref().unwrap_or("");
    match app.auth_method.as_str() {
        "client_secret_basic" => post_form(t, path, Some((&app.client_id, secret)), fields),
        "client_secret_post" => {
            let mut all = fields.to_vec();
            all.extend([
                ("client_id", app.client_id.as_str()),
                ("client_secret", secret),
            ]);
            post_form(t, path, None, &all)
        }
        _ => {
            let mut all = fields.to_vec();
            all.push(("client_id", app.client_id.as_str()));
            post_form(t, path, None, &all)
        }
    }
}

pub fn exchange(t: &Tenant, app: &App, code: &str, verifier: &str) -> (u16, Value) {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    if !verifier.is_empty() {
        fields.push(("code_verifier", verifier));
    }
    post_as(t, app, "/oauth/v2/token", &fields)
}

pub fn claims(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub fn introspect(t: &Tenant, app: &App, token: &str) -> Value {
    post_as(t, app, "/oauth/v2/introspect", &[("token", token)]).1
}

pub fn logged_in(t: &Tenant, app: &App) -> (UserAgent, String) {
    human(t, "ada", "a long password");
    let mut browser = UserAgent::default();
    let back = browser.log_in(t, &auth_url(t, app, ""), "ada", "a long password");
    (browser, param(&back, "code").unwrap())
}

#[test]
fn a_code_is_single_use_and_its_reuse_revokes_what_it_issued() {
    let t = server().tenant();
    let app = app(&t, "client_secret_post", "opaque");
    let (_, code) = logged_in(&t, &app);
    let (status, first) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(status, 200, "{first}");
    let access = first["access_token"].as_str().unwrap().to_string();
    assert_eq!(introspect(&t, &app, &access)["active"], true);
    let (status, again) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        introspect(&t, &app, &access)["active"],
        false,
        "the first exchange's token lives on"
    );
}

#[test]
fn pkce_the_client_secret_and_the_redirect_uri_must_match() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let (_, code) = logged_in(&t, &app);
    let (status, e) = exchange(
        &t,
        &app,
        &code,
        "the-wrong-verifier-0123456789012345678901234567",
    );
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    let (_, code) = {
        let mut b = UserAgent::default();
        let back = b.log_in(&t, &auth_url(&t, &app, ""), "ada", "a long password");
        (b, param(&back, "code").unwrap())
    };
    let (status, e) = post_form(
        &t,
        "/oauth/v2/token",
        Some((&app.client_id, "not the secret")),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    );
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));
    let (status, e) = post_form(
        &t,
        "/oauth/v2/token",
        Some((&app.client_id, app.client_secret.as_deref().unwrap())),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:7777/other"),
            ("code_verifier", VERIFIER),
        ],
    );
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
}

#[test]
fn unregistered_redirect_uris_get_an_error_page_and_never_a_redirect() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let mut b = UserAgent::default();
    let url = auth_url(&t, &app, "").replace(&enc(REDIRECT), &enc("https://evil.example.com/cb"));
    let a = b.request("GET", &url, None);
    assert_eq!(a.status, 400);
    assert!(a.location.is_none());
    let unknown = b.request(
        "GET",
        &auth_url(&t, &app, "").replace(&enc(&app.client_id), "nobody"),
        None,
    );
    assert_eq!((unknown.status, unknown.location), (400, None));
    // Errors for a known client at its registered URI go back with state and iss only.
    let request_object = b.request(
        "GET",
        &auth_url(&t, &app, "&request=eyJhbGciOiJub25lIn0.e30."),
        None,
    );
    let loc = request_object.location.unwrap();
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("request_not_supported")
    );
    assert_eq!(param(&loc, "state").as_deref(), Some("s1"));
    assert_eq!(param(&loc, "iss"), Some(issuer(&t)));
    let plain = b.request(
        "GET",
        &auth_url(&t, &app, "").replace("S256", "plain"),
        None,
    );
    assert_eq!(
        param(&plain.location.unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
    // Unknown parameters are ignored.
    let unknown_param = b.request("GET", &auth_url(&t, &app, "&colour=red"), None);
    assert!(unknown_param.location.unwrap().starts_with("/ui/login"));
}

#[test]
fn prompt_none_needs_a_session_and_max_age_and_prompt_login_force_a_new_login() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let mut fresh = UserAgent::default();
    let none = fresh.request("GET", &auth_url(&t, &app, "&prompt=none"), None);
    assert_eq!(
        param(&none.location.unwrap(), "error").as_deref(),
        Some("login_required")
    );

    let (mut browser, code) = logged_in(&t, &app);
    let (_, first) = exchange(&t, &app, &code, VERIFIER);
    let first_auth = claims(first["id_token"].as_str().unwrap())["auth_time"]
        .as_i64()
        .unwrap();
    // With the session: a code at once, the same auth_time.
    let again = browser.request("GET", &auth_url(&t, &app, "&prompt=none"), None);
    let code = param(&again.location.unwrap(), "code").expect("a code without a login");
    let (_, second) = exchange(&t, &app, &code, VERIFIER);
    let id = claims(second["id_token"].as_str().unwrap());
    assert_eq!(id["auth_time"].as_i64().unwrap(), first_auth);
    assert_eq!(id["nonce"], "n1");
    assert_eq!(id["iss"], issuer(&t));
    assert_eq!(id["aud"], json!([app.client_id]));
    assert!(id["exp"].as_i64().unwrap() > id["iat"].as_i64().unwrap());
    // prompt=login and max_age=0 send the user to the login page again, and a later auth_time.
    for extra in ["&prompt=login", "&max_age=0"] {
        let a = browser.request("GET", &auth_url(&t, &app, extra), None);
        assert!(a.location.unwrap().starts_with("/ui/login"), "{extra}");
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let back = browser.log_in(
        &t,
        &auth_url(&t, &app, "&prompt=login"),
        "ada",
        "a long password",
    );
    let (_, third) = exchange(&t, &app, &param(&back, "code").unwrap(), VERIFIER);
    let later = claims(third["id_token"].as_str().unwrap())["auth_time"]
        .as_i64()
        .unwrap();
    assert!(later > first_auth, "{later} <= {first_auth}");
}

/// The message a login page shows above its form.
pub fn login_message(body: &str) -> String {
    let alert = body.find("role=\"alert\"").expect("a message");
    body[alert..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_failed_login_says_nothing_about_users() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "alan", "the right password");
    let mut b = UserAgent::default();
    let url = auth_url(&t, &app, "");
    let unknown = b.submit_login(&t, &url, "nobody", "whatever it is");
    let wrong = b.submit_login(&t, &url, "alan", "not the password");
    assert_eq!((unknown.status, wrong.status), (401, 401));
    assert_eq!(
        login_message(&unknown.body),
        login_message(&wrong.body),
        "the messages differ"
    );
    // A form without its CSRF cookie is refused.
    let mut stranger = UserAgent::default();
    let login = stranger
        .request("GET", &auth_url(&t, &app, ""), None)
        .location
        .unwrap();
    let ar = param(&format!("http://x{login}"), "authRequest").unwrap();
    let forged = stranger.request(
        "POST",
        &format!("{}/ui/login", issuer(&t)),
        Some(&[
            ("authRequest", &ar),
            ("csrf", "guessed"),
            ("username", "alan"),
            ("password", "x"),
        ]),
    );
    assert_eq!(forged.status, 400);
}

#[test]
fn machine_users_get_tokens_with_client_credentials_and_clients_introspect_and_revoke() {
    let t = server().tenant();
    let org = super::default_org(&t);
    let bot = t
        .client
        .post(
            &format!("/v1/orgs/{org}/users/machine"),
            json!({"username": "batch", "name": "Batch"}),
        )
        .str("id");
    let secret = t
        .client
        .post(&format!("/v1/users/{bot}/secret"), json!({}))
        .str("client_secret");
    let _ = t.client.get("/v1/users/me"); // the secret is in the read model from here on
    let (status, tokens) = post_form(
        &t,
        "/oauth/v2/token",
        Some(("batch", &secret)),
        &[("grant_type", "client_credentials"), ("scope", "openid")],
    );
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(claims(&access)["sub"], bot.as_str());
    let (status, e) = post_form(
        &t,
        "/oauth/v2/token",
        Some(("batch", "wrong")),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")));

    let app = app(&t, "client_secret_basic", "jwt");
    let seen = introspect(&t, &app, &access);
    assert_eq!(seen["active"], true);
    assert_eq!(seen["sub"], bot.as_str());
    assert_eq!(introspect(&t, &app, "garbage")["active"], false);
    // A deactivated user's live token stops working.
    let r = t
        .client
        .post(&format!("/v1/users/{bot}/deactivate"), json!({}));
    assert_eq!(r.status, 200);
    let _ = t.client.after(&r).get("/v1/users/me");
    assert_eq!(introspect(&t, &app, &access)["active"], false);

    // Revocation of a refresh token ends its family.
    let (_, code) = logged_in(&t, &app);
    let (_, issued) = exchange(&t, &app, &code, VERIFIER);
    let refresh = issued["refresh_token"].as_str().unwrap();
    let user_access = issued["access_token"].as_str().unwrap();
    let (status, _) = post_form(
        &t,
        "/oauth/v2/revoke",
        Some((&app.client_id, app.client_secret.as_deref().unwrap())),
        &[("token", refresh)],
    );
    assert_eq!(status, 200);
    assert_eq!(introspect(&t, &app, user_access)["active"], false);
    let (status, e) = post_form(
        &t,
        "/oauth/v2/token",
        Some((&app.client_id, app.client_secret.as_deref().unwrap())),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    );
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
}

#[test]
fn new_secrets_states_and_profiles_count_at_once_though_clients_are_remembered() {
    // The endpoints remember the clients and users they have found; every change to one is
    // seen by the next request after the change is in the read model.
    let t = server().tenant();
    let org = super::default_org(&t);
    let bot = t
        .client
        .post(
            &format!("/v1/orgs/{org}/users/machine"),
            json!({"username": "cron", "name": "Cron"}),
        )
        .str("id");
    let secret = |t: &Tenant| {
        let r = t.client.post(&format!("/v1/users/{bot}/secret"), json!({}));
        let _ = t.client.after(&r).get("/v1/users/me");
        r.str("client_secret")
    };
    let token = |client: (&str, &str)| {
        post_form(
            &t,
            "/oauth/v2/token",
            Some(client),
            &[("grant_type", "client_credentials")],
        )
    };
    let first = secret(&t);
    for _ in 0..2 {
        assert_eq!(token(("cron", &first)).0, 200);
    }
    let second = secret(&t);
    assert_eq!(
        token(("cron", &first)).0,
        401,
        "a replaced secret still works"
    );
    assert_eq!(token(("cron", &second)).0, 200);

    let app = app(&t, "client_secret_basic", "jwt");
    let access = token(("cron", &second)).1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(introspect(&t, &app, &access)["active"], true);
    let rotated = t.client.post(
        &format!("/v1/projects/{}/apps/{}/secret", app.project_id, app.app_id),
        json!({}),
    );
    assert_eq!(rotated.status, 201, "{}", rotated.body);
    let _ = t.client.after(&rotated).get("/v1/users/me");
    let (status, _) = post_form(
        &t,
        "/oauth/v2/introspect",
        Some((&app.client_id, app.client_secret.as_deref().unwrap())),
        &[("token", &access)],
    );
    assert_eq!(status, 401, "a rotated app secret still works");
    let (status, seen) = post_form(
        &t,
        "/oauth/v2/introspect",
        Some((&app.client_id, rotated.str("client_secret").as_str())),
        &[("token", &access)],
    );
    assert_eq!((status, seen["active"].as_bool()), (200, Some(true)));
    let app = App {
        client_secret: Some(rotated.str("client_secret")),
        ..app
    };

    let ada = human(&t, "ada", "a long password");
    let (_, code) = {
        let mut b = UserAgent::default();
        let back = b.log_in(&t, &auth_url(&t, &app, ""), "ada", "a long password");
        (b, param(&back, "code").unwrap())
    };
    let (_, issued) = exchange(&t, &app, &code, VERIFIER);
    let bearer = format!("Bearer {}", issued["access_token"].as_str().unwrap());
    let given_name = || {
        let resp = send(
            ureq::http::Request::get(format!("{}/oidc/v1/userinfo", issuer(&t)))
                .header("authorization", &bearer)
                .body(Vec::new())
                .unwrap(),
        );
        let info: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        (resp.status().as_u16(), info["given_name"].clone())
    };
    assert_eq!(given_name(), (200, json!("Grace")));
    let changed = t.client.send(
        "PATCH",
        &format!("/v1/users/{ada}/profile"),
        Some(
            json!({"given_name": "Amazing Grace"})
                .to_string()
                .into_bytes(),
        ),
        &[],
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    let _ = t.client.after(&changed).get("/v1/users/me");
    assert_eq!(given_name(), (200, json!("Amazing Grace")));
    let locked = t.client.post(&format!("/v1/users/{ada}/lock"), json!({}));
    let _ = t.client.after(&locked).get("/v1/users/me");
    assert_eq!(given_name().0, 401, "a locked user's token still works");
}

#[test]
fn userinfo_answers_three_ways_and_tokens_stay_in_their_instance() {
    let (a, b) = (server().tenant(), server().tenant());
    let app_a = app(&a, "client_secret_basic", "jwt");
    let (_, code) = logged_in(&a, &app_a);
    let (_, issued) = exchange(&a, &app_a, &code, VERIFIER);
    let token = issued["access_token"].as_str().unwrap();
    let userinfo = |t: &Tenant, method: &str, header: bool, form: bool| {
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}/oidc/v1/userinfo", issuer(t)));
        if header {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let body = if form {
            req = req.header("content-type", "application/x-www-form-urlencoded");
            format!("access_token={}", enc(token)).into_bytes()
        } else {
            Vec::new()
        };
        let resp = send(req.body(body).unwrap());
        (
            resp.status().as_u16(),
            serde_json::from_slice::<Value>(resp.body()).unwrap_or(Value::Null),
        )
    };
    for (method, header, form) in [
        ("GET", true, false),
        ("POST", true, false),
        ("POST", false, true),
    ] {
        let (status, info) = userinfo(&a, method, header, form);
        assert_eq!(status, 200, "{method} header={header} form={form}: {info}");
        assert_eq!(info["preferred_username"], "ada");
    }
    let (status, _) = userinfo(&b, "GET", true, false);
    assert_eq!(status, 401, "instance B accepted a token of instance A");
    // Each instance has its own keys; key ids are unique.
    let kids = |t: &Tenant| -> Vec<String> {
        let resp = send(
            ureq::http::Request::get(format!("{}/oauth/v2/keys", issuer(t)))
                .body(Vec::new())
                .unwrap(),
        );
        let v: Value = serde_json::from_slice(resp.body()).unwrap();
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect()
    };
    let (ka, kb) = (kids(&a), kids(&b));
    assert!(ka.len() >= 2 && kb.len() >= 2);
    assert!(ka.iter().all(|k| !kb.contains(k)));
}

#[test]
fn logout_ends_the_session_and_returns_only_to_registered_addresses() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, code) = logged_in(&t, &app);
    let (_, issued) = exchange(&t, &app, &code, VERIFIER);
    let id_token = issued["id_token"].as_str().unwrap().to_string();
    // A hint naming another user: the session does not answer for them.
    let other = human(&t, "bob", "another password");
    let _ = other;
    let forged_hint = id_token.replace('a', "b");
    let bad = browser.request(
        "GET",
        &auth_url(
            &t,
            &app,
            &format!("&prompt=none&id_token_hint={}", enc(&forged_hint)),
        ),
        None,
    );
    assert_eq!(
        param(&bad.location.unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
    let hinted = browser.request(
        "GET",
        &auth_url(
            &t,
            &app,
            &format!("&prompt=none&id_token_hint={}", enc(&id_token)),
        ),
        None,
    );
    assert!(
        param(&hinted.location.unwrap(), "code").is_some(),
        "the hinted user's session answers"
    );

    let unregistered = browser.request(
        "GET",
        &format!(
            "{}/oidc/v1/end_session?id_token_hint={}&post_logout_redirect_uri={}",
            issuer(&t),
            enc(&id_token),
            enc("https://evil.example.com/")
        ),
        None,
    );
    assert_eq!((unregistered.status, unregistered.location), (400, None));
    // That request ended the session already; log in again and end it properly.
    let back = browser.log_in(&t, &auth_url(&t, &app, ""), "ada", "a long password");
    assert!(param(&back, "code").is_some());
    let out = browser.request(
        "GET",
        &format!(
            "{}/oidc/v1/end_session?id_token_hint={}&post_logout_redirect_uri={}&state=bye1",
            issuer(&t),
            enc(&id_token),
            enc("http://localhost:7777/bye")
        ),
        None,
    );
    assert_eq!(out.status, 302);
    let loc = out.location.unwrap();
    assert!(loc.starts_with("http://localhost:7777/bye"), "{loc}");
    assert_eq!(param(&loc, "state").as_deref(), Some("bye1"));
    let after = browser.request("GET", &auth_url(&t, &app, "&prompt=none"), None);
    assert_eq!(
        param(&after.location.unwrap(), "error").as_deref(),
        Some("login_required")
    );
}

#[test]
fn first_uses_at_once_give_an_instance_one_key_of_each_algorithm() {
    // A new instance has no keys until a first use; 16 first uses racing leave one of each.
    let t = server().tenant();
    assert_eq!(t.client.get("/v1/users/me").status, 200); // the instance is in the read model
    let algs: Vec<Vec<String>> = std::thread::scope(|s| {
        let fetches: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    let resp = send(
                        ureq::http::Request::get(format!("{}/oauth/v2/keys", issuer(&t)))
                            .body(Vec::new())
                            .unwrap(),
                    );
                    let v: Value = serde_json::from_slice(resp.body()).unwrap();
                    assert_eq!(resp.status(), 200, "{v}");
                    let mut algs: Vec<String> = v["keys"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|k| k["alg"].as_str().unwrap().to_string())
                        .collect();
                    algs.sort();
                    algs
                })
            })
            .collect();
        fetches.into_iter().map(|f| f.join().unwrap()).collect()
    });
    for seen in algs {
        assert_eq!(seen, ["ES256", "RS256"]);
    }
}

#[test]
fn a_new_key_is_published_before_it_signs_and_the_old_one_stays_published() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, code) = logged_in(&t, &app);
    let kid_of = |jwt: &str| -> String {
        let h = jwt.split('.').next().unwrap();
        let v: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
        v["kid"].as_str().unwrap().to_string()
    };
    let rs256 = |t: &Tenant| -> Vec<String> {
        let resp = send(
            ureq::http::Request::get(format!("{}/oauth/v2/keys", issuer(t)))
                .body(Vec::new())
                .unwrap(),
        );
        let v: Value = serde_json::from_slice(resp.body()).unwrap();
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["alg"] == "RS256")
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, first) = exchange(&t, &app, &code, VERIFIER);
    let old = kid_of(first["id_token"].as_str().unwrap());
    let rotate = || super::oidc_support::rotate_rs256(&t);
    let fresh_code = |browser: &mut UserAgent| {
        let a = browser.request("GET", &auth_url(&t, &app, ""), None);
        param(&a.location.unwrap(), "code").unwrap()
    };
    // Step 1: published, not signing.
    let p1 = rotate();
    let _ = t.client.clone().at(&p1).get("/v1/users/me");
    let published = rs256(&t);
    assert_eq!(published.len(), 2, "{published:?}");
    let (_, second) = exchange(&t, &app, &fresh_code(&mut browser), VERIFIER);
    assert_eq!(kid_of(second["id_token"].as_str().unwrap()), old);
    // Step 2: the new key signs; the old one is still published for its tokens.
    let p2 = rotate();
    let _ = t.client.clone().at(&p2).get("/v1/users/me");
    let (_, third) = exchange(&t, &app, &fresh_code(&mut browser), VERIFIER);
    let new = kid_of(third["id_token"].as_str().unwrap());
    assert_ne!(new, old);
    let now = rs256(&t);
    assert!(now.contains(&old) && now.contains(&new), "{now:?}");
    assert_eq!(
        server()
            .system()
            .post(
                &format!(
                    "/v1/system/instances/{}/keys/rotate?alg=HS256",
                    t.instance_id
                ),
                json!({})
            )
            .status,
        400
    );
}

#[test]
fn project_roles_and_audiences_come_with_their_scopes() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let ada = human(&t, "ada", "a long password");
    for k in ["editor", "viewer"] {
        assert_eq!(
            t.client
                .post(
                    &format!("/v1/projects/{}/roles", app.project_id),
                    json!({"key": k})
                )
                .status,
            201
        );
    }
    let g = t.client.post(
        &format!("/v1/users/{ada}/grants"),
        json!({"project_id": app.project_id, "role_keys": ["editor"]}),
    );
    assert_eq!(g.status, 201, "{}", g.body);
    let org = super::default_org(&t);
    let scope = format!(
        "&scope=openid%20urn%3Aportcullis%3Aproject%3Aroles%20urn%3Aportcullis%3Aproject%3Aid%3A{}%3Aaud",
        app.project_id
    );
    let url = auth_url(&t, &app, "").replace("&scope=openid%20profile", &scope);
    let mut b = UserAgent::default();
    let back = b.log_in(&t, &url, "ada", "a long password");
    let (status, issued) = exchange(&t, &app, &param(&back, "code").unwrap(), VERIFIER);
    assert_eq!(status, 200, "{issued}");
    let id = claims(issued["id_token"].as_str().unwrap());
    assert_eq!(
        id["urn:portcullis:project:roles"],
        json!({"editor": {org: "Default"}})
    );
    assert_eq!(id["aud"], json!([app.client_id, app.project_id]));
}

#[test]
fn each_app_chooses_the_keys_that_sign_its_tokens() {
    let t = server().tenant();
    let org = super::default_org(&t);
    let project = t
        .client
        .post(&format!("/v1/orgs/{org}/projects"), json!({"name": "P"}))
        .str("id");
    let body = |id_alg: &str| {
        json!({"name": "web", "redirect_uris": [REDIRECT], "auth_method": "client_secret_basic",
               "id_token_signing_alg": id_alg, "access_token_signing_alg": "EdDSA"})
    };
    let bad = t
        .client
        .post(&format!("/v1/projects/{project}/apps/oidc"), body("HS256"));
    assert_eq!(bad.error(), (400, "APP-0003"));
    let r = t
        .client
        .post(&format!("/v1/projects/{project}/apps/oidc"), body("ES256"));
    assert_eq!(r.status, 201, "{}", r.body);
    let seen = t
        .client
        .get(&format!("/v1/projects/{project}/apps/{}", r.str("id")));
    assert_eq!(seen.body["id_token_signing_alg"], "ES256");
    assert_eq!(seen.body["access_token_signing_alg"], "EdDSA");
    let app = App {
        project_id: project,
        app_id: r.str("id"),
        client_id: r.str("client_id"),
        client_secret: Some(r.str("client_secret")),
        auth_method: "client_secret_basic".into(),
    };
    let (_, code) = logged_in(&t, &app);
    let (status, issued) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(status, 200, "{issued}");
    let alg = |jwt: &str| -> String {
        let h = jwt.split('.').next().unwrap();
        let v: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
        v["alg"].as_str().unwrap().to_string()
    };
    assert_eq!(alg(issued["id_token"].as_str().unwrap()), "ES256");
    assert_eq!(alg(issued["access_token"].as_str().unwrap()), "EdDSA");
    assert_eq!(
        introspect(&t, &app, issued["access_token"].as_str().unwrap())["active"],
        true
    );
}

#[test]
fn a_confidential_app_that_allows_it_gets_tokens_with_client_credentials() {
    let t = server().tenant();
    let org = super::default_org(&t);
    let project = t
        .client
        .post(&format!("/v1/orgs/{org}/projects"), json!({"name": "P"}))
        .str("id");
    let apps = format!("/v1/projects/{project}/apps/oidc");
    let public = t.client.post(
        &apps,
        json!({"name": "m2m", "redirect_uris": [], "grant_types": ["client_credentials"], "auth_method": "none"}),
    );
    assert_eq!(public.error(), (400, "APP-0003"));
    let r = t.client.post(
        &apps,
        json!({"name": "m2m", "redirect_uris": [], "grant_types": ["client_credentials"], "auth_method": "client_secret_post"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let _ = t.client.get(&format!("/v1/projects/{project}/apps"));
    let m2m = App {
        project_id: project.clone(),
        app_id: r.str("id"),
        client_id: r.str("client_id"),
        client_secret: Some(r.str("client_secret")),
        auth_method: "client_secret_post".into(),
    };
    let (status, issued) = post_form(
        &t,
        "/oauth/v2/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &m2m.client_id),
            ("client_secret", m2m.client_secret.as_deref().unwrap()),
        ],
    );
    assert_eq!(status, 200, "{issued}");
    let seen = introspect(&t, &m2m, issued["access_token"].as_str().unwrap());
    assert_eq!(seen["active"], true);
    assert_eq!(seen["sub"], m2m.client_id.as_str());
    assert_eq!(seen["aud"], json!([m2m.client_id, project]));
    // An app that does not allow the grant does not get it.
    let web = app(&t, "client_secret_basic", "jwt");
    let (status, e) = post_form(
        &t,
        "/oauth/v2/token",
        Some((&web.client_id, web.client_secret.as_deref().unwrap())),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}
