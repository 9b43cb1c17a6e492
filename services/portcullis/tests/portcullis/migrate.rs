//! `portcullis migrate` on a real Kafka-protocol broker and the CQL test server: it creates the
//! topics, the read models' keyspace and tables, and running it again (every Helm upgrade
//! does) changes nothing and succeeds.

use std::process::Command;

use eventlog::kafka::broker::Broker;

fn migrate(brokers: &str) -> (bool, String) {
    migrate_with(brokers, &[])
}

fn migrate_with(brokers: &str, env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("migrate")
        .env("PORTCULLIS_KAFKA_BROKERS", brokers)
        .env("PORTCULLIS_KAFKA_PARTITIONS", "6")
        .env("PORTCULLIS_KAFKA_REPLICATION_FACTOR", "1")
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .output()
        .expect("portcullis runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn migrate_creates_the_topics_once_and_can_run_again() {
    let broker = Broker::start();
    let (ok, log) = migrate(&broker.brokers());
    assert!(ok, "{log}");
    assert!(
        log.contains("portcullis.events") && log.contains("created"),
        "{log}"
    );
    let (ok, log) = migrate(&broker.brokers());
    assert!(ok, "{log}");
    assert_eq!(log.matches("already there").count(), 3, "{log}");
}

#[test]
fn migrate_refuses_more_partitions_than_a_position_can_name() {
    let (ok, log) = migrate_with("127.0.0.1:9", &[("PORTCULLIS_KAFKA_PARTITIONS", "1025")]);
    assert!(!ok);
    assert!(log.contains("1025 is not in 1..=1024"), "{log}");
}

#[test]
fn migrate_without_kafka_says_what_to_check() {
    // Nothing listens on the port of a broker that was stopped.
    let port = Broker::start().port;
    let (ok, log) = migrate(&format!("127.0.0.1:{port}"));
    assert!(!ok);
    assert!(log.contains("cannot create the Kafka topics"), "{log}");
}

#[test]
fn migrate_makes_the_read_models_keyspace_and_tables_once() {
    use readmodel::prelude::*;
    let broker = Broker::start();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    // Dropped when the test ends.
    let keyspace = testkit::cql::Keyspace {
        nodes: vec![testkit::cql::node()],
        name: format!("m_{nanos}"),
    };
    let nodes = keyspace.nodes.join(",");
    let cql = |replication| {
        [
            ("PORTCULLIS_CQL_NODES", nodes.as_str()),
            ("PORTCULLIS_CQL_KEYSPACE", keyspace.name.as_str()),
            ("PORTCULLIS_CQL_REPLICATION", replication),
            ("PORTCULLIS_CQL_SCHEMA_METADATA", "false"),
        ]
    };
    let (ok, log) = migrate_with(&broker.brokers(), &cql("datacenter1:1"));
    assert!(ok, "{log}");
    assert!(log.contains("applying a CQL schema file"), "{log}");
    let model = readmodel::CqlReadModel::connect(&keyspace.options()).unwrap();
    assert_eq!(model.list_instances(10, None).unwrap().items, vec![]);
    let (ok, log) = migrate_with(&broker.brokers(), &cql("datacenter1:1"));
    assert!(ok, "{log}");
    assert!(!log.contains("applying a CQL schema file"), "{log}");
    // A replication that names no datacenter is refused before anything is done.
    let (ok, log) = migrate_with(&broker.brokers(), &cql("3"));
    assert!(!ok);
    assert!(log.contains("datacenter:replicas"), "{log}");
}
