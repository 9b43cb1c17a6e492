//! What every aggregate is: a pure `decide` from state and command to events, a pure `apply`,
//! and the permission the command needs on the aggregate's real owner.

use authz::{Authorizer, Caller, Ceiling, Decision, Holding, Place, Requirement, Role, Target};
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
    /// The check, then the no-escalation rule for granting these roles at this place: a
    /// membership change.
    Grant(Requirement, Target<'a>, Place, &'a [String]),
    /// The check, then the no-escalation rule over every membership of the user the target
    /// is: changing their credentials or removing them.
    TakeOver(Requirement, Target<'a>),
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

    /// The user whose memberships a command puts at stake (it changes their credentials or
    /// removes them), so that the actor applies the no-escalation rule over them.
    fn at_stake<'k>(_key: &'k AggregateKey, _cmd: &Self::Command) -> Option<&'k str> {
        None
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
/// alternative that would also do). The gateway and the actors both go through it. A take-over
/// is checked here for its permission only: its ceiling needs the user's memberships, which the
/// actor has ([`authorize_take_over`]).
pub fn authorize(authz: &Authorizer, caller: &Caller, access: Access<'_>) -> Result<()> {
    match access {
        Access::ServiceOnly => Ok(()),
        Access::Check(req, target) | Access::TakeOver(req, target) => {
            check(authz, caller, req, &target)
        }
        Access::Grant(req, target, place, roles) => {
            check(authz, caller, req, &target)?;
            let roles = roles.iter().filter_map(|n| Role::from_name(n)).collect();
            let instance = target.instance().unwrap_or_default();
            ceiling(
                authz.may_grant(caller, instance, &place, roles),
                "grant these roles",
            )
        }
    }
}

/// [`authorize`], and for a take-over its ceiling over `holdings`, the memberships of the user
/// at stake. A take-over by someone else without them is refused: the check fails closed.
pub fn authorize_take_over(
    authz: &Authorizer,
    caller: &Caller,
    access: Access<'_>,
    holdings: Option<&[Holding]>,
) -> Result<()> {
    let Access::TakeOver(req, target) = access else {
        return authorize(authz, caller, access);
    };
    check(authz, caller, req, &target)?;
    let (Some(instance), Some(user)) = (target.instance(), target.user()) else {
        return Err(Error::internal("a take-over must target a user"));
    };
    match holdings {
        Some(h) => may_take_over(authz, caller, instance, user, h),
        // Without the user's memberships only oneself and internal flows pass.
        None => match authz.may_take_over(caller, instance, user, &[]) {
            Ceiling::Within(authz::Within::NotAnEscalation) => Ok(()),
            Ceiling::Within(_) | Ceiling::Beyond { .. } => Err(Error::internal(
                "the memberships of the user at stake were not read",
            )),
        },
    }
}

/// The no-escalation rule for a take-over of `user`, who holds `holdings`: 403 `AUTHZ-0002`
/// naming what the caller lacks.
pub fn may_take_over(
    authz: &Authorizer,
    caller: &Caller,
    instance: &str,
    user: &str,
    holdings: &[Holding],
) -> Result<()> {
    ceiling(
        authz.may_take_over(caller, instance, user, holdings),
        "change this user's credentials or remove them",
    )
}

fn check(authz: &Authorizer, caller: &Caller, req: Requirement, target: &Target<'_>) -> Result<()> {
    decided(authz.check(caller, req, target))
}

/// A decision as a result: a denial is 403 `AUTHZ-0001`, naming the missing permission.
pub fn decided(decision: Decision) -> Result<()> {
    match decision {
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

/// A ceiling's refusal: 403 `AUTHZ-0002`, naming the permissions the caller lacks and where.
fn ceiling(answer: Ceiling, what: &str) -> Result<()> {
    match answer {
        Ceiling::Within(_) => Ok(()),
        Ceiling::Beyond { place, lacks } => {
            let missing = authz::names(lacks).join(",");
            let at = place.resource().to_string();
            Err(Error::new(
                Code::Escalation,
                format!(
                    "to {what} the caller needs every permission at stake on {at}, or to own it; \
                     missing: {missing}"
                ),
            )
            .with("missing", missing)
            .with("at", at))
        }
    }
}
