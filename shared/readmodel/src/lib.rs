//! Read models: what the gateway queries. The projector (`services/projector`) hands them the
//! log's events in batches; each batch is applied in order, idempotently (guarded by each
//! aggregate's version), with the checkpoint in the same transaction, so projection can stop
//! anywhere and rebuild from position 0.

mod audit;
mod batch;
#[cfg(feature = "cql")]
pub mod cql;
pub mod cql_settings;
mod directory;
mod keys_projection;
mod model;
mod outbox;
mod progress;
mod project_projection;
mod project_queries;
mod projection;
mod queries;
mod store;
mod user_projection;

pub use audit::{payload as event_payload, EventFilter, EventRow, LatestPage, Older, REDACTED};
#[cfg(feature = "cql")]
pub use cql::{CqlOptions, CqlReadModel};
pub use directory::{InstanceRow, MemberLevel, MemberRow, OrgRow, UserMembershipRow};
pub use keys_projection::KeyRow;
pub use model::{
    DirectoryQueries, OutboxQueries, ProjectQueries, Projection, ReadModel, TrailQueries,
    UserQueries,
};
pub use outbox::DueMessage;
pub use progress::{Applied, Progress};
pub use project_queries::{AppRow, ProjectGrantRow, ProjectRow, RoleRow, UserGrantRow};
pub use queries::{Page, UserFilter, UserRow};
pub use store::SqliteReadModel;

/// The traits whose methods the gateway and the projector call on a `dyn ReadModel`.
pub mod prelude {
    pub use crate::model::{
        DirectoryQueries, OutboxQueries, ProjectQueries, Projection, ReadModel, TrailQueries,
        UserQueries,
    };
}
