//! Read models: what the gateway queries. The projector applies the log's events to them in
//! order, idempotently (guarded by each aggregate's version), with its checkpoint in the same
//! transaction, so it can stop anywhere and rebuild from position 0.

mod audit;
mod directory;
mod project_projection;
mod projection;
mod projector;
mod queries;
mod store;

pub use audit::{payload as event_payload, EventFilter, EventRow, REDACTED};
pub use directory::{InstanceRow, MemberLevel, MemberRow, OrgRow};
pub use projector::Projector;
pub use queries::{Page, UserFilter, UserRow};
pub use store::SqliteReadModel;
