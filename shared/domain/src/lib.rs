//! The domain of Portcullis: aggregates, commands, events, and the pure `decide` / `apply`.
//! No I/O, no clock: time, ids and the caller are passed in.

mod aggregate;
pub mod app;
pub mod codec;
mod error;
pub mod instance;
mod lifecycle;
pub mod members;
pub mod org;
pub mod project;
pub mod testing;
pub mod unique;
pub mod user;
pub mod user_grant;
pub mod validate;

pub use aggregate::{authorize, Access, Aggregate, AggregateKey, Ctx, EventType};
pub use error::{Code, Error, Kind, Result};
pub use lifecycle::Lifecycle;

/// Any event of any aggregate, decoded from the log by its aggregate type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainEvent {
    Instance(instance::InstanceEvent),
    Org(org::OrgEvent),
    User(user::UserEvent),
    Project(project::ProjectEvent),
    UserGrant(user_grant::UserGrantEvent),
    Unique(unique::UniqueEvent),
}

impl DomainEvent {
    pub fn decode(
        aggregate_type: &str,
        schema_version: u16,
        payload: &[u8],
    ) -> Result<DomainEvent> {
        use aggregate::Aggregate as A;
        Ok(match aggregate_type {
            instance::Instance::KIND => {
                DomainEvent::Instance(codec::decode(schema_version, payload)?)
            }
            org::Org::KIND => DomainEvent::Org(codec::decode(schema_version, payload)?),
            user::User::KIND => DomainEvent::User(codec::decode(schema_version, payload)?),
            project::Project::KIND => DomainEvent::Project(codec::decode(schema_version, payload)?),
            unique::Unique::KIND => DomainEvent::Unique(codec::decode(schema_version, payload)?),
            other => {
                return Err(Error::internal(format!(
                    "unknown aggregate type {other:?} in the log"
                )))
            }
        })
    }
}
