//! `portcullis start` as a user runs it: the real binary as a child process on a free port
//! (first start, crashes, logs), and the API through the in-process server of `testkit` with
//! a tenant per test (the modules below).

#[path = "portcullis/abuse.rs"]
mod abuse;
#[path = "portcullis/actions.rs"]
mod actions;
#[path = "portcullis/api_tokens.rs"]
mod api_tokens;
#[path = "portcullis/app_key_sets.rs"]
mod app_key_sets;
#[path = "portcullis/backchannel_logout.rs"]
mod backchannel_logout;
#[path = "portcullis/bad_input.rs"]
mod bad_input;
#[path = "portcullis/branding.rs"]
mod branding;
#[path = "portcullis/cluster_faults.rs"]
mod cluster_faults;
#[path = "portcullis/cluster_sagas.rs"]
mod cluster_sagas;
#[path = "portcullis/conformance.rs"]
mod conformance;
#[path = "portcullis/console.rs"]
mod console;
#[path = "portcullis/container.rs"]
mod container;
#[path = "portcullis/denials.rs"]
mod denials;
#[path = "portcullis/device.rs"]
mod device;
#[path = "portcullis/dpop.rs"]
mod dpop;
#[path = "portcullis/edge.rs"]
mod edge;
#[path = "portcullis/escalation.rs"]
mod escalation;
#[path = "portcullis/events.rs"]
mod events;
#[path = "portcullis/export_import.rs"]
mod export_import;
#[path = "portcullis/federation.rs"]
mod federation;
#[path = "portcullis/form_post.rs"]
mod form_post;
#[path = "portcullis/grants.rs"]
mod grants;
#[path = "portcullis/grpc.rs"]
mod grpc;
#[path = "portcullis/grpc_projects.rs"]
mod grpc_projects;
#[path = "portcullis/grpc_users.rs"]
mod grpc_users;
#[path = "portcullis/http_sink.rs"]
mod http_sink;
#[path = "portcullis/idp_linking.rs"]
mod idp_linking;
#[path = "portcullis/idps.rs"]
mod idps;
#[path = "portcullis/ldap.rs"]
mod ldap;
#[path = "portcullis/ldap_directory.rs"]
mod ldap_directory;
#[path = "portcullis/login_accounts.rs"]
mod login_accounts;
#[path = "portcullis/login_language.rs"]
mod login_language;
#[path = "portcullis/login_pages.rs"]
mod login_pages;
#[path = "portcullis/login_register.rs"]
mod login_register;
#[path = "portcullis/login_reset.rs"]
mod login_reset;
#[path = "portcullis/login_sessions.rs"]
mod login_sessions;
#[path = "portcullis/machine_keys.rs"]
mod machine_keys;
#[path = "portcullis/mail_sink.rs"]
mod mail_sink;
#[path = "portcullis/members.rs"]
mod members;
#[path = "portcullis/metrics.rs"]
mod metrics;
#[path = "portcullis/migrate.rs"]
mod migrate;
#[path = "portcullis/notifications.rs"]
mod notifications;
#[path = "portcullis/oauth_protocol.rs"]
mod oauth_protocol;
#[path = "portcullis/oidc_behaviours.rs"]
mod oidc_behaviours;
#[path = "portcullis/oidc_clients.rs"]
mod oidc_clients;
#[path = "portcullis/oidc_rust.rs"]
mod oidc_rust;
#[path = "portcullis/oidc_support.rs"]
mod oidc_support;
#[path = "portcullis/openapi.rs"]
mod openapi;
#[path = "portcullis/org_domains.rs"]
mod org_domains;
#[path = "portcullis/par.rs"]
mod par;
#[path = "portcullis/password_expiry.rs"]
mod password_expiry;
#[path = "portcullis/password_rules.rs"]
mod password_rules;
#[path = "portcullis/pats.rs"]
mod pats;
#[path = "portcullis/projects.rs"]
mod projects;
#[path = "portcullis/revocation.rs"]
mod revocation;
#[path = "portcullis/rolling_upgrade.rs"]
mod rolling_upgrade;
#[path = "portcullis/saml.rs"]
mod saml;
#[path = "portcullis/saml_idps.rs"]
mod saml_idps;
#[path = "portcullis/schemathesis.rs"]
mod schemathesis;
#[path = "portcullis/scim.rs"]
mod scim;
#[path = "portcullis/scopes.rs"]
mod scopes;
#[path = "portcullis/second_factors.rs"]
mod second_factors;
#[path = "portcullis/self_management.rs"]
mod self_management;
#[path = "portcullis/session_api.rs"]
mod session_api;
#[path = "portcullis/sessions.rs"]
mod sessions;
#[path = "portcullis/sms.rs"]
mod sms;
#[path = "portcullis/tenants.rs"]
mod tenants;
#[path = "portcullis/token_exchange.rs"]
mod token_exchange;
#[path = "portcullis/traces.rs"]
mod traces;
#[path = "portcullis/upgrade.rs"]
mod upgrade;
#[path = "portcullis/user_import.rs"]
mod user_import;
#[path = "portcullis/users.rs"]
mod users;
#[path = "portcullis/webauthn_keys.rs"]
mod webauthn_keys;

/// The id of a tenant's org `Default`.
pub fn default_org(t: &testkit::Tenant) -> String {
    default_org_of(&t.client)
}

/// The id of the org `Default` of the instance `c` calls.
pub fn default_org_of(c: &testkit::Client) -> String {
    let orgs = c.get("/v1/orgs");
    assert_eq!(orgs.status, 200, "{}", orgs.body);
    orgs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Default")
        .and_then(|o| o["id"].as_str())
        .expect("the org Default")
        .to_string()
}

/// How many events the tenant's audit trail holds.
pub fn event_count(t: &testkit::Tenant) -> usize {
    let r = t.client.get("/v1/events?limit=1000");
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().unwrap().len()
}

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use domain::instance::InstanceEvent;
use domain::user::UserEvent;
use domain::DomainEvent;
use eventlog::{EventLog, SqliteLog, SqliteLogOptions};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
}

fn spawn(data_dir: &Path, env: &[(&str, &str)]) -> (Child, u16) {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    cmd.args(["start", "--listen", &format!("127.0.0.1:{port}")])
        .env("PORTCULLIS_DATA_DIR", data_dir)
        .env_remove("PORTCULLIS_ADMIN_PASSWORD")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    (cmd.spawn().unwrap(), port)
}

fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
    let (mut child, port) = spawn(data_dir, env);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = ureq::get(&format!("{base}/readyz")).call() {
            assert_eq!(r.status(), 200);
            return Server { child, base };
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "portcullis exited before it was ready: {status}: {}",
                stderr(&mut child)
            );
        }
        assert!(Instant::now() < deadline, "portcullis did not become ready");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stderr(child: &mut Child) -> String {
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

fn signal(child: &Child, sig: &str) {
    assert!(Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success());
}

impl Server {
    fn stop(mut self) -> ExitStatus {
        signal(&self.child, "-TERM");
        self.child.wait().unwrap()
    }
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .trim()
        .to_string()
}

fn mode(path: PathBuf) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The domain events in the data directory's log, with their aggregate ids.
fn events(dir: &Path) -> Vec<(String, DomainEvent)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let log = SqliteLog::open(&dir.join("events.db"), SqliteLogOptions::default()).unwrap();
        let all = log.read_all(0, 10_000).await.unwrap();
        all.into_iter()
            .map(|e| {
                (
                    e.stream.id.clone(),
                    DomainEvent::decode(
                        &e.stream.kind,
                        &e.event.event_type,
                        e.event.schema_version,
                        &e.event.payload,
                    )
                    .unwrap(),
                )
            })
            .collect()
    })
}

fn sha256_hex(s: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, s.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks the whole first-start setup against the secret files.
fn assert_complete_setup(dir: &Path) {
    let evs = events(dir);
    let domains = evs.iter().find_map(|(_, e)| match e {
        DomainEvent::Instance(InstanceEvent::Added { domains, .. }) => Some(domains.clone()),
        _ => None,
    });
    assert_eq!(domains.unwrap(), ["localhost", "127.0.0.1"]);
    let iam_owners = evs
        .iter()
        .filter(|(_, e)| matches!(e, DomainEvent::Instance(InstanceEvent::MemberSet { roles, .. }) if roles == &["IAM_OWNER"]))
        .count();
    assert_eq!(iam_owners, 2, "admin and admin-bot are IAM_OWNER");
    // The system user's membership is in the system scope, outside the instance.
    assert!(evs.iter().any(|(id, e)| id == domain::instance::SYSTEM_SCOPE && matches!(e, DomainEvent::Instance(InstanceEvent::SystemMemberSet { roles, .. }) if roles == &["SYSTEM_OWNER"])));

    let hash = evs.iter().find_map(|(_, e)| match e {
        DomainEvent::User(UserEvent::HumanAdded {
            username,
            password_hash,
            ..
        }) if username == "admin" => password_hash.clone(),
        _ => None,
    });
    let hash = hash.expect("admin has a password");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let password = read(dir, "admin.password");
    Argon2::default()
        .verify_password(password.as_bytes(), &PasswordHash::new(&hash).unwrap())
        .expect("admin.password is the admin's password");

    let pat_hashes: Vec<String> = evs
        .iter()
        .filter_map(|(_, e)| match e {
            DomainEvent::User(UserEvent::PatAdded { token_hash, .. }) => Some(token_hash.clone()),
            _ => None,
        })
        .collect();
    for file in ["admin.pat", "system.pat"] {
        let token = read(dir, file);
        assert!(token.len() >= 43, "256-bit token in {file}");
        assert!(
            pat_hashes.contains(&sha256_hex(&token)),
            "{file} matches a stored hash"
        );
        assert!(
            !pat_hashes.contains(&token),
            "tokens are stored only as hashes"
        );
    }
}

#[test]
fn first_start_sets_up_the_default_instance_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&data, &[]);
    let mut health = ureq::get(&format!("{}/healthz", server.base))
        .call()
        .unwrap();
    assert_eq!(health.status(), 200);
    // It says which release answers, as `portcullis version` does.
    let said: serde_json::Value = health.body_mut().read_json().unwrap();
    let version = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("version")
        .output()
        .unwrap();
    let line = String::from_utf8(version.stdout).unwrap();
    assert!(
        line.starts_with(&format!(
            "portcullis {} (events:",
            said["version"].as_str().unwrap()
        )),
        "{line} / {said}"
    );
    assert_eq!(server.stop().code(), Some(0), "SIGTERM drains and exits 0");

    for file in ["admin.password", "admin.pat", "system.pat"] {
        assert_eq!(mode(data.join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(data.clone()), 0o700);
    assert_complete_setup(&data);

    let before: Vec<String> = ["admin.password", "admin.pat", "system.pat"]
        .iter()
        .map(|f| read(&data, f))
        .collect();
    let count = events(&data).len();
    let server = start(&data, &[]);
    assert_eq!(server.stop().code(), Some(0));
    let after: Vec<String> = ["admin.password", "admin.pat", "system.pat"]
        .iter()
        .map(|f| read(&data, f))
        .collect();
    assert_eq!(before, after, "a later start changes no secret");
    assert_eq!(events(&data).len(), count, "a later start writes no event");
}

#[test]
fn the_admin_password_comes_from_the_environment_when_set() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[("PORTCULLIS_ADMIN_PASSWORD", "correct horse battery staple")],
    );
    assert_eq!(server.stop().code(), Some(0));
    assert_eq!(
        read(dir.path(), "admin.password"),
        "correct horse battery staple"
    );
    assert_complete_setup(dir.path());
}

#[test]
fn the_first_tokens_come_from_the_environment_when_set() {
    let dir = tempfile::tempdir().unwrap();
    let (system, admin) = (
        "system-token-chosen-by-the-operator-0001",
        "admin-bot-token-chosen-by-the-operator-01",
    );
    let server = start(
        dir.path(),
        &[
            ("PORTCULLIS_SYSTEM_PAT", system),
            ("PORTCULLIS_ADMIN_PAT", admin),
        ],
    );
    let get = |path: &str, token: &str| {
        ureq::get(&format!("{}{path}", server.base))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .map(|r| r.status().as_u16())
            .unwrap_or_else(|e| match e {
                ureq::Error::StatusCode(code) => code,
                other => panic!("{other}"),
            })
    };
    assert_eq!(get("/v1/system/instances", system), 200);
    assert_eq!(get("/v1/users/me", admin), 200);
    assert_eq!(get("/v1/system/instances", admin), 403);
    assert_eq!(server.stop().code(), Some(0));
    assert_eq!(read(dir.path(), "system.pat"), system);
    assert_eq!(read(dir.path(), "admin.pat"), admin);

    let other = tempfile::tempdir().unwrap();
    let (mut child, _) = spawn(other.path(), &[("PORTCULLIS_SYSTEM_PAT", "too-short")]);
    assert!(!child.wait().unwrap().success());
    assert!(stderr(&mut child).contains("--system-pat must be at least 32 characters"));
    assert!(
        !other.path().join("system.pat").exists(),
        "nothing was written"
    );
}

#[test]
fn a_crash_during_the_first_start_leaves_nothing_half_done() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // SIGKILL at different moments of the first start; each time the log holds either
    // nothing or the whole setup.
    for delay_ms in [0u64, 5, 20, 60, 150] {
        let (child, _) = spawn(&data, &[]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        signal(&child, "-KILL");
        let mut child = child;
        child.wait().unwrap();
        if data.join("events.db").exists() {
            let n = events(&data).len();
            if n > 0 {
                assert_complete_setup(&data);
            }
        }
    }
    let server = start(&data, &[]);
    assert_eq!(server.stop().code(), Some(0));
    assert_complete_setup(&data);
}

#[test]
fn unknown_routes_answer_with_a_stable_code() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let err = ureq::get(&format!("{}/nothing-here", server.base))
        .call()
        .unwrap_err();
    match err {
        ureq::Error::StatusCode(404) => {}
        other => panic!("expected 404, got {other}"),
    }
    let mut resp = ureq::get(&format!("{}/nothing-here", server.base))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    let body: serde_json::Value = resp.body_mut().read_json().unwrap();
    assert_eq!(body["code"], "SYS-0004");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn logs_are_json_lines_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &[
            ("PORTCULLIS_LOG_FORMAT", "json"),
            ("PORTCULLIS_GROUP_COMMIT", "false"),
        ],
    );
    let base = server.base.clone();
    let me = ureq::get(&format!("{base}/v1/users/me"))
        .header(
            "Authorization",
            format!("Bearer {}", read(dir.path(), "admin.pat")),
        )
        .call()
        .unwrap();
    assert_eq!(me.status(), 200);
    let mut child = server.child;
    signal(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let log = stderr(&mut child);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let ready = lines
        .iter()
        .find(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("portcullis is ready"))
        })
        .expect("one line says it is ready");
    assert_eq!(
        format!("http://{}", ready["fields"]["address"].as_str().unwrap()),
        base
    );
    assert_eq!(ready["level"], "INFO");
    // The request has its span: route, instance and caller.
    let request = lines
        .iter()
        .find(|l| l["span"]["route"] == "/v1/users/me")
        .expect("a log line for the request");
    assert_eq!(request["fields"]["status"], 200);
    assert_eq!(request["span"]["name"], "http.request");
    assert!(request["span"]["instance"]
        .as_str()
        .is_some_and(|i| !i.is_empty()));
    assert!(request["span"]["caller"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    // `PORTCULLIS_GROUP_COMMIT=false` reaches the event log.
    assert!(lines
        .iter()
        .any(|l| l["fields"]["message"] == "opening the event log"
            && l["fields"]["group_commit"] == false));
}

#[test]
fn a_config_file_sets_defaults_that_the_environment_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("portcullis.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &config,
        "admin_password = \"from-the-config-file\"\nworkers = 1\ngroup_commit = false\n",
    )
    .unwrap();
    let server = start(
        &data,
        &[
            ("PORTCULLIS_CONFIG", config.to_str().unwrap()),
            ("PORTCULLIS_WORKERS", "3"),
        ],
    );
    assert_eq!(read(&data, "admin.password"), "from-the-config-file");
    assert_eq!(server.stop().code(), Some(0));

    // The reference file is a valid config file (flags and the environment win over its
    // listen address and data directory).
    let reference = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/portcullis.reference.toml"
    );
    let data2 = dir.path().join("data2");
    let server = start(&data2, &[("PORTCULLIS_CONFIG", reference)]);
    assert_eq!(server.stop().code(), Some(0));

    std::fs::write(&config, "colour = \"red\"\n").unwrap();
    let (mut child, _) = spawn(
        &dir.path().join("data3"),
        &[("PORTCULLIS_CONFIG", config.to_str().unwrap())],
    );
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(stderr(&mut child).contains("unknown key \"colour\""));
}

#[test]
fn password_hashing_cost_is_a_setting() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(
        &data,
        &[
            ("PORTCULLIS_ARGON2_MEMORY_KIB", "8192"),
            ("PORTCULLIS_ARGON2_ITERATIONS", "3"),
        ],
    );
    assert_eq!(server.stop().code(), Some(0));
    let hash = events(&data)
        .into_iter()
        .find_map(|(_, e)| match e {
            DomainEvent::User(UserEvent::HumanAdded { password_hash, .. }) => password_hash,
            _ => None,
        })
        .unwrap();
    assert!(hash.contains("m=8192,t=3,p=1"), "{hash}");
    // Impossible parameters stop the start with a message naming them.
    let (mut child, _) = spawn(
        &dir.path().join("bad"),
        &[("PORTCULLIS_ARGON2_MEMORY_KIB", "1")],
    );
    assert!(!child.wait().unwrap().success());
    assert!(stderr(&mut child).contains("argon2 parameters"));
}

#[test]
fn a_bad_role_map_stops_the_start_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("roles.yaml");
    std::fs::write(
        &map,
        "roles:\n  IAM_OWNER: [iam.read]\n  ORG_OWNER: [org.reed]\n",
    )
    .unwrap();
    let (mut child, _) = spawn(
        &dir.path().join("data"),
        &[("PORTCULLIS_ROLE_MAP", map.to_str().unwrap())],
    );
    let status = child.wait().unwrap();
    assert!(!status.success());
    let err = stderr(&mut child);
    assert!(err.contains("line 3") && err.contains("org.reed"), "{err}");
    assert!(
        !dir.path().join("data").join("events.db").exists(),
        "nothing was written"
    );
}

#[test]
fn a_cluster_role_without_its_settings_says_which_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _) = spawn(dir.path(), &[("PORTCULLIS_ROLE", "gateway")]);
    assert!(!child.wait().unwrap().success());
    assert!(stderr(&mut child).contains("role gateway needs --kafka-brokers"));
    let (mut child, _) = spawn(
        dir.path(),
        &[
            ("PORTCULLIS_ROLE", "command"),
            ("PORTCULLIS_KAFKA_BROKERS", "127.0.0.1:9"),
        ],
    );
    assert!(!child.wait().unwrap().success());
    assert!(stderr(&mut child).contains("the same on every node"));
}

mod api {
    use super::*;
    use serde_json::{json, Value};

    struct Client {
        agent: ureq::Agent,
        base: String,
    }

    impl Client {
        fn new(base: &str) -> Client {
            let agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            Client {
                agent,
                base: base.to_string(),
            }
        }

        fn send(
            &self,
            method: &str,
            path: &str,
            token: Option<&str>,
            body: Option<Value>,
            headers: &[(&str, &str)],
        ) -> (u16, Value) {
            let url = format!("{}{path}", self.base);
            let auth = token.map(|t| format!("Bearer {t}"));
            macro_rules! with_headers {
                ($req:expr) => {{
                    let mut r = $req;
                    if let Some(a) = &auth {
                        r = r.header("Authorization", a);
                    }
                    for (k, v) in headers {
                        r = r.header(*k, *v);
                    }
                    r
                }};
            }
            let mut resp = match (method, body) {
                ("GET", _) => with_headers!(self.agent.get(&url)).call(),
                ("DELETE", _) => with_headers!(self.agent.delete(&url)).call(),
                ("POST", Some(b)) => with_headers!(self.agent.post(&url)).send_json(b),
                (m, _) => panic!("unsupported {m}"),
            }
            .unwrap();
            let status = resp.status().as_u16();
            let body = resp.body_mut().read_json::<Value>().unwrap_or(Value::Null);
            (status, body)
        }
    }

    /// A fresh server, its admin-bot token, a client, and the id of a new org.
    fn server_with_org(name: &str) -> (tempfile::TempDir, Server, Client, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), &[]);
        let admin = read(dir.path(), "admin.pat");
        let c = Client::new(&server.base);
        let org = c.send(
            "POST",
            "/v1/orgs",
            Some(&admin),
            Some(json!({"name": name})),
            &[],
        );
        assert_eq!(org.0, 201, "{:?}", org.1);
        let org_id = org.1["id"].as_str().unwrap().to_string();
        (dir, server, c, admin, org_id)
    }

    fn error_code(r: &(u16, Value)) -> (u16, &str) {
        (r.0, r.1["code"].as_str().unwrap_or("<no code>"))
    }

    #[test]
    fn the_admin_bot_token_manages_orgs_and_users_with_stable_errors() {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), &[]);
        let c = Client::new(&server.base);
        let admin = read(dir.path(), "admin.pat");
        let system = read(dir.path(), "system.pat");

        let me = c.send("GET", "/v1/users/me", Some(&admin), None, &[]);
        assert_eq!(me.0, 200);
        assert_eq!(me.1["username"], "admin-bot");
        assert_eq!(me.1["type"], "machine");

        // Authentication and tenancy.
        assert_eq!(
            error_code(&c.send("GET", "/v1/users/me", None, None, &[])),
            (401, "AUTH-0001")
        );
        assert_eq!(
            error_code(&c.send("GET", "/v1/users/me", Some("not-a-token"), None, &[])),
            (401, "AUTH-0001")
        );
        assert_eq!(
            error_code(&c.send(
                "GET",
                "/v1/users/me",
                Some(&admin),
                None,
                &[("Host", "nowhere.test")]
            )),
            (404, "INSTANCE-0001")
        );

        // Writes answer {id, sequence, position}; duplicates and bad input have stable codes.
        let org = c.send(
            "POST",
            "/v1/orgs",
            Some(&admin),
            Some(json!({"name": "Acme"})),
            &[],
        );
        assert_eq!(org.0, 201, "{:?}", org.1);
        assert_eq!(org.1["sequence"], 1);
        let org_id = org.1["id"].as_str().unwrap().to_string();
        assert_eq!(
            error_code(&c.send(
                "POST",
                "/v1/orgs",
                Some(&admin),
                Some(json!({"name": "ACME"})),
                &[]
            )),
            (409, "ORG-0002")
        );
        assert_eq!(
            error_code(&c.send(
                "POST",
                "/v1/orgs",
                Some(&admin),
                Some(json!({"name": "X", "extra": 1})),
                &[]
            )),
            (400, "REQ-0001")
        );
        assert_eq!(
            error_code(&c.send(
                "POST",
                "/v1/orgs",
                Some(&admin),
                Some(json!({"name": ""})),
                &[]
            )),
            (400, "ORG-0003")
        );
        let huge = json!({"name": "x".repeat(2 << 20)});
        assert_eq!(
            error_code(&c.send("POST", "/v1/orgs", Some(&admin), Some(huge), &[])),
            (413, "REQ-0002")
        );

        // The system user belongs to no instance: its token reaches no instance route.
        let denied = c.send(
            "POST",
            "/v1/orgs",
            Some(&system),
            Some(json!({"name": "Nope"})),
            &[],
        );
        assert_eq!(error_code(&denied), (401, "AUTH-0001"));

        // Create, then read with the returned position: never missed.
        let path = format!("/v1/orgs/{org_id}/users/machine");
        let created = c.send(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"username": "bot1", "name": "Bot"})),
            &[],
        );
        assert_eq!(created.0, 201, "{:?}", created.1);
        let user_id = created.1["id"].as_str().unwrap().to_string();
        let position = created.1["position"].as_str().unwrap().to_string();
        let list = c.send(
            "GET",
            &format!("/v1/users?org_id={org_id}"),
            Some(&admin),
            None,
            &[("X-Portcullis-Position", &position)],
        );
        assert_eq!(list.0, 200);
        let names: Vec<&str> = list.1["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["bot1"]);
        assert_eq!(
            error_code(&c.send(
                "POST",
                &path,
                Some(&admin),
                Some(json!({"username": "BOT1", "name": "B"})),
                &[]
            )),
            (409, "USER-0002")
        );
        assert_eq!(
            error_code(&c.send("GET", "/v1/users?limit=0", Some(&admin), None, &[])),
            (400, "REQ-0003")
        );

        // Delete, then the user is gone and its name is free again.
        let deleted = c.send(
            "DELETE",
            &format!("/v1/users/{user_id}"),
            Some(&admin),
            None,
            &[],
        );
        assert_eq!(deleted.0, 200, "{:?}", deleted.1);
        let pos = deleted.1["position"].as_str().unwrap().to_string();
        let gone = c.send(
            "GET",
            &format!("/v1/users/{user_id}"),
            Some(&admin),
            None,
            &[("X-Portcullis-Position", &pos)],
        );
        assert_eq!(error_code(&gone), (404, "USER-0001"));
        let again = c.send(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"username": "bot1", "name": "Bot"})),
            &[],
        );
        assert_eq!(again.0, 201, "{:?}", again.1);
        assert_eq!(server.stop().code(), Some(0));
    }

    #[test]
    fn every_acknowledged_write_survives_a_kill_9_under_traffic() {
        let (dir, server, _, admin, org_id) = server_with_org("Crash");
        let url = format!("{}/v1/orgs/{org_id}/users/machine", server.base);

        // Eight clients write until the server dies; each keeps what was acknowledged.
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let (url, admin) = (url.clone(), admin.clone());
                std::thread::spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .into();
                    let mut acked = Vec::new();
                    for n in 0..100_000 {
                        let body = json!({"username": format!("w{w}-{n}"), "name": "Crash"});
                        let auth = format!("Bearer {admin}");
                        match agent
                            .post(&url)
                            .header("Authorization", &auth)
                            .send_json(body)
                        {
                            Ok(mut r) if r.status().as_u16() == 201 => {
                                let v: Value = r.body_mut().read_json().unwrap();
                                acked.push((
                                    v["id"].as_str().unwrap().to_string(),
                                    v["position"].as_str().unwrap().to_string(),
                                ));
                            }
                            Ok(r) => panic!("unexpected status {}", r.status()),
                            Err(_) => break,
                        }
                    }
                    acked
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(1500));
        signal(&server.child, "-KILL");
        let mut child = server.child;
        child.wait().unwrap();
        let acked: Vec<(String, String)> = writers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        assert!(
            acked.len() > 20,
            "traffic ran before the kill: {}",
            acked.len()
        );

        // The log holds every acknowledged user of the org.
        let evs = events(dir.path());
        let in_log: std::collections::HashSet<&str> = evs
            .iter()
            .filter(|(_, e)| matches!(e, DomainEvent::User(UserEvent::MachineAdded { org_id: o, .. }) if *o == org_id))
            .map(|(id, _)| id.as_str())
            .collect();
        for (id, _) in &acked {
            assert!(
                in_log.contains(id.as_str()),
                "acknowledged user {id} is in the log"
            );
        }

        // After a restart the read model catches up to the log, and every acknowledged write reads back.
        let server = start(dir.path(), &[]);
        let c = Client::new(&server.base);
        let (last_id, last_pos) = acked
            .iter()
            .max_by_key(|(_, p)| p.parse::<u64>().unwrap())
            .unwrap();
        let got = c.send(
            "GET",
            &format!("/v1/users/{last_id}"),
            Some(&admin),
            None,
            &[("X-Portcullis-Position", last_pos)],
        );
        assert_eq!(got.0, 200, "{:?}", got.1);
        let mut listed = std::collections::HashSet::new();
        let mut cursor = String::new();
        loop {
            let page = c.send(
                "GET",
                &format!("/v1/users?org_id={org_id}&limit=1000&cursor={cursor}"),
                Some(&admin),
                None,
                &[],
            );
            assert_eq!(page.0, 200);
            for u in page.1["items"].as_array().unwrap() {
                listed.insert(u["id"].as_str().unwrap().to_string());
            }
            match page.1["next_cursor"].as_str() {
                Some(next) => cursor = next.to_string(),
                None => break,
            }
        }
        let missing: Vec<&&str> = in_log.iter().filter(|id| !listed.contains(**id)).collect();
        assert!(
            missing.is_empty(),
            "users in the log but not in the read model: {missing:?}"
        );
        assert_eq!(
            listed.len(),
            in_log.len(),
            "the read model has exactly the users of the log"
        );
        for (id, _) in &acked {
            assert!(
                listed.contains(id),
                "acknowledged user {id} is listed after restart"
            );
        }
        assert_eq!(server.stop().code(), Some(0));
    }

    #[test]
    fn fifty_concurrent_creates_of_one_username_give_one_201_and_49_conflicts() {
        let (_dir, server, c, admin, org_id) = server_with_org("Race");
        let path = format!("/v1/orgs/{org_id}/users/machine");
        let barrier = Arc::new(std::sync::Barrier::new(50));
        let results: Vec<(u16, Value)> = (0..50)
            .map(|_| {
                let (base, admin, path, barrier) = (
                    server.base.clone(),
                    admin.clone(),
                    path.clone(),
                    barrier.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    Client::new(&base).send(
                        "POST",
                        &path,
                        Some(&admin),
                        Some(json!({"username": "racer", "name": "R"})),
                        &[],
                    )
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let winners: Vec<&(u16, Value)> = results.iter().filter(|r| r.0 == 201).collect();
        assert_eq!(winners.len(), 1);
        assert!(
            results
                .iter()
                .filter(|r| r.0 != 201)
                .all(|r| error_code(r) == (409, "USER-0002")),
            "{results:?}"
        );
        // No orphan claim: after the winner is deleted the name is usable again.
        let id = winners[0].1["id"].as_str().unwrap();
        assert_eq!(
            c.send(
                "DELETE",
                &format!("/v1/users/{id}"),
                Some(&admin),
                None,
                &[]
            )
            .0,
            200
        );
        let again = c.send(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"username": "Racer", "name": "R"})),
            &[],
        );
        assert_eq!(again.0, 201, "{:?}", again.1);
        assert_eq!(server.stop().code(), Some(0));
    }
}

/// A client-credentials token for `admin-bot`, whose secret `secret` is (or None to make one):
/// the status, and the secret used.
fn bot_token(server: &Server, data: &Path, secret: Option<String>) -> (u16, String) {
    let host = server.base.trim_start_matches("http://").to_string();
    let pat = read(data, "admin.pat");
    let secret = secret.unwrap_or_else(|| {
        let users: serde_json::Value =
            ureq::get(&format!("{}/v1/users?username=admin-bot", server.base))
                .header("Authorization", &format!("Bearer {pat}"))
                .call()
                .unwrap()
                .body_mut()
                .read_json()
                .unwrap();
        let id = users["items"][0]["id"].as_str().unwrap().to_string();
        let made: serde_json::Value = ureq::post(&format!("{}/v1/users/{id}/secret", server.base))
            .header("Authorization", &format!("Bearer {pat}"))
            .send_json(serde_json::json!({}))
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap();
        made["client_secret"].as_str().unwrap().to_string()
    });
    let status = ureq::post(&format!("{}/oauth/v2/token", server.base))
        .header("Host", &host)
        .config()
        .http_status_as_error(false)
        .build()
        .send_form([
            ("grant_type", "client_credentials"),
            ("client_id", "admin-bot"),
            ("client_secret", secret.as_str()),
        ])
        .unwrap()
        .status()
        .as_u16();
    (status, secret)
}

#[test]
fn a_rotated_master_key_still_reads_what_the_previous_one_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (old, new) = (
        crypto::sealing::MasterKey::generate().to_base64(),
        crypto::sealing::MasterKey::generate().to_base64(),
    );
    // The first signing keys are made, and sealed, with the old key.
    let server = start(&data, &[("PORTCULLIS_MASTERKEY", &old)]);
    let (status, secret) = bot_token(&server, &data, None);
    assert_eq!(status, 200);
    assert_eq!(server.stop().code(), Some(0));
    // The new key alone cannot open them; with the old one listed as previous, it can.
    let server = start(&data, &[("PORTCULLIS_MASTERKEY", &new)]);
    assert_eq!(bot_token(&server, &data, Some(secret.clone())).0, 500);
    assert_eq!(server.stop().code(), Some(0));
    let server = start(
        &data,
        &[
            ("PORTCULLIS_MASTERKEY", &new),
            ("PORTCULLIS_MASTERKEY_PREVIOUS", &old),
        ],
    );
    assert_eq!(bot_token(&server, &data, Some(secret)).0, 200);
    assert_eq!(server.stop().code(), Some(0));
}

/// Unix milliseconds as the API writes times (RFC 3339).
fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// An RFC 3339 time of the API as unix milliseconds; panics on anything else.
fn unix_ms(text: &serde_json::Value) -> i64 {
    let text = text
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {text}"));
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"));
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}
