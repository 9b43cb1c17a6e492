//! What the user operations of the API require, in one table: the permission, and what acting
//! on oneself changes (the rules of the self-management pull request).

use crate::check::{Requirement, SelfPolicy};
use crate::Permission;

/// A user operation that has a self-management rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserOp {
    Read,
    ReadMemberships,
    ChangeProfile,
    ChangeEmail,
    ChangePhone,
    /// Marking an email or phone verified without proving it.
    MarkVerified,
    /// Changing one's password, with the current one.
    ChangePassword,
    ManageMfa,
    ManageSessions,
    SetMetadata,
    ReadMetadata,
    ManagePersonalAccessTokens,
    ChangeState,
    Delete,
}

impl UserOp {
    pub fn requirement(self) -> Requirement {
        use SelfPolicy::{Allowed, Never, OrPermission};
        let p = Permission::named;
        let (permission, self_policy) = match self {
            UserOp::Read => (p("user.read"), Allowed),
            UserOp::ReadMemberships => (p("user.membership.read"), Allowed),
            UserOp::ChangeProfile | UserOp::ChangeEmail | UserOp::ChangePhone => {
                (p("user.write"), Allowed)
            }
            UserOp::MarkVerified => (p("user.write"), Never),
            UserOp::ChangePassword => (p("user.credential.write"), Allowed),
            UserOp::ManageMfa => (p("user.credential.write"), Allowed),
            UserOp::ManageSessions => (p("user.write"), Allowed),
            UserOp::SetMetadata => (p("user.write"), Never),
            UserOp::ReadMetadata => (p("user.read"), Never),
            UserOp::ManagePersonalAccessTokens => (p("user.write"), Never),
            UserOp::ChangeState => (p("user.write"), Never),
            UserOp::Delete => (p("user.delete"), OrPermission(p("user.self.delete"))),
        };
        Requirement::with_self(permission, self_policy)
    }
}
