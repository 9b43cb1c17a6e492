//! The system API: each test's tenant is made by it, tenants are isolated, and removing one
//! frees its domain.

use serde_json::json;
use testkit::server;

#[test]
fn a_new_instance_has_its_admins_and_answers_on_its_domain_only() {
    let t = server().tenant();
    let me = t.client.get("/v1/users/me");
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.str("username"), "admin-bot");
    let instance = t.client.get("/v1/instance");
    assert_eq!(instance.status, 200);
    assert_eq!(instance.str("id"), t.instance_id);
    assert_eq!(instance.body["domains"], json!([t.domain]));
    let admin = t.client.get(&format!("/v1/users/{}", t.admin_user_id));
    assert_eq!(
        (admin.str("username").as_str(), admin.str("type").as_str()),
        ("admin", "human")
    );
    let members = t.client.get("/v1/instance/members");
    let mut owners: Vec<String> = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["roles"] == json!(["IAM_OWNER"]))
        .map(|m| m["user_id"].as_str().unwrap().to_string())
        .collect();
    owners.sort();
    let mut expected = vec![t.admin_user_id.clone(), me.str("id")];
    expected.sort();
    assert_eq!(owners, expected);
}

#[test]
fn tokens_of_one_instance_are_refused_by_another() {
    let (a, b) = (server().tenant(), server().tenant());
    assert_eq!(
        a.as_token(&b.admin_pat)
            .at(&b.position)
            .get("/v1/users/me")
            .error(),
        (401, "AUTH-0001")
    );
    assert_eq!(
        server()
            .default_instance()
            .token(&a.admin_pat)
            .at(&a.position)
            .get("/v1/users/me")
            .error(),
        (401, "AUTH-0001")
    );
    // A's admin cannot see B's users even by id.
    let b_admin = format!("/v1/users/{}", b.admin_user_id);
    assert_eq!(a.client.get(&b_admin).error(), (404, "USER-0001"));
}

#[test]
fn only_system_members_reach_the_system_api() {
    let t = server().tenant();
    let tenant_admin = testkit::Client::new(&server().base(), None)
        .token(&t.admin_pat)
        .at(&t.position);
    let r = tenant_admin.get("/v1/system/instances");
    assert_eq!(r.error(), (403, "AUTHZ-0001"));
    assert_eq!(r.body["details"]["missing"], "system.instance.read");
    let r = tenant_admin.post(
        "/v1/system/instances",
        json!({"name": "x", "domains": ["x.test"], "admin": {"username": "a"}}),
    );
    assert_eq!(r.error(), (403, "AUTHZ-0001"));
    let anonymous = testkit::Client::new(&server().base(), None);
    assert_eq!(
        anonymous.get("/v1/system/instances").error(),
        (401, "AUTH-0001")
    );

    let listed = server()
        .system()
        .get(&format!("/v1/system/instances/{}", t.instance_id));
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["domains"], json!([t.domain]));
}

#[test]
fn domains_are_unique_and_freed_when_the_instance_is_removed() {
    let t = server().tenant();
    let system = server().system();
    let again = system.post(
        "/v1/system/instances",
        json!({"name": "Copy", "domains": [t.domain.to_uppercase()], "admin": {"username": "a"}}),
    );
    assert_eq!(again.error(), (409, "INSTANCE-0002"));
    assert_eq!(again.body["details"]["domain"], t.domain);

    let removed = system.delete(&format!("/v1/system/instances/{}", t.instance_id));
    assert_eq!(removed.status, 200, "{}", removed.body);
    let gone = t.anonymous().after(&removed).get("/v1/users/me");
    assert_eq!(gone.error(), (404, "INSTANCE-0001"));
    assert_eq!(
        system
            .get(&format!("/v1/system/instances/{}", t.instance_id))
            .error(),
        (404, "INSTANCE-0001")
    );

    let reused = system.post(
        "/v1/system/instances",
        json!({"name": "Reuse", "domains": [t.domain], "admin": {"username": "boss"}}),
    );
    assert_eq!(reused.status, 201, "{}", reused.body);
    let client = t.as_token(&reused.str("admin_pat")).after(&reused);
    let me = client.get("/v1/users/me");
    assert_eq!(me.str("username"), "boss-bot");
    // The old instance's token does not work on the new one.
    assert_eq!(t.client.get("/v1/users/me").error(), (401, "AUTH-0001"));
}

#[test]
fn bad_instance_requests_write_nothing() {
    let system = server().system();
    for (body, code) in [
        (
            json!({"name": "x", "domains": [], "admin": {"username": "a"}}),
            "INSTANCE-0003",
        ),
        (
            json!({"name": "x", "domains": ["bad domain"], "admin": {"username": "a"}}),
            "INSTANCE-0003",
        ),
        (
            json!({"name": "", "domains": ["ok1.test"], "admin": {"username": "a"}}),
            "INSTANCE-0004",
        ),
        (
            json!({"name": "x", "domains": ["ok1.test"], "admin": {"username": "a b"}}),
            "USER-0003",
        ),
        (
            json!({"name": "x", "domains": ["ok1.test"], "admin": {"username": "a", "password": "short"}}),
            "USER-0009",
        ),
        (
            json!({"name": "x", "domains": ["ok1.test"], "admin": {"username": "a"}, "extra": 1}),
            "REQ-0001",
        ),
    ] {
        assert_eq!(
            system.post("/v1/system/instances", body.clone()).error(),
            (400, code),
            "{body}"
        );
    }
    let listed = system.get("/v1/system/instances?limit=1000");
    assert!(
        !listed.body.to_string().contains("ok1.test"),
        "a refused request made an instance"
    );
    // No claim was left behind: the domain is free.
    let ok = system.post(
        "/v1/system/instances",
        json!({"name": "x", "domains": ["ok1.test"], "admin": {"username": "a"}}),
    );
    assert_eq!(ok.status, 201, "{}", ok.body);
}
