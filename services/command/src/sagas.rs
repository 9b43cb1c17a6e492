//! Sagas across aggregates: a unique value (login name per instance, org name per instance)
//! is claimed before the aggregate is created and released when creation fails or the
//! aggregate is removed. The permission is checked before the claim, so a caller who may not
//! create cannot hold names either. Commands never read read models: they ask the actors.

use std::sync::Arc;

use authz::Caller;
use domain::org::{org_name, Org, OrgCommand};
use domain::unique::{unique_id, Unique};
use domain::user::{User, UserCommand};
use domain::validate::normalized_username;
use domain::{authorize, Aggregate, AggregateKey, Code, Ctx, Error};

use crate::actor::{now_ms, Written};
use crate::bus::{CommandBus, Routed};
use crate::outcomes::open;

pub(crate) fn key(instance: &str, kind: &'static str, id: &str) -> AggregateKey {
    AggregateKey {
        instance: instance.into(),
        kind,
        id: id.into(),
    }
}

pub(crate) fn login_claim(instance: &str, username: &str) -> AggregateKey {
    key(
        instance,
        Unique::KIND,
        &unique_id("login", &normalized_username(username)),
    )
}

pub(crate) fn org_claim(instance: &str, name: &str) -> AggregateKey {
    key(
        instance,
        Unique::KIND,
        &unique_id("org", &name.to_lowercase()),
    )
}

impl CommandBus {
    /// What the new aggregate's actor will check, made before any claim: the permission, and
    /// the input (a dry run of `decide` on the new aggregate), so that a refused creation
    /// leaves no claim and no event behind.
    pub(crate) fn precheck<A: Routed>(
        &self,
        key: &AggregateKey,
        caller: &Caller,
        cmd: &A::Command,
    ) -> Result<(), Error> {
        let new = A::default();
        authorize(&self.deps.authz, caller, new.access(key, cmd))?;
        new.decide(
            cmd,
            Ctx {
                key,
                caller,
                now: now_ms(),
            },
        )?;
        Ok(())
    }

    /// Claims `claim` for `owner`, runs `act` on the aggregate `target` (see
    /// [`CommandBus::settled`]), and releases the claim if `act` was not done. An outcome
    /// that stays open keeps the claim: the act may still land before its deadline, and the
    /// next claimant takes the claim over once it is stale if it did not. The answer is
    /// "done", "not done" (claim released) or `SYS-0003`, never wrong.
    pub(crate) async fn claimed<A: Routed, F, Fut>(
        &self,
        (claim, owner, taken): (&AggregateKey, &str, Code),
        caller: &Caller,
        target: (&AggregateKey, impl Fn(&A) -> bool),
        act: F,
    ) -> Result<Written, Error>
    where
        F: Fn(i64) -> Fut,
        Fut: std::future::Future<Output = Result<Written, Error>>,
    {
        let not_after = now_ms() + self.act_window_ms();
        self.claim(claim, owner, taken, caller).await?;
        // The target exists already, or moved on: for a new aggregate under a fresh id that
        // means this request's own act ran (a node ran it but answered as if it had not).
        let ran_before = |e: &Error| e.code == taken || e.code == Code::VersionConflict;
        match self.settled(target, ran_before, not_after, act).await {
            Err(e) if !open(&e) => {
                self.release(claim, owner, caller).await;
                Err(e)
            }
            answer => answer,
        }
    }

    /// Creates a human or machine user in an existing org, with a unique login name.
    pub async fn create_user(
        self: &Arc<Self>,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        cmd: UserCommand,
    ) -> Result<Written, Error> {
        let (org_id, username) = match &cmd {
            UserCommand::AddHuman(h) => (h.org_id.clone(), h.username.clone()),
            UserCommand::AddMachine {
                org_id, username, ..
            } => (org_id.clone(), username.clone()),
            UserCommand::AddPat { .. }
            | UserCommand::RemovePat { .. }
            | UserCommand::Remove
            | UserCommand::Change(_) => {
                return Err(Error::internal("create_user takes AddHuman or AddMachine"))
            }
        };
        let user = key(instance, User::KIND, user_id);
        self.precheck::<User>(&user, caller, &cmd)?;
        if !self
            .state::<Org>(&key(instance, Org::KIND, &org_id))
            .await?
            .0
            .exists()
        {
            return Err(
                Error::new(Code::OrgNotFound, format!("org {org_id} does not exist"))
                    .with("org_id", org_id),
            );
        }
        let claim = login_claim(instance, &username);
        let written = self
            .claimed(
                (&claim, user_id, Code::UsernameTaken),
                caller,
                (&user, User::exists),
                |not_after| {
                    self.execute_before::<User>(&user, caller, cmd.clone(), None, not_after)
                },
            )
            .await?;
        // The org may have been removed meanwhile; its cascade may have missed this user.
        self.recheck_org(instance, &org_id, Some(user_id), None)
            .await?;
        Ok(written)
    }

    /// Creates an org with a name unique in the instance (without regard to case).
    pub async fn create_org(
        &self,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        name: &str,
    ) -> Result<Written, Error> {
        let org = key(instance, Org::KIND, org_id);
        let cmd = OrgCommand::Create { name: name.into() };
        self.precheck::<Org>(&org, caller, &cmd)?;
        let claim = org_claim(instance, &org_name(name)?);
        self.claimed(
            (&claim, org_id, Code::OrgNameTaken),
            caller,
            (&org, Org::exists),
            |not_after| self.execute_before::<Org>(&org, caller, cmd.clone(), None, not_after),
        )
        .await
    }
}
