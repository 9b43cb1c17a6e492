//! Portcullis as a library: the `portcullis` binary's parts, so that tests can start the real
//! server in-process (`testing/testkit`).

mod bootstrap;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod config;
pub mod config_file;
mod event_delivery;
pub mod export;
pub mod import;
pub mod import_users;
pub mod logging;
mod master_key;
#[cfg(feature = "cluster")]
pub mod migrate;
mod outbox;
mod private_file;
pub mod server;
pub mod traces;
pub mod version;
