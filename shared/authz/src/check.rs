//! The check: may this caller do this on that target, and why (not).

use std::sync::Arc;

use crate::target::{Resource, Target};
use crate::{Memberships, PermSet, Permission, Role, RoleMap};

/// A signed-in user (human or machine) of one instance, with their memberships.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    pub instance: String,
    /// The org the user belongs to.
    pub org: String,
    pub user: String,
    pub memberships: Memberships,
}

/// Flows that act inside an instance on nobody's behalf. They go through the same check, with a
/// fixed, named set of permissions: never a skipped check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum InternalFlow {
    /// Setting up an instance (first start, instance creation): its first org, users and
    /// memberships.
    Setup,
    /// The hosted login: may update the user signing in (sessions, credentials, metadata).
    Login,
    /// What a removal takes with it (an org's users and projects, a project's user grants),
    /// after the caller's own check for the removal itself.
    Cascade,
    /// The outbox: records what became of the messages it sends.
    Outbox,
}

impl InternalFlow {
    pub fn name(self) -> &'static str {
        match self {
            InternalFlow::Setup => "setup",
            InternalFlow::Login => "login",
            InternalFlow::Cascade => "cascade",
            InternalFlow::Outbox => "outbox",
        }
    }

    fn permits(self, p: Permission) -> bool {
        match self {
            InternalFlow::Setup => !p.is_system(),
            InternalFlow::Login => [
                "user.read",
                "user.write",
                "user.credential.write",
                "user.passkey.write",
                "session.read",
                "session.write",
                "session.delete",
            ]
            .contains(&p.name()),
            InternalFlow::Cascade => [
                "user.delete",
                "user.grant.write",
                "user.grant.delete",
                "project.delete",
                "iam.member.delete",
                "org.member.delete",
                "project.member.delete",
                "project.grant.member.delete",
            ]
            .contains(&p.name()),
            InternalFlow::Outbox => p.name() == "user.write",
        }
    }
}

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Caller {
    Principal(Arc<Principal>),
    Internal {
        flow: InternalFlow,
        instance: String,
    },
}

/// How acting on oneself changes a check on a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfPolicy {
    /// A user may always do this to themself (profile, email, phone, password with the
    /// current one, MFA, passkeys, sessions, reading oneself).
    Allowed,
    /// Being the target grants nothing: the permission is needed as for anyone else (metadata,
    /// marking one's own email or phone verified, personal access tokens).
    Never,
    /// On oneself, this other permission also suffices (deleting oneself: `user.self.delete`).
    OrPermission(Permission),
}

/// What an operation requires: a permission, and what being the target changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub permission: Permission,
    pub self_policy: SelfPolicy,
}

impl Requirement {
    /// The permission alone; acting on oneself changes nothing.
    pub fn plain(permission: Permission) -> Requirement {
        Requirement {
            permission,
            self_policy: SelfPolicy::Never,
        }
    }

    pub fn with_self(permission: Permission, self_policy: SelfPolicy) -> Requirement {
        Requirement {
            permission,
            self_policy,
        }
    }
}

/// Why a check allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Because {
    /// A membership's role holds the permission and its resource covers the target.
    Membership {
        resource: Resource,
        role: Role,
        permission: Permission,
    },
    /// The caller is the target and the operation is self-manageable.
    SelfManagement { permission: Permission },
    /// An internal flow that holds this permission by definition.
    InternalFlow {
        flow: InternalFlow,
        permission: Permission,
    },
}

/// The answer of a check, with its reason either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow {
        because: Because,
    },
    /// `missing` is the permission that was needed; `or` another that would also have done
    /// (deleting oneself: `user.delete` or `user.self.delete`).
    Deny {
        missing: Permission,
        or: Option<Permission>,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }
}

/// The permission checker: the role map, and the check over it. Pure: no I/O, no clock.
#[derive(Clone, Debug)]
pub struct Authorizer {
    map: RoleMap,
}

impl Authorizer {
    pub fn new(map: RoleMap) -> Authorizer {
        Authorizer { map }
    }

    pub fn role_map(&self) -> &RoleMap {
        &self.map
    }

    /// May `caller` do what `req` requires on `target`?
    pub fn check(&self, caller: &Caller, req: Requirement, target: &Target<'_>) -> Decision {
        let principal = match caller {
            Caller::Internal { flow, instance } => {
                let in_instance = target.instance() == Some(instance.as_str());
                return if in_instance && flow.permits(req.permission) {
                    Decision::Allow {
                        because: Because::InternalFlow {
                            flow: *flow,
                            permission: req.permission,
                        },
                    }
                } else {
                    deny(req.permission, None)
                };
            }
            Caller::Principal(p) => p,
        };
        let on_self = target.user() == Some(principal.user.as_str())
            && target.instance() == Some(principal.instance.as_str());
        if on_self && req.self_policy == SelfPolicy::Allowed {
            return Decision::Allow {
                because: Because::SelfManagement {
                    permission: req.permission,
                },
            };
        }
        if let Some(because) = self.granted(principal, req.permission, target) {
            return Decision::Allow { because };
        }
        match req.self_policy {
            SelfPolicy::OrPermission(alt) if on_self => {
                match self.granted(principal, alt, target) {
                    Some(because) => Decision::Allow { because },
                    None => deny(req.permission, Some(alt)),
                }
            }
            SelfPolicy::OrPermission(_) | SelfPolicy::Allowed | SelfPolicy::Never => {
                deny(req.permission, None)
            }
        }
    }

    /// `user.global.read` lets a manager find a user of another org of the instance by exact
    /// login name (to add them as a member), never list or search them.
    pub fn may_find_by_login_name(&self, caller: &Caller, instance: &str) -> Decision {
        let global = Permission::USER_GLOBAL_READ;
        let principal = match caller {
            Caller::Principal(p) if p.instance == instance => p,
            Caller::Principal(_) | Caller::Internal { .. } => return deny(global, None),
        };
        match principal
            .memberships
            .iter()
            .find(|m| m.resource != Resource::System && m.perms.contains(global))
        {
            Some(m) => Decision::Allow {
                because: self.because(&m.resource, m.roles.iter(), global),
            },
            None => deny(global, None),
        }
    }

    /// The first membership of `principal` that grants `p` on `target`.
    pub(crate) fn granted(
        &self,
        principal: &Principal,
        p: Permission,
        target: &Target<'_>,
    ) -> Option<Because> {
        if let Some(instance) = target.instance() {
            if instance != principal.instance {
                return None;
            }
        }
        let system = p.is_system();
        principal
            .memberships
            .iter()
            .find(|m| {
                m.perms.contains(p)
                    && (m.resource == Resource::System) == system
                    && target.covered_by(&m.resource)
            })
            .map(|m| self.because(&m.resource, m.roles.iter(), p))
    }

    pub(crate) fn because(
        &self,
        resource: &Resource,
        mut roles: impl Iterator<Item = Role>,
        p: Permission,
    ) -> Because {
        let role = roles
            .find(|r| self.map.permissions(*r).contains(p))
            .expect("a membership's permissions come from its roles");
        Because::Membership {
            resource: resource.clone(),
            role,
            permission: p,
        }
    }

    pub(crate) fn perms_of_internal(flow: InternalFlow) -> PermSet {
        Permission::all().filter(|p| flow.permits(*p)).collect()
    }
}

fn deny(missing: Permission, or: Option<Permission>) -> Decision {
    Decision::Deny { missing, or }
}
