//! Self-management exactly as API.md and the seed pull request say, and what managers do to
//! users: state, metadata, secrets, optimistic concurrency.

use serde_json::{json, Value};
use testkit::{server, Client, Tenant};

use super::default_org;

/// A human with a password and a token of its own (made by the admin).
pub fn human(t: &Tenant, username: &str) -> (String, Client) {
    let org = default_org(t);
    let r = t.client.post(
        &format!("/v1/orgs/{org}/users/human"),
        json!({
            "username": username,
            "profile": {"given_name": "Grace", "family_name": "Hopper"},
            "email": {"address": format!("{username}@example.com")},
            "password": "first password",
        }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.str("id");
    let pat = t.client.post(&format!("/v1/users/{id}/pats"), json!({}));
    assert_eq!(pat.status, 201, "{}", pat.body);
    (id, t.as_token(&pat.str("token")).after(&pat))
}

fn missing(r: &testkit::Reply) -> (u16, &str, &str) {
    (
        r.status,
        r.code(),
        r.body["details"]["missing"].as_str().unwrap_or(""),
    )
}

#[test]
fn users_change_their_own_profile_email_phone_and_password() {
    let t = server().tenant();
    let (id, me) = human(&t, "grace");
    let base = format!("/v1/users/{id}");

    let r = me.send(
        "PATCH",
        &format!("{base}/profile"),
        Some(
            json!({"display_name": "Amazing Grace"})
                .to_string()
                .into_bytes(),
        ),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = me.put(
        &format!("{base}/email"),
        json!({"address": "grace@navy.mil"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = me.put(
        &format!("{base}/phone"),
        json!({"phone": "+1 202 555 0100"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let u = me.get(&base);
    assert_eq!(u.body["profile"]["display_name"], "Amazing Grace");
    assert_eq!(
        u.body["email"],
        json!({"address": "grace@navy.mil", "verified": false})
    );
    assert_eq!(
        u.body["phone"],
        json!({"number": "+12025550100", "verified": false})
    );

    // Never mark one's own email or phone verified.
    let r = me.put(
        &format!("{base}/email"),
        json!({"address": "g@navy.mil", "verified": true}),
    );
    assert_eq!(missing(&r), (403, "AUTHZ-0001", "user.write"));
    let r = me.put(
        &format!("{base}/phone"),
        json!({"phone": "+12025550100", "verified": true}),
    );
    assert_eq!(missing(&r), (403, "AUTHZ-0001", "user.write"));
    // A manager may.
    let r = t.client.put(
        &format!("{base}/email"),
        json!({"address": "g@navy.mil", "verified": true}),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // The password: with the current one only.
    let pw = format!("{base}/password");
    assert_eq!(
        me.put(&pw, json!({"new_password": "second password"}))
            .error(),
        (400, "USER-0011")
    );
    assert_eq!(
        me.put(
            &pw,
            json!({"current_password": "wrong one!", "new_password": "second password"})
        )
        .error(),
        (400, "USER-0011")
    );
    assert_eq!(
        me.put(
            &pw,
            json!({"current_password": "first password", "new_password": "short"})
        )
        .error(),
        (400, "USER-0009")
    );
    let r = me.put(
        &pw,
        json!({"current_password": "first password", "new_password": "second password"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // The old one no longer counts; the new one does.
    assert_eq!(
        me.put(
            &pw,
            json!({"current_password": "first password", "new_password": "third password"})
        )
        .error(),
        (400, "USER-0011")
    );
    let r = me.put(
        &pw,
        json!({"current_password": "second password", "new_password": "third password"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // A manager with user.credential.write sets it without the current one.
    assert_eq!(
        t.client
            .put(&pw, json!({"new_password": "reset by admin"}))
            .status,
        200
    );
    let events = t
        .client
        .get(&format!("/v1/events?aggregate_id={id}"))
        .body
        .to_string();
    assert!(events.contains("user.human.password.changed"));
    assert!(!events.contains("$argon2"), "a password hash leaked");
}

#[test]
fn users_cannot_touch_their_own_metadata_state_or_existence() {
    let t = server().tenant();
    let (id, me) = human(&t, "linus");
    let base = format!("/v1/users/{id}");
    let r = me.put(
        &format!("{base}/metadata/team"),
        json!({"value": "Ymx1ZQ=="}),
    );
    assert_eq!(missing(&r), (403, "AUTHZ-0001", "user.write"));
    assert_eq!(
        missing(&me.get(&format!("{base}/metadata"))),
        (403, "AUTHZ-0001", "user.read")
    );
    let r = me.post(&format!("{base}/deactivate"), json!({}));
    assert_eq!(missing(&r), (403, "AUTHZ-0001", "user.write"));
    let r = me.post(&format!("{base}/pats"), json!({}));
    assert_eq!(missing(&r), (403, "AUTHZ-0001", "user.write"));
    let r = me.delete(&base);
    assert_eq!(missing(&r), (403, "AUTHZ-0001", "user.delete"));
    assert_eq!(r.body["details"]["or"], "user.self.delete");
    // With ORG_USER_SELF_MANAGER (user.self.delete) a user may delete themself.
    let org = default_org(&t);
    let granted = t.client.post(
        &format!("/v1/orgs/{org}/members"),
        json!({"user_id": id, "roles": ["ORG_USER_SELF_MANAGER"]}),
    );
    assert_eq!(granted.status, 201, "{}", granted.body);
    let me = me.after(&granted);
    let r = me.delete(&base);
    assert_eq!(r.status, 200, "{}", r.body);
    // Read at the removal's position: without it the read may come before the projection.
    assert_eq!(t.client.after(&r).get(&base).error(), (404, "USER-0001"));
}

#[test]
fn metadata_is_set_read_removed_and_set_again_without_extra_events() {
    let t = server().tenant();
    let (id, _) = human(&t, "ken");
    let key = format!("/v1/users/{id}/metadata/team");
    let first = t.client.put(&key, json!({"value": "Ymx1ZQ=="}));
    assert_eq!(first.status, 200, "{}", first.body);
    let same = t.client.put(&key, json!({"value": "Ymx1ZQ=="}));
    assert_eq!(same.status, 200);
    assert_eq!(
        same.body["sequence"], first.body["sequence"],
        "an unchanged value wrote an event"
    );
    let listed = t.client.get(&format!("/v1/users/{id}/metadata"));
    assert_eq!(
        listed.body["items"],
        json!([{"key": "team", "value": "Ymx1ZQ=="}])
    );
    assert_eq!(t.client.delete(&key).status, 200);
    assert_eq!(t.client.delete(&key).error(), (404, "USER-0012"));
    // The seed pull request: set again, to its previous value.
    let again = t.client.put(&key, json!({"value": "Ymx1ZQ=="}));
    assert_eq!(again.status, 200);
    assert!(again.body["sequence"].as_u64() > first.body["sequence"].as_u64());
    assert_eq!(
        t.client.put(&key, json!({"value": "not base64!"})).error(),
        (400, "USER-0014")
    );
    let types: Vec<Value> = t.client.get(&format!("/v1/events?aggregate_id={id}")).body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].clone())
        .filter(|t| t.as_str().unwrap().starts_with("user.metadata"))
        .collect();
    assert_eq!(
        types,
        [
            json!("user.metadata.set"),
            json!("user.metadata.removed"),
            json!("user.metadata.set")
        ]
    );
}

#[test]
fn deactivated_and_locked_users_cannot_call_until_restored() {
    let t = server().tenant();
    let (id, me) = human(&t, "barbara");
    let base = format!("/v1/users/{id}");
    let r = t.client.post(&format!("{base}/deactivate"), json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(me.after(&r).get("/v1/users/me").error(), (401, "AUTH-0001"));
    assert_eq!(t.client.get(&base).str("state"), "inactive");
    assert_eq!(
        t.client
            .post(&format!("{base}/deactivate"), json!({}))
            .error(),
        (412, "USER-0010")
    );
    assert_eq!(
        t.client.post(&format!("{base}/lock"), json!({})).error(),
        (412, "USER-0010")
    );
    let r = t.client.post(&format!("{base}/reactivate"), json!({}));
    assert_eq!(r.status, 200);
    assert_eq!(me.after(&r).get("/v1/users/me").status, 200);
    let r = t.client.post(&format!("{base}/lock"), json!({}));
    assert_eq!(me.after(&r).get("/v1/users/me").error(), (401, "AUTH-0001"));
    assert_eq!(t.client.get(&base).str("state"), "locked");
    let r = t.client.post(&format!("{base}/unlock"), json!({}));
    assert_eq!(me.after(&r).get("/v1/users/me").status, 200);
}

#[test]
fn writes_with_a_stale_if_match_are_refused() {
    let t = server().tenant();
    let (id, _) = human(&t, "edsger");
    let profile = format!("/v1/users/{id}/profile");
    let body = |name: &str| Some(json!({"given_name": name}).to_string().into_bytes());
    let first = t.client.send("PATCH", &profile, body("E."), &[]);
    let seq = first.body["sequence"].as_u64().unwrap().to_string();
    let ok = t
        .client
        .send("PATCH", &profile, body("Edsger"), &[("If-Match", &seq)]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let stale = t
        .client
        .send("PATCH", &profile, body("W."), &[("If-Match", &seq)]);
    assert_eq!(stale.error(), (409, "CONC-0001"));
    let bad = t
        .client
        .send("PATCH", &profile, body("W."), &[("If-Match", "yesterday")]);
    assert_eq!(bad.error(), (400, "REQ-0004"));
    let quoted = format!("\"{}\"", ok.body["sequence"]);
    let ok = t
        .client
        .send("PATCH", &profile, body("W."), &[("If-Match", &quoted)]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        t.client.get(&format!("/v1/users/{id}")).body["profile"]["given_name"],
        "W."
    );
}

#[test]
fn machine_users_get_a_client_secret_and_humans_do_not() {
    let t = server().tenant();
    let org = default_org(&t);
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "api-client", "name": "API client"}),
    );
    let id = bot.str("id");
    let secret = t.client.post(&format!("/v1/users/{id}/secret"), json!({}));
    assert_eq!(secret.status, 201, "{}", secret.body);
    assert_eq!(secret.str("client_id"), "api-client");
    assert!(secret.str("client_secret").len() >= 43);
    let u = t.client.get(&format!("/v1/users/{id}"));
    assert_eq!(u.body["has_secret"], true);
    assert!(!u.body.to_string().contains(&secret.str("client_secret")));
    assert_eq!(
        t.client.delete(&format!("/v1/users/{id}/secret")).status,
        200
    );
    assert_eq!(
        t.client.get(&format!("/v1/users/{id}")).body["has_secret"],
        false
    );
    assert_eq!(
        t.client.delete(&format!("/v1/users/{id}/secret")).error(),
        (404, "USER-0015")
    );
    let (human_id, _) = human(&t, "alan");
    assert_eq!(
        t.client
            .post(&format!("/v1/users/{human_id}/secret"), json!({}))
            .error(),
        (422, "USER-0006")
    );
}

#[test]
fn memberships_and_permission_checks_explain_themselves() {
    let t = server().tenant();
    let (id, me) = human(&t, "margaret");
    let org = default_org(&t);
    // A user reads their own memberships (none yet); the admin's show IAM_OWNER.
    let own = me.get(&format!("/v1/users/{id}/memberships"));
    assert_eq!(own.status, 200);
    assert_eq!(own.body["items"], json!([]));
    let admin = t
        .client
        .get(&format!("/v1/users/{}/memberships", t.admin_user_id));
    assert_eq!(
        admin.body["items"],
        json!([{"level": "instance", "resource_id": "", "roles": ["IAM_OWNER"]}])
    );

    let check = |user: &str| {
        t.client.post(
            "/v1/permissions/check",
            json!({"user_id": user, "permission": "user.write", "resource": {"type": "org", "id": org}}),
        )
    };
    let before = check(&id);
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["allowed"], false);
    assert_eq!(before.body["because"], "missing permission user.write");
    let granted = t.client.post(
        &format!("/v1/orgs/{org}/members"),
        json!({"user_id": id, "roles": ["ORG_USER_MANAGER"]}),
    );
    let after = t.client.after(&granted);
    let allowed = after.post(
        "/v1/permissions/check",
        json!({"user_id": id, "permission": "user.write", "resource": {"type": "org", "id": org}}),
    );
    assert_eq!(allowed.body["allowed"], true);
    assert!(
        allowed.str("because").contains("ORG_USER_MANAGER"),
        "{}",
        allowed.body
    );

    let bad = |body: Value| {
        t.client
            .post("/v1/permissions/check", body)
            .error()
            .1
            .to_string()
    };
    assert_eq!(
        bad(
            json!({"user_id": id, "permission": "user.fly", "resource": {"type": "org", "id": org}})
        ),
        "AUTHZ-0004"
    );
    assert_eq!(
        bad(
            json!({"user_id": id, "permission": "user.read", "resource": {"type": "planet", "id": "x"}})
        ),
        "AUTHZ-0003"
    );
    // A resource of another instance, or of none, is refused alike: the answer reveals nothing.
    let other = server().tenant();
    let other_org = default_org(&other);
    let admin = &t.admin_user_id;
    let denied = |resource: Value| {
        let r = t.client.post(
            "/v1/permissions/check",
            json!({"user_id": admin, "permission": "org.read", "resource": resource}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["allowed"].clone()
    };
    assert_eq!(
        denied(json!({"type": "instance", "id": t.instance_id})),
        true
    );
    assert_eq!(
        denied(json!({"type": "instance", "id": other.instance_id})),
        false
    );
    assert_eq!(denied(json!({"type": "instance", "id": "nowhere"})), false);
    assert_eq!(denied(json!({"type": "org", "id": other_org})), false);
    assert_eq!(denied(json!({"type": "org", "id": "nope"})), false);
    assert_eq!(
        denied(json!({"type": "user", "id": other.admin_user_id})),
        false
    );
    assert_eq!(
        bad(
            json!({"user_id": "ghost", "permission": "user.read", "resource": {"type": "instance"}})
        ),
        "USER-0001"
    );
    // Checking needs iam.read.
    let r = me.post(
        "/v1/permissions/check",
        json!({"user_id": id, "permission": "user.read", "resource": {"type": "instance"}}),
    );
    assert_eq!(missing(&r), (403, "AUTHZ-0001", "iam.read"));
}
