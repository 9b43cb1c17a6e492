//! The domain of Portcullis: aggregates, commands, events, and the pure `decide` / `apply`.
//! No I/O, no clock: time, ids and the caller are passed in.

pub mod action_delivery;
pub mod actions;
mod aggregate;
pub mod app;
pub mod circuit;
pub mod codec;
mod error;
pub mod idp;
pub mod instance;
mod lifecycle;
pub mod machine_keys;
pub mod members;
pub mod oidc;
pub mod org;
pub mod org_domain;
pub mod project;
pub mod saml;
pub mod settings;
pub mod signing_keys;
pub mod sms;
pub mod smtp;
#[cfg(feature = "testing")]
pub mod testing;
pub mod unique;
pub mod user;
pub mod user_grant;
pub mod validate;

pub use aggregate::{
    authorize, authorize_take_over, decided, may_take_over, Access, Aggregate, AggregateKey, Ctx,
    EventType,
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

            /// The event's type, as the log and the API name it.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(DomainEvent::$variant(e) => e.event_type(),)*
                }
            }

            /// The event as the log stores it: its type's version, and its payload.
            pub fn encode(&self) -> (u16, Vec<u8>) {
                match self {
                    $(DomainEvent::$variant(e) => codec::encode(e),)*
                }
            }

            /// The event's fields with named keys: the payload of the public event shape
            /// (`/v1/events`, exports), before any redaction.
            pub fn fields(&self) -> serde_json::Value {
                match self {
                    $(DomainEvent::$variant(e) => codec::fields(e),)*
                }
            }

            /// An event of `aggregate_type` from the public event shape (see [`codec::from_fields`]).
            pub fn from_fields(
                aggregate_type: &str,
                event_type: &str,
                fields: &serde_json::Value,
            ) -> Result<DomainEvent> {
                $(if aggregate_type == <$agg as aggregate::Aggregate>::KIND {
                    return Ok(DomainEvent::$variant(codec::from_fields(event_type, fields)?));
                })*
                Err(Error::new(
                    Code::MalformedBody,
                    format!("no aggregate type is named {aggregate_type:?}"),
                )
                .with("aggregate_type", aggregate_type))
            }

            /// The owners a stream created by this event states (its aggregate's owners, and
            /// those the event adds), as the command side states them when it appends.
            pub fn creation_owners(&self) -> Vec<String> {
                use aggregate::Aggregate;
                match self {
                    $(DomainEvent::$variant(e) => {
                        let mut owners = <$agg>::from_events([e]).owners();
                        owners.extend(<$agg>::event_owners(e));
                        owners
                    })*
                }
            }

            /// The owners this event adds to its existing stream.
            pub fn event_owners(&self) -> Vec<String> {
                use aggregate::Aggregate;
                match self {
                    $(DomainEvent::$variant(e) => <$agg>::event_owners(e),)*
                }
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
    UsedAssertions => oidc::UsedAssertions,
    DeviceAuthorization => oidc::DeviceAuthorization,
    IdpIntent => oidc::IdpIntent,
    Unique => unique::Unique,
    ActionDelivery => action_delivery::ActionDelivery,
}
