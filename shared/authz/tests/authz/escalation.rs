//! No escalation: granting roles and taking over users stay under the caller's ceiling. The
//! property: whatever sequence of allowed grants and take-overs a caller makes (acting as
//! itself or as any user it took over), nobody it controls ends up reaching a permission it
//! could not reach before, counting as reachable what the levels it owns may hand out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use authz::{
    Caller, Ceiling, Holding, MemberPermissions, Memberships, Permission, Place, Principal,
    Requirement, Role, RoleMap, RoleSet, Target, Within,
};
use proptest::prelude::*;

use crate::world::*;

/// Every place of the small world: p1 is o1's, p2 is o2's; g1 grants p1 to o2, g2 p1 to o3,
/// g3 p2 to o1.
fn places() -> Vec<Place> {
    let mut out = vec![Place::System, Place::Instance];
    for org in ["o1", "o2", "o3"] {
        out.push(Place::Org { org: org.into() });
    }
    for (org, project) in [("o1", "p1"), ("o2", "p2")] {
        out.push(Place::Project {
            org: org.into(),
            project: project.into(),
        });
    }
    for (org, project, grant, granted_org) in [
        ("o1", "p1", "g1", "o2"),
        ("o1", "p1", "g2", "o3"),
        ("o2", "p2", "g3", "o1"),
    ] {
        out.push(Place::ProjectGrant {
            org: org.into(),
            project: project.into(),
            grant: grant.into(),
            granted_org: granted_org.into(),
        });
    }
    out
}

/// Every target a permission is checked on: the places' own, what grants reach in the granted
/// orgs, and users of each org that are nobody in the game (so self-management never counts).
fn targets() -> Vec<Target<'static>> {
    static PLACES: std::sync::OnceLock<Vec<Place>> = std::sync::OnceLock::new();
    let places = PLACES.get_or_init(places);
    let mut out: Vec<Target<'static>> = places.iter().flat_map(|p| p.reaches(I1)).collect();
    for org in ["o1", "o2", "o3"] {
        out.push(Target::User {
            instance: I1,
            org,
            user: "outsider",
        });
    }
    out
}

type Holdings = BTreeMap<Place, RoleSet>;

fn caller(user: &str, holdings: &Holdings) -> Caller {
    let map = RoleMap::default_map();
    let memberships =
        Memberships::from_grants(holdings.iter().map(|(p, r)| (p.resource(), *r)), &map);
    Caller::Principal(Arc::new(Principal {
        instance: I1.into(),
        org: "o1".into(),
        user: user.into(),
        memberships,
    }))
}

fn holdings_list(h: &Holdings) -> Vec<Holding> {
    h.iter()
        .map(|(place, roles)| Holding {
            place: place.clone(),
            roles: *roles,
        })
        .collect()
}

fn owns(role: Role) -> bool {
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

/// What `h` reaches, and what the levels it owns could hand out: (permission, target index).
fn potential(h: &Holdings) -> BTreeSet<(Permission, usize)> {
    let map = RoleMap::default_map();
    let targets = targets();
    let mut places: Vec<(Place, Vec<Role>)> = h
        .iter()
        .map(|(p, r)| (p.clone(), r.iter().collect()))
        .collect();
    for (owned, roles) in h {
        if roles.iter().any(owns) {
            for place in places_under(owned) {
                let level = place.resource().level();
                places.push((
                    place,
                    Role::ALL
                        .into_iter()
                        .filter(|r| r.level() == level)
                        .collect(),
                ));
            }
        }
    }
    let mut out = BTreeSet::new();
    for (place, roles) in places {
        let resource = place.resource();
        for role in roles {
            for p in map.permissions(role).iter() {
                for (i, t) in targets.iter().enumerate() {
                    if t.covered_by(&resource) {
                        out.insert((p, i));
                    }
                }
            }
        }
    }
    out
}

/// The places whose target a membership at `owned` covers.
fn places_under(owned: &Place) -> Vec<Place> {
    let resource = owned.resource();
    places()
        .into_iter()
        .filter(|p| p.target(I1).covered_by(&resource))
        .collect()
}

/// What `h` reaches now, by the check itself.
fn reach(user: &str, h: &Holdings) -> BTreeSet<(Permission, usize)> {
    let authz = authorizer();
    let c = caller(user, h);
    let mut out = BTreeSet::new();
    for (i, t) in targets().iter().enumerate() {
        for p in Permission::all() {
            if authz.check(&c, Requirement::plain(p), t).is_allowed() {
                out.insert((p, i));
            }
        }
    }
    out
}

#[derive(Clone, Debug)]
enum Step {
    /// The actor grants roles at a place to a user (of the coalition, or not).
    Grant {
        actor: usize,
        place: usize,
        roles: Vec<usize>,
        to: usize,
    },
    /// The actor takes over the victim's credentials.
    TakeOver { actor: usize, victim: usize },
}

const USERS: usize = 4;

fn roles_at(place: &Place, picks: &[usize]) -> RoleSet {
    let level = place.resource().level();
    let of_level: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| r.level() == level)
        .collect();
    picks.iter().map(|i| of_level[i % of_level.len()]).collect()
}

fn world() -> impl Strategy<Value = Vec<Holdings>> {
    let n = places().len();
    prop::collection::vec(
        prop::collection::vec((0..n, prop::collection::vec(0..10usize, 1..3)), 0..4),
        USERS,
    )
    .prop_map(|users| {
        let places = places();
        users
            .into_iter()
            .map(|raw| {
                raw.into_iter()
                    .map(|(pi, picks)| (places[pi].clone(), roles_at(&places[pi], &picks)))
                    .collect()
            })
            .collect()
    })
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let n = places().len();
    let step = prop_oneof![
        (
            0..USERS,
            0..n,
            prop::collection::vec(0..10usize, 1..3),
            0..USERS
        )
            .prop_map(|(actor, place, roles, to)| Step::Grant {
                actor,
                place,
                roles,
                to
            }),
        (0..USERS, 0..USERS).prop_map(|(actor, victim)| Step::TakeOver { actor, victim }),
    ];
    prop::collection::vec(step, 1..10)
}

fn name(u: usize) -> String {
    format!("user{u}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_sequence_of_allowed_calls_escalates(mut users in world(), steps in steps()) {
        let authz = authorizer();
        // user0 is the attacker; the coalition is every user it controls.
        let ceiling = potential(&users[0]);
        let mut coalition = BTreeSet::from([0usize]);
        for step in steps {
            match step {
                Step::Grant { actor, place, roles, to } => {
                    if !coalition.contains(&actor) {
                        continue;
                    }
                    let place = places()[place].clone();
                    let roles = roles_at(&place, &roles);
                    let c = caller(&name(actor), &users[actor]);
                    // The member permission of the level, then the ceiling.
                    let members = match place {
                        Place::System => continue,
                        Place::Instance => MemberPermissions::IAM,
                        Place::Org { .. } => MemberPermissions::ORG,
                        Place::Project { .. } => MemberPermissions::PROJECT,
                        Place::ProjectGrant { .. } => MemberPermissions::PROJECT_GRANT,
                    };
                    let may = authz
                        .check(&c, Requirement::plain(members.write), &place.target(I1))
                        .is_allowed()
                        && authz.may_grant(&c, I1, &place, roles).is_within();
                    if may {
                        users[to].insert(place, roles);
                    }
                }
                Step::TakeOver { actor, victim } => {
                    if !coalition.contains(&actor) {
                        continue;
                    }
                    let c = caller(&name(actor), &users[actor]);
                    let held = holdings_list(&users[victim]);
                    if authz.may_take_over(&c, I1, &name(victim), &held).is_within() {
                        coalition.insert(victim);
                    }
                }
            }
            for u in &coalition {
                let gained: Vec<_> = reach(&name(*u), &users[*u])
                    .difference(&ceiling)
                    .map(|(p, t)| (p.name(), targets()[*t]))
                    .collect();
                prop_assert!(gained.is_empty(), "user{} gained {:?}", u, gained);
            }
        }
    }
}

#[test]
fn the_instance_owner_grants_a_role_with_a_permission_it_lacks() {
    let authz = authorizer();
    let owner = principal(
        I1,
        "o1",
        "me",
        &[(authz::Resource::Instance, &[Role::IamOwner])],
    );
    let login: RoleSet = [Role::IamLoginClient].into_iter().collect();
    assert!(!RoleMap::default_map()
        .permissions(Role::IamOwner)
        .contains(Permission::SESSION_LINK));
    assert_eq!(
        authz.may_grant(&owner, I1, &Place::Instance, login),
        Ceiling::Within(Within::Owner {
            resource: authz::Resource::Instance,
            role: Role::IamOwner
        })
    );
}

#[test]
fn a_login_client_cannot_make_itself_instance_owner() {
    let authz = authorizer();
    let client = principal(
        I1,
        "o1",
        "me",
        &[(authz::Resource::Instance, &[Role::IamLoginClient])],
    );
    let owner: RoleSet = [Role::IamOwner].into_iter().collect();
    let Ceiling::Beyond { lacks, place } = authz.may_grant(&client, I1, &Place::Instance, owner)
    else {
        panic!("IAM_LOGIN_CLIENT granted IAM_OWNER");
    };
    assert_eq!(place, Place::Instance);
    assert!(lacks.contains(Permission::IAM_WRITE));
    assert!(!lacks.contains(Permission::IAM_MEMBER_WRITE));
    // Its own role, which it holds in full, it may hand on.
    let same: RoleSet = [Role::IamLoginClient].into_iter().collect();
    assert_eq!(
        authz.may_grant(&client, I1, &Place::Instance, same),
        Ceiling::Within(Within::HoldsAll)
    );
}

#[test]
fn no_instance_role_takes_over_a_system_user() {
    let authz = authorizer();
    let iam_owner = principal(
        I1,
        "o1",
        "me",
        &[(authz::Resource::Instance, &[Role::IamOwner])],
    );
    let system = [Holding {
        place: Place::System,
        roles: [Role::SystemOwner].into_iter().collect(),
    }];
    let answer = authz.may_take_over(&iam_owner, I1, "system", &system);
    let Ceiling::Beyond { lacks, .. } = answer else {
        panic!("an IAM_OWNER took over a SYSTEM_OWNER: {answer:?}");
    };
    assert!(lacks.contains(Permission::SYSTEM_INSTANCE_WRITE));
    // A user with no memberships, and oneself, are never at stake.
    assert_eq!(
        authz.may_take_over(&iam_owner, I1, "plain", &[]),
        Ceiling::Within(Within::NothingAtStake)
    );
    assert_eq!(
        authz.may_take_over(&iam_owner, I1, "me", &system),
        Ceiling::Within(Within::NotAnEscalation)
    );
}

#[test]
fn an_org_owner_owns_its_projects_and_grants_but_not_other_orgs() {
    let authz = authorizer();
    let owner = principal(
        I1,
        "o1",
        "me",
        &[(authz::Resource::Org("o1".into()), &[Role::OrgOwner])],
    );
    let grant_owner = [Holding {
        place: Place::ProjectGrant {
            org: "o1".into(),
            project: "p1".into(),
            grant: "g1".into(),
            granted_org: "o2".into(),
        },
        roles: [Role::ProjectGrantOwner].into_iter().collect(),
    }];
    assert!(authz
        .may_take_over(&owner, I1, "u", &grant_owner)
        .is_within());
    let elsewhere = [Holding {
        place: Place::Org { org: "o2".into() },
        roles: [Role::OrgOwnerViewer].into_iter().collect(),
    }];
    assert!(!authz.may_take_over(&owner, I1, "u", &elsewhere).is_within());
}

#[test]
fn an_org_manager_of_the_instance_neither_takes_over_nor_makes_an_org_owner() {
    let authz = authorizer();
    let manager = principal(
        I1,
        "o1",
        "me",
        &[(authz::Resource::Instance, &[Role::IamOrgManager])],
    );
    let o1 = Place::Org { org: "o1".into() };
    let owner: RoleSet = [Role::OrgOwner].into_iter().collect();
    // It holds every permission of ORG_OWNER, but not of every role an org owner hands out
    // (ORG_PROJECT_CREATOR's project.read:self, the impersonators').
    let Ceiling::Beyond { lacks, .. } = authz.may_grant(&manager, I1, &o1, owner) else {
        panic!("IAM_ORG_MANAGER made an ORG_OWNER");
    };
    assert!(lacks.contains(Permission::IMPERSONATION), "{lacks:?}");
    let held = [Holding {
        place: o1.clone(),
        roles: owner,
    }];
    assert!(!authz
        .may_take_over(&manager, I1, "someone", &held)
        .is_within());
    // A role it holds in full it still hands out.
    let users: RoleSet = [Role::OrgUserManager].into_iter().collect();
    assert!(authz.may_grant(&manager, I1, &o1, users).is_within());
}
