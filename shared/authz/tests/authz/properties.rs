//! Property tests: random memberships and targets.

use authz::{Decision, Permission, Requirement, Resource, Role, RoleMap, SelfPolicy, Target};
use proptest::prelude::*;

use crate::world::*;

/// Membership resources of the small world.
fn resources() -> Vec<Resource> {
    let mut r = vec![Resource::System, Resource::Instance];
    r.extend(["o1", "o2", "o3"].map(|o| Resource::Org(o.into())));
    r.extend(["p1", "p2"].map(|p| Resource::Project(p.into())));
    r.extend(["g1", "g2", "g3"].map(|g| Resource::ProjectGrant(g.into())));
    r
}

/// Every target of the world: p1 is o1's, p2 is o2's; g1 grants p1 to o2, g2 p1 to o3, g3 p2
/// to o1. "me" (the caller) is a user of o1.
fn targets(instance: &'static str) -> Vec<Target<'static>> {
    let mut t = vec![Target::Instance { instance }];
    for org in ["o1", "o2", "o3"] {
        t.push(Target::Org { instance, org });
    }
    for (org, u) in [("o1", "me"), ("o1", "u1"), ("o2", "u2"), ("o3", "u3")] {
        t.push(Target::User {
            instance,
            org,
            user: u,
        });
    }
    for (org, project) in [("o1", "p1"), ("o2", "p2")] {
        t.push(Target::Project {
            instance,
            org,
            project,
        });
    }
    for (org, project, grant, granted_org) in [
        ("o1", "p1", "g1", "o2"),
        ("o1", "p1", "g2", "o3"),
        ("o2", "p2", "g3", "o1"),
    ] {
        t.push(Target::ProjectGrant {
            instance,
            org,
            project,
            grant,
        });
        t.push(Target::GrantedProject {
            instance,
            granted_org,
            project,
            grant,
        });
    }
    t
}

/// The resources whose memberships reach a target, written as the owner chain of each kind.
fn owner_chain(t: &Target<'_>) -> Vec<Resource> {
    let org = |o: &str| Resource::Org(o.into());
    match *t {
        Target::System => vec![Resource::System],
        Target::Instance { .. } => vec![Resource::Instance],
        Target::Org { org: o, .. } | Target::User { org: o, .. } => {
            vec![Resource::Instance, org(o)]
        }
        Target::Project {
            org: o, project, ..
        } => vec![
            Resource::Instance,
            org(o),
            Resource::Project(project.into()),
        ],
        Target::ProjectGrant {
            org: o,
            project,
            grant,
            ..
        } => vec![
            Resource::Instance,
            org(o),
            Resource::Project(project.into()),
            Resource::ProjectGrant(grant.into()),
        ],
        Target::GrantedProject {
            granted_org, grant, ..
        } => {
            vec![
                Resource::Instance,
                org(granted_org),
                Resource::ProjectGrant(grant.into()),
            ]
        }
    }
}

type Grants = Vec<(Resource, Vec<Role>)>;

fn memberships() -> impl Strategy<Value = Grants> {
    let res = resources();
    prop::collection::vec(
        (0..res.len(), prop::collection::vec(0..26usize, 1..4)),
        0..8,
    )
    .prop_map(move |raw| {
        // One membership per resource, as in the product (setting roles replaces them).
        let mut seen = std::collections::BTreeSet::new();
        raw.into_iter()
            .filter(|(ri, _)| seen.insert(*ri))
            .filter_map(|(ri, roles)| {
                let resource = res[ri].clone();
                let roles: Vec<Role> = roles
                    .into_iter()
                    .map(|i| Role::ALL[i])
                    .filter(|r| r.level() == resource.level())
                    .collect();
                (!roles.is_empty()).then_some((resource, roles))
            })
            .collect()
    })
}

fn caller_of(grants: &Grants) -> authz::Caller {
    let as_slices: Vec<(Resource, &[Role])> = grants
        .iter()
        .map(|(r, roles)| (r.clone(), roles.as_slice()))
        .collect();
    principal(I1, "o1", "me", &as_slices)
}

fn permission() -> impl Strategy<Value = Permission> {
    (0..125usize).prop_map(|i| Permission::all().nth(i).unwrap())
}

fn self_policy() -> impl Strategy<Value = SelfPolicy> {
    prop_oneof![
        Just(SelfPolicy::Never),
        Just(SelfPolicy::Allowed),
        Just(SelfPolicy::OrPermission(Permission::USER_SELF_DELETE)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn allowed_exactly_when_an_in_scope_membership_role_maps_the_permission(
        grants in memberships(),
        p in permission(),
        ti in 0..40usize,
    ) {
        let map = RoleMap::default_map();
        let authz = authorizer();
        let caller = caller_of(&grants);
        let mut all = targets(I1);
        all.extend(targets(I2));
        all.push(Target::System);
        let target = all[ti % all.len()];
        let in_instance = target.instance().is_none_or(|i| i == I1);
        let chain = owner_chain(&target);
        let expected = in_instance && grants.iter().any(|(resource, roles)| {
            chain.contains(resource)
                && (*resource == Resource::System) == p.name().starts_with("system.")
                && roles.iter().any(|r| map.permissions(*r).contains(p))
        });
        let decision = authz.check(&caller, Requirement::plain(p), &target);
        prop_assert_eq!(decision.is_allowed(), expected, "{:?}", decision);
        if let Decision::Deny { missing, .. } = decision {
            prop_assert_eq!(missing, p);
        }
    }

    #[test]
    fn readable_scope_agrees_with_the_check_on_every_row(
        grants in memberships(),
        p in permission(),
        policy in self_policy(),
    ) {
        let authz = authorizer();
        let caller = caller_of(&grants);
        let req = Requirement::with_self(p, policy);
        let scope = authz.readable_scope(&caller, req, I1);
        for target in targets(I1) {
            prop_assert_eq!(
                scope.covers(&target),
                authz.check(&caller, req, &target).is_allowed(),
                "{:?} {:?} {:?}", target, scope, req
            );
        }
        // Nothing of another instance is ever in scope.
        prop_assert!(authz.readable_scope(&caller, req, I2).is_nothing());
    }
}
