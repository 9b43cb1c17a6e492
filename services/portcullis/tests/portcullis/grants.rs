//! Project grants, user grants, and the cascades of removals (as events).

use serde_json::{json, Value};
use testkit::{server, Client, Tenant};

use super::default_org;

fn created(r: testkit::Reply) -> String {
    assert_eq!(r.status, 201, "{}", r.body);
    r.str("id")
}

fn org(t: &Tenant, name: &str) -> String {
    created(t.client.post("/v1/orgs", json!({"name": name})))
}

fn user(t: &Tenant, org: &str, username: &str) -> String {
    created(t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": username, "name": username}),
    ))
}

fn token(t: &Tenant, user_id: &str) -> Client {
    let pat = t
        .client
        .post(&format!("/v1/users/{user_id}/pats"), json!({}));
    t.as_token(&pat.str("token")).after(&pat)
}

/// A project of `org` with roles admin, editor, viewer.
fn project(t: &Tenant, org: &str) -> String {
    let id = created(
        t.client
            .post(&format!("/v1/orgs/{org}/projects"), json!({"name": "Shop"})),
    );
    for k in ["admin", "editor", "viewer"] {
        assert_eq!(
            t.client
                .post(&format!("/v1/projects/{id}/roles"), json!({"key": k}))
                .status,
            201
        );
    }
    id
}

fn roles_of(t: &Tenant, user_id: &str) -> Vec<Value> {
    t.client.get(&format!("/v1/users/{user_id}/grants")).body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["role_keys"].clone())
        .collect()
}

#[test]
fn project_grants_hold_only_the_projects_roles_and_go_to_other_orgs() {
    let t = server().tenant();
    let (a, b) = (default_org(&t), org(&t, "Partner"));
    let p = project(&t, &a);
    let grants = format!("/v1/projects/{p}/grants");
    let add = |org: &str, roles: Value| {
        t.client
            .post(&grants, json!({"granted_org_id": org, "role_keys": roles}))
    };
    assert_eq!(add(&b, json!(["owner"])).error(), (404, "PROJECT-0004"));
    assert_eq!(add(&a, json!(["viewer"])).error(), (400, "PROJECT-0006"));
    assert_eq!(
        add("no-such-org", json!(["viewer"])).error(),
        (404, "ORG-0001")
    );
    let g = created(add(&b, json!(["viewer", "editor"])));
    assert_eq!(add(&b, json!(["viewer"])).error(), (409, "PROJECT-0007"));
    let listed = t.client.get(&grants);
    assert_eq!(
        listed.body["items"],
        json!([{"id": g, "project_id": p, "granted_org_id": b, "role_keys": ["editor", "viewer"]}])
    );
}

#[test]
fn user_grants_take_roles_the_project_or_grant_holds_once_per_user() {
    let t = server().tenant();
    let (a, b) = (default_org(&t), org(&t, "Partner"));
    let p = project(&t, &a);
    let alice = user(&t, &a, "alice");
    let grants = format!("/v1/users/{alice}/grants");
    let r = t.client.post(
        &grants,
        json!({"project_id": p, "role_keys": ["editor", "admin"]}),
    );
    let ug = created(r);
    assert_eq!(
        t.client
            .post(&grants, json!({"project_id": p, "role_keys": ["viewer"]}))
            .error(),
        (409, "USERGRANT-0002")
    );
    let bob = user(&t, &b, "bob");
    assert_eq!(
        t.client
            .post(
                &format!("/v1/users/{bob}/grants"),
                json!({"project_id": p, "role_keys": ["root"]})
            )
            .error(),
        (400, "USERGRANT-0003")
    );
    let g = created(t.client.post(
        &format!("/v1/projects/{p}/grants"),
        json!({"granted_org_id": b, "role_keys": ["viewer"]}),
    ));
    let through = |roles: Value| {
        t.client.post(
            &format!("/v1/users/{bob}/grants"),
            json!({"project_id": p, "project_grant_id": g, "role_keys": roles}),
        )
    };
    assert_eq!(through(json!(["editor"])).error(), (400, "USERGRANT-0003"));
    created(through(json!(["viewer"])));
    assert_eq!(roles_of(&t, &bob), [json!(["viewer"])]);
    let patched = t.client.send(
        "PATCH",
        &format!("{grants}/{ug}"),
        Some(json!({"role_keys": ["viewer"]}).to_string().into_bytes()),
        &[],
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(roles_of(&t, &alice), [json!(["viewer"])]);
    assert_eq!(t.client.delete(&format!("{grants}/{ug}")).status, 200);
    assert_eq!(
        t.client.delete(&format!("{grants}/{ug}")).error(),
        (404, "USERGRANT-0001")
    );
    // The claim is free again: the same grant can be made anew.
    created(
        t.client
            .post(&grants, json!({"project_id": p, "role_keys": ["admin"]})),
    );
}

#[test]
fn removing_roles_and_grants_strips_them_from_user_grants() {
    let t = server().tenant();
    let (a, b) = (default_org(&t), org(&t, "Partner"));
    let p = project(&t, &a);
    let g = created(t.client.post(
        &format!("/v1/projects/{p}/grants"),
        json!({"granted_org_id": b, "role_keys": ["editor", "viewer"]}),
    ));
    let (alice, bob) = (user(&t, &a, "alice"), user(&t, &b, "bob"));
    created(t.client.post(
        &format!("/v1/users/{alice}/grants"),
        json!({"project_id": p, "role_keys": ["admin", "editor"]}),
    ));
    created(t.client.post(
        &format!("/v1/users/{bob}/grants"),
        json!({"project_id": p, "project_grant_id": g, "role_keys": ["editor", "viewer"]}),
    ));
    // The role goes from the project, its grant, and every user grant holding it.
    assert_eq!(
        t.client
            .delete(&format!("/v1/projects/{p}/roles/editor"))
            .status,
        200
    );
    assert_eq!(roles_of(&t, &alice), [json!(["admin"])]);
    assert_eq!(roles_of(&t, &bob), [json!(["viewer"])]);
    assert_eq!(
        t.client.get(&format!("/v1/projects/{p}/grants")).body["items"][0]["role_keys"],
        json!(["viewer"])
    );
    // A narrower grant narrows the user grants made through it.
    let narrowed = t.client.send(
        "PATCH",
        &format!("/v1/projects/{p}/grants/{g}"),
        Some(json!({"role_keys": []}).to_string().into_bytes()),
        &[],
    );
    assert_eq!(narrowed.status, 200, "{}", narrowed.body);
    assert_eq!(roles_of(&t, &bob), [json!([])]);
    // Removing the grant removes the user grants made through it.
    assert_eq!(
        t.client
            .delete(&format!("/v1/projects/{p}/grants/{g}"))
            .status,
        200
    );
    assert!(roles_of(&t, &bob).is_empty());
    let trail = t
        .client
        .get("/v1/events?aggregate_type=user_grant&limit=1000");
    let cascaded = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["creator"] == "internal:cascade")
        .count();
    assert!(cascaded >= 3, "the cascades are events: {}", trail.body);
}

#[test]
fn a_grant_manager_manages_user_grants_through_their_grant_only() {
    let t = server().tenant();
    let (a, b) = (default_org(&t), org(&t, "Partner"));
    let p = project(&t, &a);
    let g = created(t.client.post(
        &format!("/v1/projects/{p}/grants"),
        json!({"granted_org_id": b, "role_keys": ["viewer"]}),
    ));
    let manager = user(&t, &b, "partner-admin");
    let made = t.client.post(
        &format!("/v1/projects/{p}/grants/{g}/members"),
        json!({"user_id": manager, "roles": ["PROJECT_GRANT_OWNER"]}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(
        t.client
            .get(&format!("/v1/projects/{p}/grants/{g}/members"))
            .body["items"],
        json!([{"user_id": manager, "roles": ["PROJECT_GRANT_OWNER"]}])
    );
    let m = token(&t, &manager);
    let bob = user(&t, &b, "bob");
    let via_grant = m.post(
        &format!("/v1/users/{bob}/grants"),
        json!({"project_id": p, "project_grant_id": g, "role_keys": ["viewer"]}),
    );
    assert_eq!(via_grant.status, 201, "{}", via_grant.body);
    let direct = m.post(
        &format!("/v1/users/{bob}/grants"),
        json!({"project_id": p, "role_keys": ["viewer"]}),
    );
    assert_eq!(direct.error(), (403, "AUTHZ-0001"));
    assert_eq!(direct.body["details"]["missing"], "user.grant.write");
    // The admin's own grant on the project is not visible to the grant manager.
    let alice = user(&t, &a, "alice");
    created(t.client.post(
        &format!("/v1/users/{alice}/grants"),
        json!({"project_id": p, "role_keys": ["admin"]}),
    ));
    let m = m.after(&t.client.get("/v1/users/me"));
    assert_eq!(
        m.get(&format!("/v1/users/{alice}/grants")).body["items"],
        json!([])
    );
    assert_eq!(
        m.get(&format!("/v1/users/{bob}/grants")).body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Nor may they change the grant itself.
    let r = m.send(
        "PATCH",
        &format!("/v1/projects/{p}/grants/{g}"),
        Some(
            json!({"role_keys": ["viewer", "admin"]})
                .to_string()
                .into_bytes(),
        ),
        &[],
    );
    assert_eq!(r.error(), (403, "AUTHZ-0001"));
}

#[test]
fn removing_an_org_removes_its_users_and_projects_and_frees_their_names() {
    let t = server().tenant();
    let doomed = org(&t, "Doomed");
    let carol = user(&t, &doomed, "carol");
    let p = project(&t, &doomed);
    let other = user(&t, &default_org(&t), "dave");
    created(t.client.post(
        &format!("/v1/users/{other}/grants"),
        json!({"project_id": p, "role_keys": ["viewer"]}),
    ));
    assert_eq!(
        t.client
            .post(
                &format!("/v1/orgs/{doomed}/members"),
                json!({"user_id": carol, "roles": ["ORG_OWNER"]})
            )
            .status,
        201
    );
    let removed = t.client.delete(&format!("/v1/orgs/{doomed}"));
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(
        t.client.get(&format!("/v1/orgs/{doomed}")).error(),
        (404, "ORG-0001")
    );
    assert_eq!(
        t.client.get(&format!("/v1/users/{carol}")).error(),
        (404, "USER-0001")
    );
    assert_eq!(
        t.client.get(&format!("/v1/projects/{p}")).error(),
        (404, "PROJECT-0001")
    );
    assert!(
        roles_of(&t, &other).is_empty(),
        "a user grant on a removed project survived"
    );
    // The names are free again.
    let again = org(&t, "doomed");
    user(&t, &again, "carol");
    let types: Vec<String> = t.client.get("/v1/events?limit=1000").body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["creator"] == "internal:cascade")
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    for ty in ["user.removed", "project.removed", "user.grant.removed"] {
        assert!(types.iter().any(|t| t == ty), "no cascaded {ty}: {types:?}");
    }
}

#[test]
fn orgs_are_renamed_and_the_old_name_is_free() {
    let t = server().tenant();
    let a = org(&t, "Alpha");
    org(&t, "Beta");
    let rename = |name: &str| {
        t.client.send(
            "PATCH",
            &format!("/v1/orgs/{a}"),
            Some(json!({"name": name}).to_string().into_bytes()),
            &[],
        )
    };
    assert_eq!(rename("beta").error(), (409, "ORG-0002"));
    assert_eq!(rename("Gamma").status, 200);
    assert_eq!(t.client.get(&format!("/v1/orgs/{a}")).str("name"), "Gamma");
    org(&t, "alpha");
    assert_eq!(
        rename("gamma").status,
        200,
        "a change of case keeps the claim"
    );
    assert_eq!(rename("").error(), (400, "ORG-0003"));
}
