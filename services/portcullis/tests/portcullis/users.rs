//! Human and machine users through the API of a tenant: creation, validation that writes
//! nothing, lists, deletion.

use serde_json::{json, Value};
use testkit::server;

use super::{default_org, event_count};

fn human(username: &str) -> Value {
    json!({
        "username": username,
        "profile": {"given_name": "Ada", "family_name": "Lovelace"},
        "email": {"address": "ada@example.com"},
        "password": "correct horse battery",
    })
}

#[test]
fn a_human_user_is_created_with_a_hashed_password() {
    let t = server().tenant();
    let org = default_org(&t);
    let r = t
        .client
        .post(&format!("/v1/orgs/{org}/users/human"), human("ada"));
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.str("id");
    let u = t.client.get(&format!("/v1/users/{id}"));
    assert_eq!(u.status, 200);
    assert_eq!(u.str("display_name"), "Ada Lovelace");
    assert_eq!(u.body["email"]["address"], "ada@example.com");
    assert_eq!(u.body["email"]["verified"], false);
    assert_eq!(u.str("state"), "active");
    assert_eq!(u.str("type"), "human");
    // The audit trail shows the creation, never the hash.
    let events = t
        .client
        .get(&format!("/v1/events?aggregate_type=user&aggregate_id={id}"));
    let added = &events.body["items"][0];
    assert_eq!(added["type"], "user.human.added");
    assert_eq!(added["payload"]["password_hash"], "[redacted]");
    assert!(!events.body.to_string().contains("argon2"));
}

#[test]
fn bad_users_are_refused_with_their_code_and_write_nothing() {
    let t = server().tenant();
    let org = default_org(&t);
    let path = format!("/v1/orgs/{org}/users/human");
    let before = event_count(&t);
    let long = "x".repeat(201);
    let mut cases = vec![];
    for (field, value, code) in [
        ("username", json!(""), "USER-0003"),
        ("username", json!(long), "USER-0003"),
        ("username", json!("has space"), "USER-0003"),
        ("password", json!("short"), "USER-0009"),
    ] {
        let mut b = human("bob");
        b[field] = value;
        cases.push((b, code));
    }
    for (email, code) in [("not-an-email", "USER-0004"), ("a@b", "USER-0004")] {
        let mut b = human("bob");
        b["email"]["address"] = json!(email);
        cases.push((b, code));
    }
    let mut b = human("bob");
    b["profile"]["given_name"] = json!(long);
    cases.push((b, "USER-0005"));
    let mut b = human("bob");
    b["profile"]["nickname"] = json!("x");
    cases.push((b, "REQ-0001"));
    for (body, code) in cases {
        assert_eq!(
            t.client.post(&path, body.clone()).error(),
            (400, code),
            "{body}"
        );
    }
    let machine = format!("/v1/orgs/{org}/users/machine");
    assert_eq!(
        t.client
            .post(&machine, json!({"username": "m", "name": ""}))
            .error(),
        (400, "USER-0005")
    );
    assert_eq!(
        t.client
            .post(
                "/v1/orgs/no-such-org/users/machine",
                json!({"username": "m", "name": "M"})
            )
            .error(),
        (404, "ORG-0001")
    );
    assert_eq!(event_count(&t), before, "a refused request wrote events");
    // The name was never held: it can be taken now.
    assert_eq!(t.client.post(&path, human("bob")).status, 201);
}

#[test]
fn login_names_are_unique_per_instance_without_regard_to_case() {
    let (a, b) = (server().tenant(), server().tenant());
    let (org_a, org_b) = (default_org(&a), default_org(&b));
    assert_eq!(
        a.client
            .post(&format!("/v1/orgs/{org_a}/users/human"), human("Carol"))
            .status,
        201
    );
    let again = a
        .client
        .post(&format!("/v1/orgs/{org_a}/users/human"), human("carol"));
    assert_eq!(again.error(), (409, "USER-0002"));
    // Another instance has its own names.
    assert_eq!(
        b.client
            .post(&format!("/v1/orgs/{org_b}/users/human"), human("carol"))
            .status,
        201
    );
}

#[test]
fn a_user_is_found_by_login_name_and_lists_page_by_cursor() {
    let t = server().tenant();
    let org = default_org(&t);
    for i in 0..5 {
        let r = t.client.post(
            &format!("/v1/orgs/{org}/users/machine"),
            json!({"username": format!("svc-{i}"), "name": "Service"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let found = t.client.get("/v1/users?username=SVC-3");
    let items = found.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["username"], "svc-3");

    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/v1/users?org_id={org}&limit=2&cursor={c}"),
            None => format!("/v1/users?org_id={org}&limit=2"),
        };
        let page = t.client.get(&q);
        assert_eq!(page.status, 200);
        for u in page.body["items"].as_array().unwrap() {
            seen.push(u["username"].as_str().unwrap().to_string());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    // admin, admin-bot and the five services, each exactly once.
    seen.sort();
    let mut expected: Vec<String> = ["admin", "admin-bot"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.extend((0..5).map(|i| format!("svc-{i}")));
    assert_eq!(seen, expected);
    assert_eq!(t.client.get("/v1/users?limit=0").error(), (400, "REQ-0003"));
    assert_eq!(
        t.client.get("/v1/users?limit=1001").error(),
        (400, "REQ-0003")
    );
    assert_eq!(
        t.client.get("/v1/users?colour=red").error(),
        (400, "REQ-0003")
    );
}

#[test]
fn a_read_waits_for_every_position_it_is_sent() {
    // A client that wrote twice sends both positions; the read sees both writes.
    let t = server().tenant();
    let first = t.client.post("/v1/orgs", json!({"name": "First"}));
    let second = t.client.post("/v1/orgs", json!({"name": "Second"}));
    let both = format!("{}, {}", first.str("position"), second.str("position"));
    let listed = t.client.send(
        "GET",
        "/v1/orgs?limit=100",
        None,
        &[("X-Portcullis-Position", &both)],
    );
    assert_eq!(listed.status, 200, "{}", listed.body);
    let names: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert!(
        names.contains(&"First") && names.contains(&"Second"),
        "{names:?}"
    );
    // Every position counts, not only the first: one the log never reached makes the read
    // wait out its bound and say so.
    let unreached = format!("{}, 999999999999", first.str("position"));
    let waited = t.client.send(
        "GET",
        "/v1/orgs?limit=1",
        None,
        &[("X-Portcullis-Position", &unreached)],
    );
    assert_eq!(waited.error(), (503, "CONC-0002"));
    // It says when to try again (also as Retry-After).
    assert_eq!(waited.body["details"]["retry_after"], "1");
}

#[test]
fn the_start_of_a_login_name_finds_users_of_the_orgs_one_may_read_over_rest_and_grpc() {
    let t = server().tenant();
    let org = default_org(&t);
    let other = t
        .client
        .post("/v1/orgs", json!({"name": "Elsewhere"}))
        .str("id");
    let mut last = None;
    for (at, name) in [
        (&org, "Adam"),
        (&org, "ada"),
        (&org, "bob"),
        (&other, "adrian"),
    ] {
        let r = t.client.post(
            &format!("/v1/orgs/{at}/users/machine"),
            json!({"username": name, "name": "Service"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        last = Some(r);
    }
    let api = t.client.after(&last.unwrap());
    let names = |client: &testkit::Client, q: &str| -> Vec<String> {
        let page = client.get(&format!("/v1/users?{q}"));
        assert_eq!(page.status, 200, "{}", page.body);
        page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&api, "username_prefix=AD"),
        ["ada", "Adam", "admin", "admin-bot", "adrian"]
    );
    assert_eq!(
        names(&api, &format!("username_prefix=ad&org_id={other}")),
        ["adrian"]
    );
    // Paged in login-name order.
    let first = api.get("/v1/users?username_prefix=ad&limit=2");
    let cursor = first.str("next_cursor");
    assert_eq!(
        names(&api, &format!("username_prefix=ad&limit=2&cursor={cursor}")),
        ["admin", "admin-bot"]
    );
    // A manager of one org searches only that org: nobody browses other orgs' users.
    let manager = super::oidc_support::human(&t, "una", "a narrow manager's password");
    let set = api.put(
        &format!("/v1/orgs/{org}/members/{manager}"),
        json!({"user_id": manager, "roles": ["ORG_USER_MANAGER"]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let pat = api.post(&format!("/v1/users/{manager}/pats"), json!({}));
    let narrow = t.as_token(&pat.str("token")).after(&pat);
    assert_eq!(
        names(&narrow, "username_prefix=ad"),
        ["ada", "Adam", "admin", "admin-bot"]
    );
    assert!(names(&narrow, &format!("username_prefix=a&org_id={other}")).is_empty());
    // The start of a name is a range of names, not a pattern: wildcards are characters.
    for name in ["pct%x", "pct_x", "pctax"] {
        let r = api.post(
            &format!("/v1/orgs/{org}/users/machine"),
            json!({"username": name, "name": "Service"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    assert_eq!(names(&api, "username_prefix=pct%25"), ["pct%x"]);
    assert_eq!(names(&api, "username_prefix=pct_"), ["pct_x"]);
    assert!(names(&api, "username_prefix=pct*").is_empty());
    // Bytes that are no UTF-8 (a lone surrogate) read as replacement characters: nobody.
    assert!(names(&api, "username_prefix=%ED%A0%80").is_empty());
    // Bad searches.
    for q in ["username_prefix=", "username_prefix=ad&username=ada"] {
        let e = api.get(&format!("/v1/users?{q}"));
        assert_eq!(e.error(), (400, "REQ-0003"), "{q}");
        assert_eq!(e.body["details"]["field"], "username_prefix");
    }
    let long = "a".repeat(201);
    assert_eq!(
        api.get(&format!("/v1/users?username_prefix={long}"))
            .error(),
        (400, "REQ-0003")
    );
    // gRPC finds the same.
    let found = super::grpc::block(async {
        let mut users = gateway::grpc::pb::user_service_client::UserServiceClient::new(
            super::grpc::channel(&t.domain).await,
        );
        let request = gateway::grpc::pb::ListUsersRequest {
            username_prefix: "AD".into(),
            ..Default::default()
        };
        users
            .list_users(super::grpc::call(request, &t.admin_pat, None))
            .await
            .expect("ListUsers")
            .into_inner()
    });
    let usernames: Vec<&str> = found.items.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(usernames, ["ada", "Adam", "admin", "admin-bot", "adrian"]);
}
