//! Impersonation, a named rule: who may get a token as another user (token exchange).
//! `impersonation` on the user (an impersonator role of the instance, or of the user's org),
//! never oneself; a user who holds manager roles also needs `admin.impersonation` (the admin
//! impersonator roles): end-user impersonators cannot act as managers.

use crate::check::{Authorizer, Caller, Decision, Requirement, SelfPolicy};
use crate::{Permission, Target};

impl Authorizer {
    /// May `caller` impersonate the user `target`, who holds manager roles if `manager`?
    pub fn may_impersonate(&self, caller: &Caller, target: &Target<'_>, manager: bool) -> Decision {
        let oneself = matches!(caller, Caller::Principal(p)
            if target.user() == Some(p.user.as_str()) && target.instance() == Some(p.instance.as_str()));
        if oneself {
            return Decision::Deny {
                missing: Permission::IMPERSONATION,
                or: None,
            };
        }
        let end_user = Requirement::with_self(Permission::IMPERSONATION, SelfPolicy::Never);
        let decision = self.check(caller, end_user, target);
        if !decision.is_allowed() || !manager {
            return decision;
        }
        let admin = Requirement::with_self(Permission::ADMIN_IMPERSONATION, SelfPolicy::Never);
        self.check(caller, admin, target)
    }
}
