//! The `password_expiry` kind: how old a password may get before its user must change it at
//! their next login.

use serde::{Deserialize, Serialize};

use super::invalid;
use crate::error::Result;

/// A password set more than `max_age_days` ago must be changed at the next login (0: never).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordExpirySettings {
    pub max_age_days: u32,
}

/// Ten years of days: a longer maximum age is a mistake.
const MOST_DAYS: u32 = 3660;

impl PasswordExpirySettings {
    pub(super) fn validated(self) -> Result<PasswordExpirySettings> {
        if self.max_age_days > MOST_DAYS {
            return Err(invalid("max_age_days", "must be 0 (never) to 3660"));
        }
        Ok(self)
    }

    /// Whether a password set at `set_at` (unix milliseconds; `None` when not known, as for
    /// passwords set before the release that began recording it) has expired at `now`.
    pub fn expired(&self, set_at: Option<i64>, now: i64) -> bool {
        match (self.max_age_days, set_at) {
            (0, _) => false,
            (_, None) => true,
            (days, Some(at)) => now - at > i64::from(days) * 24 * 3600 * 1000,
        }
    }
}
