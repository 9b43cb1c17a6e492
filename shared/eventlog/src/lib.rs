//! The event log: the `EventLog` trait every storage adapter implements, the embedded SQLite
//! adapter, and the contract suite any adapter must pass.

pub mod contract;
mod sqlite;
mod types;

pub use sqlite::{SqliteLog, SqliteLogOptions};
pub use types::*;
