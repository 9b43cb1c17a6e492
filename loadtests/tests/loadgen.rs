//! The load generator against the real server in-process (a tenant per test): every scenario
//! sets up and runs without an error, the counts add up, errors are counted by code, and load
//! goes only to loopback. No figure is asserted: speed is measured by `loadtests/run.sh`.

use std::time::Duration;

use loadtests::harness::{self, Load, Mode};
use loadtests::scenarios::{self, Scenario};
use loadtests::target::Target;

fn target() -> Target {
    let server = testkit::server();
    let t = server.tenant();
    assert_eq!(t.client.get("/v1/users/me").status, 200); // the tenant is in the read model
    Target::new(&server.base(), Some(&t.domain), &t.admin_pat)
        .unwrap()
        .with_grpc(&server.grpc.to_string())
        .unwrap()
}

fn closed(workers: usize, requests: u64) -> Load {
    Load {
        mode: Mode::Closed { workers },
        warmup: Duration::ZERO,
        duration: Duration::from_secs(120),
        max_requests: requests,
    }
}

#[test]
fn every_scenario_runs_without_errors() {
    let target = target();
    for name in scenarios::NAMES {
        let scenario = scenarios::setup(name, &target, 20).unwrap();
        assert_eq!(scenario.name(), *name);
        let report = harness::run(scenario.as_ref(), &closed(4, 40));
        assert_eq!(report.errors, Default::default(), "{name}: {report:?}");
        assert_eq!((report.requests, report.ok), (40, 40), "{name}: {report:?}");
        assert!(
            report.p50_ms > 0.0 && report.p50_ms <= report.p99_ms && report.p99_ms <= report.max_ms
        );
        assert!(report
            .markdown_row()
            .starts_with(&format!("| portcullis | {name} | closed/4 | 40 | 0 |")));
    }
}

#[test]
fn the_mixed_scenario_blends_80_15_5_and_runs_every_part() {
    let mut parts = std::collections::BTreeMap::new();
    for i in 1000..1100 {
        *parts.entry(scenarios::Mixed::part(i)).or_insert(0) += 1;
    }
    let tokens = parts["client-credentials"] + parts["introspect"] + parts["userinfo"];
    let reads = parts["list-users"] + parts["read-user"];
    assert_eq!(
        (tokens, reads, parts["create-user"]),
        (80, 15, 5),
        "{parts:?}"
    );
    // 200 requests: every part runs, twice over.
    let scenario = scenarios::setup("mixed", &target(), 20).unwrap();
    let report = harness::run(scenario.as_ref(), &closed(4, 200));
    assert_eq!((report.ok, report.errors.len()), (200, 0), "{report:?}");
}

#[test]
fn seeding_creates_what_the_plan_asks_and_the_read_models_hold_it() {
    let server = testkit::server();
    let t = server.tenant();
    assert_eq!(t.client.get("/v1/users/me").status, 200);
    let target = Target::new(&server.base(), Some(&t.domain), &t.admin_pat).unwrap();
    let plan = loadtests::seed::Plan {
        orgs: 3,
        users: 30,
        projects: 2,
        apps: 3,
        workers: 4,
    };
    let seeded = loadtests::seed::seed(&target, "seeded", plan).unwrap();
    assert_eq!((seeded.orgs.len(), seeded.users), (3, 30));
    // Read back right away, without waiting: seeding returns once the read models hold it.
    let names = |path: &str, key: &str| -> Vec<String> {
        let r = t.client.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i[key].as_str())
            .filter(|n| n.starts_with("seeded-"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(names("/v1/orgs?limit=100", "name").len(), 3);
    let users = names("/v1/users?limit=100", "username");
    assert_eq!(users.len(), 30, "{users:?}");
    for org in &seeded.orgs {
        let listed = names(&format!("/v1/users?limit=100&org_id={org}"), "username");
        assert_eq!(
            listed.len(),
            10,
            "users are spread over the orgs: {listed:?}"
        );
    }
    let apps: usize = seeded
        .projects
        .iter()
        .map(|p| names(&format!("/v1/projects/{p}/apps"), "name").len())
        .sum();
    assert_eq!((seeded.projects.len(), apps), (2, 3));
}

#[test]
fn the_list_scenario_reads_only_what_its_manager_may() {
    // 30 users in the manager's org and 30 in another: the manager's page holds its org's 30
    // and itself, never the other org's.
    let scenario = scenarios::ListUsers::setup(&target(), 60).unwrap();
    let page = scenario.first_page().unwrap();
    assert_eq!(page.len(), 31, "{page:?}");
    assert!(page.iter().all(|u| u["org_id"] == page[0]["org_id"]));
    let report = harness::run(&scenario, &closed(2, 10));
    assert_eq!((report.ok, report.errors.len()), (10, 0), "{report:?}");
}

#[test]
fn requests_after_a_warm_up_do_not_repeat_its_requests() {
    // create-user names users by request number: a repeat would be a 409 USER-0002.
    let scenario = scenarios::setup("create-user", &target(), 0).unwrap();
    let report = harness::run(
        scenario.as_ref(),
        &Load {
            warmup: Duration::from_millis(300),
            ..closed(2, 20)
        },
    );
    assert_eq!((report.ok, report.errors.len()), (20, 0), "{report:?}");
}

/// A scenario whose every request is refused: errors are counted by status and code.
struct Refused(Target);

impl Scenario for Refused {
    fn name(&self) -> &'static str {
        "refused"
    }

    fn request(&self, _: u64) -> Result<(), String> {
        self.0
            .json(
                "GET",
                "/v1/users/me",
                None,
                loadtests::target::Auth::Bearer("not-a-token"),
                None,
            )?
            .expect(200)
            .map(drop)
    }
}

#[test]
fn errors_are_counted_by_code_and_open_loop_runs_to_its_bound() {
    let report = harness::run(
        &Refused(target()),
        &Load {
            mode: Mode::Open {
                rate: 200.0,
                workers: 4,
            },
            warmup: Duration::ZERO,
            duration: Duration::from_secs(60),
            max_requests: 30,
        },
    );
    assert_eq!(report.ok, 0);
    assert_eq!(report.requests, 30);
    assert_eq!(report.errors.len(), 1, "{report:?}");
    let (code, n) = report.errors.iter().next().unwrap();
    assert!(code.starts_with("401"), "{code}");
    assert_eq!(*n, 30);
    assert_eq!(report.load, "open/200/s");
}

#[test]
fn load_goes_only_to_loopback() {
    for base in [
        "http://10.0.0.1:8080",
        "http://example.com",
        "https://127.0.0.1:8080",
    ] {
        assert!(Target::new(base, None, "pat").is_err(), "{base}");
    }
    for base in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:8080/",
    ] {
        assert!(Target::new(base, None, "pat").is_ok(), "{base}");
    }
}

/// The peer's host script (`loadtests/peers/oidc-provider`), stopped when dropped.
struct Peer(std::process::Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_peer_runs_the_token_scenarios() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/oidc-provider");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/oidc-provider")
            .is_dir(),
        "the peer is not installed: run `npm ci` in {dir} (scripts/test does)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = tempfile::tempdir().unwrap();
    let fixtures = tmp.path().join("fixtures.json");
    let _peer = Peer(
        std::process::Command::new("node")
            .current_dir(dir)
            .args([
                "server.mjs",
                &port.to_string(),
                fixtures.to_str().unwrap(),
                "5",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node"),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let fixtures: serde_json::Value = loop {
        if let Ok(text) = std::fs::read_to_string(&fixtures) {
            if let Ok(v) = serde_json::from_str(&text) {
                break v;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the peer did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let target = Target::new(&format!("http://127.0.0.1:{port}"), None, "").unwrap();
    for name in scenarios::PEER_NAMES {
        let scenario = scenarios::peer(name, &target, &fixtures).unwrap();
        let report = harness::run(scenario.as_ref(), &closed(2, 20));
        assert_eq!(
            (report.ok, report.errors.len()),
            (20, 0),
            "{name}: {report:?}"
        );
    }
    assert!(scenarios::peer("create-user", &target, &fixtures).is_err());
}
