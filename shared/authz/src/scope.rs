//! Readable scope: from the caller's memberships, once per request, the set of resources a
//! permission reaches, so a list query filters in the read model instead of checking each row.

use std::collections::BTreeSet;

use crate::check::{Authorizer, Caller, Requirement, SelfPolicy};
use crate::target::{Resource, Target};

/// Where a permission reaches inside one instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadScope {
    /// Everything in the instance.
    Instance,
    /// Only rows owned by these orgs, in these projects or grants, or the caller's own user.
    Limited(Limited),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limited {
    pub orgs: BTreeSet<String>,
    pub projects: BTreeSet<String>,
    pub grants: BTreeSet<String>,
    /// The caller's own user, where self-management reaches it.
    pub own_user: Option<String>,
}

impl Limited {
    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty()
            && self.projects.is_empty()
            && self.grants.is_empty()
            && self.own_user.is_none()
    }
}

impl ReadScope {
    /// Whether a row (as a target) is inside the scope; agrees with [`Authorizer::check`].
    pub fn covers(&self, target: &Target<'_>) -> bool {
        match self {
            ReadScope::Instance => true,
            ReadScope::Limited(l) => {
                target.org().is_some_and(|o| l.orgs.contains(o))
                    || target.project().is_some_and(|p| l.projects.contains(p))
                    || target.grant().is_some_and(|g| l.grants.contains(g))
                    || (target.user().is_some() && target.user() == l.own_user.as_deref())
            }
        }
    }

    pub fn is_nothing(&self) -> bool {
        matches!(self, ReadScope::Limited(l) if l.is_empty())
    }
}

impl Authorizer {
    /// The scope of `req` for `caller` within `instance`. Rows of the instance outside it are
    /// exactly the rows [`Authorizer::check`] denies.
    pub fn readable_scope(&self, caller: &Caller, req: Requirement, instance: &str) -> ReadScope {
        let principal = match caller {
            Caller::Internal {
                flow,
                instance: own,
            } => {
                let all = own == instance
                    && Authorizer::perms_of_internal(*flow).contains(req.permission);
                return if all {
                    ReadScope::Instance
                } else {
                    ReadScope::Limited(Limited::default())
                };
            }
            Caller::Principal(p) => p,
        };
        let mut scope = Limited::default();
        if principal.instance != instance {
            return ReadScope::Limited(scope);
        }
        for m in principal.memberships.iter() {
            if !m.perms.contains(req.permission) {
                continue;
            }
            match &m.resource {
                Resource::System => {}
                Resource::Instance => return ReadScope::Instance,
                Resource::Org(id) => {
                    scope.orgs.insert(id.clone());
                }
                Resource::Project(id) => {
                    scope.projects.insert(id.clone());
                }
                Resource::ProjectGrant(id) => {
                    scope.grants.insert(id.clone());
                }
            }
        }
        let own = Target::User {
            instance,
            org: &principal.org,
            user: &principal.user,
        };
        let self_reaches = match req.self_policy {
            SelfPolicy::Allowed => true,
            SelfPolicy::Never => false,
            SelfPolicy::OrPermission(alt) => self.granted(principal, alt, &own).is_some(),
        };
        if self_reaches {
            scope.own_user = Some(principal.user.clone());
        }
        ReadScope::Limited(scope)
    }
}
