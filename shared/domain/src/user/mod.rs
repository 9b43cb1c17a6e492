//! The User aggregate: a human (profile, email, password hash) or a machine user, owned by an
//! org, with its personal access tokens (stored as SHA-256 hashes only).

use std::collections::BTreeMap;

use authz::{Permission, Requirement, Target, UserOp};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::lifecycle::Lifecycle;
use crate::machine_keys::{self, MachineKey, MachineKeys, PublicJwk};
use crate::validate;

mod changes;
mod codes;
mod factors;
mod keys;
pub use changes::{ProfilePatch, UserChange, MAX_METADATA};
pub use codes::{next_attempt, Channel, CodeKind, Message, NewCode, PendingCode, MOST_ATTEMPTS};
pub use factors::{
    otp_factor, otp_kind, wrong_code, Factor, FactorProof, Factors, Totp, RECOVERY_CODES,
};
pub use keys::{KeyKind, PendingKey, WebAuthnKey};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub preferred_language: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub address: String,
    pub verified: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserKind {
    Human {
        profile: Profile,
        email: Email,
        phone: Option<String>,
    },
    Machine {
        name: String,
        description: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pat {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Unix milliseconds; None for no expiry.
    pub expires_at: Option<i64>,
}

/// Whether a user may log in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserState {
    #[default]
    Active,
    /// Deactivated by a manager until reactivated.
    Inactive,
    /// Locked (by a manager, or by too many failed passwords) until unlocked.
    Locked,
}

impl UserState {
    pub fn name(self) -> &'static str {
        match self {
            UserState::Active => "active",
            UserState::Inactive => "inactive",
            UserState::Locked => "locked",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub lifecycle: Lifecycle,
    pub org: String,
    pub username: String,
    pub kind: Option<UserKind>,
    pub password_hash: Option<String>,
    pub pats: BTreeMap<String, Pat>,
    pub state: UserState,
    pub phone_verified: bool,
    pub metadata: BTreeMap<String, Vec<u8>>,
    /// Hash of a machine user's client secret (client credentials).
    pub secret_hash: Option<String>,
    /// Wrong passwords since the last right one or the last lock (the lockout counts them).
    pub failed_logins: u32,
    /// Locked by wrong passwords until then (unix milliseconds): no password is checked
    /// before it. Cleared by a right password after it, or by an unlock.
    pub locked_until: Option<i64>,
    /// When the password was set (unix milliseconds); `None` without a password, or for one
    /// set before this was recorded.
    #[serde(default)]
    pub password_set_at: Option<i64>,
    /// The password must be changed before the next login ends (until it is).
    #[serde(default)]
    pub password_change_required: bool,
    /// One-time codes waiting to be used, one per kind (a new one replaces the old).
    #[serde(default)]
    pub codes: BTreeMap<CodeKind, PendingCode>,
    /// Second factors.
    #[serde(default)]
    pub factors: Factors,
    /// A machine user's public keys (the JWT bearer grant), by key id.
    #[serde(default)]
    pub machine_keys: MachineKeys,
    /// The external identities (IdPs' users) the user logs in as, by `idp_id/external_id`.
    #[serde(default)]
    pub idp_links: BTreeMap<String, IdpLink>,
}

/// An external identity a user logs in as: an IdP's user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpLink {
    pub idp_id: String,
    /// The IdP's id of the user (`sub`).
    pub external_id: String,
    /// What the IdP calls the user (an email or a login name), to show.
    pub display_name: String,
    /// Unix milliseconds.
    pub linked_at: i64,
}

/// The key of a link in [`User::idp_links`].
pub fn idp_link_key(idp_id: &str, external_id: &str) -> String {
    format!("{idp_id}/{external_id}")
}

/// A new human, as asked for. The password arrives already hashed (argon2id, off the async
/// runtime, by the service layer).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewHuman {
    pub org_id: String,
    pub username: String,
    pub profile: Profile,
    pub email: Email,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    /// The password must be changed at the next login (an imported user's, say).
    #[serde(default)]
    pub password_change_required: bool,
    /// What a directory sets at once with the user (SCIM: metadata, inactive from the start),
    /// recorded with its creation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub then: Vec<UserChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UserCommand {
    AddHuman(NewHuman),
    AddMachine {
        org_id: String,
        username: String,
        name: String,
        description: String,
    },
    AddPat {
        pat_id: String,
        token_hash: String,
        expires_at: Option<i64>,
    },
    RemovePat {
        pat_id: String,
    },
    Remove,
    /// Changes of an existing user: profile, contact, password, state, metadata, secret.
    Change(UserChange),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserEvent {
    HumanAdded {
        org_id: String,
        username: String,
        profile: Profile,
        email: Email,
        phone: Option<String>,
        password_hash: Option<String>,
        /// When the password was set: the creation (absent in events written before it was
        /// recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password_set_at: Option<i64>,
        /// The password must be changed at the next login (added in release 0.3).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        password_change_required: bool,
    },
    MachineAdded {
        org_id: String,
        username: String,
        name: String,
        description: String,
    },
    PatAdded {
        pat_id: String,
        token_hash: String,
        expires_at: Option<i64>,
    },
    PatRemoved {
        pat_id: String,
    },
    Removed {
        username: String,
    },
    // Release 0.1's payloads name variants by index: keep the order of those it knew.
    ProfileChanged {
        profile: Profile,
    },
    MachineChanged {
        name: String,
        description: String,
    },
    EmailChanged {
        email: Email,
    },
    PhoneChanged {
        phone: Option<String>,
        verified: bool,
    },
    PasswordChanged {
        password_hash: String,
        /// When (absent in events written before it was recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<i64>,
    },
    Deactivated,
    Reactivated,
    Locked,
    Unlocked,
    MetadataSet {
        key: String,
        value: Vec<u8>,
    },
    MetadataRemoved {
        key: String,
    },
    SecretSet {
        secret_hash: String,
    },
    SecretRemoved,
    PasswordCheckFailed,
    PasswordCheckSucceeded,
    /// Too many wrong passwords: no login until `until` (unix milliseconds).
    LockedOut {
        until: i64,
    },
    /// Its browser sessions were ended by the user or a manager: one, or all (`None`).
    SessionsEnded {
        session_id: Option<String>,
    },
    /// A one-time code (its hash), and the message to send it in, if it is sent.
    CodeAdded {
        kind: CodeKind,
        code_hash: String,
        expires_at: i64,
        message: Option<Message>,
    },
    /// A wrong code was given; `void`: too many, the code is no longer good.
    CodeCheckFailed {
        kind: CodeKind,
        void: bool,
    },
    /// The user proved they hold their email address.
    EmailVerified,
    /// The user proved they hold their phone.
    PhoneVerified,
    /// A message left for its recipient.
    NotificationSent {
        message_id: String,
    },
    /// A message could not be sent; it is tried again at `retry_at`, or given up (`None`).
    NotificationFailed {
        message_id: String,
        attempt: u32,
        reason: String,
        retry_at: Option<i64>,
    },
    /// An authenticator app's secret (sealed), waiting for its first code.
    TotpAdded {
        sealed_secret: String,
    },
    /// The first code of the authenticator app was right (the code of `step`).
    TotpVerified {
        step: u64,
    },
    TotpRemoved,
    /// Login codes by email or SMS were turned on.
    OtpAdded {
        channel: Channel,
    },
    OtpRemoved {
        channel: Channel,
    },
    /// New recovery codes (their hashes), replacing the old.
    RecoveryCodesSet {
        code_hashes: Vec<String>,
    },
    /// A login's TOTP code was right: the code of `step` (it and earlier ones are used up).
    TotpChecked {
        step: u64,
    },
    /// A login code sent by `channel` was right (and is used up).
    OtpChecked {
        channel: Channel,
    },
    /// A recovery code was used (the `index`th of those left).
    RecoveryCodeUsed {
        index: u32,
    },
    /// A wrong second-factor code.
    SecondFactorCheckFailed,
    /// A WebAuthn key's registration began: its state (the challenge) waits for the answer.
    WebAuthnStarted {
        key_id: String,
        kind: KeyKind,
        state: String,
    },
    /// A WebAuthn key was registered.
    WebAuthnAdded {
        key_id: String,
        kind: KeyKind,
        name: String,
        credential_id: String,
        credential: String,
    },
    WebAuthnRemoved {
        key_id: String,
    },
    /// A key signed a login, its counter at `counter`.
    WebAuthnChecked {
        key_id: String,
        counter: u32,
        /// The hash of the challenge it signed (each is good once).
        challenge: String,
        at: i64,
    },
    /// A machine user's public key, added at `at` (unix milliseconds).
    MachineKeyAdded {
        key_id: String,
        jwk: PublicJwk,
        expires_at: Option<i64>,
        at: i64,
    },
    MachineKeyRemoved {
        key_id: String,
    },
    /// A token was issued as the user to `by`, for the client `client_id`.
    Impersonated {
        by: String,
        client_id: String,
    },
    /// The user logs in as the IdP's user `external_id` from now on.
    IdpLinked {
        idp_id: String,
        external_id: String,
        display_name: String,
        at: i64,
    },
    IdpUnlinked {
        idp_id: String,
        external_id: String,
    },
    /// The password, found right at a login, is hashed anew with the service's parameters
    /// (a hash brought along from elsewhere, or of older parameters). The password and when it
    /// was set stay as they are.
    PasswordRehashed {
        password_hash: String,
    },
}

impl EventType for UserEvent {
    fn event_type(&self) -> &'static str {
        match self {
            UserEvent::HumanAdded { .. } => "user.human.added",
            UserEvent::MachineAdded { .. } => "user.machine.added",
            UserEvent::PatAdded { .. } => "user.pat.added",
            UserEvent::PatRemoved { .. } => "user.pat.removed",
            UserEvent::Removed { .. } => "user.removed",
            UserEvent::ProfileChanged { .. } => "user.human.profile.changed",
            UserEvent::MachineChanged { .. } => "user.machine.changed",
            UserEvent::EmailChanged { .. } => "user.human.email.changed",
            UserEvent::PhoneChanged { .. } => "user.human.phone.changed",
            UserEvent::PasswordChanged { .. } => "user.human.password.changed",
            UserEvent::Deactivated => "user.deactivated",
            UserEvent::Reactivated => "user.reactivated",
            UserEvent::Locked => "user.locked",
            UserEvent::Unlocked => "user.unlocked",
            UserEvent::MetadataSet { .. } => "user.metadata.set",
            UserEvent::MetadataRemoved { .. } => "user.metadata.removed",
            UserEvent::SecretSet { .. } => "user.machine.secret.set",
            UserEvent::SecretRemoved => "user.machine.secret.removed",
            UserEvent::PasswordCheckFailed => "user.human.password.check.failed",
            UserEvent::PasswordCheckSucceeded => "user.human.password.check.succeeded",
            UserEvent::LockedOut { .. } => "user.locked.temporarily",
            UserEvent::SessionsEnded { .. } => "user.sessions.ended",
            UserEvent::CodeAdded { .. } => "user.code.added",
            UserEvent::CodeCheckFailed { .. } => "user.code.check.failed",
            UserEvent::EmailVerified => "user.human.email.verified",
            UserEvent::PhoneVerified => "user.human.phone.verified",
            UserEvent::NotificationSent { .. } => "user.notification.sent",
            UserEvent::NotificationFailed { .. } => "user.notification.failed",
            UserEvent::TotpAdded { .. } => "user.human.mfa.totp.added",
            UserEvent::TotpVerified { .. } => "user.human.mfa.totp.verified",
            UserEvent::TotpRemoved => "user.human.mfa.totp.removed",
            UserEvent::OtpAdded { .. } => "user.human.mfa.otp.added",
            UserEvent::OtpRemoved { .. } => "user.human.mfa.otp.removed",
            UserEvent::RecoveryCodesSet { .. } => "user.human.mfa.recovery_codes.set",
            UserEvent::TotpChecked { .. } => "user.human.mfa.totp.checked",
            UserEvent::OtpChecked { .. } => "user.human.mfa.otp.checked",
            UserEvent::RecoveryCodeUsed { .. } => "user.human.mfa.recovery_code.used",
            UserEvent::SecondFactorCheckFailed => "user.human.mfa.check.failed",
            UserEvent::WebAuthnStarted { .. } => "user.human.webauthn.started",
            UserEvent::WebAuthnAdded { .. } => "user.human.webauthn.added",
            UserEvent::WebAuthnRemoved { .. } => "user.human.webauthn.removed",
            UserEvent::WebAuthnChecked { .. } => "user.human.webauthn.checked",
            UserEvent::MachineKeyAdded { .. } => "user.machine.key.added",
            UserEvent::IdpLinked { .. } => "user.idp.linked",
            UserEvent::IdpUnlinked { .. } => "user.idp.unlinked",
            UserEvent::PasswordRehashed { .. } => "user.human.password.rehashed",
            UserEvent::MachineKeyRemoved { .. } => "user.machine.key.removed",
            UserEvent::Impersonated { .. } => "user.impersonated",
        }
    }
}

pub(crate) fn profile(p: &Profile) -> Result<Profile> {
    let given_name = validate::name(&p.given_name, Code::InvalidProfile, "profile.given_name")?;
    let family_name = validate::name(&p.family_name, Code::InvalidProfile, "profile.family_name")?;
    let display_name = if p.display_name.trim().is_empty() {
        format!("{given_name} {family_name}")
    } else {
        validate::name(
            &p.display_name,
            Code::InvalidProfile,
            "profile.display_name",
        )?
    };
    let preferred_language = match &p.preferred_language {
        Some(l) if !l.is_empty() => Some(validate::name(
            l,
            Code::InvalidProfile,
            "profile.preferred_language",
        )?),
        _ => None,
    };
    Ok(Profile {
        given_name,
        family_name,
        display_name,
        preferred_language,
    })
}

/// Whether a command changes what the user logs in or calls with, or removes or shuts out the
/// user: whoever may do it acts with (or against) the user's permissions, so the no-escalation
/// rule applies.
pub fn takes_over(cmd: &UserCommand) -> bool {
    match cmd {
        UserCommand::AddPat { .. } | UserCommand::RemovePat { .. } | UserCommand::Remove => true,
        UserCommand::Change(c) => c.takes_over(),
        UserCommand::AddHuman(_) | UserCommand::AddMachine { .. } => false,
    }
}

impl User {
    pub fn is_machine(&self) -> bool {
        matches!(self.kind, Some(UserKind::Machine { .. }))
    }

    /// Whether wrong passwords have locked the user out at `at` (unix milliseconds).
    pub fn locked_out_at(&self, at: i64) -> bool {
        self.locked_until.is_some_and(|until| until > at)
    }
}

impl Aggregate for User {
    const KIND: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;

    fn owners(&self) -> Vec<String> {
        vec![self.org.clone()]
    }

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    fn at_stake<'k>(key: &'k AggregateKey, cmd: &UserCommand) -> Option<&'k str> {
        takes_over(cmd).then_some(key.id.as_str())
    }

    fn access<'a>(&'a self, key: &'a AggregateKey, cmd: &'a UserCommand) -> Access<'a> {
        let org = match cmd {
            UserCommand::AddHuman(h) => h.org_id.as_str(),
            UserCommand::AddMachine { org_id, .. } => org_id.as_str(),
            UserCommand::AddPat { .. }
            | UserCommand::RemovePat { .. }
            | UserCommand::Remove
            | UserCommand::Change(_) => &self.org,
        };
        let target = Target::User {
            instance: &key.instance,
            org,
            user: &key.id,
        };
        let req = match cmd {
            UserCommand::AddHuman(_) | UserCommand::AddMachine { .. } => {
                Requirement::plain(Permission::USER_WRITE)
            }
            UserCommand::AddPat { .. } | UserCommand::RemovePat { .. } => {
                UserOp::ManagePersonalAccessTokens.requirement()
            }
            UserCommand::Remove => UserOp::Delete.requirement(),
            UserCommand::Change(c) => c.op().requirement(),
        };
        if takes_over(cmd) {
            Access::TakeOver(req, target)
        } else {
            Access::Check(req, target)
        }
    }

    fn decide(&self, cmd: &UserCommand, ctx: Ctx<'_>) -> Result<Vec<UserEvent>> {
        let created = || Error::new(Code::UsernameTaken, "the user exists already");
        match cmd {
            UserCommand::AddHuman(h) => {
                if self.lifecycle != Lifecycle::New {
                    return Err(created());
                }
                let added = UserEvent::HumanAdded {
                    org_id: h.org_id.clone(),
                    username: validate::username(&h.username)?,
                    profile: profile(&h.profile)?,
                    email: Email {
                        address: validate::email(&h.email.address)?,
                        verified: h.email.verified,
                    },
                    phone: h.phone.clone().filter(|p| !p.trim().is_empty()),
                    password_hash: h.password_hash.clone(),
                    password_set_at: h.password_hash.as_ref().map(|_| ctx.now),
                    password_change_required: h.password_change_required
                        && h.password_hash.is_some(),
                };
                let mut created = self.clone();
                created.apply(&added);
                let mut events = vec![added];
                events.extend(created.decide_provision(&h.then, ctx)?);
                return Ok(events);
            }
            UserCommand::AddMachine {
                org_id,
                username,
                name,
                description,
            } => {
                if self.lifecycle != Lifecycle::New {
                    return Err(created());
                }
                if description.chars().count() > 1000 {
                    return Err(Error::new(
                        Code::InvalidProfile,
                        "description is at most 1000 characters",
                    )
                    .with("field", "description"));
                }
                return Ok(vec![UserEvent::MachineAdded {
                    org_id: org_id.clone(),
                    username: validate::username(username)?,
                    name: validate::name(name, Code::InvalidProfile, "name")?,
                    description: description.trim().to_string(),
                }]);
            }
            UserCommand::AddPat { .. }
            | UserCommand::RemovePat { .. }
            | UserCommand::Remove
            | UserCommand::Change(_) => {}
        }
        if !self.exists() {
            return Err(Error::new(Code::UserNotFound, "the user does not exist"));
        }
        Ok(match cmd {
            UserCommand::AddHuman(_) | UserCommand::AddMachine { .. } => {
                unreachable!("handled above")
            }
            UserCommand::AddPat {
                pat_id,
                token_hash,
                expires_at,
            } => {
                if expires_at.is_some_and(|t| t <= ctx.now) {
                    return Err(Error::new(
                        Code::InvalidExpiry,
                        "expires_at must be in the future",
                    )
                    .with("field", "expires_at"));
                }
                vec![UserEvent::PatAdded {
                    pat_id: pat_id.clone(),
                    token_hash: token_hash.clone(),
                    expires_at: *expires_at,
                }]
            }
            UserCommand::RemovePat { pat_id } => {
                if !self.pats.contains_key(pat_id) {
                    return Err(Error::new(
                        Code::PatNotFound,
                        "no such personal access token",
                    ));
                }
                vec![UserEvent::PatRemoved {
                    pat_id: pat_id.clone(),
                }]
            }
            UserCommand::Remove => vec![UserEvent::Removed {
                username: self.username.clone(),
            }],
            UserCommand::Change(c) => self.decide_change(c, ctx)?,
        })
    }

    fn apply(&mut self, event: &UserEvent) {
        match event {
            UserEvent::HumanAdded {
                org_id,
                username,
                profile,
                email,
                phone,
                password_hash,
                password_set_at,
                password_change_required,
            } => {
                self.lifecycle = Lifecycle::Active;
                self.password_set_at = *password_set_at;
                self.password_change_required = *password_change_required;
                self.org = org_id.clone();
                self.username = username.clone();
                self.password_hash = password_hash.clone();
                self.kind = Some(UserKind::Human {
                    profile: profile.clone(),
                    email: email.clone(),
                    phone: phone.clone(),
                });
            }
            UserEvent::MachineAdded {
                org_id,
                username,
                name,
                description,
            } => {
                self.lifecycle = Lifecycle::Active;
                self.org = org_id.clone();
                self.username = username.clone();
                self.kind = Some(UserKind::Machine {
                    name: name.clone(),
                    description: description.clone(),
                });
            }
            UserEvent::PatAdded {
                pat_id,
                token_hash,
                expires_at,
            } => {
                self.pats.insert(
                    pat_id.clone(),
                    Pat {
                        token_hash: token_hash.clone(),
                        expires_at: *expires_at,
                    },
                );
            }
            UserEvent::PatRemoved { pat_id } => {
                self.pats.remove(pat_id);
            }
            UserEvent::Removed { .. } => {
                self.lifecycle = Lifecycle::Removed;
                self.pats.clear();
                self.codes.clear();
                self.factors = Factors::default();
                self.machine_keys.clear();
            }
            UserEvent::ProfileChanged { profile } => {
                if let Some(UserKind::Human { profile: p, .. }) = &mut self.kind {
                    *p = profile.clone();
                }
            }
            UserEvent::MachineChanged { name, description } => {
                if let Some(UserKind::Machine {
                    name: n,
                    description: d,
                }) = &mut self.kind
                {
                    *n = name.clone();
                    *d = description.clone();
                }
            }
            UserEvent::EmailChanged { email } => {
                if let Some(UserKind::Human { email: e, .. }) = &mut self.kind {
                    *e = email.clone();
                }
                self.codes.remove(&CodeKind::VerifyEmail);
                // Login codes go only to a verified address.
                if !email.verified {
                    self.factors.otp_email = false;
                    self.codes.remove(&CodeKind::OtpEmail);
                }
            }
            UserEvent::PhoneChanged { phone, verified } => {
                if let Some(UserKind::Human { phone: p, .. }) = &mut self.kind {
                    *p = phone.clone();
                }
                self.phone_verified = *verified;
                self.codes.remove(&CodeKind::VerifyPhone);
                if !verified {
                    self.factors.otp_sms = false;
                    self.codes.remove(&CodeKind::OtpSms);
                }
            }
            UserEvent::PasswordChanged { password_hash, at } => {
                self.password_hash = Some(password_hash.clone());
                self.password_set_at = *at;
                self.password_change_required = false;
                self.codes.remove(&CodeKind::PasswordReset);
                self.codes.remove(&CodeKind::Init);
            }
            UserEvent::Deactivated => self.state = UserState::Inactive,
            UserEvent::Reactivated | UserEvent::Unlocked => {
                self.state = UserState::Active;
                self.failed_logins = 0;
                self.factors.failed_checks = 0;
                self.locked_until = None;
            }
            UserEvent::Locked => self.state = UserState::Locked,
            UserEvent::MetadataSet { key, value } => {
                self.metadata.insert(key.clone(), value.clone());
            }
            UserEvent::MetadataRemoved { key } => {
                self.metadata.remove(key);
            }
            UserEvent::SecretSet { secret_hash } => self.secret_hash = Some(secret_hash.clone()),
            UserEvent::SecretRemoved => self.secret_hash = None,
            UserEvent::PasswordCheckFailed => self.failed_logins += 1,
            UserEvent::TotpAdded { sealed_secret } => self.factors.totp_added(sealed_secret),
            UserEvent::TotpVerified { step } | UserEvent::TotpChecked { step } => {
                self.factors.totp_used(*step)
            }
            UserEvent::TotpRemoved => self.factors.totp = None,
            UserEvent::OtpAdded { channel } => self.factors.set_otp(*channel, true),
            UserEvent::OtpRemoved { channel } => {
                self.factors.set_otp(*channel, false);
                self.codes.remove(&otp_kind(*channel));
            }
            UserEvent::RecoveryCodesSet { code_hashes } => {
                self.factors.recovery_codes = code_hashes.clone()
            }
            UserEvent::OtpChecked { channel } => {
                self.factors.failed_checks = 0;
                self.codes.remove(&otp_kind(*channel));
            }
            UserEvent::RecoveryCodeUsed { index } => self.factors.recovery_code_used(*index),
            UserEvent::SecondFactorCheckFailed => self.factors.failed_checks += 1,
            UserEvent::WebAuthnStarted {
                key_id,
                kind,
                state,
            } => {
                self.factors.pending_key = Some(PendingKey {
                    key_id: key_id.clone(),
                    kind: *kind,
                    state: state.clone(),
                })
            }
            UserEvent::WebAuthnAdded {
                key_id,
                kind,
                name,
                credential_id,
                credential,
            } => {
                self.factors.pending_key = None;
                // A passkey registered: a registration link's code is used up.
                if *kind == KeyKind::Passkey {
                    self.codes.remove(&CodeKind::PasskeyRegistration);
                }
                self.factors.keys.insert(
                    key_id.clone(),
                    WebAuthnKey {
                        kind: *kind,
                        name: name.clone(),
                        credential_id: credential_id.clone(),
                        credential: credential.clone(),
                        counter: 0,
                    },
                );
            }
            UserEvent::WebAuthnRemoved { key_id } => {
                self.factors.keys.remove(key_id);
            }
            UserEvent::WebAuthnChecked {
                key_id,
                counter,
                challenge,
                at,
            } => {
                if let Some(k) = self.factors.keys.get_mut(key_id) {
                    k.counter = *counter;
                }
                self.factors.challenge_signed(challenge, *at);
                self.factors.failed_checks = 0;
            }
            UserEvent::MachineKeyAdded {
                key_id,
                jwk,
                expires_at,
                at,
            } => {
                machine_keys::drop_expired(&mut self.machine_keys, *at);
                self.machine_keys.insert(
                    key_id.clone(),
                    MachineKey {
                        jwk: jwk.clone(),
                        expires_at: *expires_at,
                        added_at: *at,
                    },
                );
            }
            UserEvent::MachineKeyRemoved { key_id } => {
                self.machine_keys.remove(key_id);
            }
            UserEvent::Impersonated { .. } => {}
            UserEvent::IdpLinked {
                idp_id,
                external_id,
                display_name,
                at,
            } => {
                self.idp_links.insert(
                    idp_link_key(idp_id, external_id),
                    IdpLink {
                        idp_id: idp_id.clone(),
                        external_id: external_id.clone(),
                        display_name: display_name.clone(),
                        linked_at: *at,
                    },
                );
            }
            UserEvent::IdpUnlinked {
                idp_id,
                external_id,
            } => {
                self.idp_links.remove(&idp_link_key(idp_id, external_id));
            }
            UserEvent::PasswordRehashed { password_hash } => {
                self.password_hash = Some(password_hash.clone());
            }
            UserEvent::PasswordCheckSucceeded => {
                self.failed_logins = 0;
                self.locked_until = None;
            }
            UserEvent::LockedOut { until } => {
                self.failed_logins = 0;
                self.factors.failed_checks = 0;
                self.locked_until = Some(*until);
            }
            UserEvent::SessionsEnded { .. } => {}
            UserEvent::CodeAdded {
                kind,
                code_hash,
                expires_at,
                message,
            } => {
                let code = PendingCode {
                    code_hash: code_hash.clone(),
                    expires_at: *expires_at,
                    failures: 0,
                    message: message.clone(),
                    attempts: 0,
                    retry_at: None,
                };
                self.codes.insert(*kind, code);
            }
            UserEvent::CodeCheckFailed { kind, void: true } => {
                self.codes.remove(kind);
            }
            UserEvent::CodeCheckFailed { kind, void: false } => {
                if let Some(c) = self.codes.get_mut(kind) {
                    c.failures += 1;
                }
            }
            UserEvent::EmailVerified => {
                if let Some(UserKind::Human { email, .. }) = &mut self.kind {
                    email.verified = true;
                }
                self.codes.remove(&CodeKind::VerifyEmail);
            }
            UserEvent::PhoneVerified => {
                self.phone_verified = true;
                self.codes.remove(&CodeKind::VerifyPhone);
            }
            UserEvent::NotificationSent { message_id } => {
                if let Some(c) = self.code_of_message(message_id) {
                    c.message = None;
                }
            }
            UserEvent::NotificationFailed {
                message_id,
                attempt,
                retry_at,
                ..
            } => {
                if let Some(c) = self.code_of_message(message_id) {
                    c.attempts = *attempt;
                    c.retry_at = *retry_at;
                    if retry_at.is_none() {
                        c.message = None;
                    }
                }
            }
        }
    }
}
