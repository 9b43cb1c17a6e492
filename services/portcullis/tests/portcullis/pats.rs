//! Personal access tokens: shown once, usable at once, never self-minted, revoked at once,
//! refused after they expire.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use testkit::server;

use super::{default_org, rfc3339, unix_ms};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn a_token_works_until_it_is_revoked() {
    let t = server().tenant();
    let org = default_org(&t);
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "ci", "name": "CI"}),
    );
    let id = bot.str("id");
    let pat = t.client.post(&format!("/v1/users/{id}/pats"), json!({}));
    assert_eq!(pat.status, 201, "{}", pat.body);
    let token = pat.str("token");
    assert!(token.len() >= 43, "256 bits in base64");
    let ci = t.as_token(&token).after(&pat);
    assert_eq!(ci.get("/v1/users/me").str("id"), id);

    let listed = t.client.get(&format!("/v1/users/{id}/pats"));
    assert_eq!(listed.body["items"], json!([{"id": pat.str("id")}]));
    assert!(!listed.body.to_string().contains(&token));

    // A token cannot mint tokens for its own user.
    let own = ci.post(&format!("/v1/users/{id}/pats"), json!({}));
    assert_eq!(own.error(), (403, "AUTHZ-0001"));

    let revoked = t
        .client
        .delete(&format!("/v1/users/{id}/pats/{}", pat.str("id")));
    assert_eq!(revoked.status, 200);
    let ci = ci.after(&revoked);
    assert_eq!(ci.get("/v1/users/me").error(), (401, "AUTH-0001"));
    assert_eq!(
        t.client
            .delete(&format!("/v1/users/{id}/pats/{}", pat.str("id")))
            .error(),
        (404, "USER-0007")
    );
}

#[test]
fn an_expired_token_is_refused() {
    let t = server().tenant();
    let org = default_org(&t);
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "short-lived", "name": "Short"}),
    );
    let id = bot.str("id");
    let past = t.client.post(
        &format!("/v1/users/{id}/pats"),
        json!({"expires_at": rfc3339(now_ms() - 1000)}),
    );
    assert_eq!(past.error(), (400, "USER-0008"));
    let expires = now_ms() + 4000;
    let pat = t.client.post(
        &format!("/v1/users/{id}/pats"),
        json!({"expires_at": rfc3339(expires)}),
    );
    assert_eq!(pat.status, 201, "{}", pat.body);
    // Listed with the time it expires at, as it was given.
    let listed = t.client.after(&pat).get(&format!("/v1/users/{id}/pats"));
    let item = &listed.body["items"][0];
    assert!((unix_ms(&item["expires_at"]) - expires).abs() < 60_000);
    // A time that is not RFC 3339 (such as unix milliseconds) is refused.
    let numeric = t.client.post(
        &format!("/v1/users/{id}/pats"),
        json!({"expires_at": now_ms() + 60_000}),
    );
    assert_eq!(numeric.status, 400, "{}", numeric.body);
    let garbled = t.client.post(
        &format!("/v1/users/{id}/pats"),
        json!({"expires_at": "tomorrow"}),
    );
    assert_eq!(garbled.status, 400, "{}", garbled.body);
    let user = t.as_token(&pat.str("token")).after(&pat);
    assert_eq!(user.get("/v1/users/me").status, 200);
    // Past the time it was given: refused.
    let left = expires + 100 - now_ms();
    std::thread::sleep(Duration::from_millis(left.max(0) as u64));
    assert_eq!(user.get("/v1/users/me").error(), (401, "AUTH-0001"));
}

#[test]
fn a_deleted_users_tokens_stop_working() {
    let t = server().tenant();
    let org = default_org(&t);
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "temp", "name": "Temp"}),
    );
    let id = bot.str("id");
    let pat = t.client.post(&format!("/v1/users/{id}/pats"), json!(null));
    assert_eq!(pat.error(), (400, "REQ-0001"), "null is not an object");
    let pat = t
        .client
        .send("POST", &format!("/v1/users/{id}/pats"), None, &[]);
    assert_eq!(pat.status, 201, "an empty body is allowed: {}", pat.body);
    let user = t.as_token(&pat.str("token")).after(&pat);
    assert_eq!(user.get("/v1/users/me").status, 200);
    let deleted = t.client.delete(&format!("/v1/users/{id}"));
    assert_eq!(deleted.status, 200);
    assert_eq!(
        user.after(&deleted).get("/v1/users/me").error(),
        (401, "AUTH-0001")
    );
}
