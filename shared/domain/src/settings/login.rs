//! The `login` kind: which ways of logging in the hosted login and the Sessions API offer,
//! and how long a check stays fresh (a check older than its lifetime must be made again
//! before a login is finalized or a session answers a new login).

use serde::{Deserialize, Serialize};

use super::{invalid, LONGEST_S};
use crate::error::Result;

/// Whether passkeys may be used to log in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Passkeys {
    #[default]
    Allowed,
    Disabled,
}

/// A second factor a login may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    Totp,
    OtpEmail,
    OtpSms,
    U2f,
}

/// What a login offers and needs. Fields left out of a value take their defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginSettings {
    /// Whether users may log in with a username and a password. Default true.
    pub allow_username_password: bool,
    /// Whether the hosted login offers registration. Default false.
    pub allow_register: bool,
    /// Whether the hosted login offers external identity providers. Default false.
    pub allow_external_idp: bool,
    pub passkeys: Passkeys,
    /// Whether every login needs a second factor. Default false.
    pub force_mfa: bool,
    /// The second factors users may set up and log in with. Default TOTP and U2F.
    pub second_factors: Vec<SecondFactor>,
    /// Whether the login name's domain may choose the org (and its identity provider).
    pub domain_discovery: bool,
    /// Whether the hosted login hides "Forgot password?". Default false.
    pub hide_password_reset: bool,
    /// Whether an unknown login name gets the answer of a wrong password. Default false (the
    /// hosted login never says whether a user exists, whatever this says).
    pub ignore_unknown_usernames: bool,
    /// Seconds a password check stays fresh. Default 864000 (10 days).
    pub password_check_lifetime_s: u64,
    /// Seconds a second factor's check stays fresh. Default 64800 (18 hours).
    pub second_factor_check_lifetime_s: u64,
}

impl Default for LoginSettings {
    fn default() -> Self {
        LoginSettings {
            allow_username_password: true,
            allow_register: false,
            allow_external_idp: false,
            passkeys: Passkeys::Allowed,
            force_mfa: false,
            second_factors: vec![SecondFactor::Totp, SecondFactor::U2f],
            domain_discovery: false,
            hide_password_reset: false,
            ignore_unknown_usernames: false,
            password_check_lifetime_s: 10 * 24 * 3600,
            second_factor_check_lifetime_s: 18 * 3600,
        }
    }
}

impl LoginSettings {
    pub(super) fn validated(mut self) -> Result<LoginSettings> {
        for (field, v) in [
            ("password_check_lifetime_s", self.password_check_lifetime_s),
            (
                "second_factor_check_lifetime_s",
                self.second_factor_check_lifetime_s,
            ),
        ] {
            if v == 0 || v > LONGEST_S {
                return Err(invalid(field, "must be between 1 second and 10 years"));
            }
        }
        let given = self.second_factors.len();
        self.second_factors.sort();
        self.second_factors.dedup();
        if self.second_factors.len() != given {
            return Err(invalid("second_factors", "must name each factor once"));
        }
        if !self.allow_username_password
            && self.passkeys == Passkeys::Disabled
            && !self.allow_external_idp
        {
            return Err(invalid(
                "allow_username_password",
                "cannot be false while passkeys are disabled and external identity providers \
                 are not allowed: nobody could log in",
            ));
        }
        if self.force_mfa && self.second_factors.is_empty() {
            return Err(invalid(
                "force_mfa",
                "cannot be true while second_factors allows none: nobody could log in",
            ));
        }
        Ok(self)
    }

    /// How long a password check stays fresh, in milliseconds.
    pub fn password_check_lifetime_ms(&self) -> i64 {
        self.password_check_lifetime_s as i64 * 1000
    }

    /// How long a second factor's check stays fresh, in milliseconds.
    pub fn second_factor_check_lifetime_ms(&self) -> i64 {
        self.second_factor_check_lifetime_s as i64 * 1000
    }

    /// Whether users may set up and log in with `factor` (recovery codes go with any).
    pub fn allows(&self, factor: crate::user::Factor) -> bool {
        use crate::user::Factor;
        match factor {
            Factor::Totp => self.second_factors.contains(&SecondFactor::Totp),
            Factor::OtpEmail => self.second_factors.contains(&SecondFactor::OtpEmail),
            Factor::OtpSms => self.second_factors.contains(&SecondFactor::OtpSms),
            Factor::RecoveryCode => !self.second_factors.is_empty(),
            Factor::U2f => self.second_factors.contains(&SecondFactor::U2f),
            Factor::Passkey => self.passkeys == Passkeys::Allowed,
        }
    }
}
