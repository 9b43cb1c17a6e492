//! No escalation: the ceiling on what a caller may hand out or take over.
//!
//! - Granting roles on a resource needs every permission those roles give on it, or ownership of
//!   that resource's level or of one above it ([`Authorizer::may_grant`]). An owner role gives
//!   the power to hand out every role at and below its level, so it puts all of them at stake.
//! - Changing a user's credentials (password, tokens, secrets) or removing the user needs, for
//!   each of that user's memberships, every permission it gives where it is held, or ownership
//!   of a level that contains it ([`Authorizer::may_take_over`]): whoever controls a user's
//!   credentials acts with the user's permissions.
//!
//! Oneself is always allowed what self-management allows, and internal flows (the login, setup,
//! cascades after the caller's own check) are not callers that could escalate.

use crate::target::{Resource, Target};
use crate::{Caller, PermSet, Permission, Principal, Role, RoleSet};

/// Where a membership is held, with the owner chain a check needs (an owned [`Target`]).
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Place {
    System,
    Instance,
    Org {
        org: String,
    },
    Project {
        org: String,
        project: String,
    },
    /// A grant of `org`'s project to `granted_org`.
    ProjectGrant {
        org: String,
        project: String,
        grant: String,
        granted_org: String,
    },
}

impl Place {
    /// The place as a check's target in `instance`.
    pub fn target<'a>(&'a self, instance: &'a str) -> Target<'a> {
        match self {
            Place::System => Target::System,
            Place::Instance => Target::Instance { instance },
            Place::Org { org } => Target::Org { instance, org },
            Place::Project { org, project } => Target::Project {
                instance,
                org,
                project,
            },
            Place::ProjectGrant {
                org,
                project,
                grant,
                ..
            } => Target::ProjectGrant {
                instance,
                org,
                project,
                grant,
            },
        }
    }

    /// Every kind of target a membership at the place reaches: a grant's members act on the
    /// grant and, through it, in the granted org.
    pub fn reaches<'a>(&'a self, instance: &'a str) -> Vec<Target<'a>> {
        match self {
            Place::ProjectGrant {
                project,
                grant,
                granted_org,
                ..
            } => vec![
                self.target(instance),
                Target::GrantedProject {
                    instance,
                    granted_org,
                    project,
                    grant,
                },
            ],
            Place::System | Place::Instance | Place::Org { .. } | Place::Project { .. } => {
                vec![self.target(instance)]
            }
        }
    }

    /// The membership resource of the place.
    pub fn resource(&self) -> Resource {
        match self {
            Place::System => Resource::System,
            Place::Instance => Resource::Instance,
            Place::Org { org } => Resource::Org(org.clone()),
            Place::Project { project, .. } => Resource::Project(project.clone()),
            Place::ProjectGrant { grant, .. } => Resource::ProjectGrant(grant.clone()),
        }
    }
}

/// One membership of a user whose credentials are at stake: the roles, and where.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holding {
    pub place: Place,
    pub roles: RoleSet,
}

/// Every membership a user holds, read from the resources that hold them.
pub type Holdings = Vec<Holding>;

/// Why the ceiling let a caller through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Within {
    /// The caller owns the level (or one above it).
    Owner { resource: Resource, role: Role },
    /// The caller holds every permission at stake.
    HoldsAll,
    /// Nothing is at stake: no roles, or a user without memberships.
    NothingAtStake,
    /// The caller acts on themself, or is an internal flow.
    NotAnEscalation,
}

/// The answer of the ceiling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ceiling {
    Within(Within),
    /// `lacks`: the permissions the caller does not hold at `place`, which it does not own.
    Beyond {
        place: Place,
        lacks: PermSet,
    },
}

impl Ceiling {
    pub fn is_within(&self) -> bool {
        matches!(self, Ceiling::Within(_))
    }
}

/// The roles that own each level: their holder may hand out anything at and below it.
fn owns_level(role: Role) -> bool {
    matches!(
        role,
        Role::SystemOwner
            | Role::IamOwner
            | Role::OrgOwner
            | Role::ProjectOwner
            | Role::ProjectOwnerGlobal
            | Role::ProjectGrantOwner
    )
}

/// The roles whose permissions `roles` at `place` put at stake: themselves, or, when one of
/// them owns the level, every role at and below it, since an owner hands them all out. (So
/// only who owns the level, or holds all of that, may grant an owner role or take over an
/// owner.)
fn at_stake(place: &Place, roles: RoleSet) -> RoleSet {
    if !roles.iter().any(owns_level) {
        return roles;
    }
    let level = place.resource().level();
    Role::ALL
        .into_iter()
        .filter(|r| r.level() >= level)
        .collect()
}

impl crate::Authorizer {
    /// May `caller` grant `roles` at `place` (in `instance`)?
    pub fn may_grant(
        &self,
        caller: &Caller,
        instance: &str,
        place: &Place,
        roles: RoleSet,
    ) -> Ceiling {
        let principal = match caller {
            Caller::Internal { .. } => return Ceiling::Within(Within::NotAnEscalation),
            Caller::Principal(p) => p,
        };
        self.within(principal, instance, place, roles)
    }

    /// May `caller` change the credentials of `user` (of `instance`), or remove them, given
    /// every membership the user holds?
    pub fn may_take_over(
        &self,
        caller: &Caller,
        instance: &str,
        user: &str,
        holdings: &[Holding],
    ) -> Ceiling {
        let principal = match caller {
            Caller::Internal { .. } => return Ceiling::Within(Within::NotAnEscalation),
            Caller::Principal(p) => p,
        };
        if principal.user == user && principal.instance == instance {
            return Ceiling::Within(Within::NotAnEscalation);
        }
        let mut answer = Ceiling::Within(Within::NothingAtStake);
        for h in holdings {
            match self.within(principal, instance, &h.place, h.roles) {
                beyond @ Ceiling::Beyond { .. } => return beyond,
                Ceiling::Within(Within::NothingAtStake) => {}
                within => answer = within,
            }
        }
        answer
    }

    fn within(
        &self,
        principal: &Principal,
        instance: &str,
        place: &Place,
        roles: RoleSet,
    ) -> Ceiling {
        let at_stake = self.role_map().permissions_of(at_stake(place, roles));
        if at_stake.is_empty() {
            return Ceiling::Within(Within::NothingAtStake);
        }
        let target = place.target(instance);
        if let Some((resource, role)) = owner_of(principal, &target) {
            return Ceiling::Within(Within::Owner { resource, role });
        }
        let reached = place.reaches(instance);
        let lacks: PermSet = at_stake
            .iter()
            .filter(|p| {
                reached
                    .iter()
                    .any(|t| self.granted(principal, *p, t).is_none())
            })
            .collect();
        if lacks.is_empty() {
            Ceiling::Within(Within::HoldsAll)
        } else {
            Ceiling::Beyond {
                place: place.clone(),
                lacks,
            }
        }
    }
}

/// The caller's owner membership that covers `target`, if any.
fn owner_of(principal: &Principal, target: &Target<'_>) -> Option<(Resource, Role)> {
    let same_instance = match target.instance() {
        Some(i) => i == principal.instance,
        None => true,
    };
    if !same_instance {
        return None;
    }
    principal.memberships.iter().find_map(|m| {
        let role = m.roles.iter().find(|r| owns_level(*r))?;
        target
            .covered_by(&m.resource)
            .then(|| (m.resource.clone(), role))
    })
}

/// The permission names a refusal lists, in catalog order.
pub fn names(perms: PermSet) -> Vec<&'static str> {
    perms.iter().map(Permission::name).collect()
}
