//! Command line and environment: every setting has a flag and a `PORTCULLIS_*` variable.
//! `deploy/portcullis.reference.toml` lists them with their defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "portcullis",
    version,
    about = "Multi-tenant identity and access management"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What a binary built without the `cluster` feature answers where a cluster is asked for.
pub const WITHOUT_CLUSTER: &str = "this portcullis was built without the cluster (roles gateway, command and projector, Kafka, CQL): build it with the default features (`cargo build --release -p portcullis`)";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs Portcullis. With the default role `all`, everything runs in this process on
    /// embedded storage in the data directory.
    Start(Box<StartOptions>),
    /// Prepares the cluster's storage: creates the Kafka topics (events, kept forever;
    /// snapshots, compacted) with the configured partitions and replicas, and, with
    /// `--cql-nodes`, the read models' keyspace and tables (`deploy/scylla/`). Safe to run
    /// again: what exists is left as it is.
    Migrate(MigrateOptions),
    /// Prints this release's version and what it reads and writes: the event encoding
    /// versions, and the version of the messages between the nodes of a cluster.
    Version,
    /// Writes the event log of a data directory or a cluster (or one instance's events) as
    /// NDJSON, one event per line in log order (a cluster's: each partition's in order), in the shape `GET /v1/events` lists them, with nothing
    /// redacted: password and token hashes and sealed keys are in it, so keep it as you keep
    /// backups. Safe while Portcullis runs.
    Export(ExportOptions),
    /// Reads an export into an empty data directory: every line is checked before anything
    /// is written, and the log appears only once all of it is in. Start Portcullis on it with
    /// the master key of the exported directory, which sealed its keys.
    Import(ImportOptions),
    /// Imports users of another system, with their password hashes, into an org of a running
    /// Portcullis: FILE is NDJSON, one user a line as `POST /v1/orgs/{org_id}/users/import`
    /// takes them. Shows its progress; prints each refused user (its line, its error) as
    /// NDJSON. The token (user.write on the org) is read from PORTCULLIS_TOKEN.
    ImportUsers(ImportUsersOptions),
}

#[derive(clap::Args, Debug, Clone)]
pub struct ImportUsersOptions {
    /// The NDJSON file of users.
    pub file: PathBuf,
    /// The org the users join.
    #[arg(long)]
    pub org: String,
    /// Where Portcullis answers: the instance's URL.
    #[arg(long, default_value = "http://localhost:8080")]
    pub url: String,
    /// The instance's domain, when `--url` is not it (sent as `Host`).
    #[arg(long)]
    pub host: Option<String>,
    /// Users a request carries (at most 100,000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ExportOptions {
    /// The data directory of `portcullis start` whose log to export.
    #[arg(long, env = "PORTCULLIS_DATA_DIR", default_value = "./portcullis-data")]
    pub data_dir: PathBuf,
    /// A cluster's Kafka bootstrap servers (`host:port,...`): export the cluster's log
    /// instead of a data directory's.
    #[arg(long, env = "PORTCULLIS_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// Only this instance's events.
    #[arg(long)]
    pub instance: Option<String>,
    /// Where to write the export (written whole, then moved into place); standard output
    /// without it.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ImportOptions {
    /// The data directory to import into: it must hold no events.
    #[arg(long, env = "PORTCULLIS_DATA_DIR", default_value = "./portcullis-data")]
    pub data_dir: PathBuf,
    /// The export to read; standard input without it.
    #[arg(long)]
    pub input: Option<PathBuf>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct MigrateOptions {
    /// Kafka's bootstrap servers, `host:port,...`.
    #[arg(long, env = "PORTCULLIS_KAFKA_BROKERS")]
    pub kafka_brokers: String,
    /// Partitions of the events topic: the most command nodes that can share the writes (1 to
    /// 1,024).
    #[arg(long, env = "PORTCULLIS_KAFKA_PARTITIONS", default_value_t = 12,
        value_parser = clap::value_parser!(i32).range(1..=eventlog::position::MAX_PARTITIONS as i64))]
    pub kafka_partitions: i32,
    /// Replicas of each partition.
    #[arg(long, env = "PORTCULLIS_KAFKA_REPLICATION_FACTOR", default_value_t = 3)]
    pub kafka_replication_factor: i32,
    #[command(flatten)]
    pub cql: CqlArgs,
    /// Replicas of the read models per datacenter (NetworkTopologyStrategy), as
    /// `datacenter:replicas,...`; each region's datacenter keeps its own replicas.
    #[arg(
        long,
        env = "PORTCULLIS_CQL_REPLICATION",
        default_value = "datacenter1:3"
    )]
    pub cql_replication: readmodel::cql_settings::Replication,
}

/// Where a cluster keeps its read models: on ScyllaDB (or Cassandra), shared by every gateway
/// and written by the projector; without `--cql-nodes`, each gateway and projector keeps an
/// embedded one in its data directory.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CqlArgs {
    /// CQL contact points, `host:port,...`.
    #[arg(long, env = "PORTCULLIS_CQL_NODES", value_delimiter = ',')]
    pub cql_nodes: Vec<String>,
    /// The keyspace of the read models.
    #[arg(long, env = "PORTCULLIS_CQL_KEYSPACE", default_value = "portcullis",
        value_parser = readmodel::cql_settings::keyspace_name)]
    pub cql_keyspace: String,
    /// The datacenter whose replicas this node reads and writes first (its region's); the
    /// others when it fails.
    #[arg(long, env = "PORTCULLIS_CQL_LOCAL_DATACENTER")]
    pub cql_local_datacenter: Option<String>,
    /// Read the servers' schema, which token-aware routing needs; `false` only for servers
    /// without `system_schema` (Cassandra before 3.0, such as the tests').
    #[arg(long, env = "PORTCULLIS_CQL_SCHEMA_METADATA", default_value_t = true, action = clap::ArgAction::Set)]
    pub cql_schema_metadata: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    All,
    Gateway,
    Command,
    Projector,
}

impl Role {
    /// The name `--role` takes (and traces carry as `portcullis.role`).
    pub fn name(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Gateway => "gateway",
            Role::Command => "command",
            Role::Projector => "projector",
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct StartOptions {
    /// A TOML file with the keys of deploy/portcullis.reference.toml; the environment and
    /// flags win over it.
    #[arg(long, env = "PORTCULLIS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Which part of the cluster to run: `all` (everything, embedded storage), or `gateway`,
    /// `command`, `projector` (the cluster on Kafka).
    #[arg(long, env = "PORTCULLIS_ROLE", value_enum, default_value = "all")]
    pub role: Role,
    /// Where the embedded storage and the first-start secrets live.
    #[arg(long, env = "PORTCULLIS_DATA_DIR", default_value = "./portcullis-data")]
    pub data_dir: PathBuf,
    /// The address to serve HTTP on.
    #[arg(long, env = "PORTCULLIS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The operator's address: `/metrics` (and the probes) are served there and only there.
    /// Unset, no metrics are served.
    #[arg(long, env = "PORTCULLIS_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// Proxies whose `Forwarded` / `X-Forwarded-*` headers count (the host a request was sent
    /// to, the client's address): CIDRs or addresses, comma-separated. Default: none.
    #[arg(long, env = "PORTCULLIS_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<gateway::edge::Cidr>,
    /// The scheme of the instances' external URL (issuer, discovery, redirects; `https` makes
    /// cookies `Secure`).
    #[arg(long, env = "PORTCULLIS_EXTERNAL_SCHEME", default_value = "http", value_parser = parse_scheme)]
    pub external_scheme: gateway::edge::Scheme,
    /// The port of the instances' external URL; unset, the port requests reach this server on.
    #[arg(long, env = "PORTCULLIS_EXTERNAL_PORT")]
    pub external_port: Option<u16>,
    /// The address to serve the gRPC API on (role `all` and `gateway`); unset, no gRPC.
    #[arg(long, env = "PORTCULLIS_GRPC_LISTEN")]
    pub grpc_listen: Option<SocketAddr>,
    /// A role -> permission map replacing the default (YAML, the format of
    /// `shared/authz/role-permissions.yaml`).
    #[arg(long, env = "PORTCULLIS_ROLE_MAP")]
    pub role_map: Option<PathBuf>,
    /// The first admin's password; generated when unset.
    #[arg(
        long = "admin-password",
        env = "PORTCULLIS_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,
    /// The first start's token of `admin-bot` (at least 32 URL-safe characters); generated
    /// when unset. A cluster's operator sets it so that no gateway's data directory holds it.
    #[arg(
        long = "admin-pat",
        env = "PORTCULLIS_ADMIN_PAT",
        hide_env_values = true
    )]
    pub admin_pat: Option<String>,
    /// The first start's token of the system user (SYSTEM_OWNER), as `--admin-pat`.
    #[arg(
        long = "system-pat",
        env = "PORTCULLIS_SYSTEM_PAT",
        hide_env_values = true
    )]
    pub system_pat: Option<String>,
    /// The key (32 bytes, base64) that seals signing keys at rest; generated into the data
    /// directory when unset.
    #[arg(
        long = "masterkey",
        env = "PORTCULLIS_MASTERKEY",
        hide_env_values = true
    )]
    pub master_key: Option<String>,
    /// Master keys this one replaced (base64, comma-separated): still read, never used to
    /// seal. Keep them until every signing key sealed with them has been rotated out.
    #[arg(
        long = "masterkey-previous",
        env = "PORTCULLIS_MASTERKEY_PREVIOUS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub master_key_previous: Vec<String>,
    /// HTTP worker threads.
    #[arg(long, env = "PORTCULLIS_WORKERS", default_value_t = 2)]
    pub workers: usize,
    /// An aggregate's actor idle this many seconds is stopped (its state stays in the log).
    #[arg(long, env = "PORTCULLIS_ACTOR_IDLE_SECS", default_value_t = 300)]
    pub actor_idle_secs: u64,
    /// The most live actors of one aggregate kind (users, sessions, ...); past it, the least
    /// recently used are stopped (their state stays in the log).
    #[arg(long, env = "PORTCULLIS_MAX_LIVE_ACTORS", default_value_t = 100_000)]
    pub max_live_actors: usize,
    /// A unique name (login name, org name, domain) claimed by a request that was cut off
    /// before it created what claimed it is free again after this many seconds. Keep it at 100
    /// or more: the request's last step may land for a quarter of it, and the log commits
    /// within 30 s.
    #[arg(long, env = "PORTCULLIS_STALE_CLAIM_SECS", default_value_t = 120)]
    pub stale_claim_secs: u64,
    /// A snapshot of an aggregate is written every this many of its events.
    #[arg(long, env = "PORTCULLIS_SNAPSHOT_EVERY", default_value_t = 100)]
    pub snapshot_every: u64,
    /// argon2id memory cost of new password hashes, in KiB (OWASP: 19456).
    #[arg(long, env = "PORTCULLIS_ARGON2_MEMORY_KIB", default_value_t = 19456)]
    pub argon2_memory_kib: u32,
    /// argon2id passes of new password hashes (OWASP: 2).
    #[arg(long, env = "PORTCULLIS_ARGON2_ITERATIONS", default_value_t = 2)]
    pub argon2_iterations: u32,
    /// argon2id lanes of new password hashes (OWASP: 1).
    #[arg(long, env = "PORTCULLIS_ARGON2_PARALLELISM", default_value_t = 1)]
    pub argon2_parallelism: u32,
    /// Password hashes and checks that may wait for the pool; beyond, requests are answered
    /// 503 `SYS-0005` with `Retry-After` before any hashing.
    #[arg(long, env = "PORTCULLIS_PASSWORD_QUEUE", default_value_t = 64)]
    pub password_queue: usize,
    /// Failed credential checks (logins, client authentication, codes, current passwords)
    /// allowed per minute from one client address; beyond, 429 `REQ-0007`.
    #[arg(long, env = "PORTCULLIS_RATE_LIMIT_IP", default_value_t = 60)]
    pub rate_limit_ip: u32,
    /// Failed credential checks allowed per minute on one account (a login name, a client id).
    #[arg(long, env = "PORTCULLIS_RATE_LIMIT_ACCOUNT", default_value_t = 20)]
    pub rate_limit_account: u32,
    /// Let instances send messages through SMTP servers and SMS endpoints at loopback or
    /// private addresses (a relay in your own network). Off by default: an instance's admin
    /// could otherwise reach the network Portcullis runs in.
    #[arg(long, env = "PORTCULLIS_ALLOW_PRIVATE_HOSTS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_hosts: bool,
    /// The DNS server (`ip:port`) org domains are checked with; unset: those of
    /// /etc/resolv.conf.
    #[arg(long, env = "PORTCULLIS_DNS_RESOLVER")]
    pub dns_resolver: Option<std::net::SocketAddr>,
    /// The port the HTTP check of org domains connects to (80, as ACME's; change it only
    /// where a proxy serves the domains' port 80 elsewhere).
    #[arg(long, env = "PORTCULLIS_DOMAIN_CHECK_HTTP_PORT", default_value_t = 80)]
    pub domain_check_http_port: u16,
    /// Batch concurrent writes into one durable commit.
    #[arg(long, env = "PORTCULLIS_GROUP_COMMIT", default_value_t = true, action = clap::ArgAction::Set)]
    pub group_commit: bool,
    /// Roles gateway, command and projector: Kafka's bootstrap servers, `host:port,...`.
    #[arg(long, env = "PORTCULLIS_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// Role command: the `host:port` other nodes reach this one at; the listen address when
    /// unset.
    #[arg(long, env = "PORTCULLIS_ADVERTISE")]
    pub advertise: Option<String>,
    /// Role command: seconds the command group waits for a silent node before it gives that
    /// node's partitions to the others (Kafka's session timeout; the broker bounds it, 6 to
    /// 1800 by default). Shorter moves partitions off a dead node sooner; too short moves
    /// them off a node that is only slow.
    #[arg(
        long,
        env = "PORTCULLIS_KAFKA_SESSION_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub kafka_session_timeout_secs: u64,
    /// Roles gateway and projector: the read models on CQL.
    #[command(flatten)]
    pub cql: CqlArgs,
}

fn parse_scheme(s: &str) -> Result<gateway::edge::Scheme, String> {
    s.parse()
}

impl StartOptions {
    /// Where org domains are checked.
    pub fn domain_checks(&self) -> command::DomainChecks {
        command::DomainChecks {
            resolver: self.dns_resolver,
            http_port: self.domain_check_http_port,
            private_hosts: self.allow_private_hosts,
        }
    }

    /// The previous master keys, as the master key reads them.
    pub fn previous_master_keys(&self) -> impl Iterator<Item = &str> {
        self.master_key_previous.iter().map(String::as_str)
    }

    /// How the gateway is reached from outside.
    pub fn edge(&self) -> gateway::edge::Edge {
        gateway::edge::Edge {
            trusted_proxies: self.trusted_proxies.clone(),
            external_scheme: self.external_scheme,
            external_port: self.external_port,
        }
    }

    /// Failed credential checks allowed per minute.
    pub fn limits(&self) -> gateway::limits::LimitOptions {
        gateway::limits::LimitOptions {
            per_ip: self.rate_limit_ip,
            per_account: self.rate_limit_account,
        }
    }

    pub fn stale_claim_after(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.stale_claim_secs)
    }

    pub fn password_params(&self) -> crypto::secrets::PasswordParams {
        crypto::secrets::PasswordParams {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }
}
