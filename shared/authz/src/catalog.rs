//! The fixed vocabulary of the permission model: the 125 permission names and the 26 manager
//! roles with the level each is granted at. An operator may change which permissions a role
//! holds (see [`crate::RoleMap`]), never invent a role or a permission: a typo in a
//! configured map must fail loudly instead of silently granting nothing.

use std::fmt;

/// Every permission the product knows, sorted (so lookups are a binary search).
const PERMISSIONS: [&str; 125] = [
    "action.execution.read",
    "action.execution.write",
    "action.target.delete",
    "action.target.read",
    "action.target.write",
    "admin.impersonation",
    "events.read",
    "group.create",
    "group.delete",
    "group.read",
    "group.user.delete",
    "group.user.read",
    "group.user.write",
    "group.write",
    "iam.action.delete",
    "iam.action.read",
    "iam.action.write",
    "iam.debug.read",
    "iam.debug.write",
    "iam.feature.delete",
    "iam.feature.read",
    "iam.feature.write",
    "iam.flow.delete",
    "iam.flow.read",
    "iam.flow.write",
    "iam.idp.delete",
    "iam.idp.read",
    "iam.idp.write",
    "iam.member.delete",
    "iam.member.read",
    "iam.member.write",
    "iam.policy.delete",
    "iam.policy.read",
    "iam.policy.write",
    "iam.read",
    "iam.restrictions.read",
    "iam.restrictions.write",
    "iam.web_key.delete",
    "iam.web_key.read",
    "iam.web_key.write",
    "iam.write",
    "impersonation",
    "milestones.read",
    "org.action.delete",
    "org.action.read",
    "org.action.write",
    "org.create",
    "org.delete",
    "org.feature.delete",
    "org.feature.read",
    "org.feature.write",
    "org.flow.delete",
    "org.flow.read",
    "org.flow.write",
    "org.global.read",
    "org.idp.delete",
    "org.idp.read",
    "org.idp.write",
    "org.member.delete",
    "org.member.read",
    "org.member.write",
    "org.read",
    "org.write",
    "policy.delete",
    "policy.read",
    "policy.write",
    "project.app.delete",
    "project.app.read",
    "project.app.write",
    "project.create",
    "project.delete",
    "project.grant.delete",
    "project.grant.member.delete",
    "project.grant.member.read",
    "project.grant.member.write",
    "project.grant.read",
    "project.grant.user.grant.read",
    "project.grant.write",
    "project.member.delete",
    "project.member.read",
    "project.member.write",
    "project.read",
    "project.read:self",
    "project.role.delete",
    "project.role.read",
    "project.role.write",
    "project.write",
    "session.delete",
    "session.link",
    "session.read",
    "session.write",
    "system.debug.delete",
    "system.debug.read",
    "system.debug.write",
    "system.domain.delete",
    "system.domain.read",
    "system.domain.write",
    "system.feature.delete",
    "system.feature.read",
    "system.feature.write",
    "system.iam.member.read",
    "system.instance.delete",
    "system.instance.read",
    "system.instance.write",
    "system.limits.delete",
    "system.limits.write",
    "system.quota.delete",
    "system.quota.write",
    "user.credential.write",
    "user.delete",
    "user.feature.delete",
    "user.feature.read",
    "user.feature.write",
    "user.global.read",
    "user.grant.delete",
    "user.grant.read",
    "user.grant.write",
    "user.membership.read",
    "user.passkey.write",
    "user.read",
    "user.self.delete",
    "user.write",
    "userschema.delete",
    "userschema.read",
    "userschema.write",
];

/// A permission, as an index into the constant catalog: cheap to copy, compare and put in a
/// [`PermSet`].
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Permission(u8);

impl Permission {
    /// Looks a permission up by its name (`"user.write"`).
    pub fn from_name(name: &str) -> Option<Permission> {
        PERMISSIONS
            .binary_search(&name)
            .ok()
            .map(|i| Permission(i as u8))
    }

    /// Looks up a permission name that is known to exist; for constants in code.
    ///
    /// # Panics
    /// If the name is not in the catalog: a programming error caught by every test run.
    pub fn named(name: &str) -> Permission {
        Permission::from_name(name).unwrap_or_else(|| panic!("unknown permission {name:?}"))
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
