//! What every aggregate is: a pure `decide` from state and command to events, a pure `apply`,
//! and the permission the command needs on the aggregate's real owner.

use authz::{Authorizer, Caller, Decision, Requirement, Target};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Code, Error, Result};

/// Identifies one aggregate instance (one event stream).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AggregateKey {
    /// The instance (tenant) it belongs to; empty for system-wide aggregates.
    pub instance: String,
    pub kind: &'static str,
    pub id: String,
}

/// What the command handler passes in: who asks, when, and which aggregate. The domain never
/// reads the clock or makes ids itself.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    pub key: &'a AggregateKey,
    pub caller: &'a Caller,
    /// Unix time in milliseconds.
    pub now: i64,
}

/// How a command is authorized.
pub enum Access<'a> {
    /// Check this requirement on this target (built from the aggregate's own state).
    Check(Requirement, Target<'a>),
    /// Helper aggregates reached only by the command service's sagas, never by a caller
    /// directly (unique constraints).
    ServiceOnly,
}

/// An event type: a stable dotted name (`user.human.added`), used in the log and the API.
pub trait EventType {
    fn event_type(&self) -> &'static str;
}

pub trait Aggregate:
    Default + Clone + Send + Sync + Unpin + Serialize + DeserializeOwned + 'static
{
    /// The aggregate type in the log (`user`, `org`, ...).
    const KIND: &'static str;
    type Command: Clone + Send + Sync + Serialize + DeserializeOwned + 'static;
    type Event: Serialize + DeserializeOwned + EventType + Clone + Send + Sync + 'static;

    /// Whether the aggregate has been created (and not removed).
    fn exists(&self) -> bool;

    fn access<'a>(&'a self, key: &'a AggregateKey, cmd: &'a Self::Command) -> Access<'a>;

    fn decide(&self, cmd: &Self::Command, ctx: Ctx<'_>) -> Result<Vec<Self::Event>>;

    fn apply(&mut self, event: &Self::Event);

    /// The resources that own this aggregate (a user's or project's org), stated when its
    /// stream is created so that removing an owner can find what it owns.
    fn owners(&self) -> Vec<String> {
        Vec::new()
    }

    /// Further owners an event states for its stream: a membership's user, so that removing
    /// the user finds the resources where it is a member.
    fn event_owners(_event: &Self::Event) -> Vec<String> {
        Vec::new()
    }

    /// Folds events into a state (restore, and tests).
    fn from_events<'e>(events: impl IntoIterator<Item = &'e Self::Event>) -> Self
    where
        Self::Event: 'e,
    {
        let mut s = Self::default();
        for e in events {
            s.apply(e);
        }
        s
    }
}

/// The permission check of an operation, as an error naming the missing permission (and the
/// alternative that would also do). The gateway and the actors both go through it.
pub fn authorize(authz: &Authorizer, caller: &Caller, access: Access<'_>) -> Result<()> {
    let Access::Check(req, target) = access else {
        return Ok(());
    };
    match authz.check(caller, req, &target) {
        Decision::Allow { .. } => Ok(()),
        Decision::Deny { missing, or } => {
            let e = Error::new(
                Code::PermissionDenied,
                format!("missing permission {missing}"),
            )
            .with("missing", missing.name());
            Err(match or {
                Some(or) => e.with("or", or.name()),
                None => e,
            })
        }
    }
}
