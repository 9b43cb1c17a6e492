//! Sessions and refresh tokens end: a password change, a lock or a deactivation ends every
//! session and refresh token of the user (also once the user is unlocked or reactivated); a
//! logout ends its session's refresh tokens; a login always gets a new session id; a logout
//! without `id_token_hint` asks before it logs anyone out (a cross-site GET logs nobody out).

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::oidc_behaviours::{auth_url, claims, exchange, logged_in, post_as, VERIFIER};
use super::oidc_support::{app, human, issuer, param, App, UserAgent};

fn refresh(t: &Tenant, app: &App, token: &str) -> (u16, Value) {
    post_as(
        t,
        app,
        "/oauth/v2/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
}

/// Whether the browser's session still answers `prompt=none` with a code.
fn has_session(t: &Tenant, app: &App, browser: &mut UserAgent) -> bool {
    let a = browser.request("GET", &auth_url(t, app, "&prompt=none"), None);
    param(&a.location.unwrap_or_default(), "code").is_some()
}

fn user_id(t: &Tenant, username: &str) -> String {
    let r = t.client.get(&format!("/v1/users?username={username}"));
    r.body["items"][0]["id"].as_str().unwrap().to_string()
}

#[test]
fn a_password_change_ends_every_session_and_refresh_token() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, code) = logged_in(&t, &app);
    let (_, issued) = exchange(&t, &app, &code, VERIFIER);
    let token = issued["refresh_token"].as_str().unwrap().to_string();
    assert!(has_session(&t, &app, &mut browser));
    let ada = user_id(&t, "ada");
    let changed = t.client.put(
        &format!("/v1/users/{ada}/password"),
        json!({"new_password": "another long password"}),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(refresh(&t, &app, &token).0, 400);
    assert!(
        !has_session(&t, &app, &mut browser),
        "the session outlived the password"
    );
}

#[test]
fn a_lock_or_a_deactivation_ends_them_for_good() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "opaque");
    human(&t, "ada", "a long password");
    for (off, on) in [("lock", "unlock"), ("deactivate", "reactivate")] {
        let mut browser = UserAgent::default();
        let back = browser.log_in(&t, &auth_url(&t, &app, ""), "ada", "a long password");
        let (_, issued) = exchange(&t, &app, &param(&back, "code").unwrap(), VERIFIER);
        let token = issued["refresh_token"].as_str().unwrap().to_string();
        let ada = user_id(&t, "ada");
        for step in [off, on] {
            let r = t.client.post(&format!("/v1/users/{ada}/{step}"), json!({}));
            assert_eq!(r.status, 200, "{step}: {}", r.body);
        }
        // Back to active, the user logs in again; what was issued before stays ended.
        assert_eq!(refresh(&t, &app, &token).0, 400, "{off}");
        assert!(!has_session(&t, &app, &mut browser), "{off}");
    }
}

#[test]
fn a_logout_ends_its_sessions_refresh_tokens_and_a_login_renews_the_session_id() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, code) = logged_in(&t, &app);
    let (_, first) = exchange(&t, &app, &code, VERIFIER);
    let first_sid = claims(first["id_token"].as_str().unwrap())["sid"].clone();
    // Logging in again in the same browser gives a new session id (no fixation).
    let back = browser.log_in(
        &t,
        &auth_url(&t, &app, "&prompt=login"),
        "ada",
        "a long password",
    );
    let (_, second) = exchange(&t, &app, &param(&back, "code").unwrap(), VERIFIER);
    let id_token = second["id_token"].as_str().unwrap().to_string();
    let second_sid = claims(&id_token)["sid"].clone();
    assert_ne!(first_sid, second_sid);
    let token = second["refresh_token"].as_str().unwrap().to_string();
    // The logout ends the session and the refresh tokens issued in it.
    let out = browser.request(
        "GET",
        &format!(
            "{}/oidc/v1/end_session?id_token_hint={id_token}",
            issuer(&t)
        ),
        None,
    );
    assert_eq!(out.status, 200, "{}", out.body);
    assert_eq!(refresh(&t, &app, &token).0, 400);
    assert!(!has_session(&t, &app, &mut browser));
}

#[test]
fn a_logout_without_a_hint_asks_first() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, _) = logged_in(&t, &app);
    // A bare GET (what a cross-site image or link sends) logs nobody out: it asks.
    let url = format!("{}/oidc/v1/end_session", issuer(&t));
    let page = browser.request("GET", &url, None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<form"), "{}", page.body);
    assert!(has_session(&t, &app, &mut browser), "a bare GET logged out");
    // A forged POST without the page's token logs nobody out either.
    let mut forger = UserAgent {
        cookies: browser.cookies.clone(),
        ..UserAgent::default()
    };
    forger.cookies.remove("portcullis_logout");
    let forged = forger.request("POST", &url, Some(&[("csrf", "guessed")]));
    assert_eq!(forged.status, 400, "{}", forged.body);
    assert!(
        has_session(&t, &app, &mut browser),
        "a forged POST logged out"
    );
    // Confirmed on the page: logged out.
    let marker = "name=\"csrf\" value=\"";
    let start = page.body.find(marker).unwrap() + marker.len();
    let csrf = &page.body[start..start + page.body[start..].find('"').unwrap()];
    let done = browser.request("POST", &url, Some(&[("csrf", csrf)]));
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(!has_session(&t, &app, &mut browser));
}
