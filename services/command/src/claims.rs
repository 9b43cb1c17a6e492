//! Unique claims and their outcomes. A claim is settled before a saga goes on: a claim whose
//! answer was lost is sent again (claiming for the holder does nothing, so a resend is safe);
//! a value held by a claim whose holder never came to hold it (its saga was cut off between
//! claim and act) is taken over once that claim is old enough that the act can no longer land
//! ([`CommandOptions::stale_claim_after`](crate::CommandOptions)); until then the claimant is
//! told to retry, never that the value is taken by somebody.

use authz::Caller;
use domain::instance::Instance;
use domain::org::Org;
use domain::unique::{Unique, UniqueCommand};
use domain::user::User;
use domain::user_grant::UserGrant;
use domain::validate::normalized_username;
use domain::{Aggregate, AggregateKey, Code, Error, Kind};

use crate::actor::now_ms;
use crate::bus::{CommandBus, Routed};
use crate::outcomes::{open, ATTEMPTS, PAUSE};
use crate::sagas::key;

impl CommandBus {
    /// Claims `claim` for `owner`: done, or an error that says it was not done, or
    /// `SYS-0003` when even a resend could not tell (the claim, if made, is taken over by the
    /// next claimant once stale).
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
        let e = match self.resent::<Unique>(claim, caller, cmd).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        if e.code != taken {
            return Err(e);
        }
        self.reclaim_if_stale(claim, owner, taken, caller, e).await
    }

    /// Runs `cmd` (idempotent for its aggregate), sending it again while its outcome is open.
    async fn resent<A: Routed>(
        &self,
        key: &AggregateKey,
        caller: &Caller,
        cmd: A::Command,
    ) -> Result<(), Error> {
        let mut pause = PAUSE;
        for attempt in 1.. {
            match self.execute::<A>(key, caller, cmd.clone(), None).await {
                Err(e) if open(&e) && attempt < ATTEMPTS => {
                    tracing::info!(key = %key.id, error = %e, attempt, "sending again what had an open outcome");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => return other.map(drop),
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// The value is held: by a holder that holds it (the `taken` answer stands), or by one
    /// that never came to (taken over once its claim is stale; until then "retry").
    async fn reclaim_if_stale(
        &self,
        claim: &AggregateKey,
        owner: &str,
        taken: Code,
        caller: &Caller,
        refusal: Error,
    ) -> Result<(), Error> {
        let (state, _) = self.state::<Unique>(claim).await?;
        let Some(holder) = state.owner else {
            // Released meanwhile: claim it again.
            return Box::pin(self.claim(claim, owner, taken, caller)).await;
        };
        if self.holds(claim, &holder).await? {
            return Err(refusal);
        }
        let bound = self.stale_claim_after.as_millis() as i64;
        let age = now_ms() - state.claimed_at;
        // A young claim is most often a race for the name whose winner is about to act:
        // give it a moment, so that the loser hears "taken" as it would a moment later.
        if age < self.act_window_ms() && self.comes_to_hold(claim, &holder).await? {
            return Err(refusal);
        }
        if age < bound {
            let wait = (bound - age + 999) / 1000;
            return Err(Error::new(
                Code::NotReady,
                format!(
                    "the value is claimed by a request that has not finished: nothing was done; \
                     send it again in {wait} seconds"
                ),
            )
            .with("retry_after", wait.to_string()));
        }
        tracing::info!(claim = %claim.id, %holder, "taking over a claim whose holder never came to hold it");
        let cmd = UniqueCommand::Reclaim {
            stale: holder,
            owner: owner.into(),
            taken,
            after_ms: bound,
        };
        self.resent::<Unique>(claim, caller, cmd).await
    }

    /// Whether `holder` comes to hold the claimed value within about three seconds.
    async fn comes_to_hold(&self, claim: &AggregateKey, holder: &str) -> Result<bool, Error> {
        let mut pause = PAUSE;
        for _ in 0..ATTEMPTS {
            tokio::time::sleep(pause).await;
            if self.holds(claim, holder).await? {
                return Ok(true);
            }
            pause *= 2;
        }
        Ok(false)
    }

    /// Whether `holder` holds the claimed value: its aggregate exists and has the value (a
    /// namespace this does not know is taken as held).
    async fn holds(&self, claim: &AggregateKey, holder: &str) -> Result<bool, Error> {
        let Some((namespace, value)) = claim.id.split_once(':') else {
            return Ok(true);
        };
        let at = |kind| key(&claim.instance, kind, holder);
        Ok(match namespace {
            "login" => {
                let (user, _) = self.state::<User>(&at(User::KIND)).await?;
                user.exists() && normalized_username(&user.username) == value
            }
            "org" => {
                let (org, _) = self.state::<Org>(&at(Org::KIND)).await?;
                org.exists() && org.name.to_lowercase() == value
            }
            "org_domain" => {
                let (org, _) = self.state::<Org>(&at(Org::KIND)).await?;
                org.exists() && org.domains.get(value).is_some_and(|d| d.verified)
            }
            "domain" => {
                let (instance, _) = self
                    .state::<Instance>(&key(holder, Instance::KIND, holder))
                    .await?;
                instance.exists() && instance.domains.iter().any(|d| d == value)
            }
            crate::saml_apps::NAMESPACE => {
                self.holds_entity(&claim.instance, holder, value).await?
            }
            "user_grant" => {
                let (grant, _) = self.state::<UserGrant>(&at(UserGrant::KIND)).await?;
                grant.exists()
            }
            _ => true,
        })
    }

    pub(crate) async fn release_all(&self, claims: &[AggregateKey], owner: &str, caller: &Caller) {
        for c in claims {
            self.release(c, owner, caller).await;
        }
    }

    /// Releases a claim. A release that meets an outage (no owner of the claim's partition,
    /// an owner gone silent) is tried again, with growing pauses, before the answer goes out:
    /// the caller was told that the act did not happen and may send it again, so the name
    /// must be free by then. One that never gets through leaves a claim whose holder does
    /// not hold the value: the next claimant takes it over once it is stale.
    pub(crate) async fn release(&self, claim: &AggregateKey, owner: &str, caller: &Caller) {
        let mut pause = PAUSE;
        for attempt in 1..=ATTEMPTS {
            let cmd = UniqueCommand::Release {
                owner: owner.into(),
            };
            let e = match self.execute::<Unique>(claim, caller, cmd, None).await {
                Ok(_) => return,
                Err(e) => e,
            };
            if e.kind() != Kind::Unavailable || attempt == ATTEMPTS {
                tracing::warn!(claim = %claim.id, error = %e, "a unique claim was not released; the next claimant takes it over once it is stale");
                return;
            }
            tracing::info!(claim = %claim.id, error = %e, attempt, "releasing a unique claim again after an outage");
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
}
