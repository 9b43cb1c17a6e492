//! The domain of Portcullis: aggregates, commands, events, and the pure `decide` / `apply`.
//! No I/O, no clock: time, ids and the caller are passed in.

mod aggregate;
pub mod app;
pub mod codec;
mod error;
pub mod instance;
mod lifecycle;
pub mod members;
pub mod oidc;
pub mod org;
pub mod project;
pub mod settings;
pub mod signing_keys;
#[cfg(feature = "testing")]
pub mod testing;
pub mod unique;
pub mod user;
pub mod user_grant;
pub mod validate;

pub use aggregate::{
    authorize, authorize_take_over, may_take_over, Access, Aggregate, AggregateKey, Ctx, EventType,
};
pub use error::{Code, Error, Kind, Result};
pub use lifecycle::Lifecycle;

/// Declares every aggregate once: the `DomainEvent` enum and its decoding by aggregate type
/// come from the same list, so an aggregate cannot be decodable and missing, or the reverse.
macro_rules! domain_events {
    ($($variant:ident => $agg:ty),* $(,)?) => {
        /// Any event of any aggregate, decoded from the log by its aggregate type.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum DomainEvent {
            $($variant(<$agg as aggregate::Aggregate>::Event),)*
        }

        impl DomainEvent {
            /// Every aggregate type in the log.
            pub const KINDS: &'static [&'static str] = &[$(<$agg as aggregate::Aggregate>::KIND,)*];

            /// An event of `aggregate_type` as the log holds it: its type, the type's
            /// version, and the payload (older versions are upcast: see [`codec`]).
            pub fn decode(
                aggregate_type: &str,
                event_type: &str,
                schema_version: u16,
                payload: &[u8],
            ) -> Result<DomainEvent> {
                $(if aggregate_type == <$agg as aggregate::Aggregate>::KIND {
                    return Ok(DomainEvent::$variant(codec::decode(event_type, schema_version, payload)?));
                })*
                Err(Error::internal(format!(
                    "unknown aggregate type {aggregate_type:?} in the log"
                )))
            }
        }
    };
}

domain_events! {
    Instance => instance::Instance,
    Org => org::Org,
    User => user::User,
    Project => project::Project,
    UserGrant => user_grant::UserGrant,
    SigningKeys => signing_keys::SigningKeys,
    AuthRequest => oidc::AuthRequest,
    Session => oidc::Session,
    RefreshFamily => oidc::RefreshFamily,
    TokenRevocations => oidc::TokenRevocations,
    Unique => unique::Unique,
}
