//! The fixed vocabulary of the permission model: the 125 permission names and the 26 manager
//! roles with the level each is granted at. An operator may change which permissions a role
//! holds (see [`crate::RoleMap`]), never invent a role or a permission: a typo in a
//! configured map must fail loudly instead of silently granting nothing.

use std::fmt;

/// Declares the catalog once: the sorted names, and a constant per permission
/// (`Permission::USER_WRITE` is `"user.write"`), so code names permissions by constants the
/// compiler checks, and only configuration (role maps) looks names up.
macro_rules! permissions {
    ($($konst:ident = $name:literal;)*) => {
        /// Every permission the product knows, sorted (so lookups are a binary search).
        const PERMISSIONS: &[&str] = &[$($name,)*];

        #[allow(non_camel_case_types, clippy::upper_case_acronyms, dead_code)]
        #[repr(u8)]
        enum Index { $($konst,)* }

        impl Permission {
            $(#[doc = $name] pub const $konst: Permission = Permission(Index::$konst as u8);)*
        }
    };
}

permissions! {
    ACTION_EXECUTION_READ = "action.execution.read";
    ACTION_EXECUTION_WRITE = "action.execution.write";
    ACTION_TARGET_DELETE = "action.target.delete";
    ACTION_TARGET_READ = "action.target.read";
    ACTION_TARGET_WRITE = "action.target.write";
    ADMIN_IMPERSONATION = "admin.impersonation";
    EVENTS_READ = "events.read";
    GROUP_CREATE = "group.create";
    GROUP_DELETE = "group.delete";
    GROUP_READ = "group.read";
    GROUP_USER_DELETE = "group.user.delete";
    GROUP_USER_READ = "group.user.read";
    GROUP_USER_WRITE = "group.user.write";
    GROUP_WRITE = "group.write";
    IAM_ACTION_DELETE = "iam.action.delete";
    IAM_ACTION_READ = "iam.action.read";
    IAM_ACTION_WRITE = "iam.action.write";
    IAM_DEBUG_READ = "iam.debug.read";
    IAM_DEBUG_WRITE = "iam.debug.write";
    IAM_FEATURE_DELETE = "iam.feature.delete";
    IAM_FEATURE_READ = "iam.feature.read";
    IAM_FEATURE_WRITE = "iam.feature.write";
    IAM_FLOW_DELETE = "iam.flow.delete";
    IAM_FLOW_READ = "iam.flow.read";
    IAM_FLOW_WRITE = "iam.flow.write";
    IAM_IDP_DELETE = "iam.idp.delete";
    IAM_IDP_READ = "iam.idp.read";
    IAM_IDP_WRITE = "iam.idp.write";
    IAM_MEMBER_DELETE = "iam.member.delete";
    IAM_MEMBER_READ = "iam.member.read";
    IAM_MEMBER_WRITE = "iam.member.write";
    IAM_POLICY_DELETE = "iam.policy.delete";
    IAM_POLICY_READ = "iam.policy.read";
    IAM_POLICY_WRITE = "iam.policy.write";
    IAM_READ = "iam.read";
    IAM_RESTRICTIONS_READ = "iam.restrictions.read";
    IAM_RESTRICTIONS_WRITE = "iam.restrictions.write";
    IAM_WEB_KEY_DELETE = "iam.web_key.delete";
    IAM_WEB_KEY_READ = "iam.web_key.read";
    IAM_WEB_KEY_WRITE = "iam.web_key.write";
    IAM_WRITE = "iam.write";
    IMPERSONATION = "impersonation";
    MILESTONES_READ = "milestones.read";
    ORG_ACTION_DELETE = "org.action.delete";
    ORG_ACTION_READ = "org.action.read";
    ORG_ACTION_WRITE = "org.action.write";
    ORG_CREATE = "org.create";
    ORG_DELETE = "org.delete";
    ORG_FEATURE_DELETE = "org.feature.delete";
    ORG_FEATURE_READ = "org.feature.read";
    ORG_FEATURE_WRITE = "org.feature.write";
    ORG_FLOW_DELETE = "org.flow.delete";
    ORG_FLOW_READ = "org.flow.read";
    ORG_FLOW_WRITE = "org.flow.write";
    ORG_GLOBAL_READ = "org.global.read";
    ORG_IDP_DELETE = "org.idp.delete";
    ORG_IDP_READ = "org.idp.read";
    ORG_IDP_WRITE = "org.idp.write";
    ORG_MEMBER_DELETE = "org.member.delete";
    ORG_MEMBER_READ = "org.member.read";
    ORG_MEMBER_WRITE = "org.member.write";
    ORG_READ = "org.read";
    ORG_WRITE = "org.write";
    POLICY_DELETE = "policy.delete";
    POLICY_READ = "policy.read";
    POLICY_WRITE = "policy.write";
    PROJECT_APP_DELETE = "project.app.delete";
    PROJECT_APP_READ = "project.app.read";
    PROJECT_APP_WRITE = "project.app.write";
    PROJECT_CREATE = "project.create";
    PROJECT_DELETE = "project.delete";
    PROJECT_GRANT_DELETE = "project.grant.delete";
    PROJECT_GRANT_MEMBER_DELETE = "project.grant.member.delete";
    PROJECT_GRANT_MEMBER_READ = "project.grant.member.read";
    PROJECT_GRANT_MEMBER_WRITE = "project.grant.member.write";
    PROJECT_GRANT_READ = "project.grant.read";
    PROJECT_GRANT_USER_GRANT_READ = "project.grant.user.grant.read";
    PROJECT_GRANT_WRITE = "project.grant.write";
    PROJECT_MEMBER_DELETE = "project.member.delete";
    PROJECT_MEMBER_READ = "project.member.read";
    PROJECT_MEMBER_WRITE = "project.member.write";
    PROJECT_READ = "project.read";
    PROJECT_READ_SELF = "project.read:self";
    PROJECT_ROLE_DELETE = "project.role.delete";
    PROJECT_ROLE_READ = "project.role.read";
    PROJECT_ROLE_WRITE = "project.role.write";
    PROJECT_WRITE = "project.write";
    SESSION_DELETE = "session.delete";
    SESSION_LINK = "session.link";
    SESSION_READ = "session.read";
    SESSION_WRITE = "session.write";
    SYSTEM_DEBUG_DELETE = "system.debug.delete";
    SYSTEM_DEBUG_READ = "system.debug.read";
    SYSTEM_DEBUG_WRITE = "system.debug.write";
    SYSTEM_DOMAIN_DELETE = "system.domain.delete";
    SYSTEM_DOMAIN_READ = "system.domain.read";
    SYSTEM_DOMAIN_WRITE = "system.domain.write";
    SYSTEM_FEATURE_DELETE = "system.feature.delete";
    SYSTEM_FEATURE_READ = "system.feature.read";
    SYSTEM_FEATURE_WRITE = "system.feature.write";
    SYSTEM_IAM_MEMBER_READ = "system.iam.member.read";
    SYSTEM_INSTANCE_DELETE = "system.instance.delete";
    SYSTEM_INSTANCE_READ = "system.instance.read";
    SYSTEM_INSTANCE_WRITE = "system.instance.write";
    SYSTEM_LIMITS_DELETE = "system.limits.delete";
    SYSTEM_LIMITS_WRITE = "system.limits.write";
    SYSTEM_QUOTA_DELETE = "system.quota.delete";
    SYSTEM_QUOTA_WRITE = "system.quota.write";
    USER_CREDENTIAL_WRITE = "user.credential.write";
    USER_DELETE = "user.delete";
    USER_FEATURE_DELETE = "user.feature.delete";
    USER_FEATURE_READ = "user.feature.read";
    USER_FEATURE_WRITE = "user.feature.write";
    USER_GLOBAL_READ = "user.global.read";
    USER_GRANT_DELETE = "user.grant.delete";
    USER_GRANT_READ = "user.grant.read";
    USER_GRANT_WRITE = "user.grant.write";
    USER_MEMBERSHIP_READ = "user.membership.read";
    USER_PASSKEY_WRITE = "user.passkey.write";
    USER_READ = "user.read";
    USER_SELF_DELETE = "user.self.delete";
    USER_WRITE = "user.write";
    USERSCHEMA_DELETE = "userschema.delete";
    USERSCHEMA_READ = "userschema.read";
    USERSCHEMA_WRITE = "userschema.write";
}

/// The member permissions of one level (who may read, grant and take away its roles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberPermissions {
    pub read: Permission,
    pub write: Permission,
    pub delete: Permission,
}

impl MemberPermissions {
    pub const IAM: MemberPermissions = MemberPermissions {
        read: Permission::IAM_MEMBER_READ,
        write: Permission::IAM_MEMBER_WRITE,
        delete: Permission::IAM_MEMBER_DELETE,
    };
    pub const ORG: MemberPermissions = MemberPermissions {
        read: Permission::ORG_MEMBER_READ,
        write: Permission::ORG_MEMBER_WRITE,
        delete: Permission::ORG_MEMBER_DELETE,
    };
    pub const PROJECT: MemberPermissions = MemberPermissions {
        read: Permission::PROJECT_MEMBER_READ,
        write: Permission::PROJECT_MEMBER_WRITE,
        delete: Permission::PROJECT_MEMBER_DELETE,
    };
    pub const PROJECT_GRANT: MemberPermissions = MemberPermissions {
        read: Permission::PROJECT_GRANT_MEMBER_READ,
        write: Permission::PROJECT_GRANT_MEMBER_WRITE,
        delete: Permission::PROJECT_GRANT_MEMBER_DELETE,
    };
}

/// A permission, as an index into the constant catalog: cheap to copy, compare and put in a
/// [`PermSet`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Permission(u8);

impl Permission {
    /// Looks a permission up by its name (`"user.write"`): for names from outside (a role
    /// map, a permission check's request); code uses the constants.
    pub fn from_name(name: &str) -> Option<Permission> {
        PERMISSIONS
            .binary_search(&name)
            .ok()
            .map(|i| Permission(i as u8))
    }

    pub fn name(self) -> &'static str {
        PERMISSIONS[self.0 as usize]
    }

    /// `system.*` permissions are only ever held through system memberships.
    pub fn is_system(self) -> bool {
        self.name().starts_with("system.")
    }

    pub fn all() -> impl Iterator<Item = Permission> {
        (0..PERMISSIONS.len()).map(|i| Permission(i as u8))
    }
}

impl fmt::Debug for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of permissions as a 128-bit bitset: a membership's effective permissions are the
/// union of its roles', computed once, so a check is one bit test per membership.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PermSet(u128);

impl PermSet {
    pub const EMPTY: PermSet = PermSet(0);

    pub fn insert(&mut self, p: Permission) {
        self.0 |= 1u128 << p.0;
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & (1u128 << p.0) != 0
    }

    pub fn union(self, other: PermSet) -> PermSet {
        PermSet(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::all().filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Permission> for PermSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut s = PermSet::EMPTY;
        for p in iter {
            s.insert(p);
        }
        s
    }
}

impl fmt::Debug for PermSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The level a role is granted at, which is also the kind of resource its membership is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    System,
    Instance,
    Org,
    Project,
    ProjectGrant,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::System => "system",
            Level::Instance => "instance",
            Level::Org => "org",
            Level::Project => "project",
            Level::ProjectGrant => "project_grant",
        }
    }
}

macro_rules! roles {
    ($($variant:ident = $name:literal @ $level:ident,)*) => {
        /// The 26 manager roles.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Role { $($variant,)* }

        impl Role {
            pub const ALL: [Role; 26] = [$(Role::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(Role::$variant => $name,)* }
            }

            pub fn level(self) -> Level {
                match self { $(Role::$variant => Level::$level,)* }
            }
        }
    };
}

roles! {
    SystemOwner = "SYSTEM_OWNER" @ System,
    SystemOwnerViewer = "SYSTEM_OWNER_VIEWER" @ System,
    IamOwner = "IAM_OWNER" @ Instance,
    IamOwnerViewer = "IAM_OWNER_VIEWER" @ Instance,
    IamOrgManager = "IAM_ORG_MANAGER" @ Instance,
    IamUserManager = "IAM_USER_MANAGER" @ Instance,
    IamAdminImpersonator = "IAM_ADMIN_IMPERSONATOR" @ Instance,
    IamEndUserImpersonator = "IAM_END_USER_IMPERSONATOR" @ Instance,
    IamLoginClient = "IAM_LOGIN_CLIENT" @ Instance,
    // Granted on the instance: "global" self-management covers every user of the instance,
    // and its `org.create` must reach the instance, which an org membership never does.
    SelfManagementGlobal = "SELF_MANAGEMENT_GLOBAL" @ Instance,
    OrgOwner = "ORG_OWNER" @ Org,
    OrgOwnerViewer = "ORG_OWNER_VIEWER" @ Org,
    OrgSettingsManager = "ORG_SETTINGS_MANAGER" @ Org,
    OrgUserManager = "ORG_USER_MANAGER" @ Org,
    OrgUserPermissionEditor = "ORG_USER_PERMISSION_EDITOR" @ Org,
    OrgProjectPermissionEditor = "ORG_PROJECT_PERMISSION_EDITOR" @ Org,
    OrgProjectCreator = "ORG_PROJECT_CREATOR" @ Org,
    OrgAdminImpersonator = "ORG_ADMIN_IMPERSONATOR" @ Org,
    OrgEndUserImpersonator = "ORG_END_USER_IMPERSONATOR" @ Org,
    OrgUserSelfManager = "ORG_USER_SELF_MANAGER" @ Org,
    ProjectOwner = "PROJECT_OWNER" @ Project,
    ProjectOwnerViewer = "PROJECT_OWNER_VIEWER" @ Project,
    ProjectOwnerGlobal = "PROJECT_OWNER_GLOBAL" @ Project,
    ProjectOwnerViewerGlobal = "PROJECT_OWNER_VIEWER_GLOBAL" @ Project,
    ProjectGrantOwner = "PROJECT_GRANT_OWNER" @ ProjectGrant,
    ProjectGrantOwnerViewer = "PROJECT_GRANT_OWNER_VIEWER" @ ProjectGrant,
}

impl Role {
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The roles of one membership, as a bitset.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RoleSet(u32);

impl RoleSet {
    pub fn insert(&mut self, r: Role) {
        self.0 |= r.bit();
    }

    pub fn contains(self, r: Role) -> bool {
        self.0 & r.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        let mut s = RoleSet::default();
        for r in iter {
            s.insert(r);
        }
        s
    }
}

impl fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_sorted_and_unique_so_binary_search_finds_every_name() {
        assert!(PERMISSIONS.windows(2).all(|w| w[0] < w[1]));
        for p in Permission::all() {
            assert_eq!(Permission::from_name(p.name()), Some(p));
        }
        assert_eq!(Permission::from_name("user.wirte"), None);
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_name(r.name()), Some(r));
        }
        assert_eq!(Role::from_name("ORG_OWNERS"), None);
    }
}
