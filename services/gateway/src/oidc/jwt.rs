//! Compact JWS: signing with the instance's active keys, verifying our own tokens against the
//! instance's published keys (RS256, ES256, EdDSA), and clients' assertions against their keys
//! or, for HS256, their secret; DPoP proofs (also PS256) against the key they carry.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::{Code, Error};
use ring::signature::{self, UnparsedPublicKey};
use serde_json::Value;

pub use crypto::jws::Signer;

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
        Some(alg @ ("RS256" | "PS256")) => signature::RsaPublicKeyComponents {
            n: field(jwk, "n")?,
            e: field(jwk, "e")?,
        }
        .verify(
            match alg {
                "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                _ => &signature::RSA_PKCS1_2048_8192_SHA256,
            },
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
