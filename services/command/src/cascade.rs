//! Removals and what they take with them, as events: an org its users and projects, a user its
//! memberships and user grants, a project its user grants, a project grant the user grants made through it, a role the
//! user grants holding it. The caller's permission is checked for the removal itself; what
//! follows runs as the internal `cascade` flow. Owned aggregates are found through the owners
//! their streams stated in the log (commands never read read models).

use std::sync::Arc;

use authz::{Caller, InternalFlow};
use domain::instance::{Instance, InstanceCommand};
use domain::members::MemberCommand;
use domain::org::{Org, OrgCommand};
use domain::project::{GrantCommand, Project, ProjectCommand};
use domain::user::{User, UserCommand};
use domain::user_grant::{UserGrant, UserGrantCommand};
use domain::Lifecycle;
use domain::{Aggregate, Code, Error, Kind};

/// How often a deferred check is tried (about an hour with the pauses, at most 30 s each).
const DEFERRED_CHECKS: u32 = 130;

use crate::actor::Written;
use crate::bus::CommandBus;
use crate::sagas::{key, login_claim, org_claim};
use crate::user_grants::user_grant_claim;

fn cascade(instance: &str) -> Caller {
    Caller::Internal {
        flow: InternalFlow::Cascade,
        instance: instance.into(),
    }
}

impl CommandBus {
    async fn owned(&self, instance: &str, owner: &str, kind: &str) -> Result<Vec<String>, Error> {
        self.owned_streams(instance, owner, kind).await
    }

    /// Runs `cmd` on every live user grant owned by `owner` (a user, project or grant); the
    /// answer's position moves to the last event written, so that a client reading with it
    /// sees the whole cascade.
    async fn each_user_grant(
        &self,
        instance: &str,
        owner: &str,
        cmd: UserGrantCommand,
        written: &mut Written,
    ) -> Result<(), Error> {
        let by = cascade(instance);
        for id in self.owned(instance, owner, UserGrant::KIND).await? {
            let k = key(instance, UserGrant::KIND, &id);
            let (grant, _) = self.state::<UserGrant>(&k).await?;
            if !grant.exists() {
                continue;
            }
            let done = |g: &UserGrant| match &cmd {
                UserGrantCommand::Remove => g.lifecycle == Lifecycle::Removed,
                UserGrantCommand::RevokeRoles { keys } => !g.roles.iter().any(|r| keys.contains(r)),
                UserGrantCommand::Create { .. } | UserGrantCommand::Change { .. } => false,
            };
            let w = self
                .step::<UserGrant>(&k, &by, cmd.clone(), None, done)
                .await?;
            written.position.merge(&w.position);
            if cmd == UserGrantCommand::Remove {
                let claim = user_grant_claim(instance, &grant);
                self.release(&claim, &id, &by).await;
            }
        }
        Ok(())
    }

    /// Removes a user, frees its login name, and removes its user grants.
    pub async fn remove_user(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let user = key(instance, User::KIND, user_id);
        let (state, _) = self.state::<User>(&user).await?;
        let mut written = self
            .step::<User>(&user, caller, UserCommand::Remove, if_match, |u| {
                u.lifecycle == Lifecycle::Removed
            })
            .await?;
        self.release(&login_claim(instance, &state.username), user_id, caller)
            .await;
        // Its external identities may link to someone else now.
        for link in state.idp_links.values() {
            let claim = crate::federation::link_claim(instance, &link.idp_id, &link.external_id);
            self.release(&claim, user_id, caller).await;
        }
        self.each_user_grant(instance, user_id, UserGrantCommand::Remove, &mut written)
            .await?;
        self.remove_memberships(instance, user_id, &mut written)
            .await?;
        self.end_sessions_of(instance, user_id, None).await?;
        Ok(written)
    }

    /// Takes a removed user's memberships away, as events on the resources that hold them (the
    /// streams its memberships stated it as an owner of).
    async fn remove_memberships(
        &self,
        instance: &str,
        user_id: &str,
        written: &mut Written,
    ) -> Result<(), Error> {
        let by = cascade(instance);
        let remove = || MemberCommand::Remove {
            user_id: user_id.into(),
        };
        let mut cmds: Vec<Written> = Vec::new();
        for id in self.owned(instance, user_id, Instance::KIND).await? {
            let k = key(instance, Instance::KIND, &id);
            if self
                .state::<Instance>(&k)
                .await?
                .0
                .members
                .contains_key(user_id)
            {
                let cmd = InstanceCommand::Member(remove());
                let gone = |i: &Instance| !i.members.contains_key(user_id);
                cmds.push(self.step::<Instance>(&k, &by, cmd, None, gone).await?);
            }
        }
        for id in self.owned(instance, user_id, Org::KIND).await? {
            let k = key(instance, Org::KIND, &id);
            let (resource, _) = self.state::<Org>(&k).await?;
            if resource.exists() && resource.members.contains_key(user_id) {
                let cmd = OrgCommand::Member(remove());
                let gone = |o: &Org| !o.members.contains_key(user_id);
                cmds.push(self.step::<Org>(&k, &by, cmd, None, gone).await?);
            }
        }
        for id in self.owned(instance, user_id, Project::KIND).await? {
            let k = key(instance, Project::KIND, &id);
            let (project, _) = self.state::<Project>(&k).await?;
            if !project.exists() {
                continue;
            }
            if project.members.contains_key(user_id) {
                let cmd = ProjectCommand::Member(remove());
                let gone = |p: &Project| !p.members.contains_key(user_id);
                cmds.push(self.step::<Project>(&k, &by, cmd, None, gone).await?);
            }
            for (grant_id, grant) in &project.grants {
                if grant.members.contains_key(user_id) {
                    let cmd = ProjectCommand::Grant(GrantCommand::Member {
                        grant_id: grant_id.clone(),
                        cmd: remove(),
                    });
                    let gone = |p: &Project| {
                        p.grants
                            .get(grant_id)
                            .is_none_or(|g| !g.members.contains_key(user_id))
                    };
                    cmds.push(self.step::<Project>(&k, &by, cmd, None, gone).await?);
                }
            }
        }
        for w in cmds {
            written.position.merge(&w.position);
        }
        Ok(())
    }

    /// Removes a project (its roles, apps, grants and members go with it) and the user grants
    /// on it.
    pub async fn remove_project(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let k = key(instance, Project::KIND, project_id);
        let (before, _) = self.state::<Project>(&k).await?;
        let mut written = self
            .step::<Project>(&k, caller, ProjectCommand::Remove, if_match, |p| {
                p.lifecycle == Lifecycle::Removed
            })
            .await?;
        self.release_saml_apps(caller, instance, project_id, &before)
            .await;
        self.each_user_grant(instance, project_id, UserGrantCommand::Remove, &mut written)
            .await?;
        Ok(written)
    }

    /// Removes a role from a project; its grants and the user grants on it lose the role.
    pub async fn remove_project_role(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        role_key: &str,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let k = key(instance, Project::KIND, project_id);
        let cmd = ProjectCommand::RemoveRole {
            key: role_key.into(),
        };
        let mut written = self.execute::<Project>(&k, caller, cmd, if_match).await?;
        let revoke = UserGrantCommand::RevokeRoles {
            keys: vec![role_key.into()],
        };
        self.each_user_grant(instance, project_id, revoke, &mut written)
            .await?;
        Ok(written)
    }

    /// Changes or removes a project grant (or its members); user grants made through it lose
    /// the roles it no longer holds, or go with it.
    pub async fn change_project_grant(
        &self,
        caller: &Caller,
        instance: &str,
        project_id: &str,
        cmd: GrantCommand,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let k = key(instance, Project::KIND, project_id);
        match &cmd {
            GrantCommand::Add { granted_org_id, .. } => {
                let org = key(instance, Org::KIND, granted_org_id);
                if !self.state::<Org>(&org).await?.0.exists() {
                    return Err(Error::new(
                        Code::OrgNotFound,
                        format!("org {granted_org_id} does not exist"),
                    )
                    .with("granted_org_id", granted_org_id.as_str()));
                }
            }
            GrantCommand::Member {
                cmd:
                    member @ (MemberCommand::Add { user_id, .. } | MemberCommand::Set { user_id, .. }),
                ..
            } => {
                member.validate(authz::Level::ProjectGrant)?;
                self.require_user(instance, user_id).await?
            }
            GrantCommand::Change { .. }
            | GrantCommand::Remove { .. }
            | GrantCommand::Member {
                cmd: MemberCommand::Remove { .. },
                ..
            } => {}
        }
        let (before, _) = self.state::<Project>(&k).await?;
        let mut written = self
            .execute::<Project>(&k, caller, ProjectCommand::Grant(cmd.clone()), if_match)
            .await?;
        match &cmd {
            GrantCommand::Change { grant_id, .. } => {
                let (after, _) = self.state::<Project>(&k).await?;
                let kept = after.grants.get(grant_id).map(|g| g.roles.clone());
                let lost: Vec<String> = before
                    .grants
                    .get(grant_id)
                    .map(|g| g.roles.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| !kept.as_ref().is_some_and(|k| k.contains(r)))
                    .collect();
                if !lost.is_empty() {
                    let revoke = UserGrantCommand::RevokeRoles { keys: lost };
                    self.each_user_grant(instance, grant_id, revoke, &mut written)
                        .await?;
                }
            }
            GrantCommand::Remove { grant_id } => {
                self.each_user_grant(instance, grant_id, UserGrantCommand::Remove, &mut written)
                    .await?;
            }
            GrantCommand::Add { .. } | GrantCommand::Member { .. } => {}
        }
        Ok(written)
    }

    /// Removes an org, frees its name, and removes its users and projects (with their user
    /// grants). Org, project and grant memberships go with their resources.
    pub async fn remove_org(
        &self,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let org = key(instance, Org::KIND, org_id);
        let (state, _) = self.state::<Org>(&org).await?;
        domain::authorize(
            &self.deps.authz,
            caller,
            state.access(&org, &OrgCommand::Remove),
        )?;
        // The org's users go with it: the caller must be allowed to remove each of them.
        for id in self.owned(instance, org_id, User::KIND).await? {
            if self
                .state::<User>(&key(instance, User::KIND, &id))
                .await?
                .0
                .exists()
            {
                self.precheck_take_over(caller, instance, &id).await?;
            }
        }
        let mut written = self
            .step::<Org>(&org, caller, OrgCommand::Remove, if_match, |o| {
                o.lifecycle == Lifecycle::Removed
            })
            .await?;
        self.release(&org_claim(instance, &state.name), org_id, caller)
            .await;
        self.release_org_domains(caller, instance, org_id, &state.domains)
            .await;
        self.remove_owned_by_org(instance, org_id, &mut written)
            .await?;
        Ok(written)
    }

    async fn remove_owned_by_org(
        &self,
        instance: &str,
        org_id: &str,
        written: &mut Written,
    ) -> Result<(), Error> {
        let by = cascade(instance);
        for id in self.owned(instance, org_id, User::KIND).await? {
            let (user, _) = self.state::<User>(&key(instance, User::KIND, &id)).await?;
            if user.exists() {
                let w = self.remove_user(&by, instance, &id, None).await?;
                written.position.merge(&w.position);
            }
        }
        for id in self.owned(instance, org_id, Project::KIND).await? {
            let (project, _) = self
                .state::<Project>(&key(instance, Project::KIND, &id))
                .await?;
            if project.exists() {
                let w = self.remove_project(&by, instance, &id, None).await?;
                written.position.merge(&w.position);
            }
        }
        Ok(())
    }

    /// After creating a user or project in an org: if the org was removed meanwhile, undo
    /// the creation ([`CommandBus::undo_if_org_gone`]). A check that cannot be made now (the
    /// org's partition has no owner) never turns the done write into a failure: the write is
    /// answered as done, and the check is made again in the background until it can be.
    pub(crate) async fn recheck_org(
        self: &Arc<Self>,
        instance: &str,
        org_id: &str,
        user_id: Option<&str>,
        project_id: Option<&str>,
    ) -> Result<(), Error> {
        let e = match self
            .undo_if_org_gone(instance, org_id, user_id, project_id)
            .await
        {
            Err(e) if e.kind() == Kind::Unavailable => e,
            other => return other,
        };
        tracing::warn!(org = %org_id, error = %e, "the org could not be checked after a creation in it; checking again in the background");
        let bus = self.clone();
        let owned = |s: Option<&str>| s.map(str::to_string);
        let (instance, org_id) = (instance.to_string(), org_id.to_string());
        let (user_id, project_id) = (owned(user_id), owned(project_id));
        actix::spawn(async move {
            let mut pause = std::time::Duration::from_secs(1);
            for _ in 0..DEFERRED_CHECKS {
                tokio::time::sleep(pause).await;
                match bus
                    .undo_if_org_gone(
                        &instance,
                        &org_id,
                        user_id.as_deref(),
                        project_id.as_deref(),
                    )
                    .await
                {
                    Err(e) if e.kind() == Kind::Unavailable => {
                        pause = (pause * 2).min(std::time::Duration::from_secs(30));
                    }
                    Ok(()) => return,
                    Err(e) => {
                        return tracing::warn!(org = %org_id, error = %e, "a creation in a removed org was undone after it was answered")
                    }
                }
            }
            tracing::error!(org = %org_id, ?user_id, ?project_id, "the org could not be checked after a creation in it: if it was removed, remove what was created in it");
        });
        Ok(())
    }

    /// After creating a user or project in an org: if the org was removed meanwhile (its
    /// cascade may have run before the creation), remove what was created and say so.
    pub(crate) async fn undo_if_org_gone(
        &self,
        instance: &str,
        org_id: &str,
        user_id: Option<&str>,
        project_id: Option<&str>,
    ) -> Result<(), Error> {
        let (org, _) = self.state::<Org>(&key(instance, Org::KIND, org_id)).await?;
        if org.exists() {
            return Ok(());
        }
        let by = cascade(instance);
        if let Some(id) = user_id {
            self.remove_user(&by, instance, id, None).await?;
        }
        if let Some(id) = project_id {
            self.remove_project(&by, instance, id, None).await?;
        }
        Err(
            Error::new(Code::OrgNotFound, format!("org {org_id} was removed"))
                .with("org_id", org_id),
        )
    }

    /// Renames an org: claims the new name, renames, frees the old name.
    pub async fn rename_org(
        &self,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        name: &str,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let org = key(instance, Org::KIND, org_id);
        let cmd = OrgCommand::Rename { name: name.into() };
        let (state, _) = self.state::<Org>(&org).await?;
        domain::authorize(&self.deps.authz, caller, state.access(&org, &cmd))?;
        let new_name = domain::org::org_name(name)?;
        if !state.exists() || new_name.to_lowercase() == state.name.to_lowercase() {
            // Nothing to claim: the actor renames (case only) or says the org is missing.
            return self.execute::<Org>(&org, caller, cmd, if_match).await;
        }
        let claim = org_claim(instance, &new_name);
        let written = self
            .claimed(
                (&claim, org_id, Code::OrgNameTaken),
                caller,
                (&org, |o: &Org| o.name == new_name),
                |not_after| {
                    self.execute_before::<Org>(&org, caller, cmd.clone(), if_match, not_after)
                },
            )
            .await?;
        self.release(&org_claim(instance, &state.name), org_id, caller)
            .await;
        Ok(written)
    }
}
