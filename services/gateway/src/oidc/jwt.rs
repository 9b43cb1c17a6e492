//! Compact JWS: signing with the instance's active keys, and verifying our own tokens against
//! the instance's published keys (RS256, ES256, EdDSA).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::{Code, Error};
use ring::rand::SystemRandom;
use ring::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair, UnparsedPublicKey,
    ECDSA_P256_SHA256_FIXED_SIGNING,
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

fn invalid() -> Error {
    Error::new(Code::Unauthenticated, "the token is not valid")
}

fn field(jwk: &Value, name: &str) -> Result<Vec<u8>, Error> {
    jwk[name]
        .as_str()
        .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
        .ok_or_else(invalid)
}

/// Verifies a token signed by one of `jwks` (public JWKs) and returns its claims. Expiry is the
/// caller's to check.
/// The `typ` of a token's header (unverified: a filter before the signature is checked).
pub fn typ(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    header["typ"].as_str().map(String::from)
}

pub fn verify(token: &str, jwks: &[Value]) -> Result<Value, Error> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(invalid)?;
    let jwk = jwks
        .iter()
        .find(|k| k["kid"] == header["kid"] && k["alg"] == header["alg"])
        .ok_or_else(invalid)?;
    let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid())?;
    let input = format!("{h}.{c}");
    let ok = match jwk["alg"].as_str() {
        Some("RS256") => signature::RsaPublicKeyComponents {
            n: field(jwk, "n")?,
            e: field(jwk, "e")?,
        }
        .verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            input.as_bytes(),
            &sig,
        )
        .is_ok(),
        Some("ES256") => {
            let mut point = vec![4u8];
            point.extend(field(jwk, "x")?);
            point.extend(field(jwk, "y")?);
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(input.as_bytes(), &sig)
                .is_ok()
        }
        Some("EdDSA") => UnparsedPublicKey::new(&signature::ED25519, field(jwk, "x")?)
            .verify(input.as_bytes(), &sig)
            .is_ok(),
        _ => false,
    };
    if !ok {
        return Err(invalid());
    }
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_only_unchanged_and_with_their_key() {
        for alg in ["ES256", "EdDSA"] {
            let key = crypto::keys::generate(alg).unwrap();
            let signer = Signer::new(&key.kid, alg, &key.private_der).unwrap();
            let claims = serde_json::json!({"sub": "u1", "aud": "c"});
            let token = signer.sign("JWT", &claims).unwrap();
            let jwks = vec![key.public_jwk.clone()];
            assert_eq!(verify(&token, &jwks).unwrap(), claims);
            let other = crypto::keys::generate(alg).unwrap();
            let mut forged = other.public_jwk.clone();
            forged["kid"] = key.public_jwk["kid"].clone();
            assert!(
                verify(&token, &[forged]).is_err(),
                "{alg}: another key verified"
            );
            let (head, _) = token.rsplit_once('.').unwrap();
            let tampered = format!("{head}x.{}", token.rsplit('.').next().unwrap());
            assert!(verify(&tampered, &jwks).is_err());
        }
    }
}
