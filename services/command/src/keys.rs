//! Signing keys: generated here, sealed with the master key's signing-key purpose key
//! (`sealing`), and kept as events of the instance's SigningKeys aggregate. RSA keys come from the `rsa` crate (ring cannot
//! generate them); ring signs with every key.

use authz::{Caller, InternalFlow};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::signing_keys::{KeyStatus, SigningKeys, SigningKeysCommand, ALGORITHMS};
use domain::{Aggregate, Code, Error};
use eventlog::position::Positions;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

use crate::bus::CommandBus;
use crate::sagas::key;
use crate::sealing::{MasterKey, Purpose};

/// A new key pair: its id, the public JWK, and the private key (PKCS#8 DER).
pub struct NewKey {
    pub kid: String,
    pub alg: &'static str,
    pub public_jwk: serde_json::Value,
    pub private_der: Vec<u8>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Generates a key (RSA-2048 takes a moment: call it off the async runtime).
pub fn generate(alg: &str) -> Result<NewKey, Error> {
    let kid = uuid::Uuid::now_v7().simple().to_string();
    let rng = SystemRandom::new();
    let failed = |e: &dyn std::fmt::Display| Error::internal(format!("key generation failed: {e}"));
    let (alg, public_jwk, private_der) = match alg {
        "RS256" => {
            use rsa::pkcs8::EncodePrivateKey;
            use rsa::traits::PublicKeyParts;
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                .map_err(|e| failed(&e))?;
            let der = key.to_pkcs8_der().map_err(|e| failed(&e))?;
            let jwk = serde_json::json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": b64(&key.n().to_bytes_be()), "e": b64(&key.e().to_bytes_be()),
            });
            ("RS256", jwk, der.as_bytes().to_vec())
        }
        "ES256" => {
            let der = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|e| failed(&e))?;
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der.as_ref(), &rng)
                    .map_err(|e| failed(&e))?;
            let point = pair.public_key().as_ref();
            let jwk = serde_json::json!({
                "kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256",
                "x": b64(&point[1..33]), "y": b64(&point[33..65]),
            });
            ("ES256", jwk, der.as_ref().to_vec())
        }
        "EdDSA" => {
            let der = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| failed(&e))?;
            let pair = Ed25519KeyPair::from_pkcs8(der.as_ref()).map_err(|e| failed(&e))?;
            let jwk = serde_json::json!({
                "kty": "OKP", "use": "sig", "alg": "EdDSA", "kid": kid, "crv": "Ed25519",
                "x": b64(pair.public_key().as_ref()),
            });
            ("EdDSA", jwk, der.as_ref().to_vec())
        }
        other => return Err(Error::internal(format!("no signing algorithm {other}"))),
    };
    Ok(NewKey {
        kid,
        alg,
        public_jwk,
        private_der,
    })
}

/// The algorithms an instance signs with from the start.
pub const DEFAULT_ALGORITHMS: [&str; 2] = ["RS256", "ES256"];

impl CommandBus {
    pub(crate) fn master_key(&self) -> Result<&MasterKey, Error> {
        self.deps
            .master_key
            .as_ref()
            .ok_or_else(|| Error::internal("no master key is configured"))
    }

    /// A new key of `alg` for `instance`, generated off the async runtime; the private key
    /// sealed for signing keys of that instance.
    async fn new_key(&self, instance: &str, alg: &str) -> Result<(NewKey, Vec<u8>), Error> {
        let owned = alg.to_string();
        let new = tokio::task::spawn_blocking(move || generate(&owned))
            .await
            .map_err(|e| Error::internal(e.to_string()))??;
        let sealed = self
            .master_key()?
            .seal_for(Purpose::SigningKey, instance, &new.private_der);
        Ok((new, sealed))
    }

    /// Adds a new key of `alg` to an instance, published (in the JWKS) but not yet signing.
    /// Returns its id and the log position.
    pub async fn publish_signing_key(
        &self,
        instance: &str,
        alg: &str,
    ) -> Result<(String, Positions), Error> {
        let (new, sealed) = self.new_key(instance, alg).await?;
        let k = key(instance, SigningKeys::KIND, instance);
        let cmd = SigningKeysCommand::Add {
            kid: new.kid.clone(),
            alg: new.alg.into(),
            public_jwk: new.public_jwk.to_string(),
            sealed,
        };
        let w = self
            .execute::<SigningKeys>(&k, &keys_caller(instance), cmd, None)
            .await?;
        Ok((new.kid, w.position))
    }

    /// Rotates an algorithm's key in two steps, so that clients see a key before it signs:
    /// publishes a new key if none is waiting, else activates the waiting one (the active one
    /// retires, and stays published until its tokens expire).
    /// Keys retired longer ago than `keep_retired_ms` (the tokens they signed have expired)
    /// leave the JWKS. Returns the log position of the step.
    pub async fn rotate_signing_key(
        &self,
        instance: &str,
        alg: &str,
        keep_retired_ms: i64,
    ) -> Result<Positions, Error> {
        if !ALGORITHMS.contains(&alg) {
            return Err(Error::new(
                Code::InvalidQuery,
                format!("alg is one of {}", ALGORITHMS.join(", ")),
            )
            .with("field", "alg"));
        }
        let k = key(instance, SigningKeys::KIND, instance);
        let (keys, _) = self.state::<SigningKeys>(&k).await?;
        let waiting = keys
            .keys
            .iter()
            .find(|(_, sk)| sk.alg == alg && sk.status == KeyStatus::Published)
            .map(|(kid, _)| kid.clone());
        let mut position = match waiting {
            Some(kid) => {
                let cmd = SigningKeysCommand::Activate { kid };
                self.execute::<SigningKeys>(&k, &keys_caller(instance), cmd, None)
                    .await?
                    .position
            }
            None => self.publish_signing_key(instance, alg).await?.1,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let prune = SigningKeysCommand::Prune {
            retired_before: now - keep_retired_ms,
        };
        let w = self
            .execute::<SigningKeys>(&k, &keys_caller(instance), prune, None)
            .await?;
        position.merge(&w.position);
        Ok(position)
    }

    /// Gives an instance an active key of each algorithm, once; returns the log position a
    /// read model must reach to hold them (what it wrote, or the keys' last event).
    pub async fn ensure_signing_keys(
        &self,
        instance: &str,
        algs: &[&str],
    ) -> Result<Positions, Error> {
        let k = key(instance, SigningKeys::KIND, instance);
        let (keys, _, last) = self.peek::<SigningKeys>(&k).await?;
        // Keys that a concurrent first use provided a moment ago may not be in the read model
        // yet: the caller waits for them as for its own.
        let mut position = Positions::default();
        position.add(last);
        for &alg in algs {
            if keys.active(alg).is_none() {
                // Concurrent first uses may each get here; the actor keeps the first key.
                let (new, sealed) = self.new_key(instance, alg).await?;
                let cmd = SigningKeysCommand::Provide {
                    kid: new.kid,
                    alg: new.alg.into(),
                    public_jwk: new.public_jwk.to_string(),
                    sealed,
                };
                let w = self
                    .execute::<SigningKeys>(&k, &keys_caller(instance), cmd, None)
                    .await?;
                position.merge(&w.position);
            }
        }
        Ok(position)
    }
}

fn keys_caller(instance: &str) -> Caller {
    Caller::Internal {
        flow: InternalFlow::Setup,
        instance: instance.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_public_jwks() {
        for alg in ["ES256", "EdDSA"] {
            let k = generate(alg).unwrap();
            assert_eq!(k.public_jwk["alg"], alg);
            assert_eq!(k.public_jwk["kid"], k.kid.as_str());
        }
    }
}
