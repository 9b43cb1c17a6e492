//! Users with credentials: a human's password is checked against the rules and hashed on the
//! bounded pool after the permission precheck (a caller who may not create users cannot make
//! the server hash), and personal access tokens are made here and stored only as hashes.

use authz::Caller;
use domain::user::{Email, NewHuman, Profile, User, UserChange, UserCommand};
use domain::{authorize, Aggregate, AggregateKey, Code, Error};

use crate::actor::Written;
use crate::bus::CommandBus;
use crypto::secrets::new_token;

/// A human as the API asks for it, with the password in clear.
pub struct HumanInput {
    pub org_id: String,
    pub username: String,
    pub profile: Profile,
    pub email: Email,
    pub phone: Option<String>,
    pub password: Option<String>,
    /// What a directory sets at once with the user (see [`NewHuman::then`]).
    pub then: Vec<UserChange>,
}

/// A new personal access token: shown once.
pub struct NewPat {
    pub written: Written,
    pub pat_id: String,
    pub token: String,
}

impl CommandBus {
    pub async fn create_human(
        self: &std::sync::Arc<Self>,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        input: HumanInput,
    ) -> Result<Written, Error> {
        let mut human = NewHuman {
            org_id: input.org_id,
            username: input.username,
            profile: input.profile,
            email: input.email,
            phone: input.phone,
            password_hash: None,
            password_change_required: false,
            then: input.then,
        };
        let key = user_key(instance, user_id);
        self.precheck::<User>(&key, caller, &UserCommand::AddHuman(human.clone()))?;
        if let Some(p) = input.password {
            let rules = self.password_complexity(instance, &human.org_id).await?;
            human.password_hash = Some(self.passwords.hash(rules.check(&p)?).await?);
        }
        self.create_user(caller, instance, user_id, UserCommand::AddHuman(human))
            .await
    }

    /// Adds a personal access token to a user (never one's own: `user.write` on the user).
    pub async fn add_pat(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        expires_at: Option<i64>,
    ) -> Result<NewPat, Error> {
        let (token, token_hash) = new_token();
        let pat_id = uuid::Uuid::now_v7().to_string();
        let key = user_key(instance, user_id);
        let cmd = UserCommand::AddPat {
            pat_id: pat_id.clone(),
            token_hash,
            expires_at,
        };
        let written = self.execute::<User>(&key, caller, cmd, None).await?;
        Ok(NewPat {
            written,
            pat_id,
            token,
        })
    }

    /// Revokes a personal access token.
    pub async fn remove_pat(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        pat_id: &str,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let key = user_key(instance, user_id);
        let cmd = UserCommand::RemovePat {
            pat_id: pat_id.into(),
        };
        self.execute::<User>(&key, caller, cmd, if_match).await
    }
}

/// A password change as the API asks for it.
pub struct PasswordChange {
    pub current_password: Option<String>,
    pub new_password: String,
}

/// A machine user's new client secret: shown once.
pub struct NewSecret {
    pub written: Written,
    pub client_id: String,
    pub client_secret: String,
}

impl CommandBus {
    /// Changes a user (profile, contact, state, metadata...). The user's actor checks the
    /// permission of the change against the user's own org.
    pub async fn change_user(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        change: UserChange,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let key = user_key(instance, user_id);
        // Which sessions the change ends: all, one, or none.
        let ends = change.ends_sessions();
        let written = self
            .execute::<User>(&key, caller, UserCommand::Change(change), if_match)
            .await?;
        if let Some(only) = ends {
            self.end_sessions_of(instance, user_id, only.as_deref())
                .await?;
        }
        Ok(written)
    }

    /// Sets a human's password. On oneself the current password must be sent and match; it
    /// is verified on the password pool, as the new one is hashed there.
    pub async fn change_password(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        change: PasswordChange,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let key = user_key(instance, user_id);
        // The permission first, with a placeholder: a caller who may not change this password
        // cannot make the server hash anything.
        let probe = UserCommand::Change(UserChange::Password {
            password_hash: String::new(),
            current_verified: false,
        });
        let (user, _) = self.state::<User>(&key).await?;
        if !user.exists() {
            return Err(Error::new(Code::UserNotFound, "the user does not exist"));
        }
        authorize(&self.deps.authz, caller, user.access(&key, &probe))?;
        self.precheck_take_over(caller, instance, user_id).await?;
        // The rules of the user's org (else the instance's).
        let (org, own) = self.settings_of_user(instance, &user).await?;
        let rules = domain::settings::password_complexity(org.as_ref(), &own);
        let new_password = rules.check(&change.new_password)?;
        let current_verified = match (change.current_password, user.password_hash) {
            (Some(current), Some(hash)) => self.passwords.verify(current, hash).await?,
            _ => false,
        };
        let password_hash = self.passwords.hash(new_password).await?;
        let cmd = UserCommand::Change(UserChange::Password {
            password_hash,
            current_verified,
        });
        let written = self.execute::<User>(&key, caller, cmd, if_match).await?;
        // A new password ends every session and refresh token of the user.
        self.end_sessions_of(instance, user_id, None).await?;
        Ok(written)
    }

    /// Gives a machine user a new client secret (replacing any old one).
    pub async fn new_machine_secret(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
    ) -> Result<NewSecret, Error> {
        let key = user_key(instance, user_id);
        let (user, _) = self.state::<User>(&key).await?;
        let (client_secret, secret_hash) = new_token();
        let written = self
            .execute::<User>(
                &key,
                caller,
                UserCommand::Change(UserChange::SetSecret { secret_hash }),
                None,
            )
            .await?;
        Ok(NewSecret {
            written,
            client_id: user.username,
            client_secret,
        })
    }
}

impl CommandBus {
    /// A user as its actor holds it, with its version (the sequence of its last event).
    pub async fn versioned_user(
        &self,
        instance: &str,
        user_id: &str,
    ) -> Result<(User, u64), Error> {
        self.state::<User>(&user_key(instance, user_id)).await
    }
}

fn user_key(instance: &str, user_id: &str) -> AggregateKey {
    AggregateKey {
        instance: instance.into(),
        kind: <User as domain::Aggregate>::KIND,
        id: user_id.into(),
    }
}
