//! A user's second factors: an authenticator app (TOTP), login codes by email or SMS, and
//! recovery codes. The service layer does the cryptography (it seals the TOTP secret, finds
//! the step a TOTP code belongs to, hashes codes); the user's actor decides: a TOTP step is
//! good once (it and every earlier step are refused after it), a login code and a recovery
//! code once, and wrong codes count against the lockout's `max_otp_attempts`.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::keys::{KeyKind, PendingKey, WebAuthnKey};
use super::{Channel, CodeKind, User, UserEvent, UserKind, UserState};
use crate::error::{Code, Error, Result};
use crate::settings::LockoutSettings;
use crate::validate;

/// How many recovery codes a user gets at a time.
pub const RECOVERY_CODES: usize = 10;

/// A kind of second factor (and, for a session, a kind of check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    Totp,
    OtpEmail,
    OtpSms,
    RecoveryCode,
    /// A security key.
    U2f,
    /// A passkey (user-verifying: it stands for both factors).
    Passkey,
}

impl Factor {
    pub const ALL: [Factor; 6] = [
        Factor::Totp,
        Factor::OtpEmail,
        Factor::OtpSms,
        Factor::RecoveryCode,
        Factor::U2f,
        Factor::Passkey,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Factor::Totp => "totp",
            Factor::OtpEmail => "otp_email",
            Factor::OtpSms => "otp_sms",
            Factor::RecoveryCode => "recovery_code",
            Factor::U2f => "u2f",
            Factor::Passkey => "passkey",
        }
    }

    pub fn parse(name: &str) -> Option<Factor> {
        Factor::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Where a factor that sends login codes sends them.
    pub fn channel(self) -> Option<Channel> {
        match self {
            Factor::OtpEmail => Some(Channel::Email),
            Factor::OtpSms => Some(Channel::Sms),
            Factor::Totp | Factor::RecoveryCode | Factor::U2f | Factor::Passkey => None,
        }
    }

    /// The kind of WebAuthn key a factor is, if it is one.
    pub fn key_kind(self) -> Option<KeyKind> {
        match self {
            Factor::U2f => Some(KeyKind::U2f),
            Factor::Passkey => Some(KeyKind::Passkey),
            Factor::Totp | Factor::OtpEmail | Factor::OtpSms | Factor::RecoveryCode => None,
        }
    }
}

/// A TOTP authenticator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totp {
    /// The secret, sealed with the master key (it must be read to check a code).
    pub sealed_secret: String,
    /// Whether the user proved their app has it (a first code was right).
    pub verified: bool,
    /// The last step whose code was used: it and earlier steps are refused.
    pub last_step: Option<u64>,
}

/// A user's second factors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factors {
    pub totp: Option<Totp>,
    pub otp_email: bool,
    pub otp_sms: bool,
    /// The hashes of the recovery codes not yet used.
    pub recovery_codes: Vec<String>,
    /// Wrong second-factor codes since the last right one or the last lockout.
    pub failed_checks: u32,
    /// WebAuthn keys, by id.
    #[serde(default)]
    pub keys: BTreeMap<String, WebAuthnKey>,
    /// A key's registration waiting for its answer.
    #[serde(default)]
    pub pending_key: Option<PendingKey>,
    /// The challenges keys signed lately (hashes, with when): each is good once.
    #[serde(default)]
    pub signed_challenges: Vec<(String, i64)>,
}

impl Factors {
    /// The factors a login may be asked for, in the order a login offers them.
    pub fn usable(&self) -> Vec<Factor> {
        let mut usable = Vec::new();
        if self.totp.as_ref().is_some_and(|t| t.verified) {
            usable.push(Factor::Totp);
        }
        if self.otp_email {
            usable.push(Factor::OtpEmail);
        }
        if self.otp_sms {
            usable.push(Factor::OtpSms);
        }
        for (kind, factor) in [
            (KeyKind::U2f, Factor::U2f),
            (KeyKind::Passkey, Factor::Passkey),
        ] {
            if self.keys.values().any(|k| k.kind == kind) {
                usable.push(factor);
            }
        }
        if !usable.is_empty() && !self.recovery_codes.is_empty() {
            usable.push(Factor::RecoveryCode);
        }
        usable
    }
}

/// What proves a second factor, as the service layer prepared it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FactorProof {
    /// A TOTP code that the service found to be the code of `step`.
    Totp { step: u64 },
    /// A login code sent by email or SMS (its hash).
    Otp { channel: Channel, code_hash: String },
    /// A recovery code (its hash).
    RecoveryCode { code_hash: String },
    /// A WebAuthn key's signature, verified by the service, with the counter it carried and
    /// the hash of the challenge it signed.
    WebAuthn {
        key_id: String,
        counter: u32,
        challenge: String,
    },
}

fn not_found(factor: &str) -> Error {
    Error::new(
        Code::FactorNotFound,
        format!("the user has no {factor} factor"),
    )
    .with("factor", factor)
}

/// The one answer to any second-factor check that fails: wrong, used, replayed, expired, of
/// another factor or user, or made while locked out.
pub fn wrong_code() -> Error {
    Error::new(
        Code::InvalidCode,
        "the code is wrong, used or expired; try again with a new one",
    )
    .with("field", "code")
}

impl User {
    pub(super) fn human_only(&self) -> Result<()> {
        match &self.kind {
            Some(UserKind::Human { .. }) => Ok(()),
            _ => Err(Error::new(
                Code::WrongUserType,
                "machine users have no second factors",
            )),
        }
    }

    pub(super) fn decide_add_totp(&self, sealed_secret: &str) -> Result<Vec<UserEvent>> {
        self.human_only()?;
        if self.factors.totp.as_ref().is_some_and(|t| t.verified) {
            return Err(Error::new(
                Code::FactorExists,
                "an authenticator app is set up already; remove it to set up another",
            )
            .with("factor", "totp"));
        }
        Ok(vec![UserEvent::TotpAdded {
            sealed_secret: sealed_secret.to_string(),
        }])
    }

    pub(super) fn decide_verify_totp(&self, step: Option<u64>) -> Result<Vec<UserEvent>> {
        match &self.factors.totp {
            Some(t) if !t.verified => match step {
                Some(step) => Ok(vec![UserEvent::TotpVerified { step }]),
                None => Err(wrong_code()),
            },
            Some(_) => Err(Error::new(
                Code::AlreadyVerified,
                "the authenticator app is verified already",
            )),
            None => Err(not_found("totp")),
        }
    }

    pub(super) fn decide_remove_totp(&self) -> Result<Vec<UserEvent>> {
        match self.factors.totp {
            Some(_) => Ok(vec![UserEvent::TotpRemoved]),
            None => Err(not_found("totp")),
        }
    }

    /// Login codes by email need a verified email address, by SMS a verified phone.
    pub(super) fn decide_add_otp(&self, channel: Channel) -> Result<Vec<UserEvent>> {
        self.human_only()?;
        let (has, verified) = match channel {
            Channel::Email => (self.factors.otp_email, self.email()?.verified),
            Channel::Sms => (self.factors.otp_sms, self.phone_verified),
        };
        if has {
            return Ok(vec![]);
        }
        if !verified {
            return Err(Error::new(
                Code::FactorNeedsVerifiedContact,
                format!(
                    "login codes by {} need a verified {}; verify it first",
                    channel.name(),
                    match channel {
                        Channel::Email => "email address",
                        Channel::Sms => "phone number",
                    }
                ),
            )
            .with("factor", otp_factor(channel).name()));
        }
        Ok(vec![UserEvent::OtpAdded { channel }])
    }

    pub(super) fn decide_remove_otp(&self, channel: Channel) -> Result<Vec<UserEvent>> {
        let has = match channel {
            Channel::Email => self.factors.otp_email,
            Channel::Sms => self.factors.otp_sms,
        };
        match has {
            true => Ok(vec![UserEvent::OtpRemoved { channel }]),
            false => Err(not_found(otp_factor(channel).name())),
        }
    }

    /// New recovery codes replace the old; they need a second factor to recover.
    pub(super) fn decide_recovery_codes(&self, code_hashes: &[String]) -> Result<Vec<UserEvent>> {
        self.human_only()?;
        if self.factors.usable().is_empty() {
            return Err(Error::new(
                Code::FactorNotFound,
                "recovery codes stand in for a second factor: set one up first",
            )
            .with("factor", "totp"));
        }
        if code_hashes.len() != RECOVERY_CODES {
            return Err(Error::internal("recovery codes come ten at a time"));
        }
        Ok(vec![UserEvent::RecoveryCodesSet {
            code_hashes: code_hashes.to_vec(),
        }])
    }

    /// A second factor's check at `at`: right once, refused when replayed, of a factor the
    /// user does not have, or while the user is locked out.
    pub(super) fn decide_factor_check(
        &self,
        proof: &FactorProof,
        at: i64,
    ) -> Result<Vec<UserEvent>> {
        if self.locked_out_at(at) || self.state != UserState::Active {
            return Err(wrong_code());
        }
        let f = &self.factors;
        let event = match proof {
            FactorProof::Totp { step } => match &f.totp {
                Some(t) if t.verified && t.last_step.is_none_or(|last| *step > last) => {
                    UserEvent::TotpChecked { step: *step }
                }
                _ => return Err(wrong_code()),
            },
            FactorProof::Otp { channel, code_hash } => {
                let enabled = match channel {
                    Channel::Email => f.otp_email,
                    Channel::Sms => f.otp_sms,
                };
                let kind = otp_kind(*channel);
                if !enabled || !self.code_matches(kind, code_hash, at) {
                    return Err(wrong_code());
                }
                UserEvent::OtpChecked { channel: *channel }
            }
            FactorProof::WebAuthn {
                key_id,
                counter,
                challenge,
            } => self.key_checked(key_id, *counter, challenge, at)?,
            FactorProof::RecoveryCode { code_hash } => {
                match f
                    .recovery_codes
                    .iter()
                    .position(|h| validate::same_secret(h, code_hash))
                {
                    Some(index) => UserEvent::RecoveryCodeUsed {
                        index: index as u32,
                    },
                    None => return Err(wrong_code()),
                }
            }
        };
        Ok(vec![event])
    }

    /// A wrong second-factor code at `at`: counted, and at the lockout's `max_otp_attempts`
    /// (0: never) the user is locked out as wrong passwords lock them out.
    pub(super) fn decide_factor_wrong(&self, lockout: &LockoutSettings, at: i64) -> Vec<UserEvent> {
        if self.locked_out_at(at) {
            return vec![];
        }
        let mut events = vec![UserEvent::SecondFactorCheckFailed];
        let max = lockout.max_otp_attempts;
        if max > 0 && self.factors.failed_checks + 1 >= max && self.state == UserState::Active {
            events.push(match lockout.lock_ends(at) {
                Some(until) => UserEvent::LockedOut { until },
                None => UserEvent::Locked,
            });
        }
        events
    }
}

impl Factors {
    pub(super) fn totp_added(&mut self, sealed_secret: &str) {
        self.totp = Some(Totp {
            sealed_secret: sealed_secret.to_string(),
            verified: false,
            last_step: None,
        });
    }

    /// A TOTP code of `step` was right (its first, or at a login).
    pub(super) fn totp_used(&mut self, step: u64) {
        if let Some(t) = &mut self.totp {
            t.verified = true;
            t.last_step = Some(step);
        }
        self.failed_checks = 0;
    }

    pub(super) fn set_otp(&mut self, channel: Channel, on: bool) {
        match channel {
            Channel::Email => self.otp_email = on,
            Channel::Sms => self.otp_sms = on,
        }
    }

    pub(super) fn recovery_code_used(&mut self, index: u32) {
        let index = index as usize;
        if index < self.recovery_codes.len() {
            self.recovery_codes.remove(index);
        }
        self.failed_checks = 0;
    }
}

/// The factor of login codes sent by `channel`.
pub fn otp_factor(channel: Channel) -> Factor {
    match channel {
        Channel::Email => Factor::OtpEmail,
        Channel::Sms => Factor::OtpSms,
    }
}

/// The code kind of login codes sent by `channel`.
pub fn otp_kind(channel: Channel) -> CodeKind {
    match channel {
        Channel::Email => CodeKind::OtpEmail,
        Channel::Sms => CodeKind::OtpSms,
    }
}
