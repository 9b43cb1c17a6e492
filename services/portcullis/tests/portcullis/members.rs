//! Memberships grant and take away access at once: the gateway's cache of principals follows
//! membership events.

use serde_json::json;
use testkit::{server, Client, Tenant};

use super::default_org;

/// A machine user with a token, made by the tenant's admin.
fn machine_with_token(t: &Tenant, org: &str, username: &str) -> (String, Client) {
    let r = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": username, "name": username}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.str("id");
    let pat = t.client.post(&format!("/v1/users/{id}/pats"), json!({}));
    assert_eq!(pat.status, 201, "{}", pat.body);
    (id, t.as_token(&pat.str("token")).after(&pat))
}

#[test]
fn an_org_membership_grants_and_its_removal_revokes_access() {
    let t = server().tenant();
    let org = default_org(&t);
    let (id, bot) = machine_with_token(&t, &org, "helper");
    let admin_path = format!("/v1/users/{}", t.admin_user_id);
    let denied = bot.get(&admin_path);
    assert_eq!(denied.error(), (403, "AUTHZ-0001"));
    assert_eq!(denied.body["details"]["missing"], "user.read");

    let added = t.client.post(
        &format!("/v1/orgs/{org}/members"),
        json!({"user_id": id, "roles": ["ORG_USER_MANAGER"]}),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let bot = bot.after(&added);
    assert_eq!(bot.get(&admin_path).status, 200);
    let members = t.client.get(&format!("/v1/orgs/{org}/members"));
    assert_eq!(
        members.body["items"],
        json!([{"user_id": id, "roles": ["ORG_USER_MANAGER"]}])
    );

    let removed = t.client.delete(&format!("/v1/orgs/{org}/members/{id}"));
    assert_eq!(removed.status, 200);
    let bot = bot.after(&removed);
    assert_eq!(bot.get(&admin_path).error(), (403, "AUTHZ-0001"));
}

#[test]
fn membership_writes_check_roles_users_and_existing_members() {
    let t = server().tenant();
    let org = default_org(&t);
    let (id, _) = machine_with_token(&t, &org, "member");
    let path = "/v1/instance/members";
    let add =
        |roles: serde_json::Value| t.client.post(path, json!({"user_id": id, "roles": roles}));
    assert_eq!(add(json!(["ORG_OWNER"])).error(), (400, "MEMBER-0001"));
    assert_eq!(add(json!(["NO_SUCH_ROLE"])).error(), (400, "MEMBER-0001"));
    assert_eq!(add(json!([])).error(), (400, "MEMBER-0004"));
    assert_eq!(
        t.client
            .post(
                path,
                json!({"user_id": "nobody", "roles": ["IAM_OWNER_VIEWER"]})
            )
            .error(),
        (412, "MEMBER-0003")
    );
    assert_eq!(add(json!(["IAM_OWNER_VIEWER"])).status, 201);
    assert_eq!(
        add(json!(["IAM_OWNER_VIEWER"])).error(),
        (409, "MEMBER-0005")
    );
    let set = t.client.put(
        &format!("{path}/{id}"),
        json!({"roles": ["IAM_USER_MANAGER"]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let other = t.client.put(
        &format!("{path}/{id}"),
        json!({"user_id": "someone-else", "roles": ["IAM_USER_MANAGER"]}),
    );
    assert_eq!(other.error(), (400, "REQ-0001"));
    let listed = t.client.get(path);
    assert!(listed.body["items"]
        .as_array()
        .unwrap()
        .contains(&json!({"user_id": id, "roles": ["IAM_USER_MANAGER"]})));
    assert_eq!(t.client.delete(&format!("{path}/{id}")).status, 200);
    assert_eq!(
        t.client.delete(&format!("{path}/{id}")).error(),
        (404, "MEMBER-0002")
    );
}

#[test]
fn a_member_without_the_member_permission_cannot_grant_roles() {
    let t = server().tenant();
    let org = default_org(&t);
    let (id, bot) = machine_with_token(&t, &org, "viewer");
    let added = t.client.post(
        "/v1/instance/members",
        json!({"user_id": id, "roles": ["IAM_OWNER_VIEWER"]}),
    );
    let bot = bot.after(&added);
    assert_eq!(bot.get("/v1/instance/members").status, 200);
    // Read-only: it may not make itself an owner.
    let escalate = bot.put(
        &format!("/v1/instance/members/{id}"),
        json!({"roles": ["IAM_OWNER"]}),
    );
    assert_eq!(escalate.error(), (403, "AUTHZ-0001"));
    assert_eq!(escalate.body["details"]["missing"], "iam.member.write");
}

#[test]
fn a_removed_users_memberships_go_as_events() {
    let t = server().tenant();
    let org = default_org(&t);
    let other = t
        .client
        .post("/v1/orgs", json!({"name": "Other"}))
        .str("id");
    let (id, _) = machine_with_token(&t, &org, "leaver");
    let project = t
        .client
        .post(&format!("/v1/orgs/{other}/projects"), json!({"name": "P"}))
        .str("id");
    for (path, roles) in [
        (
            "/v1/instance/members".to_string(),
            json!(["IAM_OWNER_VIEWER"]),
        ),
        (format!("/v1/orgs/{other}/members"), json!(["ORG_OWNER"])),
        (
            format!("/v1/projects/{project}/members"),
            json!(["PROJECT_OWNER"]),
        ),
    ] {
        let r = t.client.post(&path, json!({"user_id": id, "roles": roles}));
        assert_eq!(r.status, 201, "{path}: {}", r.body);
    }
    let removed = t.client.delete(&format!("/v1/users/{id}"));
    assert_eq!(removed.status, 200, "{}", removed.body);
    for path in [
        "/v1/instance/members".to_string(),
        format!("/v1/orgs/{other}/members"),
        format!("/v1/projects/{project}/members"),
    ] {
        let listed = t.client.get(&path).body.to_string();
        assert!(!listed.contains(&id), "{path} still lists the removed user");
    }
    let trail = t.client.get("/v1/events?limit=1000").body;
    let cascaded: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["creator"] == "internal:cascade")
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for ty in [
        "instance.member.removed",
        "org.member.removed",
        "project.member.removed",
    ] {
        assert!(cascaded.contains(&ty), "no cascaded {ty}: {cascaded:?}");
    }
}
