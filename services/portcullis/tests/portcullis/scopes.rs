//! An org manager does what ORG_OWNER allows in their org and nothing in another org or
//! another instance.

use serde_json::json;
use testkit::server;

use super::default_org;

#[test]
fn an_org_owner_manages_their_org_only() {
    let t = server().tenant();
    let c = &t.client;
    let (a, b) = (
        default_org(&t),
        c.post("/v1/orgs", json!({"name": "B"})).str("id"),
    );
    let in_b = c
        .post(
            &format!("/v1/orgs/{b}/users/machine"),
            json!({"username": "b-user", "name": "B"}),
        )
        .str("id");
    let owner = c
        .post(
            &format!("/v1/orgs/{a}/users/machine"),
            json!({"username": "a-owner", "name": "A"}),
        )
        .str("id");
    c.post(
        &format!("/v1/orgs/{a}/members"),
        json!({"user_id": owner, "roles": ["ORG_OWNER"]}),
    );
    let pat = c.post(&format!("/v1/users/{owner}/pats"), json!({}));
    let m = t.as_token(&pat.str("token")).after(&pat);

    let denied = |r: testkit::Reply, permission: &str| {
        assert_eq!(r.error(), (403, "AUTHZ-0001"), "{}", r.body);
        assert_eq!(r.body["details"]["missing"], permission);
    };
    // In A: users, members, projects.
    let made = m.post(
        &format!("/v1/orgs/{a}/users/machine"),
        json!({"username": "a-user", "name": "A"}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let m = m.after(&made);
    assert_eq!(
        m.post(
            &format!("/v1/orgs/{a}/members"),
            json!({"user_id": made.str("id"), "roles": ["ORG_USER_MANAGER"]})
        )
        .status,
        201
    );
    assert_eq!(
        m.post(&format!("/v1/orgs/{a}/projects"), json!({"name": "A's"}))
            .status,
        201
    );
    // In B: nothing.
    denied(
        m.post(
            &format!("/v1/orgs/{b}/users/machine"),
            json!({"username": "x", "name": "X"}),
        ),
        "user.write",
    );
    denied(m.get(&format!("/v1/users/{in_b}")), "user.read");
    denied(m.delete(&format!("/v1/users/{in_b}")), "user.delete");
    denied(
        m.post(
            &format!("/v1/orgs/{b}/members"),
            json!({"user_id": owner, "roles": ["ORG_OWNER"]}),
        ),
        "org.member.write",
    );
    denied(
        m.post(&format!("/v1/orgs/{b}/projects"), json!({"name": "B's"})),
        "project.create",
    );
    denied(m.get(&format!("/v1/orgs/{b}")), "org.read");
    // Not the instance's business either.
    denied(m.get("/v1/instance/members"), "iam.member.read");
    denied(m.post("/v1/orgs", json!({"name": "C"})), "org.create");
    // Lists hold A only.
    let users = m.get("/v1/users?limit=1000");
    assert!(users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["org_id"] == a.as_str()));
    let orgs = m.get("/v1/orgs");
    assert_eq!(orgs.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(orgs.body["items"][0]["id"], a.as_str());
    // Another instance does not know the token at all.
    let other = server().tenant();
    assert_eq!(
        other
            .as_token(&pat.str("token"))
            .get("/v1/users/me")
            .error(),
        (401, "AUTH-0001")
    );
}
