//! What this release is, and what it reads and writes: for `portcullis version`, `/healthz`,
//! and an operator planning an upgrade.

/// This release.
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");

/// The version of the messages between the nodes of a cluster (forwarded commands and their
/// answers). Nodes of a cluster must share it: stop every node of a release with another one
/// before starting this one. Version 2: forwarded commands carry the session lifetimes, the
/// settings, session ends, lockouts and completed authorization requests (version 1 nodes
/// could not read them).
pub const NODE_MESSAGES: u16 = 2;

/// One line for `portcullis version`.
pub fn describe() -> String {
    format!(
        "portcullis {RELEASE} (events: written as JSON version {}, read from version {}; \
         node messages: version {NODE_MESSAGES})",
        domain::codec::FIRST_JSON,
        domain::codec::LEGACY,
    )
}
