//! User grants (authorizations): a user's roles on a project, or through a grant of it. The
//! roles must be held by the project (or the grant) as its actor knows them now; one user
//! grant per user, project and grant (a unique claim).

use authz::Caller;
use domain::project::Project;
use domain::unique::{unique_id, Unique};
use domain::user::User;
use domain::user_grant::{GrantScope, UserGrant, UserGrantCommand};
use domain::{authorize, Aggregate, AggregateKey, Code, Error};

use crate::actor::Written;
use crate::bus::CommandBus;
use crate::sagas::key;

/// The unique claim of a user grant: one per user, project and grant.
pub(crate) fn user_grant_claim(instance: &str, g: &UserGrant) -> AggregateKey {
    let grant = g.project_grant.as_ref().map_or("-", |(id, _)| id.as_str());
    key(
        instance,
        Unique::KIND,
        &unique_id(
            "user_grant",
            &format!("{}:{}:{grant}", g.user_id, g.project_id),
        ),
    )
}

/// A user grant as asked for.
pub struct NewUserGrant {
    pub user_id: String,
    pub project_id: String,
    pub project_grant_id: Option<String>,
    pub role_keys: Vec<String>,
}

fn not_found(grant_id: &str) -> Error {
    Error::new(Code::UserGrantNotFound, format!("no user grant {grant_id}"))
        .with("grant_id", grant_id)
}

impl CommandBus {
    /// Where a user grant on `project_id` (through `project_grant_id`) is made, with the roles
    /// it may hold: from the project's actor.
    async fn grant_scope(
        &self,
        instance: &str,
        project_id: &str,
        project_grant_id: Option<&str>,
    ) -> Result<GrantScope, Error> {
        let (project, _) = self
            .state::<Project>(&key(instance, Project::KIND, project_id))
            .await?;
        if !project.exists() {
            return Err(
                Error::new(Code::ProjectNotFound, format!("no project {project_id}"))
                    .with("project_id", project_id),
            );
        }
        Ok(match project_grant_id {
            None => GrantScope {
                project_id: project_id.into(),
                project_org: project.org.clone(),
                project_grant: None,
                available: project.roles.keys().cloned().collect(),
            },
            Some(g) => {
                let grant = project.grants.get(g).ok_or_else(|| {
                    Error::new(Code::GrantNotFound, format!("the project has no grant {g}"))
                        .with("project_grant_id", g)
                })?;
                GrantScope {
                    project_id: project_id.into(),
                    project_org: project.org.clone(),
                    project_grant: Some((g.into(), grant.granted_org.clone())),
                    available: grant.roles.clone(),
                }
            }
        })
    }

    /// Gives a user roles on a project (or through a grant of it).
    pub async fn create_user_grant(
        &self,
        caller: &Caller,
        instance: &str,
        grant_id: &str,
        new: NewUserGrant,
    ) -> Result<Written, Error> {
        let NewUserGrant {
            user_id,
            project_id,
            project_grant_id,
            role_keys,
        } = new;
        let (user_id, project_id) = (user_id.as_str(), project_id.as_str());
        let scope = self
            .grant_scope(instance, project_id, project_grant_id.as_deref())
            .await?;
        let k = key(instance, UserGrant::KIND, grant_id);
        let cmd = UserGrantCommand::Create {
            user_id: user_id.into(),
            scope,
            role_keys,
        };
        // The permission, then whether the user exists, then the roles (a dry run).
        authorize(
            &self.deps.authz,
            caller,
            UserGrant::default().access(&k, &cmd),
        )?;
        let (user, _) = self
            .state::<User>(&key(instance, User::KIND, user_id))
            .await?;
        if !user.exists() {
            return Err(Error::new(Code::UserNotFound, format!("no user {user_id}"))
                .with("user_id", user_id));
        }
        self.precheck::<UserGrant>(&k, caller, &cmd)?;
        let mut probe = UserGrant::default();
        if let UserGrantCommand::Create { user_id, scope, .. } = &cmd {
            probe.user_id = user_id.clone();
            probe.project_id = scope.project_id.clone();
            probe.project_grant = scope.project_grant.clone();
        }
        self.claimed(
            (
                &user_grant_claim(instance, &probe),
                grant_id,
                Code::UserGrantExists,
            ),
            caller,
            (&k, UserGrant::exists),
            |not_after| self.execute_before::<UserGrant>(&k, caller, cmd.clone(), None, not_after),
        )
        .await
    }

    /// The user grant `grant_id` of `user_id` (404 if it is another user's).
    async fn user_grant(
        &self,
        instance: &str,
        user_id: &str,
        grant_id: &str,
    ) -> Result<(AggregateKey, UserGrant), Error> {
        let k = key(instance, UserGrant::KIND, grant_id);
        let (grant, _) = self.state::<UserGrant>(&k).await?;
        if !grant.exists() || grant.user_id != user_id {
            return Err(not_found(grant_id));
        }
        Ok((k, grant))
    }

    /// Replaces a user grant's roles.
    pub async fn change_user_grant(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        grant_id: &str,
        role_keys: Vec<String>,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let (k, grant) = self.user_grant(instance, user_id, grant_id).await?;
        let through = grant.project_grant.as_ref().map(|(g, _)| g.as_str());
        let scope = self
            .grant_scope(instance, &grant.project_id, through)
            .await?;
        let cmd = UserGrantCommand::Change {
            role_keys,
            available: scope.available,
        };
        self.execute::<UserGrant>(&k, caller, cmd, if_match).await
    }

    /// Removes a user grant.
    pub async fn remove_user_grant(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        grant_id: &str,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let (k, grant) = self.user_grant(instance, user_id, grant_id).await?;
        let written = self
            .execute::<UserGrant>(&k, caller, UserGrantCommand::Remove, if_match)
            .await?;
        self.release(&user_grant_claim(instance, &grant), grant_id, caller)
            .await;
        Ok(written)
    }
}
