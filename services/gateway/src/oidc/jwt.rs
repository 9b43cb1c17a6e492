//! Compact JWS: signing with the instance's active keys, verifying our own tokens against the
//! instance's published keys (RS256, ES256, EdDSA), and clients' assertions against their keys
//! or, for HS256, their secret.

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

/// The `typ` of a token's header (unverified: a filter before the signature is checked).
pub fn typ(token: &str) -> Option<String> {
    header(token)?.typ
}

/// A token's header, unverified (which key to check it with).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub typ: Option<String>,
}

pub fn header(token: &str) -> Option<Header> {
    let header = token.split('.').next()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()
}

/// The three parts of a compact JWS: the signed input, the claims, the signature.
fn parts(token: &str) -> Result<(&str, &str, Vec<u8>), Error> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid())?;
    Ok((&token[..h.len() + 1 + c.len()], c, sig))
}

fn claims(c: &str) -> Result<Value, Error> {
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(invalid)
}

/// Verifies a token signed by one of `jwks` (public JWKs, by `kid` and `alg`) and returns its
/// claims. Expiry is the caller's to check.
pub fn verify(token: &str, jwks: &[Value]) -> Result<Value, Error> {
    let h = header(token).ok_or_else(invalid)?;
    let jwk = jwks
        .iter()
        .find(|k| k["kid"].as_str() == h.kid.as_deref() && k["alg"] == h.alg.as_str())
        .ok_or_else(invalid)?;
    verify_key(token, jwk)
}

/// Verifies a token signed by the key `jwk` (whose `alg` the header must name) and returns its
/// claims.
pub fn verify_key(token: &str, jwk: &Value) -> Result<Value, Error> {
    let h = header(token).ok_or_else(invalid)?;
    if jwk["alg"] != h.alg.as_str() {
        return Err(invalid());
    }
    let (input, c, sig) = parts(token)?;
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
    claims(c)
}

/// Verifies a token made with HMAC-SHA-256 under `secret` (`HS256`, in constant time) and
/// returns its claims.
pub fn verify_hs256(token: &str, secret: &[u8]) -> Result<Value, Error> {
    if header(token).ok_or_else(invalid)?.alg != "HS256" {
        return Err(invalid());
    }
    let (input, c, sig) = parts(token)?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::verify(&key, input.as_bytes(), &sig).map_err(|_| invalid())?;
    claims(c)
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

    #[test]
    fn hs256_tokens_verify_with_their_secret_only() {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"c"}"#)
        );
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"the secret");
        let sig = URL_SAFE_NO_PAD.encode(ring::hmac::sign(&key, input.as_bytes()));
        let token = format!("{input}.{sig}");
        assert_eq!(verify_hs256(&token, b"the secret").unwrap()["sub"], "c");
        assert!(verify_hs256(&token, b"another secret").is_err());
        // The same MAC under a header naming another algorithm is not an HS256 token.
        let none = format!(
            "{}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            input.split('.').nth(1).unwrap()
        );
        assert!(verify_hs256(&none, b"the secret").is_err());
    }
}
