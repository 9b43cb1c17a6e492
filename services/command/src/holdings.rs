//! The memberships a user holds, read from the aggregates that hold them (never from a read
//! model): the instance's (and the system's, on the instance that set them), and those of the
//! orgs and projects whose streams named the user as an owner. The no-escalation rule weighs
//! them before anyone else changes the user's credentials or removes the user.

use authz::{Caller, Holding, Holdings, Place, Role, RoleSet};
use domain::instance::Instance;
use domain::org::Org;
use domain::project::Project;
use domain::{Aggregate, Error};

use crate::bus::CommandBus;
use crate::sagas::key;

fn roles(names: &[String]) -> RoleSet {
    names.iter().filter_map(|n| Role::from_name(n)).collect()
}

impl CommandBus {
    /// The no-escalation rule for `caller` taking over `user_id`, before any costly work (a
    /// password hash) or a removal that takes the user with it. The actor checks again.
    pub(crate) async fn precheck_take_over(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
    ) -> Result<(), Error> {
        match caller {
            Caller::Principal(p) if p.user != user_id => {
                let holdings = self.holdings(instance, user_id).await?;
                domain::may_take_over(&self.deps.authz, caller, instance, user_id, &holdings)
            }
            Caller::Principal(_) | Caller::Internal { .. } => Ok(()),
        }
    }

    /// Every membership `user_id` holds in `instance`, where it is held.
    pub(crate) async fn holdings(&self, instance: &str, user_id: &str) -> Result<Holdings, Error> {
        let mut out = Holdings::new();
        let mut hold = |place: Place, names: Option<&Vec<String>>| {
            if let Some(names) = names {
                out.push(Holding {
                    place,
                    roles: roles(names),
                });
            }
        };
        let (own, _) = self
            .state::<Instance>(&key(instance, Instance::KIND, instance))
            .await?;
        hold(Place::Instance, own.members.get(user_id));
        hold(Place::System, own.system_members.get(user_id));
        for id in self.owned_streams(instance, user_id, Org::KIND).await? {
            let (org, _) = self.state::<Org>(&key(instance, Org::KIND, &id)).await?;
            if org.exists() {
                hold(Place::Org { org: id }, org.members.get(user_id));
            }
        }
        for id in self.owned_streams(instance, user_id, Project::KIND).await? {
            let (project, _) = self
                .state::<Project>(&key(instance, Project::KIND, &id))
                .await?;
            if !project.exists() {
                continue;
            }
            let place = Place::Project {
                org: project.org.clone(),
                project: id.clone(),
            };
            hold(place, project.members.get(user_id));
            for (grant_id, grant) in &project.grants {
                let place = Place::ProjectGrant {
                    org: project.org.clone(),
                    project: id.clone(),
                    grant: grant_id.clone(),
                    granted_org: grant.granted_org.clone(),
                };
                hold(place, grant.members.get(user_id));
            }
        }
        Ok(out)
    }
}
