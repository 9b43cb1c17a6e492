//! The cases of the self-management pull request, by name.

use authz::{Because, Caller, Decision, InternalFlow, Permission, Resource, Role, UserOp};

use crate::world::*;

fn me() -> Caller {
    principal(I1, "org-a", "me", &[])
}

fn allowed(caller: &Caller, op: UserOp, target_user: &str, org: &str) -> bool {
    authorizer()
        .check(caller, op.requirement(), &user(I1, org, target_user))
        .is_allowed()
}

#[test]
fn a_user_without_memberships_changes_own_profile_email_and_password() {
    for op in [
        UserOp::ChangeProfile,
        UserOp::ChangeEmail,
        UserOp::ChangePhone,
        UserOp::ChangePassword,
    ] {
        let d = authorizer().check(&me(), op.requirement(), &user(I1, "org-a", "me"));
        assert!(
            matches!(
                d,
                Decision::Allow {
                    because: Because::SelfManagement { .. }
                }
            ),
            "{op:?}: {d:?}"
        );
    }
}

#[test]
fn a_user_without_memberships_cannot_change_another_users_profile() {
    assert!(!allowed(&me(), UserOp::ChangeProfile, "you", "org-a"));
}

#[test]
fn a_user_cannot_set_or_remove_own_metadata() {
    let d = authorizer().check(
        &me(),
        UserOp::SetMetadata.requirement(),
        &user(I1, "org-a", "me"),
    );
    assert_eq!(
        d,
        Decision::Deny {
            missing: Permission::USER_WRITE,
            or: None
        }
    );
}

#[test]
fn a_user_with_user_write_on_their_org_may_set_own_metadata() {
    let manager = principal(
        I1,
        "org-a",
        "me",
        &[(Resource::Org("org-a".into()), &[Role::OrgUserManager])],
    );
    assert!(allowed(&manager, UserOp::SetMetadata, "me", "org-a"));
}

#[test]
fn a_user_cannot_mark_own_email_verified() {
    assert!(!allowed(&me(), UserOp::MarkVerified, "me", "org-a"));
}

#[test]
fn a_user_cannot_delete_themself_without_a_permission() {
    let d = authorizer().check(
        &me(),
        UserOp::Delete.requirement(),
        &user(I1, "org-a", "me"),
    );
    assert_eq!(
        d,
        Decision::Deny {
            missing: Permission::USER_DELETE,
            or: Some(Permission::USER_SELF_DELETE)
        }
    );
}

#[test]
fn a_user_deletes_themself_with_org_user_self_manager() {
    let caller = principal(
        I1,
        "org-a",
        "me",
        &[(Resource::Org("org-a".into()), &[Role::OrgUserSelfManager])],
    );
    assert!(allowed(&caller, UserOp::Delete, "me", "org-a"));
    // user.self.delete is about oneself only.
    assert!(!allowed(&caller, UserOp::Delete, "you", "org-a"));
}

#[test]
fn a_user_deletes_themself_with_self_management_global() {
    let caller = principal(
        I1,
        "org-a",
        "me",
        &[(Resource::Instance, &[Role::SelfManagementGlobal])],
    );
    assert!(allowed(&caller, UserOp::Delete, "me", "org-a"));
}

#[test]
fn a_user_deletes_themself_with_user_delete() {
    let caller = principal(
        I1,
        "org-a",
        "me",
        &[(Resource::Org("org-a".into()), &[Role::OrgUserManager])],
    );
    assert!(allowed(&caller, UserOp::Delete, "me", "org-a"));
}

#[test]
fn an_org_user_manager_of_a_deletes_users_of_a_and_not_of_b() {
    let caller = principal(
        I1,
        "org-a",
        "mgr",
        &[(Resource::Org("org-a".into()), &[Role::OrgUserManager])],
    );
    assert!(allowed(&caller, UserOp::Delete, "alice", "org-a"));
    assert!(!allowed(&caller, UserOp::Delete, "bob", "org-b"));
}

#[test]
fn self_management_does_not_cross_instances() {
    // Same user id, another instance: not oneself.
    let d = authorizer().check(
        &me(),
        UserOp::ChangeProfile.requirement(),
        &user(I2, "org-a", "me"),
    );
    assert!(!d.is_allowed());
}

#[test]
fn the_login_flow_sets_metadata_through_the_check_within_its_instance_only() {
    let login = Caller::Internal {
        flow: InternalFlow::Login,
        instance: I1.into(),
    };
    let d = authorizer().check(
        &login,
        UserOp::SetMetadata.requirement(),
        &user(I1, "org-a", "me"),
    );
    assert!(matches!(
        d,
        Decision::Allow {
            because: Because::InternalFlow {
                flow: InternalFlow::Login,
                ..
            }
        }
    ));
    let elsewhere = authorizer().check(
        &login,
        UserOp::SetMetadata.requirement(),
        &user(I2, "org-a", "me"),
    );
    assert!(!elsewhere.is_allowed());
    let delete = authorizer().check(
        &login,
        UserOp::Delete.requirement(),
        &user(I1, "org-a", "me"),
    );
    assert!(!delete.is_allowed());
}

#[test]
fn the_cascade_flow_removes_only_and_only_in_its_instance() {
    let cascade = Caller::Internal {
        flow: InternalFlow::Cascade,
        instance: I1.into(),
    };
    let target = user(I1, "org-a", "u");
    let allowed = |op: UserOp| {
        authorizer()
            .check(&cascade, op.requirement(), &target)
            .is_allowed()
    };
    assert!(allowed(UserOp::Delete));
    assert!(!allowed(UserOp::ChangeProfile));
    assert!(!allowed(UserOp::SetMetadata));
    assert!(!authorizer()
        .check(
            &cascade,
            UserOp::Delete.requirement(),
            &user(I2, "org-a", "u")
        )
        .is_allowed());
    let org_delete = authz::Requirement::plain(Permission::ORG_DELETE);
    let org = authz::Target::Org {
        instance: I1,
        org: "org-a",
    };
    assert!(!authorizer().check(&cascade, org_delete, &org).is_allowed());
}
