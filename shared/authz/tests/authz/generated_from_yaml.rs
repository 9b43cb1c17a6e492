//! For every role at its level and every one of the 125 permissions: allowed in scope exactly
//! when the YAML says so, and never outside the membership's scope. The expectation is read
//! from the YAML text by a parser of its own, not by the crate's loader.

use std::collections::{BTreeMap, BTreeSet};

use authz::{Decision, Level, Permission, Requirement, Resource, Role, Target};

use crate::world::*;

fn yaml_oracle() -> BTreeMap<String, BTreeSet<String>> {
    authz::DEFAULT_ROLE_MAP_YAML
        .lines()
        .filter_map(|l| {
            let (role, list) = l.trim().split_once(": [")?;
            let perms = list
                .trim_end_matches(']')
                .split(',')
                .map(|p| p.trim().trim_matches('"').to_string())
                .collect();
            Some((role.to_string(), perms))
        })
        .collect()
}

/// The membership resource for a role's level, and targets inside and outside its reach.
fn scenario(level: Level) -> (Resource, Vec<Target<'static>>, Vec<Target<'static>>) {
    let other_instance_org = Target::Org {
        instance: I2,
        org: "org-a",
    };
    match level {
        Level::System => (
            Resource::System,
            vec![Target::System],
            vec![other_instance_org],
        ),
        Level::Instance => (
            Resource::Instance,
            vec![
                Target::Instance { instance: I1 },
                Target::Org {
                    instance: I1,
                    org: "org-a",
                },
                user(I1, "org-b", "u-9"),
                Target::Project {
                    instance: I1,
                    org: "org-b",
                    project: "p-b",
                },
            ],
            vec![other_instance_org, Target::System, user(I2, "org-a", "u-1")],
        ),
        Level::Org => (
            Resource::Org("org-a".into()),
            vec![
                Target::Org {
                    instance: I1,
                    org: "org-a",
                },
                user(I1, "org-a", "u-9"),
                Target::Project {
                    instance: I1,
                    org: "org-a",
                    project: "p-a",
                },
                Target::ProjectGrant {
                    instance: I1,
                    org: "org-a",
                    project: "p-a",
                    grant: "g-1",
                },
            ],
            vec![
                Target::Org {
                    instance: I1,
                    org: "org-b",
                },
                user(I1, "org-b", "u-9"),
                Target::Project {
                    instance: I1,
                    org: "org-b",
                    project: "p-b",
                },
                Target::Instance { instance: I1 },
                Target::Org {
                    instance: I2,
                    org: "org-a",
                },
            ],
        ),
        Level::Project => (
            Resource::Project("p-a".into()),
            vec![
                Target::Project {
                    instance: I1,
                    org: "org-a",
                    project: "p-a",
                },
                Target::ProjectGrant {
                    instance: I1,
                    org: "org-a",
                    project: "p-a",
                    grant: "g-1",
                },
            ],
            vec![
                Target::Project {
                    instance: I1,
                    org: "org-a",
                    project: "p-other",
                },
                Target::Org {
                    instance: I1,
                    org: "org-a",
                },
                user(I1, "org-a", "u-9"),
                Target::Project {
                    instance: I2,
                    org: "org-a",
                    project: "p-a",
                },
            ],
        ),
        Level::ProjectGrant => (
            Resource::ProjectGrant("g-1".into()),
            vec![
                Target::ProjectGrant {
                    instance: I1,
                    org: "org-a",
                    project: "p-a",
                    grant: "g-1",
                },
                Target::GrantedProject {
                    instance: I1,
                    granted_org: "org-b",
                    project: "p-a",
                    grant: "g-1",
                },
            ],
            vec![
                Target::ProjectGrant {
                    instance: I1,
                    org: "org-a",
                    project: "p-a",
                    grant: "g-2",
                },
                Target::GrantedProject {
                    instance: I1,
                    granted_org: "org-b",
                    project: "p-a",
                    grant: "g-2",
                },
                Target::Project {
                    instance: I1,
                    org: "org-a",
                    project: "p-a",
                },
                Target::GrantedProject {
                    instance: I2,
                    granted_org: "org-b",
                    project: "p-a",
                    grant: "g-1",
                },
            ],
        ),
    }
}

#[test]
fn every_role_allows_exactly_its_yaml_permissions_in_scope_and_nothing_outside() {
    let oracle = yaml_oracle();
    assert_eq!(oracle.len(), 26, "the YAML lists 26 roles");
    let all: BTreeSet<&String> = oracle.values().flatten().collect();
    assert_eq!(all.len(), 125, "the YAML uses 125 permissions");
    assert_eq!(Permission::all().count(), 125);

    let authz = authorizer();
    let mut checked = 0;
    for role in Role::ALL {
        let expected = &oracle[role.name()];
        let (resource, inside, outside) = scenario(role.level());
        // The caller is a user of an unrelated org so no self-management interferes.
        let caller = principal(I1, "org-z", "manager", &[(resource.clone(), &[role])]);
        for p in Permission::all() {
            let req = Requirement::plain(p);
            for target in &inside {
                let decision = authz.check(&caller, req, target);
                assert_eq!(
                    decision.is_allowed(),
                    expected.contains(p.name()),
                    "{role} on {resource:?} for {p} on {target:?}: {decision:?}"
                );
                match decision {
                    Decision::Allow { .. } => {}
                    Decision::Deny { missing, .. } => assert_eq!(missing, p),
                }
                checked += 1;
            }
            for target in &outside {
                assert!(
                    !authz.check(&caller, req, target).is_allowed(),
                    "{role} on {resource:?} must not reach {target:?} for {p}"
                );
            }
        }
    }
    assert!(checked > 26 * 125);
}

#[test]
fn allow_names_the_membership_and_role_that_granted_it() {
    let authz = authorizer();
    let caller = principal(
        I1,
        "org-z",
        "m",
        &[(
            Resource::Org("org-a".into()),
            &[Role::OrgOwnerViewer, Role::OrgUserManager],
        )],
    );
    let decision = authz.check(
        &caller,
        Requirement::plain(Permission::USER_DELETE),
        &user(I1, "org-a", "u-1"),
    );
    assert_eq!(
        decision,
        Decision::Allow {
            because: authz::Because::Membership {
                resource: Resource::Org("org-a".into()),
                role: Role::OrgUserManager,
                permission: Permission::USER_DELETE,
            }
        }
    );
}

#[test]
fn global_read_finds_users_of_other_orgs_by_login_name_only() {
    let authz = authorizer();
    let project_owner = principal(
        I1,
        "org-a",
        "m",
        &[(Resource::Project("p-a".into()), &[Role::ProjectOwner])],
    );
    assert!(authz
        .may_find_by_login_name(&project_owner, I1)
        .is_allowed());
    assert!(!authz
        .may_find_by_login_name(&project_owner, I2)
        .is_allowed());
    // ...which is not a right to read or list them.
    let read = Requirement::plain(Permission::USER_READ);
    assert!(!authz
        .check(&project_owner, read, &user(I1, "org-b", "u-2"))
        .is_allowed());
    let nobody = principal(I1, "org-a", "n", &[]);
    assert!(!authz.may_find_by_login_name(&nobody, I1).is_allowed());
}
