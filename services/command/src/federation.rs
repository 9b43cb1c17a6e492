//! Users from external identity providers: the user an IdP's identity is linked to (a unique
//! claim on the identity, so that it links to one user of the instance at most), or a new
//! user made from the identity where the IdP's options allow it, linked at once.

use std::sync::Arc;

use domain::idp::{on_unlinked, IdpOptions, Unlinked};
use domain::oidc::{IdpIntent, IdpIntentCommand};
use domain::unique::{unique_id, Unique};
use domain::user::{Email, Profile, UserChange};
use domain::{Aggregate, Code, Error};

use crate::bus::CommandBus;
use crate::credentials::HumanInput;
use crate::oidc::login_flow;
use crate::sagas::key;

/// What an IdP vouched for about its user.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ExternalUser {
    pub idp_id: String,
    /// The IdP's id of the user.
    pub external_id: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
}

impl ExternalUser {
    /// What to show of the identity: its email, else its login name, else its id.
    pub fn display_name(&self) -> String {
        self.email
            .clone()
            .or_else(|| self.preferred_username.clone())
            .unwrap_or_else(|| self.external_id.clone())
    }
}

/// The unique claim an identity is linked by.
pub(crate) fn link_claim(instance: &str, idp_id: &str, external_id: &str) -> domain::AggregateKey {
    let value = unique_id("idp_link", &format!("{idp_id}/{external_id}"));
    key(instance, Unique::KIND, &value)
}

/// Whose a login through an IdP is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Federated {
    /// The user linked to the identity (or just made from it).
    User(String),
    /// No user yet: the owner of an existing account may link it (`account`: the one
    /// `auto_link` found; none: any account of the org).
    Confirm { account: Option<String> },
}

fn not_allowed() -> Error {
    Error::new(
        Code::IdpUserUnknown,
        "no user of this instance is linked to that identity, and the identity provider creates none",
    )
}

impl CommandBus {
    /// The user linked to `external`, if any.
    pub async fn linked_user(
        &self,
        instance: &str,
        idp_id: &str,
        external_id: &str,
    ) -> Result<Option<String>, Error> {
        let (claim, _) = self
            .state::<Unique>(&link_claim(instance, idp_id, external_id))
            .await?;
        Ok(claim.owner)
    }

    /// The user a login through an IdP is for: the one linked to the identity, else (by
    /// [`on_unlinked`]) a new human of `org`, made from the identity's claims and linked, or
    /// an account to be linked by its owner (`found`: the one `auto_link` found). A linked
    /// user who may not log in (locked, deactivated) is refused by the session.
    pub async fn federated_user(
        self: &Arc<Self>,
        instance: &str,
        org: &str,
        options: &IdpOptions,
        external: &ExternalUser,
        found: Option<&str>,
    ) -> Result<Federated, Error> {
        let (idp_id, external_id) = (&external.idp_id, &external.external_id);
        if let Some(user_id) = self.linked_user(instance, idp_id, external_id).await? {
            if options.auto_update {
                self.follow_idp(instance, &user_id, external).await;
            }
            return Ok(Federated::User(user_id));
        }
        match on_unlinked(options, found.is_some()) {
            Unlinked::Create => {}
            Unlinked::Confirm => {
                return Ok(Federated::Confirm {
                    account: found.map(str::to_string),
                })
            }
            Unlinked::Refuse => return Err(not_allowed()),
        }
        let user_id = uuid::Uuid::now_v7().to_string();
        let caller = login_flow(instance);
        // The identity is claimed first: of two logins at once, one makes the user.
        let claim = link_claim(instance, idp_id, external_id);
        if let Err(e) = self
            .claim(&claim, &user_id, Code::IdpUserUnknown, &caller)
            .await
        {
            // Another login of the same identity got there first: its user it is.
            return match self.linked_user(instance, idp_id, external_id).await? {
                Some(theirs) if e.code == Code::IdpUserUnknown => Ok(Federated::User(theirs)),
                _ => Err(e),
            };
        }
        let username = self.free_username(instance, external).await?;
        // A name the IdP does not give is the user's login name there (a profile needs both).
        let name = |n: &Option<String>| {
            n.clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| username.clone())
        };
        let input = HumanInput {
            org_id: org.to_string(),
            username: username.clone(),
            profile: Profile {
                given_name: name(&external.given_name),
                family_name: name(&external.family_name),
                display_name: String::new(),
                preferred_language: None,
            },
            email: Email {
                address: external.email.clone().unwrap_or_default(),
                verified: external.email_verified,
            },
            phone: None,
            password: None,
            then: vec![],
        };
        if let Err(e) = self.create_human(&caller, instance, &user_id, input).await {
            self.release(&claim, &user_id, &caller).await;
            // What the IdP said does not make a user (no email address, say): no login.
            return Err(match e.kind() {
                domain::Kind::InvalidArgument | domain::Kind::Conflict => Error::new(
                    Code::IdpUserUnknown,
                    format!(
                        "the identity provider's user cannot become a user here: {}",
                        e.message
                    ),
                ),
                _ => e,
            });
        }
        let link = UserChange::LinkIdp {
            idp_id: idp_id.clone(),
            external_id: external_id.clone(),
            display_name: external.display_name(),
        };
        self.change_user(&caller, instance, &user_id, link, None)
            .await?;
        Ok(Federated::User(user_id))
    }

    /// Links `external` to `user_id`, whose owner just proved the account (its password):
    /// refused (`IDP-0005`) if the identity is linked to someone meanwhile.
    pub async fn link_identity(
        &self,
        instance: &str,
        user_id: &str,
        external: &ExternalUser,
    ) -> Result<(), Error> {
        let caller = login_flow(instance);
        let claim = link_claim(instance, &external.idp_id, &external.external_id);
        self.claim(&claim, user_id, Code::IdpUserUnknown, &caller)
            .await?;
        let link = UserChange::LinkIdp {
            idp_id: external.idp_id.clone(),
            external_id: external.external_id.clone(),
            display_name: external.display_name(),
        };
        if let Err(e) = self
            .change_user(&caller, instance, user_id, link, None)
            .await
        {
            self.release(&claim, user_id, &caller).await;
            return Err(e);
        }
        Ok(())
    }

    /// Updates a linked user's names and email address to what the IdP says now (what it
    /// leaves out stays; what cannot be taken is logged, and the login goes on).
    async fn follow_idp(&self, instance: &str, user_id: &str, external: &ExternalUser) {
        let caller = login_flow(instance);
        let given = |v: &Option<String>| v.clone().filter(|n| !n.trim().is_empty());
        let mut changes = vec![UserChange::Profile(domain::user::ProfilePatch {
            given_name: given(&external.given_name),
            family_name: given(&external.family_name),
            ..Default::default()
        })];
        if let Some(address) = given(&external.email) {
            let (user, _) = match self
                .state::<domain::user::User>(&key(instance, domain::user::User::KIND, user_id))
                .await
            {
                Ok(found) => found,
                Err(_) => return,
            };
            let now = (address, external.email_verified);
            let held = match &user.kind {
                Some(domain::user::UserKind::Human { email, .. }) => {
                    Some((email.address.clone(), email.verified))
                }
                _ => None,
            };
            if held != Some(now.clone()) {
                changes.push(UserChange::Email {
                    address: now.0,
                    verified: now.1,
                });
            }
        }
        for change in changes {
            if let Err(e) = self
                .change_user(&caller, instance, user_id, change, None)
                .await
            {
                tracing::warn!(instance, user_id, error = %e, "a user was not updated from their identity provider");
            }
        }
    }

    /// Unlinks an external identity from a user (`user.write`, or the user themself): it
    /// logs in as that user no more, and may be linked to another.
    pub async fn unlink_idp(
        &self,
        caller: &authz::Caller,
        instance: &str,
        user_id: &str,
        idp_id: &str,
        external_id: &str,
    ) -> Result<crate::Written, Error> {
        let change = UserChange::UnlinkIdp {
            idp_id: idp_id.into(),
            external_id: external_id.into(),
        };
        let written = self
            .change_user(caller, instance, user_id, change, None)
            .await?;
        let claim = link_claim(instance, idp_id, external_id);
        self.release(&claim, user_id, &login_flow(instance)).await;
        Ok(written)
    }

    /// A login name for a new user from an IdP: its `preferred_username`, else its email, made
    /// unique with a suffix where taken.
    async fn free_username(
        &self,
        instance: &str,
        external: &ExternalUser,
    ) -> Result<String, Error> {
        let wanted = external
            .preferred_username
            .clone()
            .or_else(|| external.email.clone())
            .filter(|u| domain::validate::username(u).is_ok())
            .unwrap_or_else(|| format!("{}-{}", external.idp_id, external.external_id));
        let mut candidate = wanted.clone();
        for n in 2..20 {
            let (claim, _) = self
                .state::<Unique>(&crate::sagas::login_claim(instance, &candidate))
                .await?;
            if claim.owner.is_none() {
                return Ok(candidate);
            }
            candidate = format!("{wanted}-{n}");
        }
        Ok(format!("{wanted}-{}", uuid::Uuid::now_v7().simple()))
    }
}

impl CommandBus {
    /// Records a login UI's IdP login that came back for `user_id`: the intent's id and its
    /// token (shown once, to the login UI).
    pub async fn succeed_idp_intent(
        &self,
        instance: &str,
        idp_id: &str,
        user_id: &str,
    ) -> Result<(String, String), Error> {
        let id = uuid::Uuid::now_v7().to_string();
        let (token, token_hash) = crypto::secrets::new_token();
        let cmd = IdpIntentCommand::Succeed {
            idp_id: idp_id.into(),
            user_id: user_id.into(),
            token_hash,
        };
        let k = key(instance, IdpIntent::KIND, &id);
        self.execute::<IdpIntent>(&k, &login_flow(instance), cmd, None)
            .await?;
        Ok((id, token))
    }

    /// Uses an intent up (a session's `idp_intent` check): the IdP and the user it was for.
    pub async fn consume_idp_intent(
        &self,
        instance: &str,
        id: &str,
        token: &str,
    ) -> Result<IdpIntent, Error> {
        let k = key(instance, IdpIntent::KIND, id);
        let cmd = IdpIntentCommand::Consume {
            token_hash: crypto::secrets::token_hash(token),
        };
        self.execute::<IdpIntent>(&k, &login_flow(instance), cmd, None)
            .await?;
        Ok(self.state::<IdpIntent>(&k).await?.0)
    }
}
