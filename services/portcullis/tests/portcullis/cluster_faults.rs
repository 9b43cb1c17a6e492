//! Faults of the cluster: command nodes are real `portcullis start --role command` processes
//! (librdkafka's threads cannot be killed in-process), killed with SIGKILL or paused with
//! SIGSTOP under traffic; the gateway runs in this process. What a client was told was
//! written must be there exactly once, and aggregate versions stay contiguous.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use eventlog::kafka::broker::Broker;
use eventlog::position::Positions;
use portcullis::config::Role;
use serde_json::json;
use testkit::{Client, Reply};

use super::{free_port, signal};

pub(super) const PARTITIONS: i32 = 4;

/// The fault tests that drive traffic into a cluster of processes run one at a time: each
/// measures the cluster under its own fault, not under another test's (on 2 cores, two such
/// tests at once starve each other's nodes).
pub(super) fn one_fault_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static ALONE: Mutex<()> = Mutex::new(());
    ALONE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(super) struct Node {
    pub(super) child: Child,
}

impl Node {
    /// Stops the node as an operator would (SIGTERM), and waits for it.
    pub(super) fn stop(mut self) -> std::process::ExitStatus {
        signal(&self.child, "-TERM");
        self.child.wait().unwrap()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A broker, `nodes` command nodes as child processes and an in-process gateway.
pub(super) struct Cluster {
    pub(super) nodes: Vec<Node>,
    pub(super) admin: Client,
    pub(super) org: String,
    pub(super) dir: tempfile::TempDir,
    pub(super) broker: Broker,
    pub(super) key: String,
    /// The gateway's base URL.
    pub(super) base: String,
}

/// `portcullis start --role <role>` as a child process, with its data in `<role>-<n>` and its
/// log in `<role>-<n>.log`.
fn node(role: &str, brokers: &str, key: &str, dir: &Path, n: usize, env: &[(&str, &str)]) -> Node {
    let log = File::create(dir.join(format!("{role}-{n}.log"))).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["start", "--role", role])
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .env("PORTCULLIS_DATA_DIR", dir.join(format!("{role}-{n}")))
        .env("PORTCULLIS_KAFKA_BROKERS", brokers)
        .env("PORTCULLIS_MASTERKEY", key)
        .env("RUST_LOG", "info")
        // The broker's shortest session: a dead node's partitions move after 6 s, not 10.
        .env("PORTCULLIS_KAFKA_SESSION_TIMEOUT_SECS", "6")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Node { child }
}

/// `portcullis start --role command` as a child process.
pub(super) fn command_node(
    brokers: &str,
    key: &str,
    dir: &Path,
    n: usize,
    env: &[(&str, &str)],
) -> Node {
    node("command", brokers, key, dir, n, env)
}

impl Cluster {
    pub(super) fn start(nodes: usize) -> Cluster {
        Cluster::with(nodes, None)
    }

    /// With `shared`, the gateway reads the shared read models of that keyspace, which
    /// `projector` writes through the given CQL nodes (it starts before the gateway, whose
    /// first start waits for it).
    fn with(
        nodes: usize,
        shared: Option<(&testkit::cql::Keyspace, &Mutex<Option<Node>>, &str)>,
    ) -> Cluster {
        let broker = Broker::with_topics(PARTITIONS);
        let brokers = broker.brokers();
        let key = crypto::sealing::MasterKey::generate().to_base64();
        let dir = tempfile::tempdir().unwrap();
        let nodes = (0..nodes)
            .map(|n| command_node(&brokers, &key, dir.path(), n, &[]))
            .collect();
        let mut opts = testkit::options(dir.path().join("gateway"));
        opts.role = Role::Gateway;
        opts.kafka_brokers = Some(brokers.clone());
        opts.master_key = Some(key.clone());
        // Names claimed by a request that was cut off are free again soon, so that the
        // tests' resends find them within their bounds.
        opts.stale_claim_secs = 12;
        if let Some((keyspace, projector, via)) = shared {
            *projector.lock().unwrap() = Some(projector_node(
                &brokers,
                &key,
                dir.path(),
                0,
                (via, &keyspace.name),
            ));
            opts.cql.cql_nodes = keyspace.nodes.clone();
            opts.cql.cql_keyspace = keyspace.name.clone();
            opts.cql.cql_schema_metadata = testkit::cql::SCHEMA_METADATA;
        }
        let data = opts.data_dir.clone();
        let gateway = testkit::launch(opts);
        let pat = std::fs::read_to_string(data.join("admin.pat")).unwrap();
        let base = format!("http://{gateway}");
        let admin = Client::new(&base, Some("localhost")).token(pat.trim());
        let orgs = admin.get("/v1/orgs");
        let org = orgs.body["items"][0]["id"].as_str().unwrap().to_string();
        Cluster {
            nodes,
            admin,
            org,
            dir,
            broker,
            key,
            base,
        }
    }

    /// Creates machine user `username` as a client would: sending again what was not done
    /// (503 with CLUSTER-0001, or SYS-0002 after its `Retry-After`) and, after an answer that
    /// left it open (503 SYS-0003), sending again and taking "the name is taken" as the
    /// first send's success. Returns the write's answer if one was acknowledged, and the
    /// codes of the sends that were not.
    fn create_user(&self, username: &str) -> (Option<Reply>, Vec<String>) {
        let mut refused = Vec::new();
        let mut open = false;
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            let r = self.admin.post(
                &format!("/v1/orgs/{}/users/machine", self.org),
                json!({"username": username, "name": "Under fault"}),
            );
            match (r.status, r.code()) {
                (201, _) => return (Some(r), refused),
                (409, "USER-0002") if open => return (None, refused),
                (503, "CLUSTER-0001" | "SYS-0002" | "SYS-0003") => {
                    open |= r.code() == "SYS-0003";
                    refused.push(r.code().to_string());
                    // A name claimed by a send that was cut off is free once its claim is
                    // stale: the answer says when.
                    if let Some(wait) = r.body["details"]["retry_after"]
                        .as_str()
                        .and_then(|s| s.parse::<u64>().ok())
                    {
                        std::thread::sleep(Duration::from_secs(wait.min(15)));
                    }
                }
                _ => panic!("{username}: {} {}", r.status, r.body),
            }
        }
        panic!("{username}: never written: {refused:?}")
    }

    /// The cluster's log of node `n`.
    pub(super) fn log(&self, n: usize) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("command-{n}.log")))
            .unwrap_or_default()
    }
}

fn positions(replies: &[Reply]) -> String {
    let mut all = Positions::default();
    for r in replies {
        for p in r.str("position").split(',') {
            all.add(p.parse().unwrap());
        }
    }
    all.to_string()
}

/// Every user the test meant to create is in the org exactly once, and each acknowledged
/// user's events are versions 1..n with its creation once.
fn assert_written_once(c: &Cluster, usernames: &[String], acknowledged: &[Reply]) {
    let reader = c.admin.clone().at(&positions(acknowledged));
    let mut found: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cur) => format!("/v1/users?org_id={}&limit=100&cursor={cur}", c.org),
            None => format!("/v1/users?org_id={}&limit=100", c.org),
        };
        let page = reader.get(&path);
        assert_eq!(page.status, 200, "{}", page.body);
        for u in page.body["items"].as_array().unwrap() {
            found.push(u["username"].as_str().unwrap().to_string());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    for name in usernames {
        let times = found.iter().filter(|f| *f == name).count();
        assert_eq!(times, 1, "{name} is there {times} times");
    }
    for r in acknowledged {
        let id = r.str("id");
        let events = reader.get(&format!(
            "/v1/events?aggregate_type=user&aggregate_id={id}&limit=100"
        ));
        assert_eq!(events.status, 200, "{}", events.body);
        let items = events.body["items"].as_array().unwrap();
        let sequences: Vec<u64> = items
            .iter()
            .map(|e| e["sequence"].as_u64().unwrap())
            .collect();
        assert_eq!(
            sequences,
            (1..=items.len() as u64).collect::<Vec<_>>(),
            "{id}"
        );
        let created = items
            .iter()
            .filter(|e| e["type"] == "user.machine.added")
            .count();
        assert_eq!(created, 1, "{id}: {items:?}");
    }
}

/// Writes from `workers` threads until `stop` says so; returns what was meant, what was
/// acknowledged, and the codes of the sends that were refused.
fn traffic(
    c: &Cluster,
    prefix: &str,
    workers: usize,
    stop: &(dyn Fn(usize) -> bool + Sync),
) -> (Vec<String>, Vec<Reply>, Vec<String>) {
    let per_worker: Vec<(Vec<String>, Vec<Reply>, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    let (mut meant, mut acked, mut refused) = (Vec::new(), Vec::new(), Vec::new());
                    let mut n = 0;
                    while !stop(n) {
                        let name = format!("{prefix}-{w}-{n}");
                        let (reply, codes) = c.create_user(&name);
                        acked.extend(reply);
                        refused.extend(codes);
                        meant.push(name);
                        n += 1;
                    }
                    (meant, acked, refused)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all = (Vec::new(), Vec::new(), Vec::new());
    for (m, a, r) in per_worker {
        all.0.extend(m);
        all.1.extend(a);
        all.2.extend(r);
    }
    all
}

#[test]
fn a_command_node_killed_mid_traffic_loses_no_acknowledged_write() {
    let _alone = one_fault_at_a_time();
    use std::sync::atomic::{AtomicUsize, Ordering};
    let c = Cluster::start(3);
    let started = Instant::now();
    let victim = c.nodes[0].child.id();
    let taken = || -> usize {
        (1..3)
            .map(|n| c.log(n).matches("took the partition").count())
            .sum()
    };
    // Partitions the survivors had taken before the kill (0: not killed yet).
    let before_kill = AtomicUsize::new(0);
    // 20 writes per worker before the kill, then on while the partitions move and after.
    let stop = |n: usize| {
        if n == 20 && before_kill.load(Ordering::SeqCst) == 0 {
            before_kill.store(taken().max(1), Ordering::SeqCst);
            let killed = Command::new("kill")
                .args(["-KILL", &victim.to_string()])
                .status()
                .unwrap();
            assert!(killed.success());
        }
        n >= 60
    };
    let (meant, acknowledged, refused) = traffic(&c, "killed", 4, &stop);
    eprintln!(
        "{} users meant, {} acknowledged, refused sends {:?}, in {:?}",
        meant.len(),
        acknowledged.len(),
        refused,
        started.elapsed()
    );
    assert_eq!(meant.len(), 240);
    assert_written_once(&c, &meant, &acknowledged);
    // The survivors took the dead node's partitions.
    assert!(
        taken() > before_kill.load(Ordering::SeqCst),
        "{}\n{}",
        c.log(1),
        c.log(2)
    );
}

#[test]
fn a_paused_owner_resumed_after_its_partitions_moved_writes_nothing() {
    let _alone = one_fault_at_a_time();
    let c = Cluster::start(2);
    let (warm, _) = c.create_user("before-the-pause");
    let mut acknowledged: Vec<Reply> = warm.into_iter().collect();
    let mut meant = vec!["before-the-pause".to_string()];
    let zombie = &c.nodes[0].child;
    signal(zombie, "-STOP");
    // Writes for its partitions wait on it until the gateway gives up on the silent node
    // and the group has moved its partitions (its session times out after 6 s); the sagas
    // send what was left open again to the new owner, and what is past its deadline by then
    // is answered "not done" (SYS-0002) or, if it may still have run, SYS-0003.
    let paused = Instant::now();
    let (m, a, refused) = traffic(&c, "paused", 2, &|n| n >= 10);
    let waited = paused.elapsed();
    meant.extend(m);
    acknowledged.extend(a);
    // Resumed, the zombie runs the requests that waited for it, as an owner that has been
    // fenced: none of it may be acknowledged or counted.
    signal(zombie, "-CONT");
    let (m, a, _) = traffic(&c, "resumed", 2, &|n| n >= 5);
    meant.extend(m);
    acknowledged.extend(a);
    eprintln!("while paused: {waited:?}, refused {refused:?}");
    // Writes waited on the paused owner until the group moved its partitions: they took at
    // least its session timeout (or some were refused).
    assert!(
        waited >= Duration::from_secs(6) || !refused.is_empty(),
        "no write waited on the paused owner: {waited:?}, {refused:?}"
    );
    assert_written_once(&c, &meant, &acknowledged);
    // The zombie found out that its partitions had moved.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !c.log(0).contains("released the partition") {
        assert!(Instant::now() < deadline, "{}", c.log(0));
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_broker_that_stops_answering_gives_503_until_the_cluster_has_owners_again() {
    let _alone = one_fault_at_a_time();
    let c = Cluster::start(2);
    let (before, _) = c.create_user("before-the-outage");
    let before = before.expect("written before the outage");
    let path = format!("/v1/users/{}", before.str("id"));
    assert_eq!(c.admin.get(&path).status, 200);
    c.broker.pause();
    let during = c.admin.post(
        &format!("/v1/orgs/{}/users/machine", c.org),
        json!({"username": "during-the-outage", "name": "Outage"}),
    );
    assert_eq!(during.status, 503, "{}", during.body);
    assert!(
        ["CLUSTER-0001", "SYS-0003"].contains(&during.code()),
        "{}",
        during.body
    );
    // Reads are served from the gateway's read model meanwhile.
    let read = c.admin.get(&path);
    assert_eq!(read.status, 200, "{}", read.body);
    c.broker.resume();
    // The group evicts the members it did not hear from, and the next assignment opens the
    // partitions again: writes go through (the helper sends again on 503).
    let (after, refused) = c.create_user("after-the-outage");
    eprintln!("refused after the outage: {refused:?}");
    let mut acknowledged = vec![before];
    acknowledged.extend(after);
    assert_written_once(
        &c,
        &["before-the-outage".into(), "after-the-outage".into()],
        &acknowledged,
    );
}

#[test]
fn gateways_starting_at_once_make_one_first_start() {
    let broker = Broker::with_topics(PARTITIONS);
    let brokers = broker.brokers();
    let key = crypto::sealing::MasterKey::generate().to_base64();
    let dir = tempfile::tempdir().unwrap();
    let _nodes: Vec<Node> = (0..2)
        .map(|n| command_node(&brokers, &key, dir.path(), n, &[]))
        .collect();
    let (system, admin) = (
        "system-token-of-the-operator-for-the-cluster",
        "admin-bot-token-of-the-operator-for-the-cluster",
    );
    // Three gateways at the same moment, each seeing no first start yet.
    let gateways: Vec<_> = (0..3)
        .map(|g| {
            let mut opts = testkit::options(dir.path().join(format!("gateway-{g}")));
            opts.role = Role::Gateway;
            opts.kafka_brokers = Some(brokers.clone());
            opts.master_key = Some(key.clone());
            opts.system_pat = Some(system.into());
            opts.admin_pat = Some(admin.into());
            std::thread::spawn(move || testkit::launch(opts))
        })
        .collect();
    let addrs: Vec<_> = gateways.into_iter().map(|g| g.join().unwrap()).collect();
    for addr in &addrs {
        let base = format!("http://{addr}");
        // Each gateway follows the log; wait (bounded) until it has the setup.
        let system_api = Client::new(&base, None).token(system);
        let mut instances = system_api.get("/v1/system/instances");
        let deadline = Instant::now() + Duration::from_secs(30);
        while instances.status != 200 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            instances = system_api.get("/v1/system/instances");
        }
        assert_eq!(instances.status, 200, "{addr}: {}", instances.body);
        let defaults: Vec<_> = instances.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                i["domains"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|d| d == "localhost"))
            })
            .collect();
        assert_eq!(defaults.len(), 1, "{addr}: {}", instances.body);
        let me = Client::new(&base, Some("localhost"))
            .token(admin)
            .get("/v1/users/me");
        assert_eq!(me.status, 200, "{addr}: {}", me.body);
        assert_eq!(me.str("username"), "admin-bot");
    }
}

/// `portcullis start --role projector` on the shared (CQL) read models, as a child process.
fn projector_node(
    brokers: &str,
    key: &str,
    dir: &Path,
    n: usize,
    (cql_nodes, keyspace): (&str, &str),
) -> Node {
    let schema_metadata = testkit::cql::SCHEMA_METADATA.to_string();
    let cql = [
        ("PORTCULLIS_CQL_NODES", cql_nodes),
        ("PORTCULLIS_CQL_KEYSPACE", keyspace),
        ("PORTCULLIS_CQL_SCHEMA_METADATA", schema_metadata.as_str()),
    ];
    node("projector", brokers, key, dir, n, &cql)
}

/// What a read model answers of every instance: its users (with their memberships and tokens),
/// orgs, projects and audit trail.
fn snapshot(m: &dyn readmodel::ReadModel) -> Vec<String> {
    use authz::ReadScope::Instance as All;
    let mut out = Vec::new();
    for instance in m.list_instances(1000, None).unwrap().items {
        let i = instance.id.clone();
        out.push(format!("{instance:?}"));
        let users = m
            .list_users(&i, &All, &readmodel::UserFilter::default(), 100_000, None)
            .unwrap()
            .items;
        for u in users {
            let (held, pats) = (
                m.memberships_of(&i, &u.id).unwrap(),
                m.pats(&i, &u.id).unwrap(),
            );
            out.push(format!("{u:?} {held:?} {pats:?}"));
        }
        out.push(format!(
            "{:?}",
            m.list_orgs(&i, &All, 1000, None).unwrap().items
        ));
        out.push(format!(
            "{:?}",
            m.list_projects(&i, &All, None, 1000, None).unwrap().items
        ));
        out.push(format!(
            "{:?}",
            m.events(&i, &readmodel::EventFilter::default(), 100_000)
                .unwrap()
        ));
    }
    out
}

/// The shared read models' projector, a real process, killed with SIGKILL while it applies
/// the traffic's batches (they take most of its time under this load) and started again: no
/// event is lost or applied twice, and the read models end exactly as a projector that built
/// them from position 0 in a keyspace of its own makes them.
#[test]
fn a_projector_killed_mid_batch_ends_where_a_rebuild_from_zero_does() {
    let _alone = one_fault_at_a_time();
    let keyspace = testkit::cql::keyspace();
    let projector = Mutex::new(None);
    let via = keyspace.nodes.join(",");
    let c = Cluster::with(1, Some((&keyspace, &projector, &via)));
    let brokers = c.broker.brokers();
    let (usernames, acked, refused) = std::thread::scope(|s| {
        let writes = s.spawn(|| traffic(&c, "p", 4, &|n| n >= 40));
        // Once it has applied some of the traffic, the projector dies and comes back.
        let started = Instant::now();
        loop {
            let seen = c
                .admin
                .get(&format!("/v1/users?org_id={}&limit=100", c.org));
            if seen.body["items"].as_array().is_some_and(|i| i.len() >= 30) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "nothing was projected"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(projector.lock().unwrap().take());
        std::thread::sleep(Duration::from_millis(300));
        *projector.lock().unwrap() = Some(projector_node(
            &brokers,
            &c.key,
            c.dir.path(),
            1,
            (&via, &keyspace.name),
        ));
        writes.join().unwrap()
    });
    assert!(
        refused.is_empty(),
        "writes do not wait for the projector: {refused:?}"
    );
    assert_eq!(acked.len(), 160);
    assert_written_once(&c, &usernames, &acked);

    let rebuilt_keyspace = testkit::cql::keyspace();
    let _rebuilder = projector_node(
        &brokers,
        &c.key,
        c.dir.path(),
        2,
        (&rebuilt_keyspace.nodes.join(","), &rebuilt_keyspace.name),
    );
    let open =
        |ks: &testkit::cql::Keyspace| readmodel::CqlReadModel::connect(&ks.options()).unwrap();
    let (resumed, rebuilt) = (open(&keyspace), open(&rebuilt_keyspace));
    for m in [&resumed, &rebuilt] {
        reach(m, &acked);
    }
    let after_crash = snapshot(&resumed);
    assert!(after_crash.len() > 160, "{}", after_crash.len());
    assert_eq!(after_crash, snapshot(&rebuilt));
}

/// Waits until `model` has applied every write of `replies`.
fn reach(model: &readmodel::CqlReadModel, replies: &[Reply]) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for p in positions(replies).split(',') {
        let p: u64 = p.parse().unwrap();
        runtime
            .block_on(readmodel::Projection::progress(model).wait_for(p, Duration::from_secs(60)))
            .unwrap();
    }
}

/// The projector cut off from the shared read models (its CQL connections dropped and
/// refused) while the cluster takes writes: it keeps the batches it has read, tries them again,
/// and applies them once the read models are back; every write is there once.
#[test]
fn a_projector_cut_off_from_its_read_models_applies_what_it_missed_when_they_return() {
    let _alone = one_fault_at_a_time();
    let keyspace = testkit::cql::keyspace();
    // The projector reaches the read models through a bridge of its own; the gateway does not.
    let bridge = testkit::cql::own_bridge();
    let projector = Mutex::new(None);
    let via = bridge.addr.to_string();
    let c = Cluster::with(1, Some((&keyspace, &projector, &via)));
    // Each write from a session of its own: it does not wait to read the ones before it.
    let write = |name: String| {
        let session = c.admin.after(&Reply {
            status: 200,
            body: json!({}),
        });
        let r = session.post(
            &format!("/v1/orgs/{}/users/machine", c.org),
            json!({"username": name, "name": "Cut off"}),
        );
        assert_eq!(r.status, 201, "{name}: {}", r.body);
        r
    };
    let mut acked: Vec<Reply> = (0..5).map(|n| write(format!("before-{n}"))).collect();
    bridge.cut(true);
    acked.extend((0..20).map(|n| write(format!("cut-{n}"))));
    let log = || std::fs::read_to_string(c.dir.path().join("projector-0.log")).unwrap();
    let started = Instant::now();
    while !log().contains("trying again") {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the projector never met the cut: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    bridge.cut(false);
    let model = readmodel::CqlReadModel::connect(&keyspace.options()).unwrap();
    reach(&model, &acked);
    let usernames: Vec<String> = (0..5)
        .map(|n| format!("before-{n}"))
        .chain((0..20).map(|n| format!("cut-{n}")))
        .collect();
    assert_written_once(&c, &usernames, &acked);
}
