//! No escalation, tried as an attacker would: a manager who may write users or members must not
//! be able to become more than it is, by minting a token for a stronger user, taking over its
//! password or secret, removing it, or granting itself a stronger role.

use serde_json::{json, Value};
use testkit::{server, Client, Reply};

use super::{default_org, default_org_of};

/// A machine user with a token, made by `by` in `org`, holding `roles` there.
pub(super) fn manager(by: &Client, org: &str, username: &str, roles: Value) -> (String, Client) {
    let r = by.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": username, "name": username}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.str("id");
    let by = by.after(&r);
    let member = by.post(
        &format!("/v1/orgs/{org}/members"),
        json!({"user_id": id, "roles": roles}),
    );
    assert_eq!(member.status, 201, "{}", member.body);
    let pat = by
        .after(&member)
        .post(&format!("/v1/users/{id}/pats"), json!({}));
    assert_eq!(pat.status, 201, "{}", pat.body);
    (id, by.clone().token(&pat.str("token")).after(&pat))
}

/// 403 `AUTHZ-0002`, naming what the caller lacks.
fn escalation(r: &Reply) -> String {
    assert_eq!(r.error(), (403, "AUTHZ-0002"), "{}", r.body);
    r.body["details"]["missing"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn user_id(c: &Client, username: &str) -> String {
    let r = c.get(&format!("/v1/users?username={username}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no user {username}: {}", r.body))
        .to_string()
}

#[test]
fn an_org_user_manager_of_the_default_org_cannot_take_over_the_instance_owners() {
    let s = server();
    let admin = s.default_instance();
    let org = default_org_of(&admin);
    let name = format!("m{}", uuid::Uuid::now_v7().simple());
    let (_, m) = manager(&admin, &org, &name, json!(["ORG_USER_MANAGER"]));
    // The system user is in no instance: not found, so nothing to mint a token for.
    let found = m.get("/v1/users?username=system");
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body["items"], json!([]));
    // The instance's owners: no token, no secret, no removal, no lockout.
    let bot = user_id(&m, "admin-bot");
    let pat = m.post(&format!("/v1/users/{bot}/pats"), json!({}));
    assert!(
        escalation(&pat).contains("iam.member.write"),
        "{}",
        pat.body
    );
    escalation(&m.post(&format!("/v1/users/{bot}/secret"), json!({})));
    escalation(&m.delete(&format!("/v1/users/{bot}")));
    escalation(&m.post(&format!("/v1/users/{bot}/deactivate"), json!({})));
    escalation(&m.post(&format!("/v1/users/{bot}/lock"), json!({})));
    // The system API still refuses the manager, and the system token still works.
    assert_eq!(m.get("/v1/system/instances").error().0, 403);
    assert_eq!(s.system().get("/v1/system/instances").status, 200);
}

#[test]
fn an_org_owner_can_manage_its_own_users_but_not_take_over_the_instance_owners() {
    let t = server().tenant();
    let org = default_org(&t);
    let (_, owner) = manager(&t.client, &org, "owner", json!(["ORG_OWNER"]));
    // An ordinary user of the org: the owner manages them fully.
    let plain = owner.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "plain", "name": "Plain"}),
    );
    assert_eq!(plain.status, 201, "{}", plain.body);
    let plain_id = plain.str("id");
    let owner = owner.after(&plain);
    assert_eq!(
        owner
            .post(&format!("/v1/users/{plain_id}/pats"), json!({}))
            .status,
        201
    );
    // A user holding an org role the owner owns: allowed (ownership of the level).
    let (viewer, _) = manager(&t.client, &org, "viewer", json!(["ORG_OWNER_VIEWER"]));
    let owner = owner.after(&t.client.get("/v1/orgs"));
    assert_eq!(
        owner
            .post(&format!("/v1/users/{viewer}/secret"), json!({}))
            .status,
        201
    );
    // The instance's owners: beyond the org owner, whatever the route.
    let bot = user_id(&owner, "admin-bot");
    let missing = escalation(&owner.post(&format!("/v1/users/{bot}/pats"), json!({})));
    assert!(missing.contains("iam.member.write"), "{missing}");
    escalation(&owner.delete(&format!("/v1/users/{}", t.admin_user_id)));
    let pw = owner.put(
        &format!("/v1/users/{}/password", t.admin_user_id),
        json!({"new_password": "Another-Password-1"}),
    );
    escalation(&pw);
    // Removing the org would remove them too: refused before anything is written.
    let before = super::event_count(&t);
    escalation(&owner.delete(&format!("/v1/orgs/{org}")));
    assert_eq!(super::event_count(&t), before);
    assert_eq!(t.client.get(&format!("/v1/orgs/{org}")).status, 200);
}

#[test]
fn a_member_manager_cannot_grant_more_than_it_holds() {
    let t = server().tenant();
    let org = default_org(&t);
    // IAM_LOGIN_CLIENT holds iam.member.write: it must not make itself IAM_OWNER.
    let (id, login) = manager(&t.client, &org, "login", json!(["ORG_OWNER_VIEWER"]));
    let granted = t.client.put(
        &format!("/v1/instance/members/{id}"),
        json!({"roles": ["IAM_LOGIN_CLIENT"]}),
    );
    assert_eq!(granted.status, 200, "{}", granted.body);
    let login = login.after(&granted);
    let me = login.put(
        &format!("/v1/instance/members/{id}"),
        json!({"roles": ["IAM_OWNER"]}),
    );
    let missing = escalation(&me);
    assert!(missing.contains("iam.write"), "{missing}");
    let members = t.client.get("/v1/instance/members");
    let mine: Vec<&Value> = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["user_id"] == id.as_str())
        .collect();
    assert_eq!(
        mine[0]["roles"],
        json!(["IAM_LOGIN_CLIENT"]),
        "{}",
        members.body
    );
    // It may hand out what it holds in full: its own role.
    let (other, _) = manager(&t.client, &org, "other", json!(["ORG_OWNER_VIEWER"]));
    let login = login.after(&t.client.get("/v1/orgs"));
    let same = login.post(
        "/v1/instance/members",
        json!({"user_id": other, "roles": ["IAM_LOGIN_CLIENT"]}),
    );
    assert_eq!(same.status, 201, "{}", same.body);

    // An org owner grants any org role on its org (it owns the level), but no instance role.
    let (_, owner) = manager(&t.client, &org, "owner", json!(["ORG_OWNER"]));
    let (u, _) = manager(&t.client, &org, "someone", json!(["ORG_OWNER_VIEWER"]));
    let owner = owner.after(&t.client.get("/v1/orgs"));
    let set = owner.put(
        &format!("/v1/orgs/{org}/members/{u}"),
        json!({"roles": ["ORG_OWNER"]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        owner
            .put(
                &format!("/v1/instance/members/{u}"),
                json!({"roles": ["IAM_OWNER_VIEWER"]})
            )
            .error(),
        (403, "AUTHZ-0001")
    );
}

#[test]
fn the_instance_owner_grants_every_instance_role() {
    let t = server().tenant();
    let org = default_org(&t);
    let (id, _) = manager(&t.client, &org, "client", json!(["ORG_OWNER_VIEWER"]));
    // IAM_OWNER lacks session.link, which IAM_LOGIN_CLIENT gives: owning the level suffices.
    let r = t.client.put(
        &format!("/v1/instance/members/{id}"),
        json!({"roles": ["IAM_LOGIN_CLIENT"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}
