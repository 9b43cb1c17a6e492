//! System principals live in the system scope, outside every instance. Earlier releases kept
//! the system user as a machine user of the default instance's org `Default`, with its system
//! membership on that instance; an upgraded log moves it, by events (the log is never
//! rewritten): the same user id and tokens in the system scope, its membership there, then its
//! membership and the user itself removed from the instance. Each step is idempotent, so a move
//! that stopped midway is finished by the next start.

use authz::{Caller, InternalFlow};
use domain::instance::{Instance, InstanceCommand, SYSTEM_ORG, SYSTEM_SCOPE};
use domain::unique::{Unique, UniqueCommand};
use domain::user::{User, UserCommand, UserKind};
use domain::{Aggregate, Code, Error};

use crate::bus::CommandBus;
use crate::sagas::{key, login_claim};

fn setup(instance: &str) -> Caller {
    Caller::Internal {
        flow: InternalFlow::Setup,
        instance: instance.into(),
    }
}

impl CommandBus {
    /// Moves the system users `instance` holds to the system scope; returns how many.
    pub async fn move_system_principals(&self, instance: &str, now: i64) -> Result<usize, Error> {
        let home = key(instance, Instance::KIND, instance);
        let (held, _) = self.state::<Instance>(&home).await?;
        for (user_id, roles) in &held.system_members {
            let old = key(instance, User::KIND, user_id);
            let (user, _) = self.state::<User>(&old).await?;
            if user.exists() {
                self.copy_to_system_scope(user_id, &user, now).await?;
            }
            let scope = key(SYSTEM_SCOPE, Instance::KIND, SYSTEM_SCOPE);
            let (system, _) = self.state::<Instance>(&scope).await?;
            if system.system_members.get(user_id) != Some(roles) {
                let cmd = InstanceCommand::SetSystemMember {
                    user_id: user_id.clone(),
                    roles: roles.clone(),
                };
                self.execute::<Instance>(&scope, &setup(SYSTEM_SCOPE), cmd, None)
                    .await?;
            }
            // Only now does it leave the instance: its tokens work throughout.
            let leave = InstanceCommand::RemoveSystemMember {
                user_id: user_id.clone(),
            };
            self.execute::<Instance>(&home, &setup(instance), leave, None)
                .await?;
            if user.exists() {
                self.remove_user(&setup(instance), instance, user_id, None)
                    .await?;
            }
            tracing::info!(
                user = %user_id,
                from = %instance,
                "moved a system user out of its instance into the system scope"
            );
        }
        Ok(held.system_members.len())
    }

    /// The same user, with its login name and its unexpired tokens, in the system scope.
    async fn copy_to_system_scope(
        &self,
        user_id: &str,
        user: &User,
        now: i64,
    ) -> Result<(), Error> {
        let by = setup(SYSTEM_SCOPE);
        let claim = login_claim(SYSTEM_SCOPE, &user.username);
        let cmd = UniqueCommand::Claim {
            owner: user_id.into(),
            taken: Code::UsernameTaken,
        };
        self.execute::<Unique>(&claim, &by, cmd, None).await?;
        let new = key(SYSTEM_SCOPE, User::KIND, user_id);
        let (there, _) = self.state::<User>(&new).await?;
        if !there.exists() {
            let (name, description) = match &user.kind {
                Some(UserKind::Machine { name, description }) => {
                    (name.clone(), description.clone())
                }
                Some(UserKind::Human { profile, .. }) => {
                    (profile.display_name.clone(), String::new())
                }
                None => ("System owner".into(), String::new()),
            };
            let add = UserCommand::AddMachine {
                org_id: SYSTEM_ORG.into(),
                username: user.username.clone(),
                name,
                description,
            };
            self.execute::<User>(&new, &by, add, None).await?;
        }
        for (pat_id, pat) in &user.pats {
            let live = pat.expires_at.is_none_or(|t| t > now);
            if live && !there.pats.contains_key(pat_id) {
                let cmd = UserCommand::AddPat {
                    pat_id: pat_id.clone(),
                    token_hash: pat.token_hash.clone(),
                    expires_at: pat.expires_at,
                };
                self.execute::<User>(&new, &by, cmd, None).await?;
            }
        }
        Ok(())
    }
}
