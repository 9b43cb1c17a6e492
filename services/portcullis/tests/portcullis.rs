//! `portcullis start` as a user runs it: the real binary as a child process on a free port.

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
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
                    DomainEvent::decode(&e.stream.kind, e.event.schema_version, &e.event.payload)
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
    assert!(evs.iter().any(|(_, e)| matches!(e, DomainEvent::Instance(InstanceEvent::SystemMemberSet { roles, .. }) if roles == &["SYSTEM_OWNER"])));

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
    let health = ureq::get(&format!("{}/healthz", server.base))
        .call()
        .unwrap();
    assert_eq!(health.status(), 200);
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
    let err = ureq::get(&format!("{}/v1/nothing-here", server.base))
        .call()
        .unwrap_err();
    match err {
        ureq::Error::StatusCode(404) => {}
        other => panic!("expected 404, got {other}"),
    }
    let mut resp = ureq::get(&format!("{}/v1/nothing-here", server.base))
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
fn cluster_roles_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _) = spawn(dir.path(), &[("PORTCULLIS_ROLE", "gateway")]);
    assert!(!child.wait().unwrap().success());
    assert!(stderr(&mut child).contains("--role all"));
}
