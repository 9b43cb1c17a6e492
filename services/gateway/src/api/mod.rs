//! The API's operations, one file per resource, shared by both transports: REST
//! (`crate::routes`) and gRPC (`crate::grpc`) only translate requests into these calls and
//! their answers (or errors) back. Each operation checks the permission it needs (the
//! gateway's cheap check; the aggregate's actor checks again), then sends the command or runs
//! the query, and answers a view. No transport types here.

pub mod actions;
pub mod apps;
pub mod events;
pub mod factors;
pub mod idp_links;
pub mod idps;
pub mod login_sessions;
pub mod machine_keys;
pub mod members;
pub mod notifications;
pub mod org_domains;
pub mod orgs;
pub mod pats;
pub mod permissions;
pub mod project_grants;
pub mod projects;
pub mod saml_apps;
pub mod sessions;
pub mod settings;
pub mod system;
pub mod texts;
pub mod user_changes;
pub mod user_grants;
pub mod user_import;
pub mod users;

use command::Written;

use crate::views::WriteReply;

/// A new aggregate id (time-ordered).
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The gateway's check of a plain permission on a target.
pub(crate) fn require(
    gw: &crate::Gateway,
    auth: &crate::auth::Authenticated,
    permission: authz::Permission,
    target: authz::Target<'_>,
) -> Result<(), domain::Error> {
    domain::authorize(
        &gw.authz,
        &auth.caller,
        domain::Access::Check(authz::Requirement::plain(permission), target),
    )
}

/// What a write answers.
pub(crate) fn reply(id: Option<String>, w: Written) -> WriteReply {
    WriteReply {
        id,
        sequence: w.sequence,
        position: w.position.to_string(),
    }
}
