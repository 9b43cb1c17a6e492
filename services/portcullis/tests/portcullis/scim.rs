//! The SCIM 2.0 server: the compliance checker scim2-tester, the client library scim2-client
//! (Bulk, PATCH), requests shaped as Okta and Entra ID send them, and what an attacker or a
//! careless client sends.

use serde_json::{json, Value};
use testkit::{server, Client, Reply, Tenant};

use super::default_org;
use super::oidc_clients::{run, venv_python};

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A provisioning client of the default org: a machine user with `roles` there, its token.
fn provisioner(t: &Tenant, roles: &[&str]) -> (String, Client) {
    let org = default_org(t);
    let name = format!("scim-{}", uuid::Uuid::now_v7().simple());
    let r = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": name, "name": "Provisioning"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.str("id");
    let member = t.client.after(&r).post(
        &format!("/v1/orgs/{org}/members"),
        json!({"user_id": id, "roles": roles}),
    );
    assert_eq!(member.status, 201, "{}", member.body);
    let pat = t
        .client
        .after(&member)
        .post(&format!("/v1/users/{id}/pats"), json!({}));
    assert_eq!(pat.status, 201, "{}", pat.body);
    let token = pat.str("token");
    (token.clone(), t.as_token(&token).after(&pat))
}

fn send(
    c: &Client,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    c.send(
        method,
        path,
        body.map(|b| b.to_string().into_bytes()),
        headers,
    )
}

fn scim_error(r: &Reply) -> (u16, String, String) {
    assert_eq!(
        r.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{}",
        r.body
    );
    assert_eq!(r.body["status"], r.status.to_string(), "{}", r.body);
    (
        r.status,
        r.body["scimType"].as_str().unwrap_or_default().to_string(),
        r.body["detail"].as_str().unwrap_or_default().to_string(),
    )
}

fn python_env(t: &Tenant, token: &str) -> Vec<(String, String)> {
    vec![
        ("DOMAIN".into(), t.domain.clone()),
        ("PORT".into(), server().addr.port().to_string()),
        ("ORG".into(), default_org(t)),
        ("TOKEN".into(), token.to_string()),
        ("TAG".into(), uuid::Uuid::now_v7().simple().to_string()),
    ]
}

fn run_python(script: &str, env: &[(String, String)]) -> Value {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    run(&venv_python(), &[script], &env)
}

#[test]
fn the_compliance_checker_scim2_tester_finds_every_check_green() {
    let t = server().tenant();
    let (token, _) = provisioner(&t, &["ORG_OWNER"]);
    let results = run_python("scim_check.py", &python_env(&t, &token));
    let results = results.as_array().unwrap();
    let failed: Vec<&Value> = results
        .iter()
        .filter(|r| r["status"] != "SUCCESS")
        .collect();
    assert!(
        failed.is_empty(),
        "{}",
        serde_json::to_string_pretty(&failed).unwrap()
    );
    // Discovery, every CRUD check, PATCH add/replace/remove of every attribute.
    assert!(results.len() >= 90, "{}", results.len());
}

#[test]
fn scim2_client_runs_a_bulk_with_references_and_a_patch_of_several_operations() {
    let t = server().tenant();
    let (token, c) = provisioner(&t, &["ORG_USER_MANAGER"]);
    let seen = run_python("scim_client.py", &python_env(&t, &token));
    let statuses: Vec<(&str, i64)> = seen["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["method"].as_str().unwrap(), o["status"].as_i64().unwrap()))
        .collect();
    // The second error ends the request (failOnErrors: 2): the last POST is not run.
    assert_eq!(
        statuses,
        [
            ("POST", 201),
            ("POST", 201),
            ("PATCH", 200),
            ("POST", 409),
            ("DELETE", 404)
        ],
        "{seen}"
    );
    assert_eq!(seen["operations"][3]["scimType"], "uniqueness", "{seen}");
    assert_eq!(
        seen["manager"], seen["boss_id"],
        "bulkId:boss became the boss's id"
    );
    assert_eq!(seen["title_after_bulk"], "Engineer");
    assert_eq!(seen["patched_family_name"], "Lovelace");
    let back = &seen["read_back"];
    assert!(back.get("title").is_none(), "{back}");
    assert_eq!(back[ENTERPRISE]["department"], "Analytics", "{back}");
    assert_eq!(
        back["phoneNumbers"][0]["value"], "+41 79 123 45 67",
        "{back}"
    );
    assert_eq!(
        seen["too_many"],
        json!({"status": 413, "scimType": "tooMany"})
    );
    // The API sees what SCIM wrote: the profile, the phone in international form.
    let id = back["id"].as_str().unwrap();
    // Written by another client: read until the read models have it.
    let user = c.get_until(&format!("/v1/users/{id}"), |r| {
        r.body["profile"]["family_name"] == "Lovelace" && r.body["phone"]["number"].is_string()
    });
    assert_eq!(
        user.body["profile"]["family_name"], "Lovelace",
        "{}",
        user.body
    );
    assert_eq!(
        user.body["phone"]["number"], "+41791234567",
        "{}",
        user.body
    );
}

/// A user as Okta's provisioning sends it.
fn okta_user(username: &str) -> Value {
    json!({
        "schemas": [CORE],
        "userName": username,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": true, "value": username, "type": "work"}],
        "displayName": "Ada Lovelace",
        "locale": "en-US",
        "externalId": "00u1abcdEFGH",
        "groups": [],
        "password": "correct horse battery staple",
        "active": true
    })
}

#[test]
fn okta_finds_creates_deactivates_reactivates_and_replaces_a_user() {
    let t = server().tenant();
    let (_, c) = provisioner(&t, &["ORG_USER_MANAGER"]);
    let base = format!("/scim/v2/{}", default_org(&t));
    let name = "ada@example.com";
    // Okta looks for the user first.
    let filter = format!("{base}/Users?filter=userName%20eq%20%22{name}%22&startIndex=1&count=100");
    let none = c.get(&filter);
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(none.body["totalResults"], 0);

    let made = send(
        &c,
        "POST",
        &format!("{base}/Users"),
        Some(okta_user(name)),
        &[],
    );
    assert_eq!(made.status, 201, "{}", made.body);
    assert!(made.body.get("password").is_none(), "never returned");
    let id = made.body["id"].as_str().unwrap().to_string();
    assert_eq!(made.body["externalId"], "00u1abcdEFGH");
    assert_eq!(
        made.body["meta"]["location"]
            .as_str()
            .unwrap()
            .split("/scim/v2/")
            .nth(1),
        Some(format!("{}/Users/{id}", default_org(&t)).as_str())
    );
    let found = c.get(&filter);
    assert_eq!(found.body["totalResults"], 1, "{}", found.body);
    assert_eq!(found.body["Resources"][0]["id"], id.as_str());

    // The external id is kept as metadata; the email as the user's, verified.
    let user = c.get(&format!("/v1/users/{id}"));
    assert_eq!(
        user.body["email"],
        json!({"address": name, "verified": true})
    );
    let meta = c.get(&format!("/v1/users/{id}/metadata"));
    assert!(
        meta.body.to_string().contains("scim.externalId"),
        "{}",
        meta.body
    );

    // Deactivation as Okta sends it: a replace without a path.
    let off = send(
        &c,
        "PATCH",
        &format!("{base}/Users/{id}"),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "value": {"active": false}}]
        })),
        &[],
    );
    assert_eq!(
        (off.status, off.body["active"].clone()),
        (200, json!(false)),
        "{}",
        off.body
    );
    let user = c.get_until(&format!("/v1/users/{id}"), |r| {
        r.body["state"] == "inactive"
    });
    assert_eq!(user.body["state"], "inactive");

    // A PUT of the whole user reactivates it with a new name; what it leaves out is gone.
    let mut whole = okta_user(name);
    whole["id"] = json!(id);
    whole["name"]["familyName"] = json!("King");
    whole.as_object_mut().unwrap().remove("externalId");
    whole.as_object_mut().unwrap().remove("password");
    let put = send(&c, "PUT", &format!("{base}/Users/{id}"), Some(whole), &[]);
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        (
            put.body["active"].clone(),
            put.body["name"]["familyName"].clone()
        ),
        (json!(true), json!("King"))
    );
    assert!(put.body.get("externalId").is_none(), "{}", put.body);
    let user = c.get_until(&format!("/v1/users/{id}"), |r| r.body["state"] == "active");
    assert_eq!(
        (
            user.body["state"].clone(),
            user.body["profile"]["family_name"].clone()
        ),
        (json!("active"), json!("King"))
    );

    let gone = send(&c, "DELETE", &format!("{base}/Users/{id}"), None, &[]);
    assert_eq!(gone.status, 204);
    assert_eq!(scim_error(&c.get(&format!("{base}/Users/{id}"))).0, 404);
}

#[test]
fn entra_id_patches_as_entra_id_does() {
    let t = server().tenant();
    let (_, c) = provisioner(&t, &["ORG_USER_MANAGER"]);
    let base = format!("/scim/v2/{}", default_org(&t));
    // Entra ID's create: enterprise attributes, "active" as a boolean, no password.
    let made = send(
        &c,
        "POST",
        &format!("{base}/Users"),
        Some(json!({
            "schemas": [CORE, ENTERPRISE],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee@contoso.com",
            "active": true,
            "displayName": "Test User",
            "emails": [{"primary": true, "type": "work", "value": "Test_User_ab6490ee@contoso.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
            "title": "Engineer",
            ENTERPRISE: {"department": "Engines", "employeeNumber": "42"}
        })),
        &[],
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.body["id"].as_str().unwrap().to_string();
    // Entra ID's PATCH: capitalised ops, a filtered path that matches nothing, the manager by
    // its id alone, booleans as strings.
    let patched = send(
        &c,
        "PATCH",
        &format!("{base}/Users/{id}"),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "moved@contoso.com"},
                {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 425 555 0100"},
                {"op": "Replace", "path": "name.familyName", "value": "Tester"},
                {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "boss-id"},
                {"op": "Replace", "value": {"displayName": "Test Tester", "title": "Lead"}},
                {"op": "Replace", "path": "active", "value": "False"}
            ]
        })),
        &[],
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    let p = &patched.body;
    assert_eq!(p["emails"][0]["value"], "moved@contoso.com", "{p}");
    assert_eq!(p["name"]["familyName"], "Tester");
    assert_eq!(p["name"]["formatted"], "Test User", "kept");
    assert_eq!(p[ENTERPRISE]["manager"]["value"], "boss-id", "{p}");
    assert_eq!(p[ENTERPRISE]["employeeNumber"], "42");
    assert_eq!(
        (p["title"].clone(), p["active"].clone()),
        (json!("Lead"), json!(false))
    );
    let user = c.get_until(&format!("/v1/users/{id}"), |r| {
        r.body["state"] == "inactive"
    });
    assert_eq!(
        user.body["email"]["address"], "moved@contoso.com",
        "{}",
        user.body
    );
    assert_eq!(user.body["phone"]["number"], "+14255550100");
    assert_eq!(user.body["profile"]["display_name"], "Test Tester");
    // Entra ID finds users by externalId too.
    let found = c.get(&format!(
        "{base}/Users?filter=externalId%20eq%20%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22"
    ));
    assert_eq!(found.body["totalResults"], 1, "{}", found.body);
    // A userName change is refused (login names do not change through SCIM).
    let renamed = send(
        &c,
        "PATCH",
        &format!("{base}/Users/{id}"),
        Some(json!({
            "schemas": [PATCH_OP],
            "Operations": [{"op": "Replace", "path": "userName", "value": "other@contoso.com"}]
        })),
        &[],
    );
    assert_eq!(scim_error(&renamed).1, "mutability");
}

#[test]
fn lists_filter_sort_and_page() {
    let t = server().tenant();
    let (_, c) = provisioner(&t, &["ORG_USER_MANAGER"]);
    let base = format!("/scim/v2/{}", default_org(&t));
    for (name, dept) in [("carol", "Ops"), ("alice", "Engines"), ("bob", "Engines")] {
        let mut u = okta_user(&format!("{name}@example.com"));
        u[ENTERPRISE] = json!({"department": dept});
        u["name"]["givenName"] = json!(name);
        assert_eq!(
            send(&c, "POST", &format!("{base}/Users"), Some(u), &[]).status,
            201
        );
    }
    let search = |body: Value| {
        send(
            &c,
            "POST",
            &format!("{base}/Users/.search"),
            Some(body),
            &[],
        )
    };
    let names = |r: &Reply| -> Vec<String> {
        r.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap_or("?").to_string())
            .collect()
    };
    let r = search(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": format!("{ENTERPRISE}:department eq \"engines\" or name.givenName sw \"car\""),
        "sortBy": "userName", "sortOrder": "descending", "startIndex": 2, "count": 1,
        "attributes": ["userName"]
    }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["totalResults"].clone(), r.body["startIndex"].clone()),
        (json!(3), json!(2)),
        "{}",
        r.body
    );
    assert_eq!(names(&r), ["bob@example.com"]);
    assert!(
        r.body["Resources"][0].get("emails").is_none(),
        "only the attributes asked for"
    );
    let r = c.get(&format!(
        "{base}/Users?filter=emails%5Btype%20eq%20%22work%22%20and%20value%20co%20%22ali%22%5D"
    ));
    assert_eq!(names(&r), ["alice@example.com"], "{}", r.body);
    let ours = "filter=userName%20ew%20%22%40example.com%22";
    let r = c.get(&format!(
        "{base}/Users?{ours}&sortBy=name.givenName&count=2&excludedAttributes=emails"
    ));
    assert_eq!(
        names(&r),
        ["alice@example.com", "bob@example.com"],
        "{}",
        r.body
    );
    assert!(r.body["Resources"][0].get("emails").is_none());
    // Machine users (the provisioning client itself) are no SCIM users: the three and the
    // tenant's human admin are.
    assert_eq!(c.get(&format!("{base}/Users")).body["totalResults"], 4);
}

#[test]
fn bad_input_and_other_orgs_users_get_scim_errors() {
    let t = server().tenant();
    let (_, c) = provisioner(&t, &["ORG_USER_MANAGER"]);
    let org = default_org(&t);
    let base = format!("/scim/v2/{org}");
    let made = send(
        &c,
        "POST",
        &format!("{base}/Users"),
        Some(okta_user("eve@example.com")),
        &[],
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.body["id"].as_str().unwrap().to_string();

    for filter in [
        "userName%20eq",
        "userName%20xx%20%22a%22",
        "(userName%20eq%20%22a%22",
        "userName%20eq%20a",
    ] {
        let r = c.get(&format!("{base}/Users?filter={filter}"));
        assert_eq!(scim_error(&r).0, 400, "{filter}");
        assert_eq!(scim_error(&r).1, "invalidFilter", "{filter}");
    }
    // The same login name again, in any case.
    let again = send(
        &c,
        "POST",
        &format!("{base}/Users"),
        Some(okta_user("EVE@example.com")),
        &[],
    );
    assert_eq!(scim_error(&again).0, 409);
    assert_eq!(scim_error(&again).1, "uniqueness");
    assert!(
        scim_error(&again).2.starts_with("USER-0002"),
        "{}",
        again.body
    );
    // Not JSON, a wrong type, a password the org's rules refuse.
    let broken = c.send("POST", &format!("{base}/Users"), Some(b"{".to_vec()), &[]);
    assert_eq!(scim_error(&broken).1, "invalidSyntax");
    let mut wrong = okta_user("mallory@example.com");
    wrong["active"] = json!(3);
    assert_eq!(
        scim_error(&send(
            &c,
            "POST",
            &format!("{base}/Users"),
            Some(wrong),
            &[]
        ))
        .1,
        "invalidValue"
    );
    let mut weak = okta_user("weak@example.com");
    weak["password"] = json!("short");
    let weak = send(&c, "POST", &format!("{base}/Users"), Some(weak), &[]);
    assert_eq!(scim_error(&weak).0, 400, "{}", weak.body);
    // A stale ETag.
    let version = made.body["meta"]["version"].as_str().unwrap().to_string();
    let changed = send(
        &c,
        "PATCH",
        &format!("{base}/Users/{id}"),
        Some(json!({
            "schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "A"}]
        })),
        &[("if-match", &version)],
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_ne!(
        changed.body["meta"]["version"].as_str(),
        Some(version.as_str())
    );
    let stale = send(
        &c,
        "PUT",
        &format!("{base}/Users/{id}"),
        Some(okta_user("eve@example.com")),
        &[("if-match", &version)],
    );
    assert_eq!(scim_error(&stale).0, 412, "{}", stale.body);
    // A Bulk over the limit, in operations and in bytes.
    let ops: Vec<Value> = (0..1001)
        .map(|_| json!({"method": "DELETE", "path": format!("/Users/{id}")}))
        .collect();
    let bulk = send(
        &c,
        "POST",
        &format!("{base}/Bulk"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops
        })),
        &[],
    );
    assert_eq!(
        (scim_error(&bulk).0, scim_error(&bulk).1),
        (413, "tooMany".into())
    );
    let huge = c.send(
        "POST",
        &format!("{base}/Bulk"),
        Some(vec![b' '; 5 << 20]),
        &[],
    );
    assert_eq!(scim_error(&huge).0, 413);
    // Nothing of the user changed through all that.
    assert_eq!(c.get(&format!("{base}/Users/{id}")).body["title"], "A");

    // Another org's user is not found through this org, nor this org's through another.
    let other = t.client.post("/v1/orgs", json!({"name": "Other"}));
    let other_org = other.str("id");
    let theirs = t.client.after(&other).post(
        &format!("/v1/orgs/{other_org}/users/human"),
        json!({"username": "theirs", "profile": {"given_name": "T", "family_name": "O"},
               "email": {"address": "theirs@example.com"}}),
    );
    let their_id = theirs.str("id");
    for method in ["GET", "DELETE"] {
        let r = send(&c, method, &format!("{base}/Users/{their_id}"), None, &[]);
        assert_eq!(scim_error(&r).0, 404, "{method}");
    }
    let patch = send(
        &c,
        "PATCH",
        &format!("{base}/Users/{their_id}"),
        Some(json!({
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]
        })),
        &[],
    );
    assert_eq!(scim_error(&patch).0, 404);
    let r = c.get(&format!("/scim/v2/{other_org}/Users/{id}"));
    assert_eq!(scim_error(&r).0, 403, "no user.read in the other org");
    // The org's machine user is no SCIM user; an id that is no id is not found.
    let me = c.get("/v1/users/me");
    assert_eq!(
        scim_error(&c.get(&format!("{base}/Users/{}", me.str("id")))).0,
        404
    );
    assert_eq!(
        scim_error(&c.get(&format!("{base}/Users/..%2F..%2Fsystem"))).0,
        404
    );
    assert_eq!(scim_error(&c.get(&format!("{base}/Groups"))).0, 404);
}

#[test]
fn reading_needs_user_read_and_writing_user_write_on_the_org() {
    let t = server().tenant();
    let base = format!("/scim/v2/{}", default_org(&t));
    let anonymous = t.client.clone().token("not-a-token");
    let r = anonymous.get(&format!("{base}/Users"));
    assert_eq!(scim_error(&r).0, 401);
    let (_, viewer) = provisioner(&t, &["ORG_OWNER_VIEWER"]);
    assert_eq!(viewer.get(&format!("{base}/Users")).status, 200);
    assert_eq!(
        viewer.get(&format!("{base}/ServiceProviderConfig")).status,
        200
    );
    let denied = send(
        &viewer,
        "POST",
        &format!("{base}/Users"),
        Some(okta_user("x@example.com")),
        &[],
    );
    assert_eq!(scim_error(&denied).0, 403);
    assert!(
        scim_error(&denied).2.starts_with("AUTHZ-0001"),
        "{}",
        denied.body
    );
    // No escalation: a user manager cannot deactivate the org's owner.
    let (_, manager) = provisioner(&t, &["ORG_USER_MANAGER"]);
    let (_, owner) = provisioner(&t, &["ORG_OWNER"]);
    let human_owner = send(
        &owner,
        "POST",
        &format!("{base}/Users"),
        Some(okta_user("boss@example.com")),
        &[],
    );
    let boss = human_owner.body["id"].as_str().unwrap().to_string();
    let made_owner = t.client.post(
        &format!("/v1/orgs/{}/members", default_org(&t)),
        json!({"user_id": boss, "roles": ["ORG_OWNER"]}),
    );
    assert_eq!(made_owner.status, 201, "{}", made_owner.body);
    let off = send(
        &manager.after(&made_owner),
        "PATCH",
        &format!("{base}/Users/{boss}"),
        Some(json!({
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": false}]
        })),
        &[],
    );
    assert_eq!(scim_error(&off).0, 403, "{}", off.body);
}
