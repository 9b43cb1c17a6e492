//! The CQL server of the tests: the one `scripts/test` starts (`scripts/cql-server.sh`, whose
//! address is in `PORTCULLIS_CQL`), reached through this process's protocol bridge
//! ([`crate::cql_bridge`]). Each caller gets a keyspace of its own, migrated with the schema of
//! `deploy/scylla/`.

use std::sync::OnceLock;

pub use crate::cql_bridge::Bridge;

/// Cassandra 2.1 has no `system_schema`: the driver does not read the schema (and routes
/// without token awareness, which one node does not need).
pub const SCHEMA_METADATA: bool = false;

/// Starts a bridge to the CQL protocol v3 server at `upstream` ([`crate::cql_bridge`]).
pub fn bridge(upstream: std::net::SocketAddr) -> Bridge {
    crate::cql_bridge::start(upstream)
}

/// The test server's address (`PORTCULLIS_CQL`). Panics, loudly, without one.
fn upstream() -> std::net::SocketAddr {
    let upstream = std::env::var("PORTCULLIS_CQL").unwrap_or_else(|_| {
        panic!(
            "PORTCULLIS_CQL is not set: these tests need a CQL server. Run scripts/test, or start one with \
             `bash scripts/cql-server.sh start /tmp/portcullis-cql` and export PORTCULLIS_CQL=$(cat /tmp/portcullis-cql/address)"
        )
    });
    upstream
        .parse()
        .unwrap_or_else(|e| panic!("PORTCULLIS_CQL={upstream} is not host:port: {e}"))
}

/// A bridge of the caller's own to the test server, which it may cut (a CQL node going away).
pub fn own_bridge() -> Bridge {
    bridge(upstream())
}

/// The bridge's address, started on first use. Panics, loudly, without a CQL server.
pub fn node() -> String {
    static NODE: OnceLock<Bridge> = OnceLock::new();
    NODE.get_or_init(|| bridge(upstream())).addr.to_string()
}

/// A keyspace of one test, dropped when the test lets it go (the test server's memory holds
/// only so many tables).
pub struct Keyspace {
    pub nodes: Vec<String>,
    pub name: String,
}

impl Keyspace {
    /// How the read models of this keyspace are opened on the test server.
    pub fn options(&self) -> readmodel::CqlOptions {
        readmodel::CqlOptions {
            schema_metadata: SCHEMA_METADATA,
            ..readmodel::CqlOptions::new(&self.nodes, &self.name)
        }
    }
}

impl Drop for Keyspace {
    fn drop(&mut self) {
        if let Err(e) = readmodel::cql::drop_keyspace(&self.nodes, &self.name, SCHEMA_METADATA) {
            eprintln!("cannot drop the test keyspace {}: {e}", self.name);
        }
    }
}

/// A new keyspace with the read models' schema.
pub fn keyspace() -> Keyspace {
    let nodes = vec![node()];
    let name = format!("t_{}", uuid::Uuid::now_v7().simple());
    let replication = "datacenter1:1".parse().expect("replication");
    readmodel::cql::migrate(&nodes, &name, &replication, SCHEMA_METADATA)
        .unwrap_or_else(|e| panic!("cannot migrate the test keyspace {name}: {e}"));
    Keyspace { nodes, name }
}
