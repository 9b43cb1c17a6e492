//! Changes of an existing user, with the rules of the self-management pull request: a user may
//! change their own profile, email, phone and password (with the current one), never mark
//! their own email or phone verified, never set their own metadata (`UserOp` says which
//! permission each change needs).

use authz::{Caller, UserOp};
use serde::{Deserialize, Serialize};

use super::{
    profile, Channel, CodeKind, Email, FactorProof, KeyKind, NewCode, Profile, User, UserEvent,
    UserKind, UserState, WebAuthnKey,
};
use crate::aggregate::{Aggregate, Ctx};
use crate::error::{Code, Error, Result};
use crate::machine_keys::{self, PublicJwk};
use crate::settings::LockoutSettings;
use crate::validate;

/// The largest metadata value, in bytes.
pub const MAX_METADATA: usize = 64 * 1024;

/// A partial profile: human fields for humans, `name` and `description` for machine users.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfilePatch {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub preferred_language: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UserChange {
    Profile(ProfilePatch),
    Email {
        address: String,
        verified: bool,
    },
    /// None removes the phone number.
    Phone {
        phone: Option<String>,
        verified: bool,
    },
    /// The new password's hash. `current_verified`: the caller proved the current password
    /// (required when users change their own).
    Password {
        password_hash: String,
        current_verified: bool,
    },
    Deactivate,
    Reactivate,
    Lock,
    Unlock,
    SetMetadata {
        key: String,
        value: Vec<u8>,
    },
    RemoveMetadata {
        key: String,
    },
    /// A machine user's client secret (only its hash).
    SetSecret {
        secret_hash: String,
    },
    RemoveSecret,
    /// The user's password was given at the login, at `at` (unix milliseconds): the count of
    /// wrong ones starts again.
    PasswordRight {
        at: i64,
    },
    /// The password was found right at the login: `password_hash` is its new hash, of the
    /// service's parameters (the held one was brought along, or of older parameters).
    Rehash {
        password_hash: String,
    },
    /// A wrong password was given at the login, at `at`, under the lockout settings in force:
    /// too many in a row lock the user out.
    PasswordWrong {
        lockout: LockoutSettings,
        at: i64,
    },
    /// Ends the user's browser sessions and their refresh tokens: one (`only`) or all. The
    /// service ends them once this is recorded.
    EndSessions {
        only: Option<String>,
    },
    /// A one-time code of a kind (replacing any earlier one of that kind).
    AddCode(NewCode),
    /// A verification code (email or phone) given back, at `at` (unix milliseconds).
    Verify {
        kind: CodeKind,
        code_hash: String,
        at: i64,
    },
    /// A new password set with a reset or invitation code instead of the current password.
    PasswordByCode {
        code_hash: String,
        password_hash: String,
        at: i64,
    },
    /// A wrong code of a kind was given, under the lockout's `max_otp_attempts`.
    CodeWrong {
        kind: CodeKind,
        max_attempts: u32,
    },
    /// What became of a message: sent (`failure` absent), or not, at `at`.
    Delivered {
        message_id: String,
        failure: Option<String>,
        at: i64,
    },
    /// A new authenticator app's secret, sealed (replacing one not yet verified).
    AddTotp {
        sealed_secret: String,
    },
    /// The authenticator app's first code: the service found it to be the code of `step`
    /// (`None`: it matched no step).
    VerifyTotp {
        step: Option<u64>,
    },
    RemoveTotp,
    /// Turns on login codes by email or SMS.
    AddOtp {
        channel: Channel,
    },
    RemoveOtp {
        channel: Channel,
    },
    /// New recovery codes (their hashes).
    SetRecoveryCodes {
        code_hashes: Vec<String>,
    },
    /// A second factor given at a login, at `at`.
    FactorRight {
        proof: FactorProof,
        at: i64,
    },
    /// A wrong second-factor code given at a login, at `at`, under the lockout in force.
    FactorWrong {
        lockout: LockoutSettings,
        at: i64,
    },
    /// A WebAuthn key's registration begins, with the ceremony's state (JSON).
    StartKey {
        key_id: String,
        kind: KeyKind,
        state: String,
    },
    /// The authenticator answered registration `key_id`: the key the service made of it.
    AddKey {
        key_id: String,
        key: WebAuthnKey,
    },
    RemoveKey {
        key_id: String,
        kind: KeyKind,
    },
    /// A passkey's registration begun from a registration link, whose code is the proof.
    StartKeyByCode {
        code_hash: String,
        at: i64,
        key_id: String,
        state: String,
    },
    /// The passkey of a registration link's registration: the code is used up.
    AddKeyByCode {
        code_hash: String,
        at: i64,
        key_id: String,
        key: WebAuthnKey,
    },
    /// A machine user's public key for the JWT bearer grant.
    AddMachineKey {
        key_id: String,
        jwk: PublicJwk,
        expires_at: Option<i64>,
    },
    RemoveMachineKey {
        key_id: String,
    },
    /// A token was issued as the user to `by` (token exchange) for the client `client_id`.
    Impersonated {
        by: String,
        client_id: String,
    },
    /// The user logs in as an IdP's user from now on (the service claimed the identity for
    /// them first).
    LinkIdp {
        idp_id: String,
        external_id: String,
        display_name: String,
    },
    UnlinkIdp {
        idp_id: String,
        external_id: String,
    },
    /// What a directory keeps of the user, changed together (SCIM): each change decided on
    /// the state the earlier ones left, all recorded or none. Only profile, email, phone,
    /// metadata and deactivating or reactivating belong in it.
    Provision(Vec<UserChange>),
}

impl UserChange {
    /// Whether a directory changes this as part of a [`UserChange::Provision`].
    fn provisioned(&self) -> bool {
        matches!(
            self,
            UserChange::Profile(_)
                | UserChange::Email { .. }
                | UserChange::Phone { .. }
                | UserChange::SetMetadata { .. }
                | UserChange::RemoveMetadata { .. }
                | UserChange::Deactivate
                | UserChange::Reactivate
        )
    }

    /// Whether the change sets or removes a credential (a password, a client secret), or shuts
    /// the user out as a removal would (deactivating, locking): whoever may do it to a user
    /// must hold what the user holds.
    pub fn takes_over(&self) -> bool {
        match self {
            UserChange::Password { .. }
            | UserChange::SetSecret { .. }
            | UserChange::RemoveSecret
            | UserChange::AddMachineKey { .. }
            | UserChange::RemoveMachineKey { .. }
            | UserChange::LinkIdp { .. }
            | UserChange::UnlinkIdp { .. }
            | UserChange::Deactivate
            | UserChange::Lock
            | UserChange::EndSessions { .. } => true,
            UserChange::AddCode(code) => code.kind.sets_credential(),
            UserChange::Provision(changes) => changes.iter().any(UserChange::takes_over),
            // Whoever sets up or removes a factor for a user holds or weakens their login.
            UserChange::AddTotp { .. }
            | UserChange::VerifyTotp { .. }
            | UserChange::RemoveTotp
            | UserChange::AddOtp { .. }
            | UserChange::RemoveOtp { .. }
            | UserChange::SetRecoveryCodes { .. }
            | UserChange::StartKey { .. }
            | UserChange::AddKey { .. }
            | UserChange::RemoveKey { .. } => true,
            // The code is the proof, as a reset code is.
            UserChange::StartKeyByCode { .. } | UserChange::AddKeyByCode { .. } => false,
            UserChange::FactorRight { .. } | UserChange::FactorWrong { .. } => false,
            UserChange::Impersonated { .. } => false,
            UserChange::Verify { .. }
            | UserChange::PasswordByCode { .. }
            | UserChange::CodeWrong { .. }
            | UserChange::Delivered { .. } => false,
            UserChange::Profile(_)
            | UserChange::Email { .. }
            | UserChange::Phone { .. }
            | UserChange::Reactivate
            | UserChange::Unlock
            | UserChange::SetMetadata { .. }
            | UserChange::RemoveMetadata { .. }
            | UserChange::PasswordRight { .. }
            | UserChange::Rehash { .. }
            | UserChange::PasswordWrong { .. } => false,
        }
    }

    /// The browser sessions (with their refresh tokens) the change ends once it is recorded:
    /// all (`Some(None)`), one (`Some(Some(id))`), or none.
    pub fn ends_sessions(&self) -> Option<Option<String>> {
        match self {
            UserChange::Password { .. }
            | UserChange::PasswordByCode { .. }
            | UserChange::Deactivate
            | UserChange::Lock => Some(None),
            UserChange::EndSessions { only } => Some(only.clone()),
            // Only deactivating belongs in it of what ends sessions: all of them.
            UserChange::Provision(changes) => changes
                .iter()
                .any(|c| c.ends_sessions().is_some())
                .then_some(None),
            UserChange::Profile(_)
            | UserChange::Email { .. }
            | UserChange::Phone { .. }
            | UserChange::Reactivate
            | UserChange::Unlock
            | UserChange::SetMetadata { .. }
            | UserChange::RemoveMetadata { .. }
            | UserChange::SetSecret { .. }
            | UserChange::RemoveSecret
            | UserChange::AddMachineKey { .. }
            | UserChange::RemoveMachineKey { .. }
            | UserChange::Impersonated { .. }
            | UserChange::LinkIdp { .. }
            | UserChange::UnlinkIdp { .. }
            | UserChange::PasswordRight { .. }
            | UserChange::Rehash { .. }
            | UserChange::PasswordWrong { .. }
            | UserChange::AddCode(_)
            | UserChange::Verify { .. }
            | UserChange::CodeWrong { .. }
            | UserChange::Delivered { .. }
            | UserChange::AddTotp { .. }
            | UserChange::VerifyTotp { .. }
            | UserChange::AddOtp { .. }
            | UserChange::SetRecoveryCodes { .. }
            | UserChange::RemoveTotp
            | UserChange::RemoveOtp { .. }
            | UserChange::FactorRight { .. }
            | UserChange::FactorWrong { .. }
            | UserChange::StartKey { .. }
            | UserChange::AddKey { .. }
            | UserChange::RemoveKey { .. }
            | UserChange::StartKeyByCode { .. }
            | UserChange::AddKeyByCode { .. } => None,
        }
    }

    /// The user operation this change is, for the permission check.
    pub fn op(&self) -> UserOp {
        match self {
            UserChange::Profile(_) => UserOp::ChangeProfile,
            UserChange::Email { verified: true, .. } | UserChange::Phone { verified: true, .. } => {
                UserOp::MarkVerified
            }
            UserChange::Email { .. } => UserOp::ChangeEmail,
            UserChange::Phone { .. } => UserOp::ChangePhone,
            UserChange::Password { .. } => UserOp::ChangePassword,
            UserChange::Deactivate
            | UserChange::Reactivate
            | UserChange::Lock
            | UserChange::Unlock => UserOp::ChangeState,
            UserChange::SetMetadata { .. } | UserChange::RemoveMetadata { .. } => {
                UserOp::SetMetadata
            }
            UserChange::SetSecret { .. }
            | UserChange::RemoveSecret
            | UserChange::AddMachineKey { .. }
            | UserChange::RemoveMachineKey { .. } => UserOp::ManagePersonalAccessTokens,
            UserChange::Impersonated { .. } => UserOp::Impersonate,
            UserChange::LinkIdp { .. } | UserChange::UnlinkIdp { .. } => UserOp::ManageIdpLinks,
            UserChange::Provision(_) => UserOp::Provision,
            UserChange::PasswordRight { .. }
            | UserChange::PasswordWrong { .. }
            | UserChange::Rehash { .. } => UserOp::ChangePassword,
            UserChange::EndSessions { .. } => UserOp::ManageSessions,
            // A code handed back to the caller proves nothing of the user: as good as
            // marking them verified.
            UserChange::AddCode(c) if c.message.is_none() => UserOp::MarkVerified,
            UserChange::AddCode(c) => c.kind.op(),
            UserChange::Verify { kind, .. } | UserChange::CodeWrong { kind, .. } => kind.op(),
            UserChange::PasswordByCode { .. } => UserOp::ChangePassword,
            UserChange::Delivered { .. } => UserOp::ChangeState,
            UserChange::AddTotp { .. }
            | UserChange::VerifyTotp { .. }
            | UserChange::RemoveTotp
            | UserChange::AddOtp { .. }
            | UserChange::RemoveOtp { .. }
            | UserChange::SetRecoveryCodes { .. }
            | UserChange::FactorRight { .. }
            | UserChange::FactorWrong { .. }
            | UserChange::StartKey { .. }
            | UserChange::AddKey { .. }
            | UserChange::RemoveKey { .. }
            | UserChange::StartKeyByCode { .. }
            | UserChange::AddKeyByCode { .. } => UserOp::ManageMfa,
        }
    }
}

fn wrong_type(what: &str) -> Error {
    Error::new(Code::WrongUserType, what)
}

fn state_conflict(state: UserState, wanted: &str) -> Error {
    Error::new(
        Code::UserStateConflict,
        format!("the user is {} and cannot be {wanted}", state.name()),
    )
    .with("state", state.name())
}

/// A metadata key: 1 to 200 characters without control characters.
fn metadata_key(key: &str) -> Result<String> {
    if key.is_empty()
        || key.chars().count() > validate::MAX_NAME
        || key.chars().any(char::is_control)
    {
        return Err(Error::new(
            Code::InvalidMetadata,
            "a metadata key is 1 to 200 characters without control characters",
        )
        .with("field", "key"));
    }
    Ok(key.to_string())
}

fn is_self(ctx: &Ctx<'_>) -> bool {
    matches!(ctx.caller, Caller::Principal(p) if p.user == ctx.key.id && p.instance == ctx.key.instance)
}

impl User {
    pub(crate) fn decide_change(
        &self,
        change: &UserChange,
        ctx: Ctx<'_>,
    ) -> Result<Vec<UserEvent>> {
        let human = match &self.kind {
            Some(UserKind::Human {
                profile,
                email,
                phone,
            }) => Some((profile, email, phone)),
            _ => None,
        };
        Ok(match change {
            UserChange::Profile(p) => match &self.kind {
                Some(UserKind::Human {
                    profile: current, ..
                }) => {
                    if p.name.is_some() || p.description.is_some() {
                        return Err(wrong_type(
                            "name and description are machine-user fields; a human has given_name, family_name, display_name, preferred_language",
                        ));
                    }
                    let next = profile(&Profile {
                        given_name: p.given_name.clone().unwrap_or(current.given_name.clone()),
                        family_name: p.family_name.clone().unwrap_or(current.family_name.clone()),
                        display_name: p
                            .display_name
                            .clone()
                            .unwrap_or(current.display_name.clone()),
                        preferred_language: p
                            .preferred_language
                            .clone()
                            .or(current.preferred_language.clone()),
                    })?;
                    if next == *current {
                        vec![]
                    } else {
                        vec![UserEvent::ProfileChanged { profile: next }]
                    }
                }
                Some(UserKind::Machine { name, description }) => {
                    if p.given_name.is_some()
                        || p.family_name.is_some()
                        || p.display_name.is_some()
                        || p.preferred_language.is_some()
                    {
                        return Err(wrong_type(
                            "a machine user's profile is name and description",
                        ));
                    }
                    let new_name = match &p.name {
                        Some(n) => validate::name(n, Code::InvalidProfile, "name")?,
                        None => name.clone(),
                    };
                    let new_description = match &p.description {
                        Some(d) if d.chars().count() > 1000 => {
                            return Err(Error::new(
                                Code::InvalidProfile,
                                "description is at most 1000 characters",
                            )
                            .with("field", "description"))
                        }
                        Some(d) => d.trim().to_string(),
                        None => description.clone(),
                    };
                    if new_name == *name && new_description == *description {
                        vec![]
                    } else {
                        vec![UserEvent::MachineChanged {
                            name: new_name,
                            description: new_description,
                        }]
                    }
                }
                None => return Err(Error::internal("a user without a kind")),
            },
            UserChange::Email { address, verified } => {
                let (_, email, _) =
                    human.ok_or_else(|| wrong_type("a machine user has no email"))?;
                let next = Email {
                    address: validate::email(address)?,
                    verified: *verified,
                };
                if next == *email {
                    vec![]
                } else {
                    vec![UserEvent::EmailChanged { email: next }]
                }
            }
            UserChange::Phone { phone, verified } => {
                let (_, _, current) =
                    human.ok_or_else(|| wrong_type("a machine user has no phone"))?;
                let phone = phone.as_deref().map(validate::phone).transpose()?;
                let verified = *verified && phone.is_some();
                if phone == *current && verified == self.phone_verified {
                    vec![]
                } else {
                    vec![UserEvent::PhoneChanged { phone, verified }]
                }
            }
            UserChange::Password {
                password_hash,
                current_verified,
            } => {
                human.ok_or_else(|| wrong_type("a machine user has no password"))?;
                if is_self(&ctx) && !current_verified {
                    return Err(Error::new(
                        Code::CurrentPasswordMismatch,
                        "to change your own password, send your current one as current_password",
                    )
                    .with("field", "current_password"));
                }
                vec![UserEvent::PasswordChanged {
                    password_hash: password_hash.clone(),
                    at: Some(ctx.now),
                }]
            }
            UserChange::Deactivate | UserChange::Lock if is_self(&ctx) => {
                return Err(Error::new(
                    Code::CannotLockOutSelf,
                    "users cannot deactivate or lock themselves; ask another manager",
                ))
            }
            UserChange::Deactivate => match self.state {
                UserState::Inactive => return Err(state_conflict(self.state, "deactivated")),
                UserState::Active | UserState::Locked => vec![UserEvent::Deactivated],
            },
            UserChange::Reactivate => match self.state {
                UserState::Inactive => vec![UserEvent::Reactivated],
                UserState::Active | UserState::Locked => {
                    return Err(state_conflict(self.state, "reactivated"))
                }
            },
            UserChange::Lock => match self.state {
                UserState::Active => vec![UserEvent::Locked],
                UserState::Inactive | UserState::Locked => {
                    return Err(state_conflict(self.state, "locked"))
                }
            },
            UserChange::Unlock => match self.state {
                UserState::Locked => vec![UserEvent::Unlocked],
                UserState::Active | UserState::Inactive => {
                    return Err(state_conflict(self.state, "unlocked"))
                }
            },
            UserChange::SetMetadata { key, value } => {
                let key = metadata_key(key)?;
                if value.is_empty() || value.len() > MAX_METADATA {
                    return Err(Error::new(
                        Code::InvalidMetadata,
                        "a metadata value is 1 byte to 64 KiB",
                    )
                    .with("field", "value"));
                }
                if self.metadata.get(&key) == Some(value) {
                    vec![]
                } else {
                    vec![UserEvent::MetadataSet {
                        key,
                        value: value.clone(),
                    }]
                }
            }
            UserChange::RemoveMetadata { key } => {
                if !self.metadata.contains_key(key) {
                    return Err(Error::new(
                        Code::MetadataNotFound,
                        format!("the user has no metadata {key:?}"),
                    )
                    .with("key", key.as_str()));
                }
                vec![UserEvent::MetadataRemoved { key: key.clone() }]
            }
            UserChange::SetSecret { secret_hash } => {
                if !self.is_machine() {
                    return Err(wrong_type("only machine users have a client secret"));
                }
                vec![UserEvent::SecretSet {
                    secret_hash: secret_hash.clone(),
                }]
            }
            // A check while locked out was not made: nothing to record.
            UserChange::PasswordRight { at } | UserChange::PasswordWrong { at, .. }
                if self.locked_out_at(*at) =>
            {
                vec![]
            }
            UserChange::PasswordRight { .. } => {
                if self.failed_logins > 0 || self.locked_until.is_some() {
                    vec![UserEvent::PasswordCheckSucceeded]
                } else {
                    vec![]
                }
            }
            UserChange::Rehash { password_hash } => match &self.password_hash {
                Some(held) if held != password_hash => vec![UserEvent::PasswordRehashed {
                    password_hash: password_hash.clone(),
                }],
                _ => vec![],
            },
            UserChange::PasswordWrong { lockout, at } => {
                let mut events = vec![UserEvent::PasswordCheckFailed];
                let max = lockout.max_password_attempts;
                if max > 0 && self.failed_logins + 1 >= max && self.state == UserState::Active {
                    events.push(match lockout.lock_ends(*at) {
                        Some(until) => UserEvent::LockedOut { until },
                        None => UserEvent::Locked,
                    });
                }
                events
            }
            UserChange::EndSessions { only } => vec![UserEvent::SessionsEnded {
                session_id: only.clone(),
            }],
            UserChange::AddCode(code) => self.decide_new_code(code, ctx.now)?,
            UserChange::Verify {
                kind,
                code_hash,
                at,
            } => self.decide_verify(*kind, code_hash, *at)?,
            UserChange::PasswordByCode {
                code_hash,
                password_hash,
                at,
            } => self.decide_password_by_code(code_hash, password_hash, *at)?,
            UserChange::CodeWrong { kind, max_attempts } => {
                self.decide_wrong_code(*kind, *max_attempts)
            }
            UserChange::Delivered {
                message_id,
                failure,
                at,
            } => self.decide_delivery(message_id, failure.as_deref(), *at),
            UserChange::AddTotp { sealed_secret } => self.decide_add_totp(sealed_secret)?,
            UserChange::VerifyTotp { step } => self.decide_verify_totp(*step)?,
            UserChange::RemoveTotp => self.decide_remove_totp()?,
            UserChange::AddOtp { channel } => self.decide_add_otp(*channel)?,
            UserChange::RemoveOtp { channel } => self.decide_remove_otp(*channel)?,
            UserChange::SetRecoveryCodes { code_hashes } => {
                self.decide_recovery_codes(code_hashes)?
            }
            UserChange::FactorRight { proof, at } => self.decide_factor_check(proof, *at)?,
            UserChange::FactorWrong { lockout, at } => self.decide_factor_wrong(lockout, *at),
            UserChange::StartKey {
                key_id,
                kind,
                state,
            } => self.decide_key_started(key_id, *kind, state)?,
            UserChange::AddKey { key_id, key } => self.decide_key_added(key_id, key)?,
            UserChange::RemoveKey { key_id, kind } => self.decide_key_removed(key_id, *kind)?,
            UserChange::StartKeyByCode {
                code_hash,
                at,
                key_id,
                state,
            } => {
                self.registration_code(code_hash, *at)?;
                self.decide_key_started(key_id, KeyKind::Passkey, state)?
            }
            UserChange::AddKeyByCode {
                code_hash,
                at,
                key_id,
                key,
            } => {
                self.registration_code(code_hash, *at)?;
                self.decide_key_added(key_id, key)?
            }
            UserChange::AddMachineKey {
                key_id,
                jwk,
                expires_at,
            } => {
                if !self.is_machine() {
                    return Err(wrong_type("only machine users have keys"));
                }
                machine_keys::check_new(&self.machine_keys, key_id, *expires_at, ctx.now)?;
                vec![UserEvent::MachineKeyAdded {
                    key_id: key_id.clone(),
                    jwk: jwk.clone(),
                    expires_at: *expires_at,
                    at: ctx.now,
                }]
            }
            UserChange::Impersonated { by, client_id } => vec![UserEvent::Impersonated {
                by: by.clone(),
                client_id: client_id.clone(),
            }],
            UserChange::LinkIdp {
                idp_id,
                external_id,
                display_name,
            } => {
                if self.is_machine() {
                    return Err(wrong_type("machine users do not log in through an IdP"));
                }
                if self
                    .idp_links
                    .contains_key(&super::idp_link_key(idp_id, external_id))
                {
                    return Ok(vec![]);
                }
                vec![UserEvent::IdpLinked {
                    idp_id: idp_id.clone(),
                    external_id: external_id.clone(),
                    display_name: display_name.clone(),
                    at: ctx.now,
                }]
            }
            UserChange::UnlinkIdp {
                idp_id,
                external_id,
            } => {
                if !self
                    .idp_links
                    .contains_key(&super::idp_link_key(idp_id, external_id))
                {
                    return Err(Error::new(
                        Code::IdpLinkNotFound,
                        "the user is not linked to that identity",
                    ));
                }
                vec![UserEvent::IdpUnlinked {
                    idp_id: idp_id.clone(),
                    external_id: external_id.clone(),
                }]
            }
            UserChange::RemoveMachineKey { key_id } => {
                machine_keys::existing(&self.machine_keys, key_id)?;
                vec![UserEvent::MachineKeyRemoved {
                    key_id: key_id.clone(),
                }]
            }
            UserChange::RemoveSecret => {
                if self.secret_hash.is_none() {
                    return Err(Error::new(Code::NoSecret, "the user has no client secret"));
                }
                vec![UserEvent::SecretRemoved]
            }
            UserChange::Provision(changes) => self.decide_provision(changes, ctx)?,
        })
    }

    /// Decides a directory's changes in order, each on the state the earlier ones left: all
    /// of their events, or the first one's error.
    pub(crate) fn decide_provision(
        &self,
        changes: &[UserChange],
        ctx: Ctx<'_>,
    ) -> Result<Vec<UserEvent>> {
        let mut state = self.clone();
        let mut events = Vec::new();
        for change in changes {
            if !change.provisioned() {
                return Err(Error::internal(format!(
                    "a directory does not make this change: {change:?}"
                )));
            }
            let decided = state.decide_change(change, ctx)?;
            for e in &decided {
                state.apply(e);
            }
            events.extend(decided);
        }
        Ok(events)
    }
}
