//! A user's WebAuthn keys: security keys (`u2f`, a second factor after the password) and
//! passkeys (user-verifying, discoverable: a login on their own). The service layer runs the
//! ceremonies (a well-kept WebAuthn library: challenges, signatures, origins); the user's
//! actor keeps the registration waiting for its answer, the keys, and each key's signature
//! counter, refusing a counter that does not move forward (a cloned authenticator).

use serde::{Deserialize, Serialize};

use super::{User, UserEvent};
use crate::error::{Code, Error, Result};
use crate::validate;

/// What a WebAuthn key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// A security key: a second factor after the password.
    U2f,
    /// A passkey: user-verifying and discoverable, a login on its own.
    Passkey,
}

impl KeyKind {
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::U2f => "u2f",
            KeyKind::Passkey => "passkey",
        }
    }
}

/// A registered key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebAuthnKey {
    pub kind: KeyKind,
    /// The name the user gave it.
    pub name: String,
    /// The credential id (base64url), as authenticators name it.
    pub credential_id: String,
    /// The credential as the WebAuthn library stores it (its public key), JSON.
    pub credential: String,
    /// The last signature counter seen (0: the authenticator keeps none).
    pub counter: u32,
}

/// A registration waiting for the authenticator's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingKey {
    pub key_id: String,
    pub kind: KeyKind,
    /// The ceremony's state (its challenge), JSON.
    pub state: String,
}

/// How long a signed challenge is remembered, in milliseconds: longer than any challenge
/// lives (a passkey login's, 5 minutes; a session's, the session).
pub const SIGNED_CHALLENGE_MEMORY_MS: i64 = 24 * 3600 * 1000;

/// The most signed challenges remembered per user.
const MOST_SIGNED_CHALLENGES: usize = 64;

impl super::Factors {
    /// Records a signed challenge, forgetting those older than the memory.
    pub(super) fn challenge_signed(&mut self, challenge: &str, at: i64) {
        self.signed_challenges
            .retain(|(_, when)| at - when < SIGNED_CHALLENGE_MEMORY_MS);
        self.signed_challenges.push((challenge.to_string(), at));
        let excess = self
            .signed_challenges
            .len()
            .saturating_sub(MOST_SIGNED_CHALLENGES);
        self.signed_challenges.drain(..excess);
    }
}

/// The longest name of a key.
const LONGEST_NAME: usize = 100;

fn not_found() -> Error {
    Error::new(Code::FactorNotFound, "the user has no such key").with("factor", "webauthn")
}

impl User {
    pub(super) fn decide_key_started(
        &self,
        key_id: &str,
        kind: KeyKind,
        state: &str,
    ) -> Result<Vec<UserEvent>> {
        self.human_only()?;
        Ok(vec![UserEvent::WebAuthnStarted {
            key_id: key_id.to_string(),
            kind,
            state: state.to_string(),
        }])
    }

    /// The registration `key_id` answered: `key` made from the authenticator's answer by the
    /// service, with the state of the registration it answers.
    pub(super) fn decide_key_added(
        &self,
        key_id: &str,
        key: &WebAuthnKey,
    ) -> Result<Vec<UserEvent>> {
        match &self.factors.pending_key {
            Some(p) if p.key_id == key_id && p.kind == key.kind => {}
            _ => {
                return Err(Error::new(
                    Code::FactorNotFound,
                    "no registration of this key waits: start it again",
                )
                .with("factor", key.kind.name()))
            }
        }
        if self
            .factors
            .keys
            .values()
            .any(|k| k.credential_id == key.credential_id)
        {
            return Err(Error::new(
                Code::FactorExists,
                "this authenticator is registered already",
            )
            .with("factor", key.kind.name()));
        }
        let name = key.name.trim();
        if name.is_empty()
            || name.chars().count() > LONGEST_NAME
            || name.chars().any(char::is_control)
        {
            return Err(Error::new(
                Code::MalformedBody,
                "a key's name is 1 to 100 characters without control characters",
            )
            .with("field", "name"));
        }
        Ok(vec![UserEvent::WebAuthnAdded {
            key_id: key_id.to_string(),
            kind: key.kind,
            name: name.to_string(),
            credential_id: key.credential_id.clone(),
            credential: key.credential.clone(),
        }])
    }

    /// A passkey registration link's code, if it is the pending one and fresh at `at`.
    pub(super) fn registration_code(&self, code_hash: &str, at: i64) -> Result<()> {
        match self.code_matches(super::CodeKind::PasskeyRegistration, code_hash, at) {
            true => Ok(()),
            false => Err(Error::new(
                Code::InvalidCode,
                "the code is wrong, used or expired; ask for a new link",
            )
            .with("field", "code")),
        }
    }

    pub(super) fn decide_key_removed(&self, key_id: &str, kind: KeyKind) -> Result<Vec<UserEvent>> {
        match self.factors.keys.get(key_id) {
            Some(k) if k.kind == kind => Ok(vec![UserEvent::WebAuthnRemoved {
                key_id: key_id.to_string(),
            }]),
            _ => Err(not_found()),
        }
    }

    /// A key's signature at a login, with the counter it carried and the challenge it
    /// signed (its hash), at `at`: a counter that does not move past the last one seen (where
    /// either is not 0) is refused, and so is a challenge signed before.
    pub(super) fn key_checked(
        &self,
        key_id: &str,
        counter: u32,
        challenge: &str,
        at: i64,
    ) -> Result<UserEvent> {
        let key = self
            .factors
            .keys
            .get(key_id)
            .ok_or_else(super::wrong_code)?;
        if (counter != 0 || key.counter != 0) && counter <= key.counter {
            return Err(super::wrong_code());
        }
        if self
            .factors
            .signed_challenges
            .iter()
            .any(|(c, _)| c == challenge)
        {
            return Err(super::wrong_code());
        }
        Ok(UserEvent::WebAuthnChecked {
            key_id: key_id.to_string(),
            counter,
            challenge: challenge.to_string(),
            at,
        })
    }

    /// The user's keys of `kind`.
    pub fn keys_of(&self, kind: KeyKind) -> impl Iterator<Item = (&String, &WebAuthnKey)> {
        self.factors
            .keys
            .iter()
            .filter(move |(_, k)| k.kind == kind)
    }

    /// The key whose credential id is `credential_id`.
    pub fn key_by_credential(&self, credential_id: &str) -> Option<(&String, &WebAuthnKey)> {
        self.factors
            .keys
            .iter()
            .find(|(_, k)| validate::same_secret(&k.credential_id, credential_id))
    }
}
