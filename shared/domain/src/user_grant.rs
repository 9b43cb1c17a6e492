//! The UserGrant aggregate (an authorization): project roles of a user, on a project of the
//! user's instance or through a project grant. It holds only roles that the project (or the
//! grant) holds; the service layer passes them in, read from the project's actor.

use authz::{Permission, Requirement, Target};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::lifecycle::Lifecycle;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGrant {
    pub lifecycle: Lifecycle,
    pub user_id: String,
    pub project_id: String,
    /// The org that owns the project.
    pub project_org: String,
    /// The project grant it is made through, and the org that grant is to.
    pub project_grant: Option<(String, String)>,
    pub roles: Vec<String>,
}

/// Where a user grant is made: on a project, or through a grant of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GrantScope {
    pub project_id: String,
    pub project_org: String,
    /// (grant id, granted org)
    pub project_grant: Option<(String, String)>,
    /// The roles the project (or the grant) holds now.
    pub available: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UserGrantCommand {
    Create {
        user_id: String,
        scope: GrantScope,
        role_keys: Vec<String>,
    },
    /// Replaces the roles; `available` as in [`GrantScope`].
    Change {
        role_keys: Vec<String>,
        available: Vec<String>,
    },
    /// A cascade: the project or the grant no longer holds these roles.
    RevokeRoles {
        keys: Vec<String>,
    },
    Remove,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserGrantEvent {
    Added {
        user_id: String,
        project_id: String,
        project_org: String,
        project_grant: Option<(String, String)>,
        roles: Vec<String>,
    },
    Changed {
        roles: Vec<String>,
    },
    Removed,
}

impl EventType for UserGrantEvent {
    fn event_type(&self) -> &'static str {
        match self {
            UserGrantEvent::Added { .. } => "user.grant.added",
            UserGrantEvent::Changed { .. } => "user.grant.changed",
            UserGrantEvent::Removed => "user.grant.removed",
        }
    }
}

fn roles(keys: &[String], available: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for k in keys {
        if !available.contains(k) {
            return Err(Error::new(
                Code::RoleNotGranted,
                format!("role {k} is not held by the project (or the grant) it would come from"),
            )
            .with("key", k.as_str()));
        }
        if !out.contains(k) {
            out.push(k.clone());
        }
    }
    out.sort();
    Ok(out)
}

impl UserGrant {
    /// The resource whose managers manage a user grant: the project, or in the granted org
    /// through the grant (gateway and actor check the same target).
    pub fn target<'a>(
        instance: &'a str,
        project_id: &'a str,
        project_org: &'a str,
        grant: &'a Option<(String, String)>,
    ) -> Target<'a> {
        match grant {
            Some((grant, granted_org)) => Target::GrantedProject {
                instance,
                granted_org,
                project: project_id,
                grant,
            },
            None => Target::Project {
                instance,
                org: project_org,
                project: project_id,
            },
        }
    }
}

impl Aggregate for UserGrant {
    const KIND: &'static str = "user_grant";
    type Command = UserGrantCommand;
    type Event = UserGrantEvent;

    fn owners(&self) -> Vec<String> {
        let mut owners = vec![self.user_id.clone(), self.project_id.clone()];
        owners.extend(self.project_grant.iter().map(|(g, _)| g.clone()));
        owners
    }

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    fn access<'a>(&'a self, key: &'a AggregateKey, cmd: &'a UserGrantCommand) -> Access<'a> {
        match cmd {
            UserGrantCommand::Create { scope, .. } => Access::Check(
                Requirement::plain(Permission::USER_GRANT_WRITE),
                UserGrant::target(
                    &key.instance,
                    &scope.project_id,
                    &scope.project_org,
                    &scope.project_grant,
                ),
            ),
            UserGrantCommand::Change { .. } | UserGrantCommand::RevokeRoles { .. } => {
                Access::Check(
                    Requirement::plain(Permission::USER_GRANT_WRITE),
                    self.own_target(key),
                )
            }
            UserGrantCommand::Remove => Access::Check(
                Requirement::plain(Permission::USER_GRANT_DELETE),
                self.own_target(key),
            ),
        }
    }

    fn decide(&self, cmd: &UserGrantCommand, _ctx: Ctx<'_>) -> Result<Vec<UserGrantEvent>> {
        if let UserGrantCommand::Create {
            user_id,
            scope,
            role_keys,
        } = cmd
        {
            if self.lifecycle != Lifecycle::New {
                return Err(Error::internal("the user grant id is in use already"));
            }
            return Ok(vec![UserGrantEvent::Added {
                user_id: user_id.clone(),
                project_id: scope.project_id.clone(),
                project_org: scope.project_org.clone(),
                project_grant: scope.project_grant.clone(),
                roles: roles(role_keys, &scope.available)?,
            }]);
        }
        if !self.exists() {
            return Err(Error::new(
                Code::UserGrantNotFound,
                "the user grant does not exist",
            ));
        }
        Ok(match cmd {
            UserGrantCommand::Create { .. } => unreachable!("handled above"),
            UserGrantCommand::Change {
                role_keys,
                available,
            } => {
                let next = roles(role_keys, available)?;
                if next == self.roles {
                    vec![]
                } else {
                    vec![UserGrantEvent::Changed { roles: next }]
                }
            }
            UserGrantCommand::RevokeRoles { keys } => {
                let next: Vec<String> = self
                    .roles
                    .iter()
                    .filter(|r| !keys.contains(r))
                    .cloned()
                    .collect();
                if next == self.roles {
                    vec![]
                } else {
                    vec![UserGrantEvent::Changed { roles: next }]
                }
            }
            UserGrantCommand::Remove => vec![UserGrantEvent::Removed],
        })
    }

    fn apply(&mut self, event: &UserGrantEvent) {
        match event {
            UserGrantEvent::Added {
                user_id,
                project_id,
                project_org,
                project_grant,
                roles,
            } => {
                self.lifecycle = Lifecycle::Active;
                self.user_id = user_id.clone();
                self.project_id = project_id.clone();
                self.project_org = project_org.clone();
                self.project_grant = project_grant.clone();
                self.roles = roles.clone();
            }
            UserGrantEvent::Changed { roles } => self.roles = roles.clone(),
            UserGrantEvent::Removed => self.lifecycle = Lifecycle::Removed,
        }
    }
}

impl UserGrant {
    fn own_target<'a>(&'a self, key: &'a AggregateKey) -> Target<'a> {
        UserGrant::target(
            &key.instance,
            &self.project_id,
            &self.project_org,
            &self.project_grant,
        )
    }
}
