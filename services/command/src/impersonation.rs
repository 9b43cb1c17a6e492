//! Impersonation (token exchange): a manager gets a token as a user of their scope, where the
//! `security` settings allow it and the impersonation rule of `authz` does (a user who holds
//! manager roles only for admin impersonators). Each is recorded on the user: who, for which
//! client.

use authz::{Caller, Target};
use domain::user::{User, UserChange, UserCommand};
use domain::{Aggregate, Code, Error};

use crate::actor::Written;
use crate::bus::CommandBus;
use crate::sagas::key;

impl CommandBus {
    /// Records that `caller` gets a token as `user_id` for the client `client_id`, if it may.
    pub async fn impersonate(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        client_id: &str,
    ) -> Result<Written, Error> {
        let Caller::Principal(by) = caller else {
            return Err(Error::internal("only a user impersonates"));
        };
        let user = self.user(instance, user_id).await?;
        if !user.exists() {
            return Err(Error::new(Code::UserNotFound, "the user does not exist"));
        }
        let (org, own) = self.settings_of_user(instance, &user).await?;
        if !domain::settings::impersonation_allowed(org.as_ref(), &own) {
            return Err(Error::new(
                Code::ImpersonationOff,
                "impersonation is off: the instance's security settings turn it on",
            ));
        }
        let manager = !self.holdings(instance, user_id).await?.is_empty();
        let target = Target::User {
            instance,
            org: &user.org,
            user: user_id,
        };
        domain::decided(self.deps.authz.may_impersonate(caller, &target, manager))?;
        let change = UserChange::Impersonated {
            by: by.user.clone(),
            client_id: client_id.into(),
        };
        let k = key(instance, User::KIND, user_id);
        self.execute::<User>(&k, caller, UserCommand::Change(change), None)
            .await
    }
}
