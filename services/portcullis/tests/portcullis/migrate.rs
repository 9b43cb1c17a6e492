//! `portcullis migrate` on a real Kafka-protocol broker: it creates the topics, and running it
//! again (every Helm upgrade does) changes nothing and succeeds.

use std::process::Command;

use eventlog::kafka::broker::Broker;

fn migrate(brokers: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("migrate")
        .env("PORTCULLIS_KAFKA_BROKERS", brokers)
        .env("PORTCULLIS_KAFKA_PARTITIONS", "6")
        .env("PORTCULLIS_KAFKA_REPLICATION_FACTOR", "1")
        .env("RUST_LOG", "info")
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
fn migrate_without_kafka_says_what_to_check() {
    // Nothing listens on the port of a broker that was stopped.
    let port = Broker::start().port;
    let (ok, log) = migrate(&format!("127.0.0.1:{port}"));
    assert!(!ok);
    assert!(log.contains("cannot create the Kafka topics"), "{log}");
}
