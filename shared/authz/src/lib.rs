//! The permission model of Portcullis: 26 manager roles at five levels, the role -> permission
//! map as data, memberships scoped to their resource, self-management as named variants of the
//! check, explainable decisions, and readable scopes for list queries.
//!
//! Pure: no I/O, no clock. The gateway, the command actors and the queries all call this code.

mod catalog;
mod ceiling;
mod check;
mod impersonation;
mod membership;
mod ops;
mod role_map;
mod scope;
mod target;

pub use catalog::{Level, MemberPermissions, PermSet, Permission, Role, RoleSet};
pub use ceiling::{names, Ceiling, Holding, Holdings, Place, Within};
pub use check::{
    Authorizer, Because, Caller, Decision, InternalFlow, Principal, Requirement, SelfPolicy,
};
pub use membership::{Membership, Memberships};
pub use ops::UserOp;
pub use role_map::{RoleMap, RoleMapError, DEFAULT_ROLE_MAP_YAML};
pub use scope::{Limited, ReadScope};
pub use target::{Resource, Target};
