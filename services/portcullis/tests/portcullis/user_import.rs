//! Users brought along from other systems with their password hashes: hashes made by those
//! systems' own libraries (PyPI bcrypt, passlib, argon2-cffi; scrypt by hashlib) are imported,
//! each user logs in at the hosted login with their password (a wrong one is refused) and gets
//! an argon2id hash of ours; NDJSON is read as it arrives; `password_change_required` sends the
//! user to choose a new password. And what an attacker tries: malformed hashes, hashes of a
//! cost that would make each login a denial of service, more users than a request takes, a
//! caller without `user.write` on the org.

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::default_org;
use super::oidc_behaviours::auth_url;
use super::oidc_clients::{run, venv_python};
use super::oidc_support::{app, App, UserAgent};

fn human(username: &str, hash: Option<&str>) -> Value {
    json!({"username": username,
           "profile": {"given_name": "Moved", "family_name": "Here"},
           "email": {"address": format!("{username}@example.com"), "verified": true},
           "password_hash": hash})
}

fn import(t: &Tenant, body: &Value) -> testkit::Reply {
    t.client.post(
        &format!("/v1/orgs/{}/users/import", default_org(t)),
        body.clone(),
    )
}

/// A login at the hosted login: the status of the form's answer.
fn login(t: &Tenant, app: &App, username: &str, password: &str) -> u16 {
    UserAgent::default()
        .submit_login(t, &auth_url(t, app, ""), username, password)
        .status
}

#[test]
fn users_log_in_with_the_passwords_other_systems_hashed_and_get_our_hash() {
    let t = server().tenant();
    let made = run(&venv_python(), &["import_hashes.py"], &[]);
    let made = made.as_array().unwrap();
    let mut items: Vec<Value> = made
        .iter()
        .map(|h| human(h["kind"].as_str().unwrap(), h["hash"].as_str()))
        .collect();
    // A malformed hash, and a login name twice: those two alone are refused.
    items.push(human("broken", Some("$2b$10$not-a-bcrypt-hash")));
    items.push(human("bcrypt", Some(made[0]["hash"].as_str().unwrap())));
    let r = import(&t, &json!(items));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["created"].clone(), r.body["failed"].clone()),
        (json!(made.len()), json!(2))
    );
    let errors: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["error"]["code"].as_str())
        .collect();
    assert_eq!(errors, ["USER-0019", "USER-0002"], "{}", r.body);
    // The import answers no position: the login finds a user once the read models have it.
    for id in r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["id"].as_str())
    {
        let seen = t
            .client
            .get_until(&format!("/v1/users/{id}"), |u| u.status == 200);
        assert_eq!(seen.status, 200, "{}", seen.body);
    }

    let app = app(&t, "client_secret_basic", "jwt");
    for h in made {
        let (kind, password) = (h["kind"].as_str().unwrap(), h["password"].as_str().unwrap());
        assert_eq!(login(&t, &app, kind, "not the password"), 401, "{kind}");
        assert_eq!(login(&t, &app, kind, password), 302, "{kind}");
        // The right password replaced the hash with ours; the password still works.
        let id = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["index"] == made.iter().position(|m| m == h).unwrap())
            .and_then(|i| i["id"].as_str())
            .unwrap()
            .to_string();
        let events = t.client.get_until(
            &format!("/v1/events?aggregate_type=user&aggregate_id={id}"),
            |e| e.body.to_string().contains("user.human.password.rehashed"),
        );
        assert!(
            events
                .body
                .to_string()
                .contains("user.human.password.rehashed"),
            "{kind}: {}",
            events.body
        );
        assert_eq!(
            login(&t, &app, kind, password),
            302,
            "{kind} after the rehash"
        );
    }
}

#[test]
fn ndjson_is_imported_and_a_required_change_is_asked_for_at_the_login() {
    let t = server().tenant();
    let made = run(&venv_python(), &["import_hashes.py"], &[]);
    let bcrypt = &made[0];
    let mut moved = human("moved", bcrypt["hash"].as_str());
    moved["password_change_required"] = json!(true);
    let lines = [moved, human("no-password", None), json!({"username": 1})]
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let r = t.client.send(
        "POST",
        &format!("/v1/orgs/{}/users/import", default_org(&t)),
        Some(lines.into_bytes()),
        &[("content-type", "application/x-ndjson")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 2, "{}", r.body);
    assert_eq!(r.body["items"][2]["error"]["code"], "REQ-0001");
    let _ = t.client.after(&r).get("/v1/users/me");
    let app = app(&t, "client_secret_basic", "jwt");
    let answer = UserAgent::default().submit_login(
        &t,
        &auth_url(&t, &app, ""),
        "moved",
        bcrypt["password"].as_str().unwrap(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("new_password"), "{}", answer.body);
    // Asked for, not expired: the page says so.
    assert!(
        answer.body.contains("Choose a new password</h1>"),
        "{}",
        answer.body
    );
    assert!(!answer.body.contains("has expired"), "{}", answer.body);
}

#[test]
fn dear_or_unknown_hashes_too_many_users_and_other_callers_are_refused() {
    let t = server().tenant();
    let dear = [
        "$2b$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
        "$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
        "$pbkdf2-sha256$900000000$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
        "$scrypt$ln=30,r=8,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
        "$1$md5$crypt",
        "{SSHA}not-taken",
    ];
    let items: Vec<Value> = dear
        .iter()
        .enumerate()
        .map(|(n, h)| human(&format!("dear{n}"), Some(h)))
        .collect();
    let r = import(&t, &json!(items));
    assert_eq!(r.body["created"], 0, "{}", r.body);
    for item in r.body["items"].as_array().unwrap() {
        assert_eq!(item["error"]["code"], "USER-0019", "{item}");
    }
    // An item that is not a user in an array: the whole array is refused, nothing made.
    let r = import(&t, &json!([human("fine", None), {"username": "half"}]));
    assert_eq!(r.error(), (400, "REQ-0001"), "{}", r.body);
    assert_eq!(r.body["details"]["index"], "1");
    let found = t.client.get("/v1/users?username=fine");
    assert_eq!(found.body["items"].as_array().unwrap().len(), 0);
    // More than 100,000 users: refused whole, nothing made.
    let many: Vec<Value> = (0..100_001)
        .map(|n| json!({"username": format!("u{n}")}))
        .collect();
    let r = import(&t, &json!(many));
    assert_eq!(r.error(), (413, "REQ-0002"), "{}", r.body);
    // A caller without user.write on the org: 403, nothing read or made.
    let reader = super::login_sessions::caller(&t, "viewer", &["ORG_OWNER_VIEWER"], false);
    let r = reader.post(
        &format!("/v1/orgs/{}/users/import", default_org(&t)),
        json!([human("sneaky", None)]),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let found = t.client.get("/v1/users?username=sneaky");
    assert_eq!(found.body["items"].as_array().unwrap().len(), 0);
    // Another tenant's org: not found.
    let other = server().tenant();
    let r = t.client.post(
        &format!("/v1/orgs/{}/users/import", default_org(&other)),
        json!([human("x", None)]),
    );
    assert_eq!(r.status, 404, "{}", r.body);
}

#[test]
fn the_command_line_imports_a_file_showing_its_progress_and_what_it_refused() {
    let t = server().tenant();
    let made = run(&venv_python(), &["import_hashes.py"], &[]);
    let hash = made[0]["hash"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.ndjson");
    // 250 users (three requests), the 5th one's name taken by the 1st.
    let lines: Vec<String> = (0..250)
        .map(|n| {
            let name = if n == 4 {
                "cli0".to_string()
            } else {
                format!("cli{n}")
            };
            human(&name, Some(hash)).to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("import-users")
        .arg(&file)
        .args(["--org", &default_org(&t), "--batch", "100"])
        .args(["--url", &server().base(), "--host", &t.domain])
        .env("PORTCULLIS_TOKEN", &t.admin_pat)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("100 users done: 99 created, 1 refused"),
        "{stderr}"
    );
    assert!(
        stderr.contains("250 users done: 249 created, 1 refused"),
        "{stderr}"
    );
    let refused: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(refused["line"], 5);
    assert_eq!(refused["username"], "cli0");
    assert_eq!(refused["error"]["code"], "USER-0002");
    // The command line's writes are read back once the read model has them.
    let found = t.client.get_until("/v1/users?username=cli249", |r| {
        r.body["items"].as_array().is_some_and(|i| !i.is_empty())
    });
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
}

#[test]
fn the_same_import_over_grpc() {
    use gateway::grpc::pb;
    use pb::create_human_user_request::{NewEmail, NewProfile};
    use pb::user_service_client::UserServiceClient;
    let t = server().tenant();
    let made = run(&venv_python(), &["import_hashes.py"], &[]);
    let user = |name: &str, hash: &str| pb::ImportedHuman {
        username: name.into(),
        profile: Some(NewProfile {
            given_name: "Moved".into(),
            family_name: "Here".into(),
            ..Default::default()
        }),
        email: Some(NewEmail {
            address: format!("{name}@example.com"),
            verified: true,
        }),
        password_hash: Some(hash.into()),
        ..Default::default()
    };
    let request = pb::ImportUsersRequest {
        org_id: default_org(&t),
        users: vec![
            user("grpc-moved", made[2]["hash"].as_str().unwrap()),
            user("grpc-broken", "$pbkdf2-sha256$notanumber$a$b"),
        ],
    };
    let answer = super::grpc::block(async {
        let mut users = UserServiceClient::new(super::grpc::channel(&t.domain).await);
        users
            .import_users(super::grpc::call(request, &t.admin_pat, None))
            .await
            .expect("imported")
            .into_inner()
    });
    assert_eq!((answer.created, answer.failed), (1, 1));
    assert!(!answer.items[0].id.is_empty());
    assert_eq!(answer.items[1].error_code, "USER-0019");
    let app = app(&t, "client_secret_basic", "jwt");
    let password = made[2]["password"].as_str().unwrap();
    let r = UserAgent::default().submit_login(&t, &auth_url(&t, &app, ""), "grpc-moved", password);
    assert_eq!(r.status, 302, "{}", r.body);
}
