//! Memberships (manager roles) on the instance, an org or a project: granted only to users
//! that exist in the instance, checked by the resource's actor against its own owner.

use authz::{Caller, Level};
use domain::instance::{Instance, InstanceCommand};
use domain::members::MemberCommand;
use domain::org::{Org, OrgCommand};
use domain::project::{Project, ProjectCommand};
use domain::user::User;
use domain::{Aggregate, Code, Error};

use crate::actor::Written;
use crate::bus::CommandBus;
use crate::sagas::key;

/// Where a membership is held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberOf {
    Instance,
    Org(String),
    Project(String),
}

impl CommandBus {
    /// Adds, sets or removes a membership. Roles go only to users of the instance
    /// (`MEMBER-0003` otherwise).
    pub async fn change_member(
        &self,
        caller: &Caller,
        instance: &str,
        at: MemberOf,
        cmd: MemberCommand,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let level = match &at {
            MemberOf::Instance => Level::Instance,
            MemberOf::Org(_) => Level::Org,
            MemberOf::Project(_) => Level::Project,
        };
        cmd.validate(level)?;
        match &cmd {
            MemberCommand::Add { user_id, .. } | MemberCommand::Set { user_id, .. } => {
                // The resource first (404), then the user the membership is for (412).
                self.require_resource(instance, &at).await?;
                self.require_user(instance, user_id).await?
            }
            MemberCommand::Remove { .. } => {}
        }
        match at {
            MemberOf::Instance => {
                let i = key(instance, Instance::KIND, instance);
                self.execute::<Instance>(&i, caller, InstanceCommand::Member(cmd), if_match)
                    .await
            }
            MemberOf::Org(org_id) => {
                let org = key(instance, Org::KIND, &org_id);
                self.execute::<Org>(&org, caller, OrgCommand::Member(cmd), if_match)
                    .await
            }
            MemberOf::Project(project_id) => {
                let project = key(instance, Project::KIND, &project_id);
                self.execute::<Project>(&project, caller, ProjectCommand::Member(cmd), if_match)
                    .await
            }
        }
    }

    async fn require_resource(&self, instance: &str, at: &MemberOf) -> Result<(), Error> {
        let (exists, missing) = match at {
            MemberOf::Instance => (
                self.state::<Instance>(&key(instance, Instance::KIND, instance))
                    .await?
                    .0
                    .exists(),
                Error::new(Code::InstanceNotFound, "the instance does not exist"),
            ),
            MemberOf::Org(id) => (
                self.state::<Org>(&key(instance, Org::KIND, id))
                    .await?
                    .0
                    .exists(),
                Error::new(Code::OrgNotFound, format!("no org {id}")).with("org_id", id.as_str()),
            ),
            MemberOf::Project(id) => (
                self.state::<Project>(&key(instance, Project::KIND, id))
                    .await?
                    .0
                    .exists(),
                Error::new(Code::ProjectNotFound, format!("no project {id}"))
                    .with("project_id", id.as_str()),
            ),
        };
        if exists {
            Ok(())
        } else {
            Err(missing)
        }
    }

    pub(crate) async fn require_user(&self, instance: &str, user_id: &str) -> Result<(), Error> {
        let (user, _) = self
            .state::<User>(&key(instance, User::KIND, user_id))
            .await?;
        if user.exists() {
            Ok(())
        } else {
            Err(Error::new(
                Code::MemberUserUnknown,
                format!("user {user_id} does not exist in this instance"),
            )
            .with("user_id", user_id))
        }
    }
}
