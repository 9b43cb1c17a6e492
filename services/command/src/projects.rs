//! Projects: created in an existing org; OIDC apps get their client id and secret here (the
//! secret shown once, stored as a SHA-256 hash).

use authz::Caller;
use domain::app::OidcConfig;
use domain::org::Org;
use domain::project::{Project, ProjectCommand};
use domain::{Aggregate, AggregateKey, Code, Error};

use crate::actor::Written;
use crate::bus::CommandBus;
use crate::codes::seal;
use crate::sagas::key;
use crypto::sealing::Purpose;
use crypto::secrets::new_token;

/// A new OIDC app: its ids, and its secret if its auth method uses one (shown once).
#[derive(Debug)]
pub struct NewApp {
    pub written: Written,
    pub app_id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

fn project_key(instance: &str, id: &str) -> AggregateKey {
    key(instance, Project::KIND, id)
}

impl CommandBus {
    /// Creates a project in an existing org (`project.create` on the org).
    pub async fn create_project(
        self: &std::sync::Arc<Self>,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        org_id: &str,
        name: &str,
        assert_roles: bool,
    ) -> Result<Written, Error> {
        let key = project_key(instance, project_id);
        let cmd = ProjectCommand::Create {
            org_id: org_id.into(),
            name: name.into(),
            assert_roles,
        };
        self.precheck::<Project>(&key, caller, &cmd)?;
        let (org, _) = self.state::<Org>(&key_of_org(instance, org_id)).await?;
        if !org.exists() {
            return Err(
                Error::new(Code::OrgNotFound, format!("org {org_id} does not exist"))
                    .with("org_id", org_id),
            );
        }
        let written = self
            .step::<Project>(&key, caller, cmd, None, Project::exists)
            .await?;
        self.recheck_org(instance, org_id, None, Some(project_id))
            .await?;
        Ok(written)
    }

    /// Any other command on a project.
    pub async fn change_project(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        cmd: ProjectCommand,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        self.execute::<Project>(&project_key(instance, project_id), caller, cmd, if_match)
            .await
    }

    /// Adds an OIDC app with a new client id (and a client secret for secret-based auth).
    pub async fn add_app(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        config: OidcConfig,
    ) -> Result<NewApp, Error> {
        let app_id = uuid::Uuid::now_v7().to_string();
        let client_id = format!("{}@{project_id}", uuid::Uuid::now_v7().simple());
        let (client_secret, secret_hash) = if config.auth_method.uses_secret() {
            let (secret, hash) = new_token();
            (Some(secret), Some(hash))
        } else {
            (None, None)
        };
        let sealed_secret = match &client_secret {
            Some(secret) if config.auth_method.keeps_secret() => Some(seal(
                self.master_key()?,
                Purpose::ClientSecret,
                instance,
                secret,
            )),
            _ => None,
        };
        let cmd = ProjectCommand::AddApp {
            app_id: app_id.clone(),
            client_id: client_id.clone(),
            config,
            secret_hash,
            sealed_secret,
        };
        let written = self
            .change_project(caller, instance, project_id, cmd, None)
            .await?;
        Ok(NewApp {
            written,
            app_id,
            client_id,
            client_secret,
        })
    }

    /// A new client secret for an app (the old one stops working).
    pub async fn rotate_app_secret(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        app_id: &str,
    ) -> Result<NewApp, Error> {
        let (secret, secret_hash) = new_token();
        let (project, _) = self
            .state::<Project>(&project_key(instance, project_id))
            .await?;
        let app = project.apps.get(app_id);
        let sealed_secret = match app {
            Some(a) if a.config.auth_method.keeps_secret() => Some(seal(
                self.master_key()?,
                Purpose::ClientSecret,
                instance,
                &secret,
            )),
            _ => None,
        };
        let client_id = app.map(|a| a.client_id.clone()).unwrap_or_default();
        let cmd = ProjectCommand::RotateAppSecret {
            app_id: app_id.into(),
            secret_hash,
            sealed_secret,
        };
        let written = self
            .change_project(caller, instance, project_id, cmd, None)
            .await?;
        Ok(NewApp {
            written,
            app_id: app_id.into(),
            client_id,
            client_secret: Some(secret),
        })
    }
}

fn key_of_org(instance: &str, org_id: &str) -> AggregateKey {
    key(instance, Org::KIND, org_id)
}
