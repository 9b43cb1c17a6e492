//! A small world of two instances, orgs, projects and grants, shared by the tests.

use std::sync::Arc;

use authz::{Authorizer, Caller, Memberships, Principal, Resource, Role, RoleMap, RoleSet, Target};

pub const I1: &str = "inst-1";
pub const I2: &str = "inst-2";

pub fn authorizer() -> Authorizer {
    Authorizer::new(RoleMap::default_map())
}

pub fn principal(instance: &str, org: &str, user: &str, grants: &[(Resource, &[Role])]) -> Caller {
    let map = RoleMap::default_map();
    let memberships = Memberships::from_grants(
        grants
            .iter()
            .map(|(r, roles)| (r.clone(), roles.iter().copied().collect::<RoleSet>())),
        &map,
    );
    Caller::Principal(Arc::new(Principal {
        instance: instance.into(),
        org: org.into(),
        user: user.into(),
        memberships,
    }))
}

pub fn user<'a>(instance: &'a str, org: &'a str, user: &'a str) -> Target<'a> {
    Target::User {
        instance,
        org,
        user,
    }
}
