//! Users with credentials: a human's password is checked against the rules and hashed on the
//! bounded pool after the permission precheck (a caller who may not create users cannot make
//! the server hash), and personal access tokens are made here and stored only as hashes.

use authz::Caller;
use domain::user::{Email, NewHuman, Profile, User, UserCommand};
use domain::{validate, AggregateKey, Error};

use crate::actor::Written;
use crate::bus::CommandBus;
use crate::secrets::new_token;

/// A human as the API asks for it, with the password in clear.
pub struct HumanInput {
    pub org_id: String,
    pub username: String,
    pub profile: Profile,
    pub email: Email,
    pub phone: Option<String>,
    pub password: Option<String>,
}

/// A new personal access token: shown once.
pub struct NewPat {
    pub written: Written,
    pub pat_id: String,
    pub token: String,
}

impl CommandBus {
    pub async fn create_human(
        &self,
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
        };
        let key = AggregateKey {
            instance: instance.into(),
            kind: <User as domain::Aggregate>::KIND,
            id: user_id.into(),
        };
        self.precheck::<User>(&key, caller, &UserCommand::AddHuman(human.clone()))?;
        if let Some(p) = input.password {
            human.password_hash = Some(self.passwords.hash(validate::password(&p)?).await?);
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
        let key = AggregateKey {
            instance: instance.into(),
            kind: <User as domain::Aggregate>::KIND,
            id: user_id.into(),
        };
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
    ) -> Result<Written, Error> {
        let key = AggregateKey {
            instance: instance.into(),
            kind: <User as domain::Aggregate>::KIND,
            id: user_id.into(),
        };
        let cmd = UserCommand::RemovePat {
            pat_id: pat_id.into(),
        };
        self.execute::<User>(&key, caller, cmd, None).await
    }
}
