//! What this release is, and what it reads and writes: for `portcullis version`, `/healthz`,
//! and an operator planning an upgrade.

/// This release.
pub const RELEASE: &str = env!("CARGO_PKG_VERSION");

/// The version of the messages between the nodes of a cluster (forwarded commands and their
/// answers) that this release writes. Version 2: forwarded commands carry the session
/// lifetimes, the settings, session ends, lockouts and completed authorization requests.
pub const NODE_MESSAGES: u16 = 2;

/// The oldest node-message version this release reads, and writes to a node that speaks no
/// newer one: a cluster runs with nodes of two adjacent versions side by side during a rolling
/// upgrade (`docs/operating.md`, "Upgrades"). Version 2 added commands and fields only, so a
/// message for a version-1 node is written the same way; a node refuses a command it cannot
/// read (one a later release added) with `CLUSTER-0003` before running anything. A version
/// that changes a shape turns the message into the previous one's in
/// `cluster::placement::encode_as`.
pub const NODE_MESSAGES_OLDEST: u16 = 1;

/// One line for `portcullis version`.
pub fn describe() -> String {
    format!(
        "portcullis {RELEASE} (events: written as JSON version {}, read from version {}; \
         node messages: version {NODE_MESSAGES}, read from version {NODE_MESSAGES_OLDEST})",
        domain::codec::FIRST_JSON,
        domain::codec::LEGACY,
    )
}
