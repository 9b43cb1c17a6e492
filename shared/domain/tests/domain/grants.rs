//! Given / when / then for project grants (in the Project aggregate), user grants, and org
//! renames.

use domain::members::MemberCommand;
use domain::org::{Org, OrgCommand as OC, OrgEvent as OE};
use domain::project::{GrantCommand as G, Project, ProjectCommand as C, ProjectEvent as E};
use domain::testing::given;
use domain::user_grant::{GrantScope, UserGrant, UserGrantCommand as UC, UserGrantEvent as UE};
use domain::Code;

fn s(v: &str) -> String {
    v.to_string()
}

fn v(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| s(k)).collect()
}

fn project_with_roles() -> Vec<E> {
    let mut events = vec![E::Added {
        org_id: s("org-a"),
        name: s("Shop"),
        assert_roles: false,
    }];
    for k in ["admin", "editor", "viewer"] {
        events.push(E::RoleAdded {
            key: s(k),
            display_name: s(k),
            group: None,
        });
    }
    events
}

fn granted() -> E {
    E::GrantAdded {
        grant_id: s("g1"),
        granted_org_id: s("org-b"),
        roles: v(&["editor", "viewer"]),
    }
}

fn with(mut events: Vec<E>, more: &[E]) -> Vec<E> {
    events.extend_from_slice(more);
    events
}

#[test]
fn a_grant_holds_only_roles_of_the_project_and_never_goes_to_the_owner() {
    given::<Project>(&project_with_roles())
        .when(C::Grant(G::Add {
            grant_id: s("g1"),
            granted_org_id: s("org-b"),
            role_keys: v(&["viewer", "editor", "viewer"]),
        }))
        .then(&[granted()]);
    given::<Project>(&project_with_roles())
        .when(C::Grant(G::Add {
            grant_id: s("g1"),
            granted_org_id: s("org-b"),
            role_keys: v(&["owner"]),
        }))
        .then_error(Code::ProjectRoleNotFound);
    given::<Project>(&project_with_roles())
        .when(C::Grant(G::Add {
            grant_id: s("g1"),
            granted_org_id: s("org-a"),
            role_keys: v(&["viewer"]),
        }))
        .then_error(Code::GrantToOwnOrg);
    given::<Project>(&with(project_with_roles(), &[granted()]))
        .when(C::Grant(G::Add {
            grant_id: s("g2"),
            granted_org_id: s("org-b"),
            role_keys: v(&["viewer"]),
        }))
        .then_error(Code::GrantExists);
}

#[test]
fn grants_change_and_go_and_removing_a_role_strips_it_from_grants() {
    let events = with(project_with_roles(), &[granted()]);
    given::<Project>(&events)
        .when(C::Grant(G::Change {
            grant_id: s("g1"),
            role_keys: v(&["viewer"]),
        }))
        .then(&[E::GrantChanged {
            grant_id: s("g1"),
            roles: v(&["viewer"]),
        }]);
    given::<Project>(&events)
        .when(C::Grant(G::Change {
            grant_id: s("g1"),
            role_keys: v(&["editor", "viewer"]),
        }))
        .then(&[]);
    given::<Project>(&events)
        .when(C::Grant(G::Remove { grant_id: s("g9") }))
        .then_error(Code::GrantNotFound);
    given::<Project>(&events)
        .when(C::RemoveRole { key: s("editor") })
        .then(&[
            E::RoleRemoved { key: s("editor") },
            E::GrantChanged {
                grant_id: s("g1"),
                roles: v(&["viewer"]),
            },
        ]);
    given::<Project>(&events)
        .when(C::Grant(G::Remove { grant_id: s("g1") }))
        .then(&[E::GrantRemoved { grant_id: s("g1") }]);
}

#[test]
fn grant_members_take_project_grant_roles() {
    let events = with(project_with_roles(), &[granted()]);
    given::<Project>(&events)
        .when(C::Grant(G::Member {
            grant_id: s("g1"),
            cmd: MemberCommand::Add {
                user_id: s("u1"),
                roles: v(&["PROJECT_GRANT_OWNER"]),
            },
        }))
        .then(&[E::GrantMemberSet {
            grant_id: s("g1"),
            user_id: s("u1"),
            roles: v(&["PROJECT_GRANT_OWNER"]),
        }]);
    given::<Project>(&events)
        .when(C::Grant(G::Member {
            grant_id: s("g1"),
            cmd: MemberCommand::Add {
                user_id: s("u1"),
                roles: v(&["PROJECT_OWNER"]),
            },
        }))
        .then_error(Code::InvalidRole);
}

fn scope(grant: Option<(&str, &str)>, available: &[&str]) -> GrantScope {
    GrantScope {
        project_id: s("p1"),
        project_org: s("org-a"),
        project_grant: grant.map(|(g, o)| (s(g), s(o))),
        available: v(available),
    }
}

fn user_granted() -> UE {
    UE::Added {
        user_id: s("u1"),
        project_id: s("p1"),
        project_org: s("org-a"),
        project_grant: None,
        roles: v(&["editor"]),
    }
}

#[test]
fn user_grants_hold_only_roles_their_project_or_grant_holds() {
    given::<UserGrant>(&[])
        .when(UC::Create {
            user_id: s("u1"),
            scope: scope(None, &["admin", "editor"]),
            role_keys: v(&["editor"]),
        })
        .then(&[user_granted()]);
    given::<UserGrant>(&[])
        .when(UC::Create {
            user_id: s("u1"),
            scope: scope(Some(("g1", "org-b")), &["viewer"]),
            role_keys: v(&["admin"]),
        })
        .then_error(Code::RoleNotGranted);
    given::<UserGrant>(&[user_granted()])
        .when(UC::Change {
            role_keys: v(&["admin", "editor"]),
            available: v(&["admin", "editor"]),
        })
        .then(&[UE::Changed {
            roles: v(&["admin", "editor"]),
        }]);
    given::<UserGrant>(&[user_granted()])
        .when(UC::Change {
            role_keys: v(&["editor"]),
            available: v(&["editor"]),
        })
        .then(&[]);
}

#[test]
fn revoked_roles_leave_user_grants_and_removed_grants_stay_removed() {
    given::<UserGrant>(&[user_granted()])
        .when(UC::RevokeRoles {
            keys: v(&["editor"]),
        })
        .then(&[UE::Changed { roles: vec![] }]);
    given::<UserGrant>(&[user_granted()])
        .when(UC::RevokeRoles {
            keys: v(&["admin"]),
        })
        .then(&[]);
    given::<UserGrant>(&[user_granted()])
        .when(UC::Remove)
        .then(&[UE::Removed]);
    given::<UserGrant>(&[user_granted(), UE::Removed])
        .when(UC::Remove)
        .then_error(Code::UserGrantNotFound);
}

#[test]
fn orgs_are_renamed_only_when_the_name_changes() {
    let added = OE::Added { name: s("Acme") };
    given::<Org>(&[added.clone()])
        .when(OC::Rename {
            name: s(" Acme Corp "),
        })
        .then(&[OE::Renamed {
            name: s("Acme Corp"),
        }]);
    given::<Org>(&[added.clone()])
        .when(OC::Rename { name: s("Acme") })
        .then(&[]);
    given::<Org>(&[added])
        .when(OC::Rename { name: s("") })
        .then_error(Code::InvalidOrgName);
}
