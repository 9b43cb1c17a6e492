//! A session: the checks a login made (the user, the password), each with the time it passed.
//! Created by the Sessions API or the hosted login (its cookie holds the session token), it
//! answers later logins of the same browser (single sign-on) while its checks are fresh under
//! the `login` settings; it ends by a logout or by the user's credentials changing, and is over
//! when unused for the idle lifetime or older than the absolute one (the `session` settings in
//! force, passed with each use).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::lifecycle::Lifecycle;
use crate::settings::{LoginSettings, SessionSettings};
use crate::user::Factor;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub lifecycle: Lifecycle,
    pub user_id: String,
    /// When the user last authenticated in it (unix milliseconds).
    pub auth_time: i64,
    pub secret_hash: String,
    /// When it began, and when a use was last recorded (unix milliseconds).
    #[serde(default)]
    pub started_at: i64,
    #[serde(default)]
    pub last_used: i64,
    /// When the user's password was last checked in it (unix milliseconds).
    #[serde(default)]
    pub password_checked_at: Option<i64>,
    /// When each second factor was last checked in it (unix milliseconds).
    #[serde(default)]
    pub factors_checked: BTreeMap<Factor, i64>,
    /// The WebAuthn challenge waiting for its key's signature. Good once: a check of its
    /// factor ends it.
    #[serde(default)]
    pub key_challenge: Option<KeyChallenge>,
    /// The external identity provider the user last logged in through, and when.
    #[serde(default)]
    pub idp_checked: Option<IdpCheck>,
}

/// A login through an external identity provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpCheck {
    pub idp_id: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// A WebAuthn challenge sent for a session's second step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyChallenge {
    /// `u2f` or `passkey`.
    pub factor: Factor,
    /// The ceremony's state (its challenge), JSON.
    pub state: String,
    /// The origin the signature must be made for (the login UI's).
    pub origin: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SessionCommand {
    /// A session of a user whose login name (or id) was checked, with its password too when
    /// `password_checked` (the service verified it).
    Create {
        user_id: String,
        secret_hash: String,
        password_checked: bool,
    },
    /// The service verified the user's password again.
    CheckPassword,
    /// The user's actor accepted a second factor.
    CheckFactor {
        factor: Factor,
    },
    /// A WebAuthn challenge, its ceremony's state kept for the answer.
    ChallengeKey(KeyChallenge),
    /// The user logged in through the external identity provider `idp_id` (the service
    /// verified what it answered): it stands for the password.
    CheckIdp {
        idp_id: String,
    },
    /// From gateways of the previous release: a session with the user and password checked.
    Start {
        user_id: String,
        secret_hash: String,
    },
    /// From gateways of the previous release: a new password check in the session.
    Renew,
    /// A login answered by the session: refused when its lifetimes are over.
    Use {
        lifetimes: SessionSettings,
    },
    End,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionEvent {
    Started {
        user_id: String,
        secret_hash: String,
        at: i64,
    },
    Renewed {
        at: i64,
    },
    Ended,
    Used {
        at: i64,
    },
    /// A session with its user checked at `at` (and nothing else yet).
    Created {
        user_id: String,
        secret_hash: String,
        at: i64,
    },
    PasswordChecked {
        at: i64,
    },
    /// A second factor was checked at `at`.
    FactorChecked {
        factor: Factor,
        at: i64,
    },
    /// A WebAuthn challenge was sent for a key of `factor`, to sign for `origin`.
    KeyChallenged {
        factor: Factor,
        state: String,
        origin: String,
    },
    /// The user logged in through the external identity provider `idp_id` at `at`.
    IdpChecked {
        idp_id: String,
        at: i64,
    },
}

impl EventType for SessionEvent {
    fn event_type(&self) -> &'static str {
        match self {
            SessionEvent::Started { .. } => "session.started",
            SessionEvent::Renewed { .. } => "session.renewed",
            SessionEvent::Ended => "session.ended",
            SessionEvent::Used { .. } => "session.used",
            SessionEvent::Created { .. } => "session.created",
            SessionEvent::PasswordChecked { .. } => "session.password.checked",
            SessionEvent::FactorChecked { .. } => "session.factor.checked",
            SessionEvent::KeyChallenged { .. } => "session.key.challenged",
            SessionEvent::IdpChecked { .. } => "session.idp.checked",
        }
    }
}

impl Session {
    /// When its absolute lifetime counts from: the last authentication, else its creation.
    fn began(&self) -> i64 {
        match self.auth_time {
            0 => self.started_at,
            t => t,
        }
    }

    /// When the session ends unless used again (unix milliseconds).
    pub fn ends_at(&self, lifetimes: &SessionSettings) -> i64 {
        lifetimes.ends_at(self.began(), self.last_used)
    }

    /// Whether the session is live at `now` under `lifetimes`: absolute from its login,
    /// idle from its last recorded use.
    pub fn alive(&self, lifetimes: &SessionSettings, now: i64) -> bool {
        self.exists() && lifetimes.alive(self.began(), self.last_used, now)
    }

    fn created(&mut self, user_id: &str, secret_hash: &str, at: i64) {
        self.lifecycle = Lifecycle::Active;
        self.user_id = user_id.to_string();
        self.secret_hash = secret_hash.to_string();
        self.started_at = at;
        self.last_used = at;
    }

    fn password_checked(&mut self, at: i64) {
        self.auth_time = at;
        self.last_used = at;
        self.password_checked_at = Some(at);
    }

    /// When a second factor was last checked in it.
    pub fn second_factor_checked_at(&self) -> Option<i64> {
        self.factors_checked.values().copied().max()
    }

    /// What a login with this session still needs at `now` under the login settings: the
    /// checks that are missing or no longer fresh (none: the user is authenticated).
    pub fn missing_checks(&self, login: &LoginSettings, needs: Needs, now: i64) -> Vec<Check> {
        let fresh = |at: Option<i64>, lifetime_ms: i64| {
            at.is_some_and(|t| now - t <= lifetime_ms && needs.not_before.is_none_or(|nb| t >= nb))
        };
        let second_lifetime = login.second_factor_check_lifetime_ms();
        // A passkey stands for both: it is held, and it verified its user.
        let passkey = fresh(
            self.factors_checked.get(&Factor::Passkey).copied(),
            second_lifetime,
        );
        // So does a login through an external IdP for the password.
        let first_lifetime = login.password_check_lifetime_ms();
        let federated = fresh(self.idp_checked.as_ref().map(|c| c.at), first_lifetime);
        let mut missing = Vec::new();
        if !passkey && !federated && !fresh(self.password_checked_at, first_lifetime) {
            missing.push(Check::Password);
        }
        let second = self.second_factor_checked_at();
        if needs.second_factor && !fresh(second, second_lifetime) {
            missing.push(Check::SecondFactor);
        }
        missing
    }

    /// The authentication methods of the session's fresh checks (RFC 8176): `pwd` for a
    /// password, `otp` for a one-time code (an app's, a message's, a recovery code), `mfa`
    /// when both.
    pub fn amr(&self, login: &LoginSettings, now: i64) -> Vec<String> {
        let fresh = |at: i64, lifetime_ms: i64| now - at <= lifetime_ms;
        let pwd = self
            .password_checked_at
            .is_some_and(|t| fresh(t, login.password_check_lifetime_ms()));
        let checked = |factors: &[Factor]| {
            factors.iter().any(|f| {
                self.factors_checked
                    .get(f)
                    .is_some_and(|t| fresh(*t, login.second_factor_check_lifetime_ms()))
            })
        };
        let otp = checked(&[
            Factor::Totp,
            Factor::OtpEmail,
            Factor::OtpSms,
            Factor::RecoveryCode,
        ]);
        let key = checked(&[Factor::U2f, Factor::Passkey]);
        // A passkey verifies its user (a PIN or a biometric) as well as holding the key.
        let verified = checked(&[Factor::Passkey]);
        let fed = self
            .idp_checked
            .as_ref()
            .is_some_and(|c| fresh(c.at, login.password_check_lifetime_ms()));
        let mut amr = Vec::new();
        let methods = [
            ("pwd", pwd),
            ("fed", fed),
            ("otp", otp),
            ("hwk", key),
            ("user", verified),
        ];
        for (method, used) in methods {
            if used {
                amr.push(method.to_string());
            }
        }
        // A password and an IdP login are one factor, not two.
        if amr.len() - usize::from(pwd && fed) > 1 {
            amr.push("mfa".to_string());
        }
        amr
    }
}

/// What a login asks of a session beyond the login settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// A second factor: the user has one, the settings force one, or the client asked.
    pub second_factor: bool,
    /// Checks before this time (unix milliseconds) do not count: the client asked for a new
    /// login (`prompt=login`) or a recent one (`max_age`).
    pub not_before: Option<i64>,
}

/// The `acr` of a login whose methods are `amr`: two factors, or one.
pub fn acr(amr: &[String]) -> &'static str {
    match amr.iter().any(|m| m == "mfa") {
        true => ACR_MFA,
        false => ACR_ONE_FACTOR,
    }
}

/// The `acr` of a login with one factor.
pub const ACR_ONE_FACTOR: &str = "urn:portcullis:loa:1fa";
/// The `acr` of a login with two factors (a client asks for it with `acr_values`).
pub const ACR_MFA: &str = "urn:portcullis:loa:2fa";

/// A check a session records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Password,
    SecondFactor,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::Password => "password",
            Check::SecondFactor => "second_factor",
        }
    }
}

impl Aggregate for Session {
    const KIND: &'static str = "session";
    type Command = SessionCommand;
    type Event = SessionEvent;

    fn owners(&self) -> Vec<String> {
        vec![self.user_id.clone()]
    }

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    fn access<'a>(&'a self, _: &'a AggregateKey, _: &'a SessionCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(&self, cmd: &SessionCommand, ctx: Ctx<'_>) -> Result<Vec<SessionEvent>> {
        let over = || Error::new(Code::SessionNotFound, "the session is over: log in again");
        Ok(match cmd {
            SessionCommand::Create {
                user_id,
                secret_hash,
                password_checked,
            } => {
                if self.lifecycle != Lifecycle::New {
                    return Err(Error::internal("the session id is in use"));
                }
                let mut events = vec![SessionEvent::Created {
                    user_id: user_id.clone(),
                    secret_hash: secret_hash.clone(),
                    at: ctx.now,
                }];
                if *password_checked {
                    events.push(SessionEvent::PasswordChecked { at: ctx.now });
                }
                events
            }
            SessionCommand::CheckPassword if self.exists() => {
                vec![SessionEvent::PasswordChecked { at: ctx.now }]
            }
            SessionCommand::CheckPassword => return Err(over()),
            SessionCommand::CheckFactor { factor } if self.exists() => {
                vec![SessionEvent::FactorChecked {
                    factor: *factor,
                    at: ctx.now,
                }]
            }
            SessionCommand::CheckFactor { .. } => return Err(over()),
            SessionCommand::ChallengeKey(c) if self.exists() => {
                vec![SessionEvent::KeyChallenged {
                    factor: c.factor,
                    state: c.state.clone(),
                    origin: c.origin.clone(),
                }]
            }
            SessionCommand::ChallengeKey(_) => return Err(over()),
            SessionCommand::CheckIdp { idp_id } if self.exists() => {
                vec![SessionEvent::IdpChecked {
                    idp_id: idp_id.clone(),
                    at: ctx.now,
                }]
            }
            SessionCommand::CheckIdp { .. } => return Err(over()),
            SessionCommand::Start {
                user_id,
                secret_hash,
            } => {
                if self.lifecycle != Lifecycle::New {
                    return Err(Error::internal("the session id is in use"));
                }
                vec![SessionEvent::Started {
                    user_id: user_id.clone(),
                    secret_hash: secret_hash.clone(),
                    at: ctx.now,
                }]
            }
            SessionCommand::Use { lifetimes } => {
                if !self.alive(lifetimes, ctx.now) {
                    return Err(over());
                }
                if ctx.now - self.last_used < lifetimes.use_interval_ms() {
                    vec![]
                } else {
                    vec![SessionEvent::Used { at: ctx.now }]
                }
            }
            SessionCommand::Renew if self.exists() => vec![SessionEvent::Renewed { at: ctx.now }],
            SessionCommand::End if self.exists() => vec![SessionEvent::Ended],
            SessionCommand::Renew | SessionCommand::End => vec![],
        })
    }

    fn apply(&mut self, event: &SessionEvent) {
        match event {
            // The previous release's start: the user and the password checked at once.
            SessionEvent::Started {
                user_id,
                secret_hash,
                at,
            } => {
                self.created(user_id, secret_hash, *at);
                self.password_checked(*at);
            }
            SessionEvent::Created {
                user_id,
                secret_hash,
                at,
            } => self.created(user_id, secret_hash, *at),
            SessionEvent::Renewed { at } | SessionEvent::PasswordChecked { at } => {
                self.password_checked(*at)
            }
            SessionEvent::KeyChallenged {
                factor,
                state,
                origin,
            } => {
                self.key_challenge = Some(KeyChallenge {
                    factor: *factor,
                    state: state.clone(),
                    origin: origin.clone(),
                })
            }
            SessionEvent::FactorChecked { factor, at } => {
                self.factors_checked.insert(*factor, *at);
                if self
                    .key_challenge
                    .as_ref()
                    .is_some_and(|c| c.factor == *factor)
                {
                    self.key_challenge = None;
                }
                self.auth_time = *at;
                self.last_used = *at;
            }
            SessionEvent::IdpChecked { idp_id, at } => {
                self.idp_checked = Some(IdpCheck {
                    idp_id: idp_id.clone(),
                    at: *at,
                });
                self.auth_time = *at;
                self.last_used = *at;
            }
            SessionEvent::Used { at } => self.last_used = *at,
            SessionEvent::Ended => self.lifecycle = Lifecycle::Removed,
        }
    }
}
