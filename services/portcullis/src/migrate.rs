//! `portcullis migrate`: prepares the cluster's storage, idempotently, so that the Helm chart's
//! hook can run it on every install and upgrade.

use eventlog::kafka::topics::{self, Created};

use crate::config::MigrateOptions;

pub fn run(opts: &MigrateOptions) -> Result<(), String> {
    if opts.kafka_replication_factor < 1 {
        return Err("--kafka-replication-factor must be at least 1".into());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    tracing::info!(brokers = %opts.kafka_brokers, partitions = opts.kafka_partitions, "creating the Kafka topics");
    let created = runtime
        .block_on(topics::create(
            &opts.kafka_brokers,
            opts.kafka_partitions,
            opts.kafka_replication_factor,
        ))
        .map_err(|e| {
            format!(
                "cannot create the Kafka topics at {}: {e} (is Kafka reachable, and may this client create topics?)",
                opts.kafka_brokers
            )
        })?;
    for c in created {
        match c {
            Created::Created(topic) => tracing::info!(%topic, "created"),
            Created::AlreadyThere(topic) => tracing::info!(%topic, "already there, left as it is"),
        }
    }
    if !opts.cql.cql_nodes.is_empty() {
        let nodes = &opts.cql.cql_nodes;
        tracing::info!(nodes = %nodes.join(","), keyspace = %opts.cql.cql_keyspace, "migrating the CQL read models");
        let applied = readmodel::cql::migrate(
            nodes,
            &opts.cql.cql_keyspace,
            &opts.cql_replication,
            opts.cql.cql_schema_metadata,
        )
        .map_err(|e| format!("cannot migrate the CQL read models: {e}"))?;
        tracing::info!(applied = ?applied, "the CQL read models are up to date");
    }
    Ok(())
}
