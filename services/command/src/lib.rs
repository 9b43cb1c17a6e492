//! The command side: one actix actor per live aggregate decides and commits its events, and
//! the bus routes commands to them.

mod actor;
mod bus;
mod cascade;
mod claims;
mod codes;
mod credentials;
mod factors;
mod forwarding;
mod holdings;
mod instances;
mod login_sessions;
mod members;
pub mod oidc;
mod outbox;
mod outcomes;
pub mod placement;
pub mod plan;
mod projects;
mod registration;
mod sagas;
mod sessions;
mod settings;
pub mod setup;
mod signing_keys;
mod sms;
mod smtp;
mod snapshots;
mod system_scope;
mod user_grants;

pub use actor::Written;
pub use bus::{CommandBus, CommandOptions, Routed};
pub use codes::{CodeRequest, Delivery};
pub use credentials::{HumanInput, NewPat, NewSecret, PasswordChange};
pub use factors::{login_code_waits, usable_factors, NewTotp, TotpKey};
pub use instances::{CreateInstance, CreatedInstance};
pub use login_sessions::{wrong_password, Finalized};
pub use members::MemberOf;
pub use projects::NewApp;
pub use registration::Registration;
pub use sessions::LiveSession;
pub use settings::Appearance;
pub use smtp::SmtpInput;
pub use user_grants::NewUserGrant;
