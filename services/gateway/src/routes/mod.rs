//! The REST routes, one file per resource. Each route states its permission (in its doc and
//! as `x-permission` in the OpenAPI document); each handler reads its path, query and body
//! into an operation of `crate::api` (which checks, dispatches or queries) and maps the answer
//! to JSON and a status.

pub mod actions;
pub mod apps;
pub mod events;
pub mod factors;
pub mod idps;
pub mod instance;
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
pub mod sms;
pub mod system;
pub mod texts;
pub mod user_changes;
pub mod user_grants;
pub mod user_import;
pub mod users;

use actix_web::web;

/// The instance API under `/v1` (the system API is under `/v1/system`, see [`system`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    instance::configure(cfg);
    members::configure(cfg);
    orgs::configure(cfg);
    org_domains::configure(cfg);
    users::configure(cfg);
    user_import::configure(cfg);
    user_changes::configure(cfg);
    permissions::configure(cfg);
    projects::configure(cfg);
    saml_apps::configure(cfg);
    apps::configure(cfg);
    project_grants::configure(cfg);
    user_grants::configure(cfg);
    pats::configure(cfg);
    machine_keys::configure(cfg);
    idps::configure(cfg);
    factors::configure(cfg);
    sessions::configure(cfg);
    login_sessions::configure(cfg);
    settings::configure(cfg);
    notifications::configure(cfg);
    sms::configure(cfg);
    texts::configure(cfg);
    events::configure(cfg);
    actions::configure(cfg);
}
