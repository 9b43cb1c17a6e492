//! WebAuthn ceremonies (webauthn-rs): registering a user's security key (`u2f`) or passkey,
//! and a key's signature as a login's factor. The relying party is the instance at the
//! external URL the request came to (its host the RP id, the URL the only origin allowed), so
//! a signature made for another site or another instance never verifies. A registration's
//! state waits in the user's events, a login's challenge in its session; each is good once.

use authz::Caller;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::instance::Instance;
use domain::user::{Factor, KeyKind, User, UserChange, UserKind, WebAuthnKey};
use domain::{Aggregate, Code, Error};
use serde_json::Value;
use webauthn_rs::prelude::{
    PasskeyRegistration, RegisterPublicKeyCredential, SecurityKeyRegistration, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

use crate::bus::CommandBus;
use crate::sagas::key;
use crate::Written;

mod link;
mod signatures;

/// `MFA-0005`: an authenticator's answer that does not verify.
pub(super) fn refused(e: impl std::fmt::Display) -> Error {
    Error::new(
        Code::KeyRefused,
        "the authenticator's answer does not verify: try again",
    )
    .with("reason", e.to_string())
}

pub(super) fn broken(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("a stored WebAuthn value does not read: {e}"))
}

/// The relying party of `origin` (the instance's external URL), named `name`.
pub(super) fn relying_party(origin: &str, name: &str) -> Result<Webauthn, Error> {
    let url = Url::parse(origin).map_err(|e| Error::internal(format!("the origin: {e}")))?;
    let rp_id = url
        .host_str()
        .ok_or_else(|| Error::internal("the origin has no host"))?
        .to_string();
    WebauthnBuilder::new(&rp_id, &url)
        .and_then(|b| b.rp_name(name).build())
        .map_err(|e| Error::internal(format!("the relying party: {e}")))
}

pub(super) fn kind_factor(kind: KeyKind) -> Factor {
    match kind {
        KeyKind::U2f => Factor::U2f,
        KeyKind::Passkey => Factor::Passkey,
    }
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string(v).map_err(|e| Error::internal(e.to_string()))
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, Error> {
    serde_json::from_str(s).map_err(broken)
}

/// The authenticator's answer to a key's registration, and the name the user gives the key.
pub struct KeyAnswer<'a> {
    pub key_id: &'a str,
    pub credential: &'a RegisterPublicKeyCredential,
    pub name: &'a str,
}

/// A key registration begun: its id and the options for `navigator.credentials.create()`.
pub struct NewKey {
    pub written: Written,
    pub key_id: String,
    pub options: Value,
}

impl CommandBus {
    pub(super) async fn instance_name(&self, instance: &str) -> Result<String, Error> {
        let (i, _) = self
            .state::<Instance>(&key(instance, Instance::KIND, instance))
            .await?;
        Ok(i.name)
    }

    /// Begins registering a key of `kind` for a user, at the relying party `origin`.
    pub async fn start_key(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        kind: KeyKind,
        origin: &str,
    ) -> Result<NewKey, Error> {
        let user = self.user(instance, user_id).await?;
        let (options, state) = self
            .creation(instance, &user, user_id, kind, origin)
            .await?;
        let key_id = uuid::Uuid::now_v7().to_string();
        let change = UserChange::StartKey {
            key_id: key_id.clone(),
            kind,
            state,
        };
        let written = self
            .change_user(caller, instance, user_id, change, None)
            .await?;
        Ok(NewKey {
            written,
            key_id,
            options,
        })
    }

    /// The options for `navigator.credentials.create()` of a key of `kind` for a user, and
    /// the ceremony's state; `MFA-0003` where the login settings do not allow the kind.
    pub(super) async fn creation(
        &self,
        instance: &str,
        user: &User,
        user_id: &str,
        kind: KeyKind,
        origin: &str,
    ) -> Result<(Value, String), Error> {
        let login = self.login_settings(instance, user).await?;
        let factor = kind_factor(kind);
        if !login.allows(factor) {
            return Err(Error::new(
                Code::FactorNotAllowed,
                format!("the login settings do not allow {}", factor.name()),
            )
            .with("factor", factor.name()));
        }
        let Some(UserKind::Human { profile, .. }) = &user.kind else {
            return Err(Error::new(
                Code::WrongUserType,
                "machine users have no second factors",
            ));
        };
        let handle = Uuid::parse_str(user_id)
            .map_err(|_| Error::internal("a user id that is no UUID cannot name a key"))?;
        let rp = relying_party(origin, &self.instance_name(instance).await?)?;
        let exclude: Vec<_> = user
            .factors
            .keys
            .values()
            .filter_map(|k| URL_SAFE_NO_PAD.decode(&k.credential_id).ok())
            .map(Into::into)
            .collect();
        let (name, display) = (&user.username, &profile.display_name);
        let (options, state) = match kind {
            KeyKind::Passkey => {
                let (ccr, reg) = rp
                    .start_passkey_registration(handle, name, display, Some(exclude))
                    .map_err(|e| Error::internal(e.to_string()))?;
                (serde_json::to_value(ccr), to_json(&reg)?)
            }
            KeyKind::U2f => {
                let (ccr, reg) = rp
                    .start_securitykey_registration(
                        handle,
                        name,
                        display,
                        Some(exclude),
                        None,
                        None,
                    )
                    .map_err(|e| Error::internal(e.to_string()))?;
                (serde_json::to_value(ccr), to_json(&reg)?)
            }
        };
        let mut options = options.map_err(|e| Error::internal(e.to_string()))?;
        match kind {
            KeyKind::Passkey => {
                // A passkey lives on its authenticator (discoverable), so that a login can
                // begin with it and no login name.
                let selection = &mut options["publicKey"]["authenticatorSelection"];
                selection["residentKey"] = "required".into();
                selection["requireResidentKey"] = true.into();
            }
            KeyKind::U2f => {
                // A security key is a second factor after the password: its presence is
                // what counts, so no verification policy is asked of it (browsers refuse to
                // create one with a policy that its discouraged verification contradicts).
                if let Some(extensions) = options["publicKey"]["extensions"].as_object_mut() {
                    extensions.remove("credentialProtectionPolicy");
                    extensions.remove("enforceCredentialProtectionPolicy");
                }
            }
        }
        Ok((options, state))
    }

    /// Finishes registering a key with the authenticator's answer.
    pub async fn finish_key(
        &self,
        caller: &Caller,
        instance: &str,
        user_id: &str,
        answer: KeyAnswer<'_>,
        origin: &str,
    ) -> Result<Written, Error> {
        let user = self.user(instance, user_id).await?;
        let key = self.registered(instance, &user, &answer, origin).await?;
        let key_id = answer.key_id.to_string();
        let change = UserChange::AddKey { key_id, key };
        self.change_user(caller, instance, user_id, change, None)
            .await
    }

    /// The key the authenticator's answer to the user's waiting registration makes.
    pub(super) async fn registered(
        &self,
        instance: &str,
        user: &User,
        answer: &KeyAnswer<'_>,
        origin: &str,
    ) -> Result<WebAuthnKey, Error> {
        let pending = match &user.factors.pending_key {
            Some(p) if p.key_id == answer.key_id => p.clone(),
            _ => {
                return Err(Error::new(
                    Code::FactorNotFound,
                    "no registration of this key waits: start it again",
                )
                .with("factor", "webauthn"))
            }
        };
        let rp = relying_party(origin, &self.instance_name(instance).await?)?;
        let (credential_id, credential) = match pending.kind {
            KeyKind::Passkey => {
                let state: PasskeyRegistration = from_json(&pending.state)?;
                let key = rp
                    .finish_passkey_registration(answer.credential, &state)
                    .map_err(refused)?;
                (URL_SAFE_NO_PAD.encode(key.cred_id()), to_json(&key)?)
            }
            KeyKind::U2f => {
                let state: SecurityKeyRegistration = from_json(&pending.state)?;
                let key = rp
                    .finish_securitykey_registration(answer.credential, &state)
                    .map_err(refused)?;
                (URL_SAFE_NO_PAD.encode(key.cred_id()), to_json(&key)?)
            }
        };
        Ok(WebAuthnKey {
            kind: pending.kind,
            name: answer.name.to_string(),
            credential_id,
            credential,
            counter: 0,
        })
    }
}
