//! WebAuthn ceremonies (webauthn-rs): registering a user's security key (`u2f`) or passkey,
//! and a key's signature as a login's factor. The relying party is the instance at the
//! external URL the request came to (its host the RP id, the URL the only origin allowed), so
//! a signature made for another site or another instance never verifies. A registration's
//! state waits in the user's events, a login's challenge in its session; each is good once.

use authz::Caller;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::instance::Instance;
use domain::oidc::{KeyChallenge, Session, SessionCommand};
use domain::user::{
    wrong_code, CodeKind, Factor, FactorProof, KeyKind, User, UserChange, UserCommand, UserKind,
    WebAuthnKey,
};
use domain::{Aggregate, Code, Error};
use serde_json::Value;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

use crypto::sealing::Purpose;
use crypto::secrets::{code_hash, token_hash};

use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::codes::{seal, unseal, CodeRequest, Delivery};
use crate::oidc::login_flow;
use crate::oidc::NewSession;
use crate::sagas::key;
use crate::Written;

/// `MFA-0005`: an authenticator's answer that does not verify.
fn refused(e: impl std::fmt::Display) -> Error {
    Error::new(
        Code::KeyRefused,
        "the authenticator's answer does not verify: try again",
    )
    .with("reason", e.to_string())
}

fn broken(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("a stored WebAuthn value does not read: {e}"))
}

/// The relying party of `origin` (the instance's external URL), named `name`.
fn relying_party(origin: &str, name: &str) -> Result<Webauthn, Error> {
    let url = Url::parse(origin).map_err(|e| Error::internal(format!("the origin: {e}")))?;
    let rp_id = url
        .host_str()
        .ok_or_else(|| Error::internal("the origin has no host"))?
        .to_string();
    WebauthnBuilder::new(&rp_id, &url)
        .and_then(|b| b.rp_name(name).build())
        .map_err(|e| Error::internal(format!("the relying party: {e}")))
}

fn kind_factor(kind: KeyKind) -> Factor {
    match kind {
        KeyKind::U2f => Factor::U2f,
        KeyKind::Passkey => Factor::Passkey,
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string(v).map_err(|e| Error::internal(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, Error> {
    serde_json::from_str(s).map_err(broken)
}

/// The authenticator's answer to a key's registration, and the name the user gives the key.
pub struct KeyAnswer<'a> {
    pub key_id: &'a str,
    pub credential: &'a RegisterPublicKeyCredential,
    pub name: &'a str,
}

/// The proof a verified signature gives: the user's key that made it, its counter, and the
/// challenge it signed (the hash of the ceremony's state, which holds it).
fn proof_of(user: &User, result: &AuthenticationResult, state: &str) -> Option<FactorProof> {
    let credential_id = URL_SAFE_NO_PAD.encode(result.cred_id());
    user.key_by_credential(&credential_id)
        .map(|(key_id, _)| FactorProof::WebAuthn {
            key_id: key_id.clone(),
            counter: result.counter(),
            challenge: token_hash(state),
        })
}

/// How long a passkey login's challenge stays good, in milliseconds.
const PASSKEY_CHALLENGE_MS: i64 = 5 * 60 * 1000;

/// A passkey login's challenge as the login page carries it (sealed).
#[derive(serde::Serialize, serde::Deserialize)]
struct CarriedChallenge {
    state: String,
    origin: String,
    expires_at: i64,
}

/// A key registration begun: its id and the options for `navigator.credentials.create()`.
pub struct NewKey {
    pub written: Written,
    pub key_id: String,
    pub options: Value,
}

impl CommandBus {
    async fn instance_name(&self, instance: &str) -> Result<String, Error> {
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
    async fn creation(
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
    async fn registered(
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

    /// A challenge for the keys of `factor` (`None`: passkeys if the user has any, else
    /// security keys) of a session's user, to sign for `origin`: the options for
    /// `navigator.credentials.get()`; the session keeps the ceremony's state for the answer.
    pub async fn challenge_key(
        &self,
        instance: &str,
        session_id: &str,
        user_id: &str,
        factor: Option<Factor>,
        origin: &str,
    ) -> Result<Value, Error> {
        let user = self.user(instance, user_id).await?;
        let login = self.login_settings(instance, &user).await?;
        let usable = crate::factors::usable_factors(&user, &login);
        let factor = factor
            .or_else(|| {
                [Factor::Passkey, Factor::U2f]
                    .into_iter()
                    .find(|f| usable.contains(f))
            })
            .filter(|f| usable.contains(f) && f.key_kind().is_some());
        let (Some(factor), Some(kind)) = (factor, factor.and_then(Factor::key_kind)) else {
            return Err(Error::new(
                Code::FactorNotFound,
                "the user has no security key or passkey they may log in with",
            )
            .with("factor", "webauthn"));
        };
        let rp = relying_party(origin, &self.instance_name(instance).await?)?;
        let stored = user.keys_of(kind).map(|(_, k)| k.credential.as_str());
        let (options, state) = match kind {
            KeyKind::Passkey => {
                let keys: Vec<Passkey> = stored.map(from_json).collect::<Result<_, _>>()?;
                let (rcr, auth) = rp
                    .start_passkey_authentication(&keys)
                    .map_err(|e| Error::internal(e.to_string()))?;
                (serde_json::to_value(rcr), to_json(&auth)?)
            }
            KeyKind::U2f => {
                let keys: Vec<SecurityKey> = stored.map(from_json).collect::<Result<_, _>>()?;
                let (rcr, auth) = rp
                    .start_securitykey_authentication(&keys)
                    .map_err(|e| Error::internal(e.to_string()))?;
                (serde_json::to_value(rcr), to_json(&auth)?)
            }
        };
        let challenge = KeyChallenge {
            factor,
            state,
            origin: origin.to_string(),
        };
        self.change_session(
            instance,
            session_id,
            SessionCommand::ChallengeKey(challenge),
        )
        .await?;
        options.map_err(|e| Error::internal(e.to_string()))
    }

    /// Checks a key's signature against the session's challenge (for the origin the
    /// challenge named), and records it in the session. Any failure (a signature for another
    /// site or challenge, a key of another user, a counter that went back, no challenge
    /// waiting) is `USER-0017`, and counts against the lockout's `max_otp_attempts`.
    pub async fn check_key(
        &self,
        instance: &str,
        session_id: &str,
        user_id: &str,
        answer: &PublicKeyCredential,
    ) -> Result<(), Error> {
        let (session, _) = self
            .state::<Session>(&key(instance, Session::KIND, session_id))
            .await?;
        let user = self.user(instance, user_id).await?;
        let proof = match &session.key_challenge {
            Some(c) => self.verify_key(instance, &user, c, answer).await?,
            None => None,
        };
        let factor = session.key_challenge.as_ref().map(|c| c.factor);
        self.record_factor(instance, session_id, &user, user_id, factor, proof)
            .await
    }

    /// The proof a signature gives, if it verifies.
    async fn verify_key(
        &self,
        instance: &str,
        user: &User,
        challenge: &KeyChallenge,
        answer: &PublicKeyCredential,
    ) -> Result<Option<FactorProof>, Error> {
        let rp = relying_party(&challenge.origin, &self.instance_name(instance).await?)?;
        let verified = match challenge.factor.key_kind() {
            Some(KeyKind::Passkey) => {
                let state: PasskeyAuthentication = from_json(&challenge.state)?;
                rp.finish_passkey_authentication(answer, &state)
            }
            Some(KeyKind::U2f) => {
                let state: SecurityKeyAuthentication = from_json(&challenge.state)?;
                rp.finish_securitykey_authentication(answer, &state)
            }
            None => return Ok(None),
        };
        let Ok(result) = verified else {
            tracing::info!(error = ?verified.err(), "a WebAuthn signature did not verify");
            return Ok(None);
        };
        Ok(proof_of(user, &result, &challenge.state))
    }

    /// Records a second factor's outcome: right (the user's actor agrees: a key's counter
    /// moved on) and in the session, or wrong and counted against the lockout.
    pub(crate) async fn record_factor(
        &self,
        instance: &str,
        session_id: &str,
        user: &User,
        user_id: &str,
        factor: Option<Factor>,
        proof: Option<FactorProof>,
    ) -> Result<(), Error> {
        let (Some(factor), Some(proof)) = (factor, proof) else {
            return self.judge_factor(instance, user, user_id, None).await;
        };
        self.judge_factor(instance, user, user_id, Some(proof))
            .await?;
        self.change_session(instance, session_id, SessionCommand::CheckFactor { factor })
            .await
    }

    /// Puts a second factor's proof (`None`: none verified) to the user's actor: right, or
    /// wrong (`USER-0017`) and counted against the lockout's `max_otp_attempts`.
    async fn judge_factor(
        &self,
        instance: &str,
        user: &User,
        user_id: &str,
        proof: Option<FactorProof>,
    ) -> Result<(), Error> {
        let k = key(instance, User::KIND, user_id);
        let flow = login_flow(instance);
        let at = now_ms();
        let right = match proof {
            Some(proof) => {
                let change = UserChange::FactorRight { proof, at };
                self.execute::<User>(&k, &flow, UserCommand::Change(change), None)
                    .await
            }
            None => Err(wrong_code()),
        };
        match right {
            Ok(_) => Ok(()),
            Err(e) if e.code == Code::InvalidCode => {
                let lockout = self.lockout_settings(instance, user).await?;
                let change = UserChange::FactorWrong { lockout, at };
                self.execute::<User>(&k, &flow, UserCommand::Change(change), None)
                    .await?;
                Err(wrong_code())
            }
            Err(e) => Err(e),
        }
    }

    /// A passkey login's challenge, for a page at `origin` that does not know the user yet:
    /// the options for `navigator.credentials.get()` and the challenge sealed for the page to
    /// carry back (good for 5 minutes; nothing is written).
    pub async fn passkey_challenge(
        &self,
        instance: &str,
        origin: &str,
    ) -> Result<(Value, String), Error> {
        let rp = relying_party(origin, &self.instance_name(instance).await?)?;
        let (rcr, state) = rp
            .start_discoverable_authentication()
            .map_err(|e| Error::internal(e.to_string()))?;
        let carried = CarriedChallenge {
            state: to_json(&state)?,
            origin: origin.to_string(),
            expires_at: now_ms() + PASSKEY_CHALLENGE_MS,
        };
        let sealed = seal(
            self.master_key()?,
            Purpose::PasskeyChallenge,
            instance,
            &to_json(&carried)?,
        );
        let options = serde_json::to_value(rcr).map_err(|e| Error::internal(e.to_string()))?;
        Ok((options, sealed))
    }

    /// A login with a passkey alone: the key's answer to a challenge of
    /// [`CommandBus::passkey_challenge`] names its user, whose passkey must have signed it. A
    /// new session with the passkey checked, or `USER-0017` (an expired or altered challenge,
    /// a signature for another origin, an unknown key, a counter that went back, a challenge
    /// signed before, a user who may not log in, passkeys disabled).
    pub async fn passkey_login(
        &self,
        instance: &str,
        sealed: &str,
        answer: &PublicKeyCredential,
    ) -> Result<NewSession, Error> {
        let carried: CarriedChallenge = unseal(
            self.master_key()?,
            Purpose::PasskeyChallenge,
            instance,
            sealed,
        )
        .ok()
        .and_then(|c| serde_json::from_str(&c).ok())
        .filter(|c: &CarriedChallenge| c.expires_at > now_ms())
        .ok_or_else(wrong_code)?;
        let rp = relying_party(&carried.origin, &self.instance_name(instance).await?)?;
        let (handle, _) = rp
            .identify_discoverable_authentication(answer)
            .map_err(|_| wrong_code())?;
        let user_id = handle.to_string();
        let user = self.user(instance, &user_id).await?;
        let login = self.login_settings(instance, &user).await?;
        let usable = crate::factors::usable_factors(&user, &login);
        if !user.exists() || !usable.contains(&Factor::Passkey) {
            return Err(wrong_code());
        }
        let keys: Vec<DiscoverableKey> = user
            .keys_of(KeyKind::Passkey)
            .map(|(_, k)| from_json::<Passkey>(&k.credential).map(DiscoverableKey::from))
            .collect::<Result<_, _>>()?;
        let state: DiscoverableAuthentication = from_json(&carried.state)?;
        let proof = match rp.finish_discoverable_authentication(answer, state, &keys) {
            Ok(result) => proof_of(&user, &result, &carried.state),
            Err(e) => {
                tracing::info!(error = %e, "a passkey's signature did not verify");
                None
            }
        };
        self.judge_factor(instance, &user, &user_id, proof).await?;
        let created = self.create_session(instance, &user_id, false).await?;
        let factor = Factor::Passkey;
        self.change_session(
            instance,
            &created.session_id,
            SessionCommand::CheckFactor { factor },
        )
        .await?;
        Ok(created)
    }
}
