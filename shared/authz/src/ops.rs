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
    /// Starting a password reset or an invitation (a code that sets the password).
    ResetPassword,
    ManageMfa,
    ManageSessions,
    SetMetadata,
    ReadMetadata,
    ManagePersonalAccessTokens,
    ChangeState,
    Delete,
    /// Getting a token as the user (token exchange); the impersonation rule adds
    /// `admin.impersonation` for managers.
    Impersonate,
    /// Linking or unlinking an external identity (an IdP's user).
    ManageIdpLinks,
    /// What a directory keeps of a user, changed together (SCIM): profile, contact,
    /// metadata, and whether the user is active. Never on oneself, as metadata and the state.
    Provision,
}

impl UserOp {
    pub fn requirement(self) -> Requirement {
        use SelfPolicy::{Allowed, Never, OrPermission};
        let (permission, self_policy) = match self {
            UserOp::Read => (Permission::USER_READ, Allowed),
            UserOp::ReadMemberships => (Permission::USER_MEMBERSHIP_READ, Allowed),
            UserOp::ChangeProfile | UserOp::ChangeEmail | UserOp::ChangePhone => {
                (Permission::USER_WRITE, Allowed)
            }
            UserOp::MarkVerified => (Permission::USER_WRITE, Never),
            UserOp::ChangePassword => (Permission::USER_CREDENTIAL_WRITE, Allowed),
            UserOp::ResetPassword => (Permission::USER_WRITE, Never),
            UserOp::ManageMfa => (Permission::USER_WRITE, Allowed),
            UserOp::ManageSessions => (Permission::USER_WRITE, Allowed),
            UserOp::SetMetadata => (Permission::USER_WRITE, Never),
            UserOp::ReadMetadata => (Permission::USER_READ, Never),
            UserOp::ManagePersonalAccessTokens => (Permission::USER_WRITE, Never),
            UserOp::ChangeState => (Permission::USER_WRITE, Never),
            UserOp::Impersonate => (Permission::IMPERSONATION, Never),
            UserOp::ManageIdpLinks => (Permission::USER_WRITE, Allowed),
            UserOp::Provision => (Permission::USER_WRITE, Never),
            UserOp::Delete => (
                Permission::USER_DELETE,
                OrPermission(Permission::USER_SELF_DELETE),
            ),
        };
        Requirement::with_self(permission, self_policy)
    }
}
