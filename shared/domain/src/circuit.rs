//! A circuit breaker for an endpoint Portcullis calls (an action target): after
//! [`FAILURES_TO_OPEN`] failed calls in a row the circuit opens and no call is made for a
//! while, so a receiver that is down is not hammered and a token request does not wait on a
//! dead hook. When the wait is over one call goes through to try (the others are still held):
//! its success closes the circuit, its failure opens it again for twice as long, up to
//! [`MAX_OPEN_MS`]. The caller passes the time.

/// Failed calls in a row that open the circuit.
pub const FAILURES_TO_OPEN: u32 = 5;
/// How long the circuit first stays open (milliseconds); each reopening doubles it.
pub const FIRST_OPEN_MS: i64 = 5_000;
pub const MAX_OPEN_MS: i64 = 300_000;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Circuit {
    /// Failed calls in a row.
    failures: u32,
    /// While open: when the next call may try.
    open_until_ms: Option<i64>,
    /// Times it opened in a row (for the doubling wait).
    openings: u32,
}

impl Circuit {
    /// Whether a call may go at `now_ms`: always while closed; once the wait is over, one call
    /// (the trial), the others held until its outcome is recorded or the wait passes again.
    /// Otherwise how long is left to wait (milliseconds).
    pub fn admit(&mut self, now_ms: i64) -> Result<(), i64> {
        match self.open_until_ms {
            None => Ok(()),
            Some(until) if now_ms >= until => {
                self.open_until_ms = Some(now_ms + self.wait_ms());
                Ok(())
            }
            Some(until) => Err(until - now_ms),
        }
    }

    /// A call answered: the circuit closes.
    pub fn succeeded(&mut self) {
        *self = Circuit::default();
    }

    /// A call failed: counted; the circuit opens at the threshold, or again after a trial.
    pub fn failed(&mut self, now_ms: i64) {
        self.failures = self.failures.saturating_add(1);
        if self.open_until_ms.is_some() || self.failures >= FAILURES_TO_OPEN {
            self.openings = self.openings.saturating_add(1);
            self.open_until_ms = Some(now_ms + self.wait_ms());
        }
    }

    /// The current opening's wait: doubling from the first, capped.
    fn wait_ms(&self) -> i64 {
        let doublings = self.openings.saturating_sub(1).min(16);
        (FIRST_OPEN_MS << doublings).min(MAX_OPEN_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_times(n: u32, now: i64) -> Circuit {
        let mut c = Circuit::default();
        for _ in 0..n {
            c.admit(now).unwrap();
            c.failed(now);
        }
        c
    }

    #[test]
    fn given_fewer_failures_than_the_threshold_when_called_then_the_call_goes() {
        let mut c = failed_times(FAILURES_TO_OPEN - 1, 0);
        assert_eq!(c.admit(0), Ok(()));
    }

    #[test]
    fn given_the_threshold_of_failures_when_called_then_it_waits_for_the_first_opening() {
        let mut c = failed_times(FAILURES_TO_OPEN, 1_000);
        assert_eq!(c.admit(1_000), Err(FIRST_OPEN_MS));
        assert_eq!(c.admit(1_000 + FIRST_OPEN_MS - 1), Err(1));
    }

    #[test]
    fn given_an_open_circuit_whose_wait_passed_when_called_then_one_trial_goes_and_others_wait() {
        let mut c = failed_times(FAILURES_TO_OPEN, 0);
        assert_eq!(c.admit(FIRST_OPEN_MS), Ok(()));
        assert!(c.admit(FIRST_OPEN_MS).is_err(), "held during the trial");
    }

    #[test]
    fn given_a_trial_when_it_succeeds_then_the_circuit_closes_and_counts_from_zero() {
        let mut c = failed_times(FAILURES_TO_OPEN, 0);
        c.admit(FIRST_OPEN_MS).unwrap();
        c.succeeded();
        assert_eq!(c, Circuit::default());
        assert_eq!(c.admit(FIRST_OPEN_MS), Ok(()));
    }

    #[test]
    fn given_a_trial_when_it_fails_then_the_circuit_opens_twice_as_long_up_to_the_cap() {
        let mut c = failed_times(FAILURES_TO_OPEN, 0);
        let mut now = 0;
        let mut wait = FIRST_OPEN_MS;
        for _ in 0..12 {
            now += wait;
            c.admit(now).unwrap();
            c.failed(now);
            wait = (wait * 2).min(MAX_OPEN_MS);
            assert_eq!(c.admit(now), Err(wait));
        }
        assert_eq!(wait, MAX_OPEN_MS);
    }
}
