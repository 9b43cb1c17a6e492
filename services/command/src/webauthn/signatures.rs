//! Keys' signatures at a login: a challenge kept in the session (a second step) or carried
//! by the login page, sealed (a passkey login that begins without a login name), and the
//! answer verified for the origin the challenge named, good once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crypto::sealing::Purpose;
use crypto::secrets::token_hash;
use domain::oidc::{KeyChallenge, Session, SessionCommand};
use domain::user::{wrong_code, Factor, FactorProof, KeyKind, User};
use domain::{Aggregate, Code, Error};
use serde_json::Value;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PublicKeyCredential, SecurityKey, SecurityKeyAuthentication,
};

use super::{from_json, relying_party, to_json};
use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::codes::{seal, unseal};
use crate::oidc::NewSession;
use crate::sagas::key;

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

impl CommandBus {
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
