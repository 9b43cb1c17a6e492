//! One-time codes: made here (random, hashed; sealed for the outbox when they are sent),
//! checked in the user's actor, and counted against the lockout's `max_otp_attempts` when
//! wrong. Verification (email, phone), password reset and invitations all go through here.

use authz::{Caller, InternalFlow};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crypto::sealing::{MasterKey, Purpose};
use crypto::secrets::{code_hash, new_code};
use domain::user::{Channel, CodeKind, Message, NewCode, User, UserChange, UserCommand};
use domain::{Aggregate, Code, Error};

use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::oidc::login_flow;
use crate::sagas::key;
use crate::Written;

/// Seals `plain` for `purpose` in `instance`, as URL-safe base64.
pub(crate) fn seal(key: &MasterKey, purpose: Purpose, instance: &str, plain: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.seal_for(purpose, instance, plain.as_bytes()))
}

/// Opens what [`seal`] sealed.
pub(crate) fn unseal(
    key: &MasterKey,
    purpose: Purpose,
    instance: &str,
    sealed: &str,
) -> Result<String, Error> {
    let bytes = URL_SAFE_NO_PAD
        .decode(sealed)
        .map_err(|_| Error::internal("a sealed value is not base64"))?;
    let plain = key.unseal_for(purpose, instance, &bytes)?;
    String::from_utf8(plain).map_err(|_| Error::internal("a sealed text is not UTF-8"))
}

/// Where a new code goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// In a message to the user's email address, through the outbox.
    Email,
    /// In a text message to the user's phone, through the outbox.
    Sms,
    /// Back to the caller, who must be allowed to mark the user verified (`user.write`,
    /// never on oneself: the user's actor checks it): a code one gets back proves nothing of
    /// oneself.
    Return,
}

/// A code to make.
#[derive(Clone, Debug)]
pub struct CodeRequest {
    pub kind: CodeKind,
    pub delivery: Delivery,
    /// The instance's external URL, for the message's link.
    pub base_url: String,
}

/// The outbox, recording what became of a message.
pub(crate) fn outbox_caller(instance: &str) -> Caller {
    Caller::Internal {
        flow: InternalFlow::Outbox,
        instance: instance.into(),
    }
}

impl CommandBus {
    /// Makes a code of `request.kind` for a user, replacing any earlier one of its kind, and
    /// sends it or returns it.
    pub async fn add_code(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        request: CodeRequest,
    ) -> Result<(Written, Option<String>), Error> {
        let k = key(instance, User::KIND, user_id);
        let (code, code_hash) = new_code();
        let channel = match request.delivery {
            Delivery::Return => None,
            Delivery::Email => Some(Channel::Email),
            Delivery::Sms => Some(Channel::Sms),
        };
        let message = match channel {
            None => None,
            Some(channel) => Some(Message {
                id: uuid::Uuid::now_v7().to_string(),
                channel,
                sealed_code: seal(self.master_key()?, Purpose::MessageCode, instance, &code),
                base_url: request.base_url,
            }),
        };
        let returned = message.is_none().then_some(code);
        let change = UserChange::AddCode(NewCode {
            kind: request.kind,
            code_hash,
            message,
        });
        let written = self
            .execute::<User>(&k, caller, UserCommand::Change(change), None)
            .await?;
        Ok((written, returned))
    }

    /// Verifies an email address or phone number with the code sent to it.
    pub async fn verify_code(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        kind: CodeKind,
        code: &str,
    ) -> Result<Written, Error> {
        let k = key(instance, User::KIND, user_id);
        let change = UserChange::Verify {
            kind,
            code_hash: code_hash(code),
            at: now_ms(),
        };
        let done = self
            .execute::<User>(&k, caller, UserCommand::Change(change), None)
            .await;
        if let Err(e) = &done {
            if e.code == Code::InvalidCode {
                let (user, _) = self.state::<User>(&k).await?;
                self.code_was_wrong_for(instance, user_id, &user, kind)
                    .await?;
            }
        }
        done
    }

    /// Counts a wrong code of `kind` against the lockout settings of the user's org.
    pub(crate) async fn code_was_wrong_for(
        &self,
        instance: &str,
        user_id: &str,
        user: &User,
        kind: CodeKind,
    ) -> Result<(), Error> {
        let k = key(instance, User::KIND, user_id);
        let max_attempts = self
            .lockout_settings(instance, user)
            .await?
            .max_otp_attempts;
        let change = UserChange::CodeWrong { kind, max_attempts };
        self.execute::<User>(&k, &login_flow(instance), UserCommand::Change(change), None)
            .await?;
        Ok(())
    }

    /// Sets a new password with a reset or invitation code instead of the current password
    /// (no permission: the code is the proof). The new password holds to the rules of the
    /// user's org; the change ends the user's sessions. A wrong code counts.
    pub async fn set_password_by_code(
        &self,
        instance: &str,
        user_id: &str,
        code: &str,
        new_password: String,
    ) -> Result<Written, Error> {
        let k = key(instance, User::KIND, user_id);
        let (user, _) = self.state::<User>(&k).await?;
        let hash = code_hash(code);
        let at = now_ms();
        let kinds = [CodeKind::PasswordReset, CodeKind::Init];
        let Some(kind) = user.matching_code(&kinds, &hash, at) else {
            // Count it against whichever code waits (a reset before an invitation).
            if let Some(kind) = kinds.into_iter().find(|k| user.codes.contains_key(k)) {
                self.code_was_wrong_for(instance, user_id, &user, kind)
                    .await?;
            }
            return Err(Error::new(
                Code::InvalidCode,
                "the code is wrong, used or expired; ask for a new one",
            )
            .with("field", "code"));
        };
        let (org, own) = self.settings_of_user(instance, &user).await?;
        let rules = domain::settings::password_complexity(org.as_ref(), &own);
        let new_password = rules.check(&new_password)?;
        let password_hash = self.passwords.hash(new_password).await?;
        let change = UserChange::PasswordByCode {
            code_hash: hash,
            password_hash,
            at,
        };
        tracing::debug!(kind = kind.name(), "password set with a code");
        let written = self
            .execute::<User>(&k, &login_flow(instance), UserCommand::Change(change), None)
            .await?;
        self.end_sessions_of(instance, user_id, None).await?;
        Ok(written)
    }

    /// A password reset asked for at the hosted login, for a user found by their login name:
    /// the code goes to their email address. Nothing happens for a machine user. The caller
    /// answers the same whether or not a user was found; run it off the answer's path, so
    /// that the answer's time says nothing either.
    pub async fn reset_from_login(
        &self,
        instance: &str,
        user_id: &str,
        base_url: String,
    ) -> Result<(), Error> {
        let request = CodeRequest {
            kind: CodeKind::PasswordReset,
            delivery: Delivery::Email,
            base_url,
        };
        match self
            .add_code(&login_flow(instance), instance, user_id, request)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code, Code::WrongUserType | Code::UserNotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Verifies an email address or phone number (`kind`) from the link of its message (the
    /// code is the proof).
    pub async fn verify_from_link(
        &self,
        instance: &str,
        user_id: &str,
        kind: CodeKind,
        code: &str,
    ) -> Result<Written, Error> {
        self.verify_code(&login_flow(instance), instance, user_id, kind, code)
            .await
    }
}
