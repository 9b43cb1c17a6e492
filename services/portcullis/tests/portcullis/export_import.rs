//! Data you can take away: `portcullis export` writes a data directory's log as NDJSON in the
//! shape `GET /v1/events` lists it (nothing redacted), and `portcullis import` reads it into
//! an empty data directory, which then serves the same data: the same tokens, secrets and
//! signing keys. An export that was edited or cut is refused whole, naming its line.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};
use testkit::Client;

use super::{mode, read, start};

fn portcullis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .env_remove("PORTCULLIS_DATA_DIR")
        .env_remove("PORTCULLIS_KAFKA_BROKERS")
        .output()
        .unwrap()
}

fn export(data_dir: &Path, to: &Path) {
    let out = portcullis(&[
        "export",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--output",
        to.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn import(data_dir: &Path, from: &Path) -> Output {
    portcullis(&[
        "import",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--input",
        from.to_str().unwrap(),
    ])
}

/// A client-credentials token of the app, or the endpoint's error status.
fn token(base: &str, client_id: &str, secret: &str) -> Result<String, u16> {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"));
    let mut r = ureq::post(format!("{base}/oauth/v2/token"))
        .header("Host", "localhost")
        .header("Authorization", &format!("Basic {basic}"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_form([("grant_type", "client_credentials")])
        .unwrap();
    match r.status().as_u16() {
        200 => Ok(r.body_mut().read_json::<Value>().unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()),
        status => Err(status),
    }
}

#[test]
fn an_export_imports_into_an_empty_data_directory_which_serves_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let server = start(&a, &[]);
    let admin = Client::new(&server.base, Some("localhost")).token(&read(&a, "admin.pat"));
    let made = fill(&admin);
    assert!(token(&server.base, &made.client_id, &made.secret).is_ok());
    let trail = admin.after(&made.last).get("/v1/events?limit=1000");
    let user_before = admin.get(&format!("/v1/users/{}", made.human)).body;
    let keys_before = admin.get("/oauth/v2/keys").body;
    assert_eq!(server.stop().code(), Some(0));

    let file = dir.path().join("export.ndjson");
    export(&a, &file);
    // Password and secret hashes and sealed keys are in it: only its owner may read it.
    assert_eq!(mode(file.clone()), 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every event of the instance as the API listed it, the redacted fields in full.
    let listed = trail.body["items"].as_array().unwrap();
    assert!(lines.len() > listed.len());
    exported_as_listed(&lines, listed);
    // To standard output, the same.
    let out = portcullis(&["export", "--data-dir", a.to_str().unwrap()]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), text);
    // One instance's events only.
    let instance = listed[0]["instance_id"].as_str().unwrap();
    let out = portcullis(&[
        "export",
        "--data-dir",
        a.to_str().unwrap(),
        "--instance",
        instance,
    ]);
    let mine: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(mine.len(), listed.len());
    assert!(mine.iter().all(|l| l["instance_id"] == instance));

    // Into an empty directory that holds the exported one's master key.
    std::fs::create_dir(&b).unwrap();
    std::fs::copy(a.join("master.key"), b.join("master.key")).unwrap();
    let out = import(&b, &file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = dir.path().join("again.ndjson");
    export(&b, &again);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);
    // It serves what the exported one did: the same tokens, secrets, keys and users.
    let server = start(&b, &[]);
    let admin = Client::new(&server.base, Some("localhost")).token(&read(&a, "admin.pat"));
    let orgs = admin.get("/v1/orgs");
    assert_eq!(orgs.status, 200, "{}", orgs.body);
    assert!(orgs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "Taken away"));
    assert_eq!(
        admin.get(&format!("/v1/users/{}", made.human)).body,
        user_before
    );
    assert_eq!(admin.get("/oauth/v2/keys").body, keys_before);
    serves_the_app(&server.base, &made);
    assert_eq!(server.stop().code(), Some(0));
}

/// What the tests export: an org, a human user with a password, a project with an app that
/// gets JWT access tokens with a client secret.
struct Made {
    human: String,
    client_id: String,
    secret: String,
    /// The last write, for reads that must see them all.
    last: testkit::Reply,
}

fn fill(admin: &Client) -> Made {
    let org = admin.post("/v1/orgs", json!({"name": "Taken away"}));
    assert_eq!(org.status, 201, "{}", org.body);
    let org_id = org.str("id");
    let human = admin.after(&org).post(
        &format!("/v1/orgs/{org_id}/users/human"),
        json!({"username": "ada", "profile": {"given_name": "Ada", "family_name": "Lovelace"},
               "email": {"address": "ada@example.com"}, "password": "correct horse battery"}),
    );
    assert_eq!(human.status, 201, "{}", human.body);
    let project = admin.after(&org).post(
        &format!("/v1/orgs/{org_id}/projects"),
        json!({"name": "Batch"}),
    );
    let app = admin.after(&project).post(
        &format!("/v1/projects/{}/apps/oidc", project.str("id")),
        json!({"name": "m2m", "redirect_uris": [], "grant_types": ["client_credentials"],
               "auth_method": "client_secret_basic", "access_token_type": "jwt"}),
    );
    assert_eq!(app.status, 201, "{}", app.body);
    Made {
        human: human.str("id"),
        client_id: app.str("client_id"),
        secret: app.str("client_secret"),
        last: app,
    }
}

/// The app gets a signed token with its secret, and not without it.
fn serves_the_app(base: &str, made: &Made) {
    let jwt = token(base, &made.client_id, &made.secret).expect("a token from the imported app");
    assert_eq!(jwt.split('.').count(), 3);
    assert_eq!(token(base, &made.client_id, "not the secret"), Err(401));
}

/// Every event of the instance as the API listed it is exported the same, the redacted fields
/// in full.
fn exported_as_listed(lines: &[Value], listed: &[Value]) {
    assert!(listed.len() >= 8, "{listed:?}");
    for item in listed {
        let line = lines
            .iter()
            .find(|l| l["position"] == item["position"])
            .unwrap_or_else(|| panic!("not exported: {item}"));
        for (key, value) in item.as_object().unwrap() {
            if key != "payload" {
                assert_eq!(&line[key], value, "{key} of {item}");
                continue;
            }
            for (field, listed) in value.as_object().unwrap() {
                match listed.as_str() {
                    Some("[redacted]") => {
                        assert!(!line[key][field].is_null() && line[key][field] != "[redacted]")
                    }
                    _ => assert_eq!(&line[key][field], listed, "{field} of {item}"),
                }
            }
        }
    }
}

#[test]
fn a_clusters_log_exports_and_imports_into_a_data_directory() {
    use eventlog::kafka::broker::Broker;
    use portcullis::config::Role;
    let broker = Broker::with_topics(testkit::cluster::PARTITIONS);
    let key = crypto::sealing::MasterKey::generate().to_base64();
    let dir = tempfile::tempdir().unwrap();
    super::rolling_upgrade::node(Role::Command, &broker, &key, dir.path());
    let gateway = super::rolling_upgrade::node(Role::Gateway, &broker, &key, dir.path()).http;
    let pat = read(&dir.path().join("Gateway"), "admin.pat");
    let admin = Client::new(&format!("http://{gateway}"), Some("localhost")).token(&pat);
    let made = fill(&admin);
    let trail = admin.after(&made.last).get("/v1/events?limit=1000");
    let user = admin
        .after(&made.last)
        .get(&format!("/v1/users/{}", made.human))
        .body;

    let file = dir.path().join("cluster.ndjson");
    let out = portcullis(&[
        "export",
        "--kafka-brokers",
        &broker.brokers(),
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    exported_as_listed(&lines, trail.body["items"].as_array().unwrap());

    // Into a data directory, started with the cluster's master key.
    let b = dir.path().join("b");
    let out = import(&b, &file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Made as `start` makes a data directory: only its owner may enter.
    assert_eq!(mode(b.clone()), 0o700);
    let server = start(&b, &[("PORTCULLIS_MASTERKEY", key.as_str())]);
    let admin = Client::new(&server.base, Some("localhost")).token(&pat);
    let moved = admin.get(&format!("/v1/users/{}", made.human));
    assert_eq!(moved.status, 200, "{}", moved.body);
    for field in ["username", "display_name", "email", "state", "org_id"] {
        assert_eq!(moved.body[field], user[field], "{field}");
    }
    serves_the_app(&server.base, &made);
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn an_import_refuses_a_directory_in_use_and_an_export_that_was_edited_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    assert_eq!(start(&a, &[]).stop().code(), Some(0));
    let file = dir.path().join("export.ndjson");
    export(&a, &file);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 4);

    // Not into a directory that holds data.
    let out = import(&a, &file);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));

    let edit = |n: usize, change: &dyn Fn(&mut Value)| {
        let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let mut line: Value = serde_json::from_str(lines[n]).unwrap();
        change(&mut line);
        edited[n] = line.to_string();
        edited.join("\n") + "\n"
    };
    let last = lines.len() - 1;
    let mut swapped: Vec<&str> = lines.clone();
    swapped.swap(1, 2);
    let cases: Vec<(&str, String, usize)> = vec![
        (
            "a field the event does not have",
            edit(last, &|l| l["payload"]["is_admin"] = json!(true)),
            last,
        ),
        (
            "an event type no aggregate has",
            edit(last, &|l| l["type"] = json!("user.promoted")),
            last,
        ),
        (
            "a gap in an aggregate's sequence",
            edit(last, &|l| l["sequence"] = json!(9)),
            last,
        ),
        (
            "a time that is not RFC 3339",
            edit(1, &|l| l["created_at"] = json!("yesterday")),
            1,
        ),
        (
            "an unknown key",
            edit(1, &|l| l["signature"] = json!("x")),
            1,
        ),
        (
            "an id with a control character",
            edit(1, &|l| l["aggregate_id"] = json!("a\u{7}")),
            1,
        ),
        ("lines out of order", swapped.join("\n"), 1),
        (
            "positions that do not rise",
            edit(1, &|l| l["position"] = json!("999999")),
            2,
        ),
        ("a line cut off", text[..text.len() - 10].to_string(), last),
        ("not JSON", format!("{text}not an event\n"), last + 1),
    ];
    for (case, content, line) in cases {
        let c = dir.path().join("c");
        let edited = dir.path().join("edited.ndjson");
        std::fs::write(&edited, content).unwrap();
        let out = import(&c, &edited);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{case}: imported");
        assert!(
            stderr.contains(&format!("line {}:", line + 1)),
            "{case}: {stderr}"
        );
        // Nothing written: the directory holds no log, and no part of one.
        let left: Vec<String> = std::fs::read_dir(&c)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(left, Vec::<String>::new(), "{case}");
    }
    // The export as it was imports.
    let out = import(&dir.path().join("c"), &file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
