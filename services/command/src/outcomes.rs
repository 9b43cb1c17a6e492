//! Outcomes of steps across nodes. A step whose answer left open whether it was carried out
//! (the node serving its aggregate went silent, or dropped the connection after the request
//! was sent: `SYS-0003`) is sent again to the aggregate's current owner with the same
//! deadline, and an answer that may mean an earlier send ran is settled by asking the
//! aggregate. What a caller hears is "done", "not done" or `SYS-0003`, never wrong.

use std::time::Duration;

use authz::Caller;
use domain::{AggregateKey, Code, Error, Kind};
use eventlog::position::Positions;

use crate::actor::{now_ms, Written};
use crate::bus::{CommandBus, Routed};

/// How often a step with an open outcome (a resend, a release, a question) is tried through
/// an outage, and the first pause between tries (doubled after each).
pub(crate) const ATTEMPTS: u32 = 5;
pub(crate) const PAUSE: Duration = Duration::from_millis(100);

/// Whether an answer leaves open if the request was carried out (the node serving it went
/// silent or dropped the connection after it was sent).
pub(crate) fn open(e: &Error) -> bool {
    e.code == Code::StorageUnavailable
}

impl CommandBus {
    /// How long after its claim a saga's act may still run (a quarter of the stale bound),
    /// counted from before the claim was sent, so that the deadline is never later than the
    /// claim's own time plus the window.
    pub(crate) fn act_window_ms(&self) -> i64 {
        self.stale_claim_after.as_millis() as i64 / 4
    }

    /// Runs `act` (which gets `not_after`, the deadline it must carry), sends it again with
    /// the same deadline while its outcome is open, and settles an answer that may
    /// mean an earlier send ran (after an open outcome, or when `ran_before` says so) by
    /// asking the target's actor whether `took_effect` holds. After an open outcome, only
    /// "done" is certain: an earlier send may still land before its deadline, so an act not
    /// seen done is answered `SYS-0003` (as is one whose target could not be asked).
    pub(crate) async fn settled<A: Routed, F, Fut>(
        &self,
        (target, took_effect): (&AggregateKey, impl Fn(&A) -> bool),
        ran_before: impl Fn(&Error) -> bool,
        not_after: i64,
        act: F,
    ) -> Result<Written, Error>
    where
        F: Fn(i64) -> Fut,
        Fut: std::future::Future<Output = Result<Written, Error>>,
    {
        let mut answer = act(not_after).await;
        let mut was_open = false;
        let mut pause = PAUSE;
        for attempt in 2..=ATTEMPTS {
            match &answer {
                Err(e) if open(e) => {
                    tracing::info!(target = %target.id, error = %e, attempt, "sending an act with an open outcome again");
                    was_open = true;
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    answer = act(not_after).await;
                }
                _ => break,
            }
        }
        let e = match answer {
            Ok(w) => return Ok(w),
            Err(e) => e,
        };
        if !(open(&e) || was_open || ran_before(&e)) {
            return Err(e);
        }
        match self.settle::<A>(target).await {
            Some((state, version, position)) if took_effect(&state) => Ok(Written {
                sequence: version,
                position: Positions::at(position),
            }),
            // Not done, and no earlier send can land later: none was left open.
            Some(_) if !(open(&e) || was_open) => Err(e),
            // An earlier send may still land before its deadline.
            _ if open(&e) => Err(e),
            _ => Err(Error::new(
                Code::StorageUnavailable,
                format!("whether the write was made is not known yet ({e}): read it back"),
            )),
        }
    }

    /// Runs `cmd` on `key` as a step that settles its outcome ([`CommandBus::settled`]);
    /// `took_effect` tells from the aggregate's state whether it was carried out (a removal:
    /// the aggregate is gone). For steps whose repetition is harmless: creations under a
    /// fresh id, removals, and cascades' steps.
    pub(crate) async fn step<A: Routed>(
        &self,
        key: &AggregateKey,
        caller: &Caller,
        cmd: A::Command,
        if_match: Option<u64>,
        took_effect: impl Fn(&A) -> bool,
    ) -> Result<Written, Error> {
        self.settled(
            (key, took_effect),
            |_| false,
            now_ms() + self.act_window_ms(),
            |not_after| self.execute_before::<A>(key, caller, cmd.clone(), if_match, not_after),
        )
        .await
    }

    /// The state of `target` on whichever node serves it now, asked again through an outage
    /// until the partition has an owner; none if it never answered.
    pub(crate) async fn settle<A: Routed>(&self, target: &AggregateKey) -> Option<(A, u64, u64)> {
        let mut pause = PAUSE;
        for attempt in 1..=ATTEMPTS {
            match self.peek::<A>(target).await {
                Ok(found) => return Some(found),
                Err(e) if e.kind() == Kind::Unavailable && attempt < ATTEMPTS => {
                    tracing::info!(target = %target.id, error = %e, attempt, "asking the aggregate again after an outage");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => {
                    tracing::warn!(target = %target.id, error = %e, "the aggregate could not be asked");
                    return None;
                }
            }
        }
        None
    }
}
