//! Signing key pairs: generated here (RSA by the `rsa` crate, since ring cannot generate them;
//! ECDSA P-256 and Ed25519 by ring), each with its public JWK. Sealing them at rest is
//! `sealing`'s.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::Error;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

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
