//! DPoP (RFC 9449): a proof that the caller holds a private key, sent with each token request
//! and each use of a token bound to that key. This is what the proof must say; the service
//! checks its signature and remembers its `jti`.

use serde::Deserialize;

use crate::error::{Code, Error, Result};
use crate::machine_keys::PublicJwk;

/// How old a proof may be (seconds, by its `iat`); its `jti` is remembered that long.
pub const PROOF_LIFETIME: i64 = 300;
/// How far the client's clock may be ahead of ours (seconds).
pub const CLOCK_SKEW: i64 = 60;
/// The longest `jti` accepted.
const MAX_JTI: usize = 200;
/// The signature algorithms a proof may use.
pub const ALGS: [&str; 4] = ["ES256", "RS256", "PS256", "EdDSA"];

pub fn invalid_proof(why: &str) -> Error {
    Error::new(Code::InvalidDpopProof, why.to_string())
}

/// The claims of a proof whose signature was checked.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ProofClaims {
    pub jti: String,
    pub htm: String,
    pub htu: String,
    /// Unix seconds.
    pub iat: i64,
    /// The access token's hash (base64url SHA-256), when one is presented with the proof.
    #[serde(default)]
    pub ath: Option<String>,
    /// The nonce the server handed out, where it asks for one.
    #[serde(default)]
    pub nonce: Option<String>,
}

/// What the request a proof came with is.
pub struct ProofTarget<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The URL the request was sent to, without query and fragment.
    pub url: &'a str,
    /// The access token's hash (base64url SHA-256), for a request that presents one.
    pub ath: Option<&'a str>,
    /// Unix seconds.
    pub now: i64,
}

/// A URL without its query and fragment (RFC 9449 4.3: `htu` is compared without them).
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

impl ProofClaims {
    /// Checks a proof for the request `target`: its method and URL, fresh, and for the
    /// access token presented with it (and only then naming one).
    pub fn check(&self, target: &ProofTarget<'_>) -> Result<()> {
        if self.jti.is_empty() || self.jti.len() > MAX_JTI {
            return Err(invalid_proof("the proof's jti must be 1 to 200 characters"));
        }
        if self.htm != target.method {
            return Err(invalid_proof("the proof is for another HTTP method (htm)"));
        }
        if without_query(&self.htu) != target.url {
            return Err(invalid_proof("the proof is for another URL (htu)"));
        }
        if self.iat > target.now + CLOCK_SKEW {
            return Err(invalid_proof("the proof is issued in the future (iat)"));
        }
        if self.iat <= target.now - PROOF_LIFETIME {
            return Err(invalid_proof("the proof is too old (iat): make a new one"));
        }
        match (target.ath, &self.ath) {
            (Some(want), Some(got)) if want == got => Ok(()),
            (Some(_), Some(_)) => Err(invalid_proof("the proof is for another access token (ath)")),
            (Some(_), None) => Err(invalid_proof("the proof must name the access token (ath)")),
            (None, _) => Ok(()),
        }
    }
}

/// The public key a proof's header carries (`jwk`), for the header's `alg`: RSA for `RS256` and
/// `PS256`, EC P-256 for `ES256`, Ed25519 for `EdDSA`; a private key is refused.
pub fn proof_key(jwk: &serde_json::Value, alg: &str) -> Result<PublicJwk> {
    let Some(key) = jwk.as_object() else {
        return Err(invalid_proof("the proof's header needs a jwk"));
    };
    if ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .any(|private| key.contains_key(*private))
    {
        return Err(invalid_proof("the proof's jwk must be a public key"));
    }
    let text = |name: &str| key.get(name).and_then(|v| v.as_str()).map(String::from);
    let (kty, crv) = (text("kty"), text("crv"));
    let fits = match alg {
        "RS256" | "PS256" => kty.as_deref() == Some("RSA") && text("n").is_some(),
        "ES256" => kty.as_deref() == Some("EC") && crv.as_deref() == Some("P-256"),
        "EdDSA" => kty.as_deref() == Some("OKP") && crv.as_deref() == Some("Ed25519"),
        _ => {
            return Err(invalid_proof(
                "the proof's alg must be ES256, RS256, PS256 or EdDSA",
            ))
        }
    };
    if !fits {
        return Err(invalid_proof("the proof's jwk does not fit its alg"));
    }
    Ok(PublicJwk {
        kty: kty.unwrap_or_default(),
        alg: alg.to_string(),
        crv,
        n: text("n"),
        e: text("e"),
        x: text("x"),
        y: text("y"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn proof() -> ProofClaims {
        ProofClaims {
            jti: "j1".into(),
            htm: "POST".into(),
            htu: "https://id.example.com/oauth/v2/token".into(),
            iat: 1_000,
            ath: None,
            nonce: None,
        }
    }

    fn target(now: i64) -> ProofTarget<'static> {
        ProofTarget {
            method: "POST",
            url: "https://id.example.com/oauth/v2/token",
            ath: None,
            now,
        }
    }

    fn refused(result: Result<()>) -> String {
        let e = result.unwrap_err();
        assert_eq!(e.code, Code::InvalidDpopProof);
        e.message
    }

    #[test]
    fn a_fresh_proof_for_this_request_holds() {
        // Given a proof made now for this method and URL (its query does not count)
        let mut p = proof();
        p.htu.push_str("?x=1");
        // Then it holds now, and a minute later
        p.check(&target(1_000)).unwrap();
        p.check(&target(1_060)).unwrap();
    }

    #[test]
    fn a_proof_for_another_request_or_time_is_refused() {
        let mut other_method = proof();
        other_method.htm = "GET".into();
        assert!(refused(other_method.check(&target(1_000))).contains("htm"));
        let mut other_url = proof();
        other_url.htu = "https://id.example.com/oauth/v2/userinfo".into();
        assert!(refused(other_url.check(&target(1_000))).contains("htu"));
        assert!(refused(proof().check(&target(1_000 + PROOF_LIFETIME))).contains("old"));
        assert!(refused(proof().check(&target(1_000 - CLOCK_SKEW - 1))).contains("future"));
        let mut no_jti = proof();
        no_jti.jti.clear();
        assert!(refused(no_jti.check(&target(1_000))).contains("jti"));
    }

    #[test]
    fn a_proof_with_a_token_names_that_token() {
        let with_token = ProofTarget {
            ath: Some("hash-a"),
            ..target(1_000)
        };
        assert!(refused(proof().check(&with_token)).contains("ath"));
        let mut p = proof();
        p.ath = Some("hash-b".into());
        assert!(refused(p.check(&with_token)).contains("another access token"));
        p.ath = Some("hash-a".into());
        p.check(&with_token).unwrap();
    }

    #[test]
    fn the_proof_key_is_public_and_fits_its_alg() {
        let ec = json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "BB"});
        assert_eq!(proof_key(&ec, "ES256").unwrap().alg, "ES256");
        assert!(proof_key(&ec, "RS256").is_err());
        assert!(proof_key(&ec, "HS256").is_err());
        let mut private = ec.clone();
        private["d"] = json!("CC");
        assert!(refused(proof_key(&private, "ES256").map(|_| ())).contains("public"));
        assert!(proof_key(&json!("a key"), "ES256").is_err());
        let rsa = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"});
        assert_eq!(proof_key(&rsa, "PS256").unwrap().kty, "RSA");
    }
}
