//! SAML apps: an SP's entity id is claimed in the instance before its app is added, so that
//! no project can take over another's SP (its logins would go to the taker's ACS); the SSO
//! endpoint finds an app by its entity id through that claim.

use authz::Caller;
use domain::project::{Project, ProjectCommand};
use domain::saml::SamlConfig;
use domain::unique::{unique_id, Unique};
use domain::{authorize, Aggregate, AggregateKey, Code, Ctx, Error};

use crate::actor::{now_ms, Written};
use crate::bus::CommandBus;
use crate::sagas::key;

pub(crate) const NAMESPACE: &str = "saml_entity";

fn entity_claim(instance: &str, entity_id: &str) -> AggregateKey {
    key(instance, Unique::KIND, &unique_id(NAMESPACE, entity_id))
}

/// The claim's holder: the project and the app, as `<project_id>/<app_id>`.
fn holder(project_id: &str, app_id: &str) -> String {
    format!("{project_id}/{app_id}")
}

/// A SAML app, found by its SP's entity id.
#[derive(Clone, Debug)]
pub struct SamlApp {
    pub project_id: String,
    pub app_id: String,
    pub config: SamlConfig,
}

impl CommandBus {
    /// Adds a SAML app to a project, its entity id claimed in the instance (`SAML-0002` when
    /// another app has it).
    pub async fn add_saml_app(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        config: SamlConfig,
    ) -> Result<(Written, String), Error> {
        let app_id = uuid::Uuid::now_v7().to_string();
        let project = key(instance, Project::KIND, project_id);
        let cmd = ProjectCommand::AddSamlApp {
            app_id: app_id.clone(),
            config: config.clone(),
        };
        // Permission and input first: a refused app holds no entity id.
        let (state, _) = self.state::<Project>(&project).await?;
        authorize_on(self, &project, &state, caller, &cmd)?;
        let claim = entity_claim(instance, &config.entity_id);
        let owner = holder(project_id, &app_id);
        let added = |p: &Project| p.saml_apps.contains_key(&app_id);
        let written = self
            .claimed(
                (&claim, &owner, Code::SamlEntityTaken),
                caller,
                (&project, added),
                |not_after| {
                    self.execute_before::<Project>(&project, caller, cmd.clone(), None, not_after)
                },
            )
            .await?;
        Ok((written, app_id))
    }

    /// Removes an app of a project (OIDC or SAML), and a SAML app's entity id claim.
    pub async fn remove_app(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        app_id: &str,
    ) -> Result<Written, Error> {
        let project = key(instance, Project::KIND, project_id);
        let cmd = ProjectCommand::RemoveApp {
            app_id: app_id.into(),
        };
        let (state, _) = self.state::<Project>(&project).await?;
        let written = self.execute::<Project>(&project, caller, cmd, None).await?;
        if let Some(saml) = state.saml_apps.get(app_id) {
            let claim = entity_claim(instance, &saml.entity_id);
            self.release(&claim, &holder(project_id, app_id), caller)
                .await;
        }
        Ok(written)
    }

    /// Releases the entity ids of a removed project's SAML apps.
    pub(crate) async fn release_saml_apps(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        removed: &Project,
    ) {
        for (app_id, config) in &removed.saml_apps {
            let claim = entity_claim(instance, &config.entity_id);
            self.release(&claim, &holder(project_id, app_id), caller)
                .await;
        }
    }

    /// A project's SAML apps, by app id (`PROJECT-0001` if the project does not exist).
    pub async fn saml_apps(
        &self,
        instance: &str,
        project_id: &str,
    ) -> Result<std::collections::BTreeMap<String, SamlConfig>, Error> {
        let (project, _) = self
            .state::<Project>(&key(instance, Project::KIND, project_id))
            .await?;
        if !project.exists() {
            return Err(Error::new(
                Code::ProjectNotFound,
                "the project does not exist",
            ));
        }
        Ok(project.saml_apps)
    }

    /// The SAML app whose SP has `entity_id`, if one has it and its project still exists.
    pub async fn saml_app_of_entity(
        &self,
        instance: &str,
        entity_id: &str,
    ) -> Result<Option<SamlApp>, Error> {
        let (claim, _) = self
            .state::<Unique>(&entity_claim(instance, entity_id))
            .await?;
        let Some((project_id, app_id)) = claim.owner.as_deref().and_then(|o| o.split_once('/'))
        else {
            return Ok(None);
        };
        let (project, _) = self
            .state::<Project>(&key(instance, Project::KIND, project_id))
            .await?;
        let config = project
            .saml_apps
            .get(app_id)
            .filter(|c| project.exists() && c.entity_id == entity_id);
        Ok(config.map(|config| SamlApp {
            project_id: project_id.into(),
            app_id: app_id.into(),
            config: config.clone(),
        }))
    }

    /// Whether the holder of an entity id claim (`<project_id>/<app_id>`) holds it.
    pub(crate) async fn holds_entity(
        &self,
        instance: &str,
        holder: &str,
        entity_id: &str,
    ) -> Result<bool, Error> {
        let Some((project_id, app_id)) = holder.split_once('/') else {
            return Ok(false);
        };
        let (project, _) = self
            .state::<Project>(&key(instance, Project::KIND, project_id))
            .await?;
        Ok(project.exists()
            && project
                .saml_apps
                .get(app_id)
                .is_some_and(|c| c.entity_id == entity_id))
    }
}

/// What the project's actor will check, made before the claim: the permission, and the input
/// (a dry run of `decide` on the project as it is).
fn authorize_on(
    bus: &CommandBus,
    project: &AggregateKey,
    state: &Project,
    caller: &Caller,
    cmd: &ProjectCommand,
) -> Result<(), Error> {
    authorize(&bus.deps.authz, caller, state.access(project, cmd))?;
    state.decide(
        cmd,
        Ctx {
            key: project,
            caller,
            now: now_ms(),
        },
    )?;
    Ok(())
}
