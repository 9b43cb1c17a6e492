//! OpenID Connect Back-Channel Logout, as the modules of its conformance test plan check it
//! from the relying party's side: when a session ends, each app that logged in through it and
//! registered a `backchannel_logout_uri` receives a logout token it can verify with the
//! instance's published keys, naming the user and the session of its ID token; apps without
//! one, and apps of other sessions, receive nothing. A receiver that fails is tried again.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::http_sink::{Call, HttpSink};
use super::oidc_behaviours::{auth_url, claims, exchange, post_as, VERIFIER};
use super::oidc_support::{enc, human, issuer, new_app, param, send, App, UserAgent, REDIRECT};

const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A confidential code-flow app whose logout tokens go to `logout_uri`, if any.
fn app_told_at(t: &Tenant, logout_uri: Option<String>) -> App {
    let (project, app) = new_app(
        t,
        json!({"name": "web", "redirect_uris": [REDIRECT],
               "post_logout_redirect_uris": ["http://localhost:7777/bye"],
               "grant_types": ["authorization_code", "refresh_token"],
               "auth_method": "client_secret_basic",
               "backchannel_logout_uri": logout_uri,
               "backchannel_logout_session_required": logout_uri.is_some()}),
    );
    App::created(project, &app, "client_secret_basic")
}

/// The ID token of `browser`'s login at `app` (its session answers, or the form is filled).
fn id_token_at(t: &Tenant, browser: &mut UserAgent, app: &App) -> (Value, String) {
    let back = browser.log_in(t, &auth_url(t, app, ""), "ada", "a long password");
    let code = param(&back, "code").expect("a code");
    let (status, issued) = exchange(t, app, &code, VERIFIER);
    assert_eq!(status, 200, "{issued}");
    let id_token = issued["id_token"].as_str().unwrap();
    (
        claims(id_token),
        issued["refresh_token"].as_str().unwrap().to_string(),
    )
}

/// The logout token a call carried, its signature checked against the instance's published
/// keys as an app would: its header and claims.
fn verified_logout_token(t: &Tenant, call: &Call) -> (Value, Value) {
    let body = String::from_utf8(call.body.clone()).unwrap();
    let token = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .expect("a logout_token field");
    let mut parts = token.split('.');
    let (h, c, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
    let jwks = send(
        ureq::http::Request::get(format!("{}/oauth/v2/keys", issuer(t)))
            .body(vec![])
            .unwrap(),
    );
    let jwks: Value = serde_json::from_slice(jwks.body()).unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the token's key is published");
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    ring::signature::RsaPublicKeyComponents { n, e }
        .verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{h}.{c}").as_bytes(),
            &URL_SAFE_NO_PAD.decode(s).unwrap(),
        )
        .expect("the logout token's signature holds");
    (header, claims(&token))
}

#[test]
fn a_logout_tells_every_app_of_the_session_with_a_token_it_can_verify() {
    let t = server().tenant();
    let sink = HttpSink::start(0);
    let shop = app_told_at(&t, Some(sink.url("/shop")));
    let blog = app_told_at(&t, Some(sink.url("/blog")));
    let quiet = app_told_at(&t, None);
    let user = human(&t, "ada", "a long password");
    // One browser session, logged in at three apps.
    let mut browser = UserAgent::default();
    let (shop_id, shop_refresh) = id_token_at(&t, &mut browser, &shop);
    let (blog_id, _) = id_token_at(&t, &mut browser, &blog);
    let _ = id_token_at(&t, &mut browser, &quiet);
    assert_eq!(shop_id["sid"], blog_id["sid"], "one session");
    // Another session of the same user, at the shop only: it stays.
    let mut phone = UserAgent::default();
    let (phone_id, phone_refresh) = id_token_at(&t, &mut phone, &shop);
    assert_ne!(phone_id["sid"], shop_id["sid"]);

    // When the user logs out at the shop (RP-initiated logout)
    let hint = {
        let back = browser.request("GET", &auth_url(&t, &shop, "&prompt=none"), None);
        let code = param(&back.location.unwrap(), "code").unwrap();
        exchange(&t, &shop, &code, VERIFIER).1["id_token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let out = browser.request(
        "GET",
        &format!(
            "{}/oidc/v1/end_session?id_token_hint={}&post_logout_redirect_uri={}&state={}",
            issuer(&t),
            enc(&hint),
            enc("http://localhost:7777/bye"),
            "s".repeat(128)
        ),
        None,
    );
    assert_eq!(out.status, 302);
    let bye = out.location.unwrap();
    assert_eq!(param(&bye, "state"), Some("s".repeat(128)), "{bye}");

    // Then the shop and the blog each get one logout token, and nobody else anything
    for (path, app, id) in [("/shop", &shop, &shop_id), ("/blog", &blog, &blog_id)] {
        let calls = sink.wait_for_calls(path, 1);
        let fields: Vec<String> = form_urlencoded::parse(&calls[0].body)
            .map(|(k, _)| k.into_owned())
            .collect();
        assert_eq!(fields, ["logout_token"], "nothing but the token is posted");
        let (header, c) = verified_logout_token(&t, &calls[0]);
        assert_eq!(header["typ"], "logout+jwt");
        assert_eq!(c["iss"], issuer(&t).as_str());
        assert_eq!(c["aud"], app.client_id.as_str());
        assert_eq!(c["sub"], user.as_str());
        assert_eq!(c["sid"], id["sid"]);
        assert_eq!(c["events"], json!({ LOGOUT_EVENT: {} }));
        assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()));
        assert!(c.get("nonce").is_none(), "a logout token carries no nonce");
        let (iat, exp) = (c["iat"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
        assert!(exp > iat && exp - iat <= 120, "{c}");
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        sink.calls("/shop").len(),
        1,
        "the other session was not told"
    );
    assert_eq!(sink.calls("/blog").len(), 1);
    // And the session is over (prompt=none needs a login), its logins too; the other
    // session's are not
    let after = browser.request("GET", &auth_url(&t, &shop, "&prompt=none"), None);
    assert_eq!(
        param(&after.location.unwrap(), "error").as_deref(),
        Some("login_required")
    );
    let refused = post_as(
        &t,
        &shop,
        "/oauth/v2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &shop_refresh),
        ],
    );
    assert_eq!(refused.1["error"], "invalid_grant");
    let kept = post_as(
        &t,
        &shop,
        "/oauth/v2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &phone_refresh),
        ],
    );
    assert_eq!(kept.0, 200, "{}", kept.1);
}

#[test]
fn sessions_ended_by_a_lock_tell_the_apps_and_a_failing_receiver_is_tried_again() {
    let t = server().tenant();
    // The receiver fails twice (503) before it takes the token.
    let sink = HttpSink::start(2);
    let shop = app_told_at(&t, Some(sink.url("/shop")));
    let user = human(&t, "ada", "a long password");
    let mut browser = UserAgent::default();
    let (id, _) = id_token_at(&t, &mut browser, &shop);
    let locked = t.client.post(&format!("/v1/users/{user}/lock"), json!({}));
    assert_eq!(locked.status, 200, "{}", locked.body);
    let calls = sink.wait_for_calls("/shop", 3);
    assert_eq!(calls.len(), 3, "tried until it was taken, then no more");
    let (_, c) = verified_logout_token(&t, &calls[2]);
    assert_eq!((&c["sub"], &c["sid"]), (&json!(user), &id["sid"]));
    // Each attempt is the same token.
    assert_eq!(calls[0].body, calls[2].body);
}

#[test]
fn discovery_says_logout_tokens_are_sent_and_name_the_session() {
    let t = server().tenant();
    // The instance is reached once the read model has it.
    let _ = t.client.get("/v1/users/me");
    let found = send(
        ureq::http::Request::get(format!("{}/.well-known/openid-configuration", issuer(&t)))
            .body(vec![])
            .unwrap(),
    );
    let meta: Value = serde_json::from_slice(found.body()).unwrap();
    assert_eq!(meta["backchannel_logout_supported"], true);
    assert_eq!(meta["backchannel_logout_session_supported"], true);
    assert_eq!(
        meta["end_session_endpoint"],
        format!("{}/oidc/v1/end_session", issuer(&t)).as_str()
    );
}
