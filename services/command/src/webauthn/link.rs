//! Passkey registration links: a code (sent by email, or returned to a manager) that lets the
//! hosted login register one passkey for a user without their password.

use authz::Caller;
use crypto::secrets::code_hash;
use domain::user::{CodeKind, Factor, KeyKind, User, UserChange, UserCommand};
use domain::{Aggregate, Code, Error};
use serde_json::Value;

use super::KeyAnswer;
use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::codes::{CodeRequest, Delivery};
use crate::oidc::login_flow;
use crate::sagas::key;
use crate::Written;

impl CommandBus {
    /// A link that registers a passkey for a user without their password (its code is the
    /// proof, good for 60 minutes): sent by email, or returned. Whoever may make it must hold
    /// what the user holds (it gives a way to log in as them).
    pub async fn passkey_link(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        delivery: Delivery,
        base_url: String,
    ) -> Result<(Written, Option<String>), Error> {
        let user = self.user(instance, user_id).await?;
        if !self
            .login_settings(instance, &user)
            .await?
            .allows(Factor::Passkey)
        {
            return Err(Error::new(
                Code::FactorNotAllowed,
                "the login settings do not allow passkeys",
            )
            .with("factor", "passkey"));
        }
        let request = CodeRequest {
            kind: CodeKind::PasskeyRegistration,
            delivery,
            base_url: base_url.clone(),
        };
        let (written, code) = self.add_code(caller, instance, user_id, request).await?;
        let link = code.map(|code| {
            format!(
                "{}/ui/login/passkey?user={user_id}&code={code}",
                base_url.trim_end_matches('/')
            )
        });
        Ok((written, link))
    }

    /// Begins the passkey registration of a registration link: `USER-0017` (counted) for a
    /// wrong, used or expired code.
    pub async fn start_key_by_code(
        &self,
        instance: &str,
        user_id: &str,
        code: &str,
        origin: &str,
    ) -> Result<(String, Value), Error> {
        let user = self.user(instance, user_id).await?;
        let (options, state) = self
            .creation(instance, &user, user_id, KeyKind::Passkey, origin)
            .await?;
        let key_id = uuid::Uuid::now_v7().to_string();
        let change = UserChange::StartKeyByCode {
            code_hash: code_hash(code),
            at: now_ms(),
            key_id: key_id.clone(),
            state,
        };
        self.by_code(instance, user_id, &user, change).await?;
        Ok((key_id, options))
    }

    /// Registers the passkey of a registration link with the authenticator's answer; the
    /// code is used up.
    pub async fn finish_key_by_code(
        &self,
        instance: &str,
        user_id: &str,
        code: &str,
        answer: KeyAnswer<'_>,
        origin: &str,
    ) -> Result<(), Error> {
        let user = self.user(instance, user_id).await?;
        let key = self.registered(instance, &user, &answer, origin).await?;
        let change = UserChange::AddKeyByCode {
            code_hash: code_hash(code),
            at: now_ms(),
            key_id: answer.key_id.to_string(),
            key,
        };
        self.by_code(instance, user_id, &user, change).await
    }

    /// A change whose proof is a registration link's code, made by the login flow; a wrong
    /// code counts against the lockout's `max_otp_attempts`.
    async fn by_code(
        &self,
        instance: &str,
        user_id: &str,
        user: &User,
        change: UserChange,
    ) -> Result<(), Error> {
        let k = key(instance, User::KIND, user_id);
        let flow = login_flow(instance);
        let done = self
            .execute::<User>(&k, &flow, UserCommand::Change(change), None)
            .await;
        if let Err(e) = &done {
            if e.code == Code::InvalidCode {
                self.code_was_wrong_for(instance, user_id, user, CodeKind::PasskeyRegistration)
                    .await?;
            }
        }
        done.map(|_| ())
    }
}
