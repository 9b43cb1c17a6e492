//! The impersonation rule: end-user impersonators reach the end users of their scope, admin
//! impersonators managers too, nobody themself, and no other role anyone.

use authz::{Decision, Permission, Resource, Role};

use crate::world::{authorizer, principal, user, I1};

#[test]
fn end_user_impersonators_reach_end_users_of_their_scope_only() {
    let authz = authorizer();
    let org = Resource::Org("o1".into());
    let org_end = principal(
        I1,
        "o1",
        "imp",
        &[(org.clone(), &[Role::OrgEndUserImpersonator])],
    );
    assert!(authz
        .may_impersonate(&org_end, &user(I1, "o1", "u"), false)
        .is_allowed());
    // A manager, or a user of another org: no.
    assert!(!authz
        .may_impersonate(&org_end, &user(I1, "o1", "u"), true)
        .is_allowed());
    assert!(!authz
        .may_impersonate(&org_end, &user(I1, "o2", "u"), false)
        .is_allowed());
    let org_admin = principal(I1, "o1", "imp", &[(org, &[Role::OrgAdminImpersonator])]);
    assert!(authz
        .may_impersonate(&org_admin, &user(I1, "o1", "u"), true)
        .is_allowed());
    assert!(!authz
        .may_impersonate(&org_admin, &user(I1, "o2", "u"), true)
        .is_allowed());
}

#[test]
fn instance_impersonators_reach_every_org_but_not_themselves_nor_another_instance() {
    let authz = authorizer();
    let iam_end = principal(
        I1,
        "o1",
        "imp",
        &[(Resource::Instance, &[Role::IamEndUserImpersonator])],
    );
    assert!(authz
        .may_impersonate(&iam_end, &user(I1, "o7", "u"), false)
        .is_allowed());
    assert!(!authz
        .may_impersonate(&iam_end, &user(I1, "o7", "u"), true)
        .is_allowed());
    let iam_admin = principal(
        I1,
        "o1",
        "imp",
        &[(Resource::Instance, &[Role::IamAdminImpersonator])],
    );
    assert!(authz
        .may_impersonate(&iam_admin, &user(I1, "o7", "u"), true)
        .is_allowed());
    assert!(!authz
        .may_impersonate(&iam_admin, &user(I1, "o1", "imp"), false)
        .is_allowed());
    assert!(!authz
        .may_impersonate(&iam_admin, &user("inst-2", "o1", "u"), false)
        .is_allowed());
    // The instance's owner holds no impersonation: the role must be given on purpose.
    let owner = principal(I1, "o1", "boss", &[(Resource::Instance, &[Role::IamOwner])]);
    assert_eq!(
        authz.may_impersonate(&owner, &user(I1, "o1", "u"), false),
        Decision::Deny {
            missing: Permission::IMPERSONATION,
            or: None
        }
    );
}
