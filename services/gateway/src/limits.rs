//! Rate limits on credential checks (the login form, client authentication at the token,
//! introspection and revocation endpoints, codes and refresh tokens, a password change that
//! names the current password): failed checks are counted per client address and per account
//! (a login name, a client id); past the limit every check of that address or account is
//! answered 429 `REQ-0007` with `Retry-After`, before any password is hashed. Only failures
//! count, so a busy client that authenticates correctly is never slowed; and device
//! authorizations, which a public client starts without anyone logged in.
//!
//! Each key is a generic cell rate (GCRA): `per_minute` failures at once, then one more every
//! `60 / per_minute` seconds. The keys are bounded: when the table is full, keys whose
//! allowance is whole again go first, and only under a flood of distinct keys does it start
//! again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::{Code, Error};

/// The most keys one table holds (about 100 bytes each).
const MAX_KEYS: usize = 100_000;

/// Failures allowed per minute, per key.
pub struct Limiter<K> {
    /// How long one failure takes to be forgotten.
    interval: Duration,
    burst: u32,
    /// When each key's allowance is whole again (its theoretical arrival time).
    keys: Mutex<HashMap<K, Instant>>,
}

impl<K: std::hash::Hash + Eq + Clone> Limiter<K> {
    pub fn per_minute(per_minute: u32) -> Limiter<K> {
        let burst = per_minute.max(1);
        Limiter {
            interval: Duration::from_secs(60) / burst,
            burst,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// `None` if `key` may try now, else how long until it may.
    pub fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        let keys = self.keys.lock().expect("limiter lock");
        let tat = *keys.get(key)?;
        // `burst` failures at once put the arrival time `burst` intervals ahead; one more is
        // allowed once it is at most `burst - 1` ahead.
        let allowed_until = now + self.interval * (self.burst - 1);
        (tat > allowed_until).then(|| tat - allowed_until)
    }

    /// Counts one failure of `key`.
    pub fn fail(&self, key: &K, now: Instant) {
        let mut keys = self.keys.lock().expect("limiter lock");
        if keys.len() >= MAX_KEYS && !keys.contains_key(key) {
            keys.retain(|_, tat| *tat > now);
            if keys.len() >= MAX_KEYS {
                tracing::warn!(
                    keys = MAX_KEYS,
                    "the rate limit table is full of distinct failing callers; it starts again"
                );
                keys.clear();
            }
        }
        let tat = keys.entry(key.clone()).or_insert(now);
        *tat = (*tat).max(now) + self.interval;
    }
}

/// The limits of one gateway: per client address and per account.
pub struct Limits {
    pub per_ip: Limiter<IpAddr>,
    pub per_account: Limiter<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(&LimitOptions::default())
    }
}

/// Failed credential checks allowed per minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitOptions {
    pub per_ip: u32,
    pub per_account: u32,
}

impl Default for LimitOptions {
    fn default() -> Self {
        LimitOptions {
            per_ip: 60,
            per_account: 20,
        }
    }
}

/// Whom a credential check is about.
pub struct Subject<'a> {
    pub ip: Option<IpAddr>,
    pub instance: &'a str,
    /// `user:<login name>` or `client:<client id>`; none for checks of a one-time value (a
    /// code, a refresh token) that name no account an attacker could slow for others.
    pub account: Option<&'a str>,
}

impl Subject<'_> {
    fn account_key(&self) -> Option<String> {
        self.account
            .map(|a| format!("{}/{}", self.instance, a.to_lowercase()))
    }
}

impl Limits {
    pub fn new(options: &LimitOptions) -> Limits {
        Limits {
            per_ip: Limiter::per_minute(options.per_ip),
            per_account: Limiter::per_minute(options.per_account),
        }
    }

    /// Refuses a check of `who` while its address or its account is over its limit.
    pub fn check(&self, who: &Subject<'_>) -> Result<(), Error> {
        let now = Instant::now();
        let by_ip = who.ip.and_then(|ip| self.per_ip.wait(&ip, now));
        let by_account = who
            .account_key()
            .and_then(|key| self.per_account.wait(&key, now));
        match by_ip.max(by_account) {
            None => Ok(()),
            Some(wait) => Err(limited(wait)),
        }
    }

    /// Counts a failed check of `who`.
    pub fn failed(&self, who: &Subject<'_>) {
        let now = Instant::now();
        if let Some(ip) = who.ip {
            self.per_ip.fail(&ip, now);
        }
        if let Some(key) = who.account_key() {
            self.per_account.fail(&key, now);
        }
    }
}

/// `REQ-0007`, with the whole seconds to wait in `retry_after`.
pub fn limited(wait: Duration) -> Error {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Error::new(
        Code::RateLimited,
        format!("too many failed attempts: try again in {seconds} s"),
    )
    .with("retry_after", seconds.to_string())
}

/// The `retry_after` of an error, if it has one.
pub fn retry_after(e: &Error) -> Option<&str> {
    e.details
        .iter()
        .find(|(k, _)| k == "retry_after")
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_may_fail_its_burst_then_waits_one_interval_per_failure() {
        let limiter = Limiter::<&str>::per_minute(6);
        let t0 = Instant::now();
        for _ in 0..6 {
            assert_eq!(limiter.wait(&"k", t0), None);
            limiter.fail(&"k", t0);
        }
        let wait = limiter.wait(&"k", t0).expect("over the limit");
        assert_eq!(wait, Duration::from_secs(10));
        assert!(limiter.wait(&"other", t0).is_none(), "keys are apart");
        assert!(limiter.wait(&"k", t0 + Duration::from_secs(10)).is_none());
        limiter.fail(&"k", t0 + Duration::from_secs(10));
        assert!(limiter.wait(&"k", t0 + Duration::from_secs(11)).is_some());
        assert!(limiter.wait(&"k", t0 + Duration::from_secs(80)).is_none());
    }

    #[test]
    fn the_table_stays_bounded_under_distinct_keys() {
        let limiter = Limiter::<usize>::per_minute(10);
        let t0 = Instant::now();
        for i in 0..(MAX_KEYS + 10) {
            limiter.fail(&i, t0);
        }
        assert!(limiter.keys.lock().unwrap().len() <= MAX_KEYS);
    }

    #[test]
    fn a_limited_answer_says_when_to_come_back() {
        let e = limited(Duration::from_millis(2_100));
        assert_eq!(e.code, Code::RateLimited);
        assert_eq!(retry_after(&e), Some("3"));
    }
}
