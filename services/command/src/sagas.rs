//! Sagas across aggregates: a unique value (login name per instance, org name per instance)
//! is claimed before the aggregate is created and released when creation fails or the
//! aggregate is removed. The permission is checked before the claim, so a caller who may not
//! create cannot hold names either. Commands never read read models: they ask the actors.

use authz::Caller;
use domain::org::{org_name, Org, OrgCommand};
use domain::unique::{unique_id, Unique, UniqueCommand};
use domain::user::{User, UserCommand};
use domain::validate::normalized_username;
use domain::{authorize, Aggregate, AggregateKey, Code, Ctx, Error, Kind};

use eventlog::position::Positions;

use crate::actor::Written;
use crate::bus::{CommandBus, Routed};

/// How often a release (or the question that settles an open outcome) is tried through an
/// outage, and the first pause between tries.
const RELEASE_ATTEMPTS: u32 = 5;
const RELEASE_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

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
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        new.decide(cmd, Ctx { key, caller, now })?;
        Ok(())
    }

    /// Claims a unique value for `owner`.
    pub(crate) async fn claim(
        &self,
        claim: &AggregateKey,
        owner: &str,
        taken: Code,
        caller: &Caller,
    ) -> Result<(), Error> {
        let cmd = UniqueCommand::Claim {
            owner: owner.into(),
            taken,
        };
        self.execute::<Unique>(claim, caller, cmd, None).await?;
        Ok(())
    }

    pub(crate) async fn release_all(&self, claims: &[AggregateKey], owner: &str, caller: &Caller) {
        for c in claims {
            self.release(c, owner, caller).await;
        }
    }

    /// Claims `claim` for `owner`, runs `act` on the aggregate `target`, and releases the
    /// claim if `act` fails. An answer that leaves open whether `act` was carried out (the
    /// node serving the target went silent: `SYS-0003`) is settled by asking the target's
    /// actor, now on whichever node serves it: if `took_effect` holds for its state, `act`
    /// was written; if not, it never will be (a silent owner that lost the partition is
    /// fenced), and the claim is released; if the actor cannot be asked (after asking again
    /// through an outage), the claim stays, so that no second holder can appear.
    pub(crate) async fn claimed<A: Routed, F>(
        &self,
        (claim, owner, taken): (&AggregateKey, &str, Code),
        caller: &Caller,
        (target, took_effect): (&AggregateKey, impl Fn(&A) -> bool),
        act: F,
    ) -> Result<Written, Error>
    where
        F: std::future::Future<Output = Result<Written, Error>>,
    {
        self.claim(claim, owner, taken, caller).await?;
        let e = match act.await {
            Ok(w) => return Ok(w),
            Err(e) => e,
        };
        // Open outcomes: the node went silent, or the target exists already, which for a new
        // aggregate under a fresh id means this request's own command ran (a node that ran it
        // answered as if it had not, and the command was sent again).
        if e.code == Code::StorageUnavailable || e.code == taken {
            match self.settle::<A>(target).await {
                Some((state, version, position)) if took_effect(&state) => {
                    return Ok(Written {
                        sequence: version,
                        position: Positions::at(position),
                    })
                }
                Some(_) => {}
                None => return Err(e),
            }
        }
        self.release(claim, owner, caller).await;
        Err(e)
    }

    /// The state of `target` on whichever node serves it now, asked again through an outage
    /// (as a release is) until the partition has an owner; none if it never answered.
    async fn settle<A: Routed>(&self, target: &AggregateKey) -> Option<(A, u64, u64)> {
        let mut pause = RELEASE_PAUSE;
        for attempt in 1..=RELEASE_ATTEMPTS {
            match self.peek::<A>(target).await {
                Ok(found) => return Some(found),
                Err(e) if e.kind() == Kind::Unavailable && attempt < RELEASE_ATTEMPTS => {
                    tracing::info!(target = %target.id, error = %e, attempt, "asking the aggregate again after an outage");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => {
                    tracing::warn!(target = %target.id, error = %e, "the aggregate could not be asked; its claimed name stays taken");
                    return None;
                }
            }
        }
        None
    }

    /// Releases a claim. A release that meets an outage (no owner of the claim's partition,
    /// an owner gone silent) is tried again, with growing pauses, before the answer goes out:
    /// the caller was told that the act did not happen and may send it again, so the name
    /// must be free by then.
    pub(crate) async fn release(&self, claim: &AggregateKey, owner: &str, caller: &Caller) {
        let mut pause = RELEASE_PAUSE;
        for attempt in 1..=RELEASE_ATTEMPTS {
            let cmd = UniqueCommand::Release {
                owner: owner.into(),
            };
            let e = match self.execute::<Unique>(claim, caller, cmd, None).await {
                Ok(_) => return,
                Err(e) => e,
            };
            if e.kind() != Kind::Unavailable || attempt == RELEASE_ATTEMPTS {
                tracing::warn!(claim = %claim.id, error = %e, "a unique claim was not released; the name stays taken until it is");
                return;
            }
            tracing::info!(claim = %claim.id, error = %e, attempt, "releasing a unique claim again after an outage");
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }

    /// Creates a human or machine user in an existing org, with a unique login name.
    pub async fn create_user(
        &self,
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
                self.execute::<User>(&user, caller, cmd.clone(), None),
            )
            .await?;
        // The org may have been removed meanwhile; its cascade may have missed this user.
        self.undo_if_org_gone(instance, &org_id, Some(user_id), None)
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
            self.execute::<Org>(&org, caller, cmd.clone(), None),
        )
        .await
    }
}
