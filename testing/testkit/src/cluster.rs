//! A cluster in this process on a real Kafka-protocol broker (tansu): the topics made by
//! `portcullis migrate`'s code with 4 partitions, three command nodes, a projector, and a
//! gateway whose first start makes the default instance. The tests talk to the gateway.
//!
//! The read models are either each node's own (embedded: the gateway follows the log itself) or
//! the cluster's shared ones on the CQL test server ([`crate::cql`]), which only the projector
//! writes.

use std::net::SocketAddr;

use eventlog::kafka::broker::Broker;
use portcullis::config::Role;

use crate::{launch_node, options, Server};

pub const PARTITIONS: i32 = 4;
pub const COMMAND_NODES: usize = 3;

/// What runs besides the gateway; the broker stops when this is dropped.
pub struct Cluster {
    pub broker: Broker,
    pub command_nodes: Vec<SocketAddr>,
    _dirs: Vec<tempfile::TempDir>,
    _keyspace: Option<crate::cql::Keyspace>,
}

/// Where the cluster's read models are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadModels {
    /// Each gateway's and projector's own, embedded.
    Embedded,
    /// Shared, on the CQL test server.
    Cql,
}

pub fn start(read_models: ReadModels) -> Server {
    let broker = Broker::with_topics(PARTITIONS);
    let master_key = crypto::sealing::MasterKey::generate().to_base64();
    start_on(read_models, broker, master_key, None)
}

/// A cluster on a broker whose topics exist (and may hold a log already), sealing with
/// `master_key` (base64): the log's keys are sealed with it. With `earlier`, a log made before:
/// the gateway's data directory gets the token files (`*.pat`) its first start wrote there.
pub fn start_on(
    read_models: ReadModels,
    broker: Broker,
    master_key: String,
    earlier: Option<&std::path::Path>,
) -> Server {
    let keyspace = (read_models == ReadModels::Cql).then(crate::cql::keyspace);
    let brokers = broker.brokers();
    let mut dirs = Vec::new();
    let mut node = |role: Role| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut opts = options(dir.path().join("data"));
        opts.role = role;
        opts.kafka_brokers = Some(brokers.clone());
        opts.master_key = Some(master_key.clone());
        if let Some(ks) = &keyspace {
            opts.cql.cql_nodes = ks.nodes.clone();
            opts.cql.cql_keyspace = ks.name.clone();
            opts.cql.cql_schema_metadata = crate::cql::SCHEMA_METADATA;
        }
        let data_dir = opts.data_dir.clone();
        if let (Role::Gateway, Some(from)) = (role, earlier) {
            std::fs::create_dir_all(&data_dir).expect("a data directory");
            for file in ["system.pat", "admin.pat"] {
                std::fs::copy(from.join(file), data_dir.join(file)).expect("the token files");
            }
        }
        let addr = launch_node(opts);
        dirs.push(dir);
        (addr, data_dir)
    };
    let command_nodes = (0..COMMAND_NODES)
        .map(|_| node(Role::Command).0.http)
        .collect();
    // The projector follows the log into its read model (the shared one, or its own while the
    // gateway follows the log into its own); the tests read the gateway's.
    node(Role::Projector);
    let (gateway, data_dir) = node(Role::Gateway);
    let gateway_dir = dirs.pop().expect("the gateway's directory");
    Server::at(
        gateway,
        data_dir,
        gateway_dir,
        Some(Cluster {
            broker,
            command_nodes,
            _dirs: dirs,
            _keyspace: keyspace,
        }),
    )
}
