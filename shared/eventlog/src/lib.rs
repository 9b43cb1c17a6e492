//! The event log: the `EventLog` trait every storage adapter implements, the embedded SQLite
//! adapter, the Kafka adapter (one partition of the cluster's events topic), and the contract
//! suite any adapter must pass.

#[cfg(feature = "testing")]
pub mod contract;
pub mod follow;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod position;
mod sqlite;
mod types;

pub use sqlite::{SqliteLog, SqliteLogOptions};
pub use types::*;
