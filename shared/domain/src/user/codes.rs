//! One-time codes of a user (email and phone verification, password reset, invitation) and
//! the messages that carry them. A code is random, short lived and single use; only its hash
//! is kept for checking, and a message's copy is sealed with the master key for the outbox
//! that sends it. Wrong codes count: at the lockout's `max_otp_attempts` the code is void.

use serde::{Deserialize, Serialize};

use super::{User, UserEvent, UserKind};
use crate::error::{Code, Error, Result};
use crate::validate;

/// What a code proves or allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// The user holds the mailbox of their email address.
    VerifyEmail,
    /// The user holds their phone.
    VerifyPhone,
    /// Sets a new password without the current one.
    PasswordReset,
    /// An invitation: sets the first password (and verifies the email it came to).
    Init,
    /// A login's second factor, sent by email.
    OtpEmail,
    /// A login's second factor, sent by SMS.
    OtpSms,
    /// Registers a passkey from a link (the user needs no password for it).
    PasskeyRegistration,
}

impl CodeKind {
    pub fn name(self) -> &'static str {
        match self {
            CodeKind::VerifyEmail => "verify_email",
            CodeKind::VerifyPhone => "verify_phone",
            CodeKind::PasswordReset => "password_reset",
            CodeKind::Init => "init",
            CodeKind::OtpEmail => "otp_email",
            CodeKind::OtpSms => "otp_sms",
            CodeKind::PasskeyRegistration => "passkey_registration",
        }
    }

    /// How long a code of this kind stays good, in milliseconds.
    pub fn lifetime_ms(self) -> i64 {
        let minutes = match self {
            CodeKind::VerifyEmail | CodeKind::VerifyPhone => 60,
            CodeKind::PasswordReset => 30,
            CodeKind::Init => 72 * 60,
            CodeKind::OtpEmail | CodeKind::OtpSms => 5,
            CodeKind::PasskeyRegistration => 60,
        };
        minutes * 60 * 1000
    }

    /// The user operation that asks for or gives back a code of this kind.
    pub fn op(self) -> authz::UserOp {
        match self {
            CodeKind::VerifyEmail => authz::UserOp::ChangeEmail,
            CodeKind::VerifyPhone => authz::UserOp::ChangePhone,
            CodeKind::PasswordReset | CodeKind::Init => authz::UserOp::ResetPassword,
            CodeKind::OtpEmail | CodeKind::OtpSms | CodeKind::PasskeyRegistration => {
                authz::UserOp::ManageMfa
            }
        }
    }

    /// Whether a code of this kind sets a password.
    pub fn sets_password(self) -> bool {
        matches!(self, CodeKind::PasswordReset | CodeKind::Init)
    }

    /// Whether a code of this kind sets a credential (a password, a passkey): whoever makes
    /// one for a user may log in as them.
    pub fn sets_credential(self) -> bool {
        self.sets_password() || self == CodeKind::PasskeyRegistration
    }
}

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// A message to send: the outbox sends it at least once, and records each attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub channel: Channel,
    /// The code, sealed with the master key for this instance.
    pub sealed_code: String,
    /// The instance's external URL where the code was asked for: the message's link leads
    /// to its hosted login.
    pub base_url: String,
}

/// A code waiting to be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    /// Hex SHA-256 of the code.
    pub code_hash: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// Wrong codes given since it was made.
    pub failures: u32,
    /// Its message, while not yet sent.
    pub message: Option<Message>,
    /// Attempts to send the message so far.
    #[serde(default)]
    pub attempts: u32,
    /// When the message's next attempt is due, after a failed one.
    #[serde(default)]
    pub retry_at: Option<i64>,
}

/// A new code, as the service made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCode {
    pub kind: CodeKind,
    pub code_hash: String,
    pub message: Option<Message>,
}

/// The longest a failed message waits before its next attempt, in milliseconds.
const MOST_BACKOFF_MS: i64 = 5 * 60 * 1000;

/// The most attempts at one message (about an hour and a half of backoff): an instance
/// without a working server does not fill its users' streams with failures.
pub const MOST_ATTEMPTS: u32 = 25;

/// When the next attempt after `attempts` failed ones is due: 1 s, doubling, at most 5 min.
pub fn next_attempt(attempts: u32, at: i64) -> i64 {
    let backoff = 1000i64
        .saturating_mul(1 << attempts.min(20))
        .min(MOST_BACKOFF_MS);
    at + backoff
}

fn invalid_code() -> Error {
    Error::new(
        Code::InvalidCode,
        "the code is wrong, used or expired; ask for a new one",
    )
    .with("field", "code")
}

impl User {
    /// The human's email address and whether it is verified.
    pub(super) fn email(&self) -> Result<&super::Email> {
        match &self.kind {
            Some(UserKind::Human { email, .. }) => Ok(email),
            _ => Err(Error::new(
                Code::WrongUserType,
                "a machine user has no email",
            )),
        }
    }

    pub(super) fn decide_new_code(&self, code: &NewCode, now: i64) -> Result<Vec<UserEvent>> {
        let email = self.email()?;
        match code.kind {
            CodeKind::VerifyEmail if email.verified => {
                return Err(Error::new(
                    Code::AlreadyVerified,
                    "the email address is verified already",
                ))
            }
            CodeKind::VerifyPhone => match &self.kind {
                Some(UserKind::Human { phone: None, .. }) => {
                    return Err(
                        Error::new(Code::InvalidPhone, "the user has no phone number")
                            .with("field", "phone"),
                    )
                }
                _ if self.phone_verified => {
                    return Err(Error::new(
                        Code::AlreadyVerified,
                        "the phone number is verified already",
                    ))
                }
                _ => {}
            },
            CodeKind::OtpEmail | CodeKind::OtpSms => {
                let on = match code.kind {
                    CodeKind::OtpEmail => self.factors.otp_email,
                    _ => self.factors.otp_sms,
                };
                if !on {
                    return Err(Error::new(
                        Code::FactorNotFound,
                        format!("the user has no {} factor", code.kind.name()),
                    )
                    .with("factor", code.kind.name()));
                }
            }
            CodeKind::VerifyEmail
            | CodeKind::PasswordReset
            | CodeKind::Init
            | CodeKind::PasskeyRegistration => {}
        }
        if let Some(message) = &code.message {
            self.may_send(code.kind, message.channel)?;
        }
        Ok(vec![UserEvent::CodeAdded {
            kind: code.kind,
            code_hash: code.code_hash.clone(),
            expires_at: now + code.kind.lifetime_ms(),
            message: code.message.clone(),
        }])
    }

    /// Whether a code of `kind` may go by `channel`: a verification to what it verifies, a
    /// reset by email or to a verified phone, an invitation by email (it verifies it).
    fn may_send(&self, kind: CodeKind, channel: Channel) -> Result<()> {
        let allowed = match kind {
            CodeKind::VerifyEmail
            | CodeKind::Init
            | CodeKind::OtpEmail
            | CodeKind::PasskeyRegistration => channel == Channel::Email,
            CodeKind::VerifyPhone | CodeKind::OtpSms => channel == Channel::Sms,
            CodeKind::PasswordReset => true,
        };
        if !allowed {
            return Err(Error::new(
                Code::MalformedBody,
                format!(
                    "a {} code cannot be sent by {}",
                    kind.name(),
                    channel.name()
                ),
            )
            .with("field", "send"));
        }
        if channel == Channel::Sms && kind == CodeKind::PasswordReset && !self.phone_verified {
            return Err(Error::new(
                Code::InvalidPhone,
                "a reset goes by SMS only to a verified phone number",
            )
            .with("field", "phone"));
        }
        Ok(())
    }

    /// The pending code of `kind` if `code_hash` is its hash and it has not expired at `at`.
    pub fn code_matches(&self, kind: CodeKind, code_hash: &str, at: i64) -> bool {
        self.codes
            .get(&kind)
            .is_some_and(|c| c.expires_at > at && validate::same_secret(&c.code_hash, code_hash))
    }

    /// The code of one of `kinds` that `code_hash` is, if any is pending and fresh.
    pub fn matching_code(&self, kinds: &[CodeKind], code_hash: &str, at: i64) -> Option<CodeKind> {
        kinds
            .iter()
            .copied()
            .find(|k| self.code_matches(*k, code_hash, at))
    }

    pub(super) fn decide_verify(
        &self,
        kind: CodeKind,
        code_hash: &str,
        at: i64,
    ) -> Result<Vec<UserEvent>> {
        if !self.code_matches(kind, code_hash, at) {
            return Err(invalid_code());
        }
        Ok(vec![match kind {
            CodeKind::VerifyEmail => UserEvent::EmailVerified,
            CodeKind::VerifyPhone => UserEvent::PhoneVerified,
            CodeKind::PasswordReset | CodeKind::Init => {
                return Err(Error::internal("a password code is used with a password"))
            }
            CodeKind::OtpEmail | CodeKind::OtpSms => {
                return Err(Error::internal("a login code is used at a login"))
            }
            CodeKind::PasskeyRegistration => {
                return Err(Error::internal("a passkey's code registers a passkey"))
            }
        }])
    }

    /// A password set with a reset or invitation code; an invitation also verifies the email
    /// it came to.
    pub(super) fn decide_password_by_code(
        &self,
        code_hash: &str,
        password_hash: &str,
        at: i64,
    ) -> Result<Vec<UserEvent>> {
        let kind = self
            .matching_code(&[CodeKind::PasswordReset, CodeKind::Init], code_hash, at)
            .ok_or_else(invalid_code)?;
        let mut events = vec![UserEvent::PasswordChanged {
            password_hash: password_hash.to_string(),
            at: Some(at),
        }];
        if kind == CodeKind::Init && !self.email()?.verified {
            events.push(UserEvent::EmailVerified);
        }
        Ok(events)
    }

    /// A wrong code of `kind`: counted, and at `max_attempts` (0: never) the code is void.
    pub(super) fn decide_wrong_code(&self, kind: CodeKind, max_attempts: u32) -> Vec<UserEvent> {
        match self.codes.get(&kind) {
            None => vec![],
            Some(c) => vec![UserEvent::CodeCheckFailed {
                kind,
                void: max_attempts > 0 && c.failures + 1 >= max_attempts,
            }],
        }
    }

    /// The message `id`, while it waits to be sent, with its code's kind.
    pub fn pending_message(&self, id: &str) -> Option<(CodeKind, &PendingCode, &Message)> {
        self.codes.iter().find_map(|(kind, c)| match &c.message {
            Some(m) if m.id == id => Some((*kind, c, m)),
            _ => None,
        })
    }

    pub(super) fn decide_delivery(
        &self,
        id: &str,
        failure: Option<&str>,
        at: i64,
    ) -> Vec<UserEvent> {
        let Some((_, code, _)) = self.pending_message(id) else {
            return vec![];
        };
        match failure {
            None => vec![UserEvent::NotificationSent {
                message_id: id.to_string(),
            }],
            Some(reason) => {
                let attempt = code.attempts + 1;
                let next = next_attempt(code.attempts, at);
                let reason: String = reason.chars().take(500).collect();
                vec![UserEvent::NotificationFailed {
                    message_id: id.to_string(),
                    attempt,
                    reason,
                    // Past the code's life, or its attempts, a message is given up.
                    retry_at: (next < code.expires_at && attempt < MOST_ATTEMPTS).then_some(next),
                }]
            }
        }
    }

    /// The pending code whose message is `id`.
    pub(super) fn code_of_message(&mut self, id: &str) -> Option<&mut PendingCode> {
        self.codes
            .values_mut()
            .find(|c| c.message.as_ref().is_some_and(|m| m.id == id))
    }
}
