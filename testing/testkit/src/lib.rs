//! Integration tests against the real server: [`server`] starts `portcullis start` (role
//! `all`, embedded storage in a temporary directory) in this process on a free port, once per
//! test binary; [`Server::tenant`] creates a new instance through the system API, so every
//! test has its own tenant and tests run in parallel.
//!
//! With `PORTCULLIS_TEST_CLUSTER=1` the same tests run against a cluster in this process
//! instead ([`cluster`]): a Kafka-protocol broker, three command nodes, a projector and the
//! gateway the tests talk to; with `PORTCULLIS_TEST_CLUSTER=cql`, that cluster keeps its read
//! models on the CQL test server.

pub mod challenges;
pub mod cluster;
pub mod cql;
mod cql_bridge;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use portcullis::config::{Role, StartOptions};
use serde_json::{json, Value};

pub struct Server {
    pub addr: SocketAddr,
    /// The gRPC API's address.
    pub grpc: SocketAddr,
    /// The admin listener's address (`/metrics`).
    pub admin: SocketAddr,
    pub data_dir: PathBuf,
    /// The token of the system user (SYSTEM_OWNER) made by the first start.
    pub system_pat: String,
    /// The token of the default instance's `admin-bot` (IAM_OWNER).
    pub default_admin_pat: String,
    _dir: tempfile::TempDir,
    _cluster: Option<cluster::Cluster>,
}

/// The server of this test binary, started on first use.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(
        || match std::env::var("PORTCULLIS_TEST_CLUSTER").as_deref() {
            Ok("1") => cluster::start(cluster::ReadModels::Embedded),
            Ok("cql") => cluster::start(cluster::ReadModels::Cql),
            _ => start(),
        },
    )
}

/// The address of the tests' trusted proxy.
pub const TEST_PROXY: &str = "127.0.0.2";

/// The options of a test node (role `all` in `data_dir`).
pub fn options(data_dir: PathBuf) -> StartOptions {
    StartOptions {
        config: None,
        role: Role::All,
        data_dir,
        listen: "127.0.0.1:0".parse().expect("an address"),
        grpc_listen: Some("127.0.0.1:0".parse().expect("an address")),
        admin_listen: Some("127.0.0.1:0".parse().expect("an address")),
        // The tests' proxy: requests from 127.0.0.2 (and only those) may say where they were
        // forwarded from.
        trusted_proxies: vec![TEST_PROXY.parse().expect("an address")],
        external_scheme: Default::default(),
        external_port: None,
        role_map: None,
        admin_password: None,
        admin_pat: None,
        system_pat: None,
        master_key: None,
        master_key_previous: Vec::new(),
        workers: 2,
        // Short-lived actors and frequent snapshots, so that tests cross restores often.
        actor_idle_secs: 2,
        snapshot_every: 5,
        // Cheap password hashes: tests hash many.
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        argon2_parallelism: 1,
        password_queue: 64,
        max_live_actors: 100_000,
        stale_claim_secs: 120,
        // The suite fails many checks from 127.0.0.1 on purpose; per-address limits are
        // tested from addresses of their own (through the trusted proxy).
        rate_limit_ip: 600,
        rate_limit_account: 20,
        group_commit: true,
        // The tests' SMTP server listens on loopback.
        allow_private_hosts: true,
        // Org domains are verified against the test binary's own DNS and web servers.
        dns_resolver: challenges::challenges().map(|c| c.dns),
        domain_check_http_port: challenges::challenges().map_or(80, |c| c.http_port),
        kafka_brokers: None,
        kafka_session_timeout_secs: 10,
        advertise: None,
        cql: Default::default(),
    }
}

/// Runs `portcullis::server::launch` on a thread of its own; returns its address.
pub fn launch(opts: StartOptions) -> SocketAddr {
    launch_node(opts).http
}

/// The addresses a node serves on.
#[derive(Clone, Copy, Debug)]
pub struct Node {
    pub http: SocketAddr,
    pub grpc: Option<SocketAddr>,
    pub admin: Option<SocketAddr>,
}

/// The in-process servers' errors on stderr (level `error` without librdkafka's chatter, or
/// what `PORTCULLIS_TEST_LOG` says), where a failing test's output shows them: an internal
/// error's cause is logged, never told to the client.
fn log_errors() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = std::env::var("PORTCULLIS_TEST_LOG")
            .unwrap_or_else(|_| "error,rdkafka=off,librdkafka=off".into());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    });
}

/// As [`launch`]; also the node's gRPC address, if it serves gRPC.
pub fn launch_node(opts: StartOptions) -> Node {
    log_errors();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match portcullis::server::launch(&opts).await {
                Ok(launched) => {
                    let node = Node {
                        http: launched.address,
                        grpc: launched.grpc,
                        admin: launched.admin,
                    };
                    tx.send(Ok(node)).expect("the test thread waits");
                    let _ = launched.server.await;
                }
                Err(e) => tx.send(Err(e)).expect("the test thread waits"),
            }
        })
    });
    rx.recv()
        .expect("the server thread answers")
        .unwrap_or_else(|e| panic!("the test server did not start: {e}"))
}

fn start() -> Server {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data_dir = dir.path().join("data");
    let addr = launch_node(options(data_dir.clone()));
    Server::at(addr, data_dir, dir, None)
}

impl Server {
    /// The server at `addr`, whose first start wrote its secrets to `data_dir`.
    fn at(
        node: Node,
        data_dir: PathBuf,
        dir: tempfile::TempDir,
        cluster: Option<cluster::Cluster>,
    ) -> Server {
        let read = |f: &str| {
            std::fs::read_to_string(data_dir.join(f))
                .unwrap_or_else(|e| panic!("{f}: {e}"))
                .trim()
                .to_string()
        };
        Server {
            addr: node.http,
            grpc: node.grpc.expect("the test server serves gRPC"),
            admin: node.admin.expect("the test server serves metrics"),
            system_pat: read("system.pat"),
            default_admin_pat: read("admin.pat"),
            data_dir,
            _dir: dir,
            _cluster: cluster,
        }
    }
}

/// One instance of the server, reached through its own domain (sent as `Host`).
pub struct Tenant {
    pub instance_id: String,
    pub domain: String,
    /// The human admin (IAM_OWNER) and its password.
    pub admin_user_id: String,
    pub admin_password: String,
    /// The machine admin's (`admin-bot`, IAM_OWNER) token.
    pub admin_pat: String,
    /// The log position of the tenant's creation.
    pub position: String,
    pub client: Client,
}

impl Server {
    /// The addresses serving `/metrics`: this server's admin listener, and in a cluster also
    /// the command nodes' internal API.
    pub fn nodes(&self) -> Vec<SocketAddr> {
        let mut nodes = vec![self.admin];
        if let Some(c) = &self._cluster {
            nodes.extend(&c.command_nodes);
        }
        nodes
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client for the system API.
    pub fn system(&self) -> Client {
        Client::new(&self.base(), None).token(&self.system_pat)
    }

    /// A client of the default instance (`localhost`).
    pub fn default_instance(&self) -> Client {
        Client::new(&self.base(), Some("localhost")).token(&self.default_admin_pat)
    }

    /// A new instance with its own domain, a human `admin` and `admin-bot`.
    pub fn tenant(&self) -> Tenant {
        self.tenant_under("test")
    }

    /// A new tenant whose domain is under `tld` (`localhost`: a browser's secure context
    /// without TLS, as WebAuthn needs).
    pub fn tenant_under(&self, tld: &str) -> Tenant {
        let domain = format!("t{}.{tld}", uuid::Uuid::now_v7().simple());
        let admin_password = format!("pw-{}", uuid::Uuid::now_v7().simple());
        let r = self.system().post(
            "/v1/system/instances",
            json!({
                "name": "Test tenant",
                "domains": [domain],
                "admin": {"username": "admin", "password": admin_password},
            }),
        );
        assert_eq!(r.status, 201, "creating a tenant: {}", r.body);
        let admin_pat = r.str("admin_pat");
        let position = r.str("position");
        let client = Client::new(&self.base(), Some(&domain))
            .token(&admin_pat)
            .at(&position);
        Tenant {
            instance_id: r.str("id"),
            admin_user_id: r.str("admin_user_id"),
            admin_password,
            admin_pat,
            position,
            domain,
            client,
        }
    }
}

impl Tenant {
    /// A client of this tenant without a token (reading at least the tenant's creation).
    pub fn anonymous(&self) -> Client {
        Client::new(&server().base(), Some(&self.domain)).at(&self.position)
    }

    /// A client of this tenant with `token`.
    pub fn as_token(&self, token: &str) -> Client {
        self.anonymous().token(token)
    }
}

/// An HTTP answer: status and JSON body (Null when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// A string field of the body; panics with the body when it is missing.
    #[track_caller]
    pub fn str(&self, field: &str) -> String {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string {field:?} in {} ({})", self.body, self.status))
            .to_string()
    }

    /// The error code of an error body (a SCIM error leads its detail with it).
    pub fn code(&self) -> &str {
        if let Some(code) = self.body["code"].as_str() {
            return code;
        }
        self.body["detail"]
            .as_str()
            .and_then(|d| d.split_once(':'))
            .map_or("<no code>", |(code, _)| code)
    }

    /// Status and error code together, for asserting errors.
    pub fn error(&self) -> (u16, &str) {
        (self.status, self.code())
    }
}

/// A 503 whose code says the request was not carried out, so that sending it again is safe.
fn nothing_done(reply: &Reply) -> bool {
    reply.status == 503
        && ["CONC-0002", "CLUSTER-0001", "CLUSTER-0002", "SYS-0002"].contains(&reply.code())
}

/// A small HTTP client: a host, an optional bearer token, and read-your-writes by default (it
/// sends the position of the last write it saw as `X-Portcullis-Position`).
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    host: Option<String>,
    token: Option<String>,
    position: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl Client {
    pub fn new(base: &str, host: Option<&str>) -> Client {
        Client {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
            base: base.to_string(),
            host: host.map(str::to_string),
            token: None,
            position: Default::default(),
        }
    }

    pub fn token(mut self, token: &str) -> Client {
        self.token = Some(token.to_string());
        // A client with another token follows its own writes from here on.
        let seen = self.position.lock().expect("lock").clone();
        self.position = std::sync::Arc::new(std::sync::Mutex::new(seen));
        self
    }

    /// This client, reading from here on at least what `write` wrote (read-your-writes across
    /// clients).
    pub fn after(&self, write: &Reply) -> Client {
        let mut c = self.clone();
        let p = write.body["position"].as_str().map(str::to_string);
        c.position = std::sync::Arc::new(std::sync::Mutex::new(p));
        c
    }

    /// This client, reading from here on at least log position `p`.
    pub fn at(self, p: &str) -> Client {
        *self.position.lock().expect("lock") = Some(p.to_string());
        self
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[])
    }

    /// Reads `path` until `done` holds for the answer (up to 30 s), after a write that answers
    /// no position to read it at (a form of the hosted login): the last answer.
    pub fn get_until(&self, path: &str, done: impl Fn(&Reply) -> bool) -> Reply {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let r = self.get(path);
            if done(&r) || std::time::Instant::now() > deadline {
                return r;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None, &[])
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(body.to_string().into_bytes()), &[])
    }

    pub fn put(&self, path: &str, body: Value) -> Reply {
        self.send("PUT", path, Some(body.to_string().into_bytes()), &[])
    }

    pub fn patch(&self, path: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(body.to_string().into_bytes()), &[])
    }

    /// Any request, with a raw body and extra headers.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        // A 503 that says nothing was done (a read-your-writes wait that ran out, a partition
        // without an owner for a moment, a node not ready) is sent again after a pause, as a
        // client does, unless the test named the position itself.
        let own_position = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("X-Portcullis-Position"));
        let mut attempt = 1;
        loop {
            let reply = self.send_once(method, path, body.clone(), headers);
            if own_position || attempt == 5 || !nothing_done(&reply) {
                return reply;
            }
            std::thread::sleep(std::time::Duration::from_millis(200 * attempt));
            attempt += 1;
        }
    }

    fn send_once(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = format!("{}{path}", self.base);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(h) = &self.host {
            req = req.header("Host", h);
        }
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(p) = self.position.lock().expect("lock").clone() {
            req = req.header("X-Portcullis-Position", p);
        }
        if body.is_some() {
            req = req.header("Content-Type", "application/json");
        }
        let mut req = req.body(body.unwrap_or_default()).expect("a request");
        for (k, v) in headers {
            let name = ureq::http::HeaderName::from_bytes(k.as_bytes()).expect("a header name");
            req.headers_mut()
                .insert(name, v.parse().expect("a header value"));
        }
        let mut resp = self
            .agent
            .run(req)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            if let Some(p) = body["position"].as_str() {
                *self.position.lock().expect("lock") = Some(p.to_string());
            }
        }
        Reply { status, body }
    }
}
