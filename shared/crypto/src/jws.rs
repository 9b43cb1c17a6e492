//! Signing compact JWS (RFC 7515) with one of the instance's private keys: RS256, ES256 or
//! EdDSA. Verifying is the gateway's (it knows whose keys to trust).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::Error;
use ring::rand::SystemRandom;
use ring::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::Value;

/// A private key that signs.
pub enum SigningKey {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

pub struct Signer {
    pub kid: String,
    pub alg: String,
    key: SigningKey,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("signing key: {e}"))
}

impl Signer {
    /// A signer from a PKCS#8 private key.
    pub fn new(kid: &str, alg: &str, der: &[u8]) -> Result<Signer, Error> {
        let rng = SystemRandom::new();
        let key = match alg {
            "RS256" => SigningKey::Rsa(RsaKeyPair::from_pkcs8(der).map_err(internal)?),
            "ES256" => SigningKey::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
                    .map_err(internal)?,
            ),
            "EdDSA" => SigningKey::Ed25519(Ed25519KeyPair::from_pkcs8(der).map_err(internal)?),
            other => return Err(internal(format!("no algorithm {other}"))),
        };
        Ok(Signer {
            kid: kid.into(),
            alg: alg.into(),
            key,
        })
    }

    /// `header.claims.signature`
    pub fn sign(&self, typ: &str, claims: &Value) -> Result<String, Error> {
        let header = serde_json::json!({"alg": self.alg, "kid": self.kid, "typ": typ});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = SystemRandom::new();
        let sig = match &self.key {
            SigningKey::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    input.as_bytes(),
                    &mut sig,
                )
                .map_err(internal)?;
                sig
            }
            SigningKey::Ecdsa(k) => k
                .sign(&rng, input.as_bytes())
                .map_err(internal)?
                .as_ref()
                .to_vec(),
            SigningKey::Ed25519(k) => k.sign(input.as_bytes()).as_ref().to_vec(),
        };
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}
