//! Keys of machine users and `private_key_jwt` apps: generated here (the private key returned
//! once, in a key file) or uploaded (a PEM public key); only the public JWK is recorded. And
//! the assertions they sign, each good once.

use authz::Caller;
use domain::machine_keys::PublicJwk;
use domain::oidc::{AssertionCommand, UsedAssertions};
use domain::project::{Project, ProjectCommand};
use domain::user::{User, UserChange, UserCommand};
use domain::{Aggregate, Error};

use crate::actor::Written;
use crate::bus::CommandBus;
use crate::oidc::login_flow;
use crate::sagas::key;

/// A key added: its id, and the private key (PEM) when the key was generated here.
#[derive(Debug)]
pub struct NewMachineKey {
    pub written: Written,
    pub key_id: String,
    pub private_key: Option<String>,
}

/// The public key of an uploaded PEM, or a new key pair.
async fn key_pair(public_key: Option<&str>) -> Result<(PublicJwk, Option<String>), Error> {
    match public_key {
        Some(pem) => Ok((crypto::public_keys::jwk_from_pem(pem)?, None)),
        None => {
            let (jwk, private) = tokio::task::spawn_blocking(crypto::public_keys::generate)
                .await
                .map_err(|e| Error::internal(e.to_string()))??;
            Ok((jwk, Some(private)))
        }
    }
}

impl CommandBus {
    /// A project as its actor holds it (its apps' keys and sealed secrets included).
    pub async fn project(&self, instance: &str, project_id: &str) -> Result<Project, Error> {
        Ok(self
            .state::<Project>(&key(instance, Project::KIND, project_id))
            .await?
            .0)
    }

    /// Adds a key to a machine user (`user.write`, no escalation).
    pub async fn add_machine_key(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        expires_at: Option<i64>,
        public_key: Option<&str>,
    ) -> Result<NewMachineKey, Error> {
        let (jwk, private_key) = key_pair(public_key).await?;
        let key_id = uuid::Uuid::now_v7().simple().to_string();
        let change = UserChange::AddMachineKey {
            key_id: key_id.clone(),
            jwk,
            expires_at,
        };
        let k = key(instance, User::KIND, user_id);
        let written = self
            .execute::<User>(&k, caller, UserCommand::Change(change), None)
            .await?;
        Ok(NewMachineKey {
            written,
            key_id,
            private_key,
        })
    }

    /// Removes a machine user's key: assertions it signs are refused from then on.
    pub async fn remove_machine_key(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        key_id: &str,
    ) -> Result<Written, Error> {
        let change = UserChange::RemoveMachineKey {
            key_id: key_id.into(),
        };
        let k = key(instance, User::KIND, user_id);
        self.execute::<User>(&k, caller, UserCommand::Change(change), None)
            .await
    }

    /// Adds a key to a `private_key_jwt` app (`project.app.write`).
    pub async fn add_app_key(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        app_id: &str,
        expires_at: Option<i64>,
        public_key: Option<&str>,
    ) -> Result<NewMachineKey, Error> {
        let (jwk, private_key) = key_pair(public_key).await?;
        let key_id = uuid::Uuid::now_v7().simple().to_string();
        let cmd = ProjectCommand::AddAppKey {
            app_id: app_id.into(),
            key_id: key_id.clone(),
            jwk,
            expires_at,
        };
        let k = key(instance, Project::KIND, project_id);
        let written = self.execute::<Project>(&k, caller, cmd, None).await?;
        Ok(NewMachineKey {
            written,
            key_id,
            private_key,
        })
    }

    pub async fn remove_app_key(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        app_id: &str,
        key_id: &str,
    ) -> Result<Written, Error> {
        let cmd = ProjectCommand::RemoveAppKey {
            app_id: app_id.into(),
            key_id: key_id.into(),
        };
        let k = key(instance, Project::KIND, project_id);
        self.execute::<Project>(&k, caller, cmd, None).await
    }

    /// Uses up the assertion `jti` of `signer` (a client id, a machine user's id), which
    /// expires at `expires_at` (unix seconds): `OIDC-0001` if it was used before.
    pub async fn use_assertion(
        &self,
        instance: &str,
        signer: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<(), Error> {
        let k = key(instance, UsedAssertions::KIND, signer);
        let cmd = AssertionCommand::Use {
            jti: jti.into(),
            expires_at,
        };
        self.execute::<UsedAssertions>(&k, &login_flow(instance), cmd, None)
            .await?;
        Ok(())
    }
}
