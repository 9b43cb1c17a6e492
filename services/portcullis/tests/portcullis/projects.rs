//! Projects, their roles, members and OIDC apps, and what a project manager may reach.

use serde_json::{json, Value};
use testkit::{server, Client, Tenant};

use super::default_org;

fn project(t: &Tenant, org: &str, name: &str) -> String {
    let r = t
        .client
        .post(&format!("/v1/orgs/{org}/projects"), json!({"name": name}));
    assert_eq!(r.status, 201, "{}", r.body);
    r.str("id")
}

/// A machine user with a token, made by the tenant's admin.
fn machine(t: &Tenant, org: &str, username: &str) -> (String, Client) {
    let r = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": username, "name": username}),
    );
    let id = r.str("id");
    let pat = t.client.post(&format!("/v1/users/{id}/pats"), json!({}));
    (id, t.as_token(&pat.str("token")).after(&pat))
}

fn app(redirect: &str, method: &str) -> Value {
    json!({
        "name": "web",
        "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token"],
        "auth_method": method,
    })
}

#[test]
fn projects_are_created_read_renamed_and_removed() {
    let t = server().tenant();
    let org = default_org(&t);
    let id = project(&t, &org, "Shop");
    let p = t.client.get(&format!("/v1/projects/{id}"));
    assert_eq!(
        p.body,
        json!({"id": id, "org_id": org, "name": "Shop", "assert_roles": false})
    );
    let patch = |body: Value| {
        t.client.send(
            "PATCH",
            &format!("/v1/projects/{id}"),
            Some(body.to_string().into_bytes()),
            &[],
        )
    };
    let renamed = patch(json!({"name": "Store", "assert_roles": true}));
    assert_eq!(renamed.status, 200);
    let unchanged = patch(json!({"name": "Store"}));
    assert_eq!(unchanged.body["sequence"], renamed.body["sequence"]);
    assert_eq!(patch(json!({"name": ""})).error(), (400, "PROJECT-0002"));
    let listed = t.client.get(&format!("/v1/projects?org_id={org}"));
    assert_eq!(listed.body["items"][0]["name"], "Store");
    assert_eq!(
        t.client
            .post("/v1/orgs/nope/projects", json!({"name": "X"}))
            .error(),
        (404, "ORG-0001")
    );
    assert_eq!(t.client.delete(&format!("/v1/projects/{id}")).status, 200);
    assert_eq!(
        t.client.get(&format!("/v1/projects/{id}")).error(),
        (404, "PROJECT-0001")
    );
    let types = t
        .client
        .get(&format!("/v1/events?aggregate_id={id}"))
        .body
        .to_string();
    for ty in ["project.added", "project.changed", "project.removed"] {
        assert!(types.contains(ty), "{ty} is not in the trail");
    }
}

#[test]
fn roles_are_unique_keys_and_removed_only_when_there() {
    let t = server().tenant();
    let id = project(&t, &default_org(&t), "Shop");
    let roles = format!("/v1/projects/{id}/roles");
    let r = t.client.post(
        &roles,
        json!({"key": "editor", "display_name": "Editor", "group": "staff"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        t.client.post(&roles, json!({"key": "editor"})).error(),
        (409, "PROJECT-0003")
    );
    assert_eq!(
        t.client.post(&roles, json!({"key": "has space"})).error(),
        (400, "PROJECT-0005")
    );
    assert_eq!(t.client.post(&roles, json!({"key": "viewer"})).status, 201);
    let listed = t.client.get(&roles);
    assert_eq!(
        listed.body["items"],
        json!([
            {"key": "editor", "display_name": "Editor", "group": "staff"},
            {"key": "viewer", "display_name": "viewer"}
        ])
    );
    assert_eq!(t.client.delete(&format!("{roles}/editor")).status, 200);
    assert_eq!(
        t.client.delete(&format!("{roles}/editor")).error(),
        (404, "PROJECT-0004")
    );
}

#[test]
fn apps_get_client_ids_and_secrets_shown_once() {
    let t = server().tenant();
    let id = project(&t, &default_org(&t), "Shop");
    let apps = format!("/v1/projects/{id}/apps");
    let web = t.client.post(
        &format!("{apps}/oidc"),
        app("https://shop.example.com/cb", "client_secret_basic"),
    );
    assert_eq!(web.status, 201, "{}", web.body);
    let secret = web.str("client_secret");
    assert!(secret.len() >= 43);
    let spa = t.client.post(
        &format!("{apps}/oidc"),
        app("http://localhost:3000/cb", "none"),
    );
    assert_eq!(spa.status, 201);
    assert!(
        spa.body.get("client_secret").is_none(),
        "a public client got a secret"
    );

    let got = t.client.get(&format!("{apps}/{}", web.str("id")));
    assert_eq!(got.body["client_id"], web.body["client_id"]);
    assert_eq!(
        got.body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(got.body["auth_method"], "client_secret_basic");
    assert_eq!(got.body["access_token_type"], "jwt");
    assert_eq!(got.body["has_secret"], true);

    let rotated = t
        .client
        .post(&format!("{apps}/{}/secret", web.str("id")), json!({}));
    assert_eq!(rotated.status, 201);
    assert_ne!(rotated.str("client_secret"), secret);
    assert_eq!(
        t.client
            .post(&format!("{apps}/{}/secret", spa.str("id")), json!({}))
            .error(),
        (422, "APP-0004")
    );
    let everything = format!(
        "{}{}",
        t.client.get(&apps).body,
        t.client.get(&format!("/v1/events?aggregate_id={id}")).body
    );
    assert!(!everything.contains(&secret) && !everything.contains(&rotated.str("client_secret")));
    assert!(everything.contains("project.app.secret.rotated"));

    for (body, code) in [
        (app("https://shop.example.com/cb#x", "none"), "APP-0002"),
        (app("http://shop.example.com/cb", "none"), "APP-0002"),
        (app("https://shop.example.com/cb", "password"), "APP-0003"),
        (
            json!({"name": "x", "redirect_uris": [], "auth_method": "none"}),
            "APP-0002",
        ),
        (
            json!({"name": "x", "redirect_uris": ["https://a.example.com"], "auth_method": "none", "grant_types": ["implicit"]}),
            "APP-0003",
        ),
    ] {
        assert_eq!(
            t.client.post(&format!("{apps}/oidc"), body.clone()).error(),
            (400, code),
            "{body}"
        );
    }
    let mut changed = app("https://shop.example.com/callback", "client_secret_post");
    changed["name"] = json!("web shop");
    let patched = t.client.send(
        "PATCH",
        &format!("{apps}/{}", web.str("id")),
        Some(changed.to_string().into_bytes()),
        &[],
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    let to_public = t.client.send(
        "PATCH",
        &format!("{apps}/{}", web.str("id")),
        Some(
            app("https://shop.example.com/cb", "none")
                .to_string()
                .into_bytes(),
        ),
        &[],
    );
    assert_eq!(to_public.error(), (400, "APP-0003"));
    assert_eq!(
        t.client.delete(&format!("{apps}/{}", web.str("id"))).status,
        200
    );
    assert_eq!(
        t.client.get(&format!("{apps}/{}", web.str("id"))).error(),
        (404, "APP-0001")
    );
}

#[test]
fn a_project_owner_manages_their_project_and_nothing_else() {
    let t = server().tenant();
    let org = default_org(&t);
    let (p, q) = (project(&t, &org, "P"), project(&t, &org, "Q"));
    let (id, owner) = machine(&t, &org, "p-owner");
    let made = t.client.post(
        &format!("/v1/projects/{p}/members"),
        json!({"user_id": id, "roles": ["PROJECT_OWNER"]}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(
        t.client.get(&format!("/v1/projects/{p}/members")).body["items"],
        json!([{"user_id": id, "roles": ["PROJECT_OWNER"]}])
    );
    let owner = owner.after(&made);
    assert_eq!(
        owner
            .post(&format!("/v1/projects/{p}/roles"), json!({"key": "admin"}))
            .status,
        201
    );
    assert_eq!(
        owner
            .post(
                &format!("/v1/projects/{p}/apps/oidc"),
                app("https://p.example.com/cb", "none")
            )
            .status,
        201
    );
    let denied = owner.post(&format!("/v1/projects/{q}/roles"), json!({"key": "admin"}));
    assert_eq!(denied.error(), (403, "AUTHZ-0001"));
    assert_eq!(denied.body["details"]["missing"], "project.role.write");
    let denied = owner.post(&format!("/v1/orgs/{org}/projects"), json!({"name": "R"}));
    assert_eq!(denied.error(), (403, "AUTHZ-0001"));
    // Lists show only what the owner may read.
    let listed = owner.get("/v1/projects");
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [p.as_str()]);
    assert_eq!(
        owner
            .post(
                &format!("/v1/projects/{p}/members"),
                json!({"user_id": id, "roles": ["ORG_OWNER"]})
            )
            .error(),
        (400, "MEMBER-0001")
    );
    assert_eq!(
        t.client
            .delete(&format!("/v1/projects/{p}/members/{id}"))
            .status,
        200
    );
}
