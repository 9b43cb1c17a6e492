//! The SigningKeys aggregate: an instance's keys for signing tokens, as events. A key is
//! published (in the JWKS) before it signs, signs while active, and stays published after it
//! is retired until the tokens it signed have expired. Private keys arrive sealed (encrypted
//! with the master key by the service layer); the domain never sees them in clear.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Published,
    Active,
    Retired,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKey {
    /// `RS256`, `ES256` or `EdDSA`.
    pub alg: String,
    /// The public key as a JWK (JSON).
    pub public_jwk: String,
    /// The private key, sealed with the master key.
    pub sealed: Vec<u8>,
    pub status: KeyStatus,
    /// Unix milliseconds.
    pub retired_at: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeys {
    pub keys: BTreeMap<String, SigningKey>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SigningKeysCommand {
    /// Publishes a new key (it signs once activated).
    Add {
        kid: String,
        alg: String,
        public_jwk: String,
        sealed: Vec<u8>,
    },
    /// Makes a published key the one that signs for its algorithm; the previous one retires.
    Activate { kid: String },
    /// An instance's first key of an algorithm: published and active at once (no client can
    /// hold a token of another yet). Nothing happens when the algorithm has an active key, so
    /// that first uses racing each other leave one key.
    Provide {
        kid: String,
        alg: String,
        public_jwk: String,
        sealed: Vec<u8>,
    },
    /// Drops retired keys retired before this time (their tokens have expired).
    Prune { retired_before: i64 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningKeysEvent {
    KeyAdded {
        kid: String,
        alg: String,
        public_jwk: String,
        sealed: Vec<u8>,
    },
    KeyActivated {
        kid: String,
    },
    KeyRetired {
        kid: String,
        at: i64,
    },
    KeyRemoved {
        kid: String,
    },
}

impl EventType for SigningKeysEvent {
    fn event_type(&self) -> &'static str {
        match self {
            SigningKeysEvent::KeyAdded { .. } => "instance.key.added",
            SigningKeysEvent::KeyActivated { .. } => "instance.key.activated",
            SigningKeysEvent::KeyRetired { .. } => "instance.key.retired",
            SigningKeysEvent::KeyRemoved { .. } => "instance.key.removed",
        }
    }
}

pub const ALGORITHMS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

impl SigningKeys {
    /// The active key of an algorithm.
    pub fn active(&self, alg: &str) -> Option<(&str, &SigningKey)> {
        self.keys
            .iter()
            .find(|(_, k)| k.alg == alg && k.status == KeyStatus::Active)
            .map(|(kid, k)| (kid.as_str(), k))
    }
}

impl SigningKeys {
    /// A new key's event, if its algorithm is known and its id unused.
    fn added(
        &self,
        kid: &str,
        alg: &str,
        public_jwk: &str,
        sealed: &[u8],
    ) -> Result<SigningKeysEvent> {
        if !ALGORITHMS.contains(&alg) {
            return Err(Error::internal(format!("no signing algorithm {alg}")));
        }
        if self.keys.contains_key(kid) {
            return Err(Error::internal(format!("key id {kid} is in use")));
        }
        Ok(SigningKeysEvent::KeyAdded {
            kid: kid.into(),
            alg: alg.into(),
            public_jwk: public_jwk.into(),
            sealed: sealed.into(),
        })
    }
}

impl Aggregate for SigningKeys {
    const KIND: &'static str = "signing_keys";
    type Command = SigningKeysCommand;
    type Event = SigningKeysEvent;

    fn exists(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Keys are the server's own business: only the service layer changes them.
    fn access<'a>(&'a self, _key: &'a AggregateKey, _cmd: &'a SigningKeysCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(&self, cmd: &SigningKeysCommand, ctx: Ctx<'_>) -> Result<Vec<SigningKeysEvent>> {
        use SigningKeysEvent as E;
        Ok(match cmd {
            SigningKeysCommand::Add {
                kid,
                alg,
                public_jwk,
                sealed,
            } => vec![self.added(kid, alg, public_jwk, sealed)?],
            SigningKeysCommand::Provide {
                kid,
                alg,
                public_jwk,
                sealed,
            } => match self.active(alg) {
                Some(_) => vec![],
                None => vec![
                    self.added(kid, alg, public_jwk, sealed)?,
                    E::KeyActivated { kid: kid.clone() },
                ],
            },
            SigningKeysCommand::Activate { kid } => {
                let key = self
                    .keys
                    .get(kid)
                    .ok_or_else(|| Error::new(Code::Internal, format!("no key {kid}")))?;
                if key.status != KeyStatus::Published {
                    return Ok(vec![]);
                }
                // The new key first: a reader that sees one event and not yet the other (a read
                // model written event by event) finds two active keys, never none.
                let mut events = vec![E::KeyActivated { kid: kid.clone() }];
                if let Some((old, _)) = self.active(&key.alg) {
                    events.push(E::KeyRetired {
                        kid: old.to_string(),
                        at: ctx.now,
                    });
                }
                events
            }
            SigningKeysCommand::Prune { retired_before } => self
                .keys
                .iter()
                .filter(|(_, k)| k.retired_at.is_some_and(|t| t < *retired_before))
                .map(|(kid, _)| E::KeyRemoved { kid: kid.clone() })
                .collect(),
        })
    }

    fn apply(&mut self, event: &SigningKeysEvent) {
        match event {
            SigningKeysEvent::KeyAdded {
                kid,
                alg,
                public_jwk,
                sealed,
            } => {
                self.keys.insert(
                    kid.clone(),
                    SigningKey {
                        alg: alg.clone(),
                        public_jwk: public_jwk.clone(),
                        sealed: sealed.clone(),
                        status: KeyStatus::Published,
                        retired_at: None,
                    },
                );
            }
            SigningKeysEvent::KeyActivated { kid } => {
                if let Some(k) = self.keys.get_mut(kid) {
                    k.status = KeyStatus::Active;
                }
            }
            SigningKeysEvent::KeyRetired { kid, at } => {
                if let Some(k) = self.keys.get_mut(kid) {
                    k.status = KeyStatus::Retired;
                    k.retired_at = Some(*at);
                }
            }
            SigningKeysEvent::KeyRemoved { kid } => {
                self.keys.remove(kid);
            }
        }
    }
}
