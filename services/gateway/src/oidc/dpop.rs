//! DPoP (RFC 9449): tokens bound to a key the client holds. At the token endpoint a proof
//! (the `DPoP` header) binds the access token issued (`cnf.jkt`, `token_type: DPoP`) and, for
//! a public client, its refresh tokens; there the proof must carry a nonce the server handed out
//! (`use_dpop_nonce`, `DPoP-Nonce`) and is good once (its `jti` is recorded durably). A bound
//! token is then accepted only as `Authorization: DPoP <token>` with a fresh proof of the same
//! key for that request (`ath` naming the token), at userinfo and at the REST and gRPC APIs;
//! presented as a bearer token it is refused. At those resources each gateway remembers the
//! proofs it saw until they are too old to be accepted anyway.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crypto::sealing::Purpose;
use domain::oidc::dpop::{invalid_proof, proof_key, ProofClaims, ProofTarget, PROOF_LIFETIME};
use domain::{Code, Error};
use serde_json::Value;

use super::{issuer, jwt, now_ms};
use crate::Gateway;

/// The header that carries a proof, and the one that hands out a nonce.
pub const PROOF_HEADER: &str = "DPoP";
pub const NONCE_HEADER: &str = "DPoP-Nonce";

/// The longest proof read (one with an RSA-8192 key and signature is well under it).
const MAX_PROOF: usize = 8 * 1024;
/// A nonce is good in the window it was made in and the next one (seconds).
const NONCE_WINDOW: i64 = 300;
/// The most proofs a gateway remembers at once.
const MAX_SEEN: usize = 1_000_000;

/// How a request presents its access token (`Authorization`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    DPoP,
}

/// The scheme and the token of an `Authorization` value (schemes are case-insensitive).
pub fn authorization(value: &str) -> Option<(Scheme, &str)> {
    let (scheme, token) = value.split_once(' ')?;
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::DPoP
    } else {
        return None;
    };
    Some((scheme, token.trim()))
}

/// The one proof a request carries, if any; two are refused.
pub fn proof_of(req: &HttpRequest) -> Result<Option<&str>, Error> {
    let mut all = req.headers().get_all(PROOF_HEADER);
    let first = all.next();
    if all.next().is_some() {
        return Err(invalid_proof("send one DPoP proof, not several"));
    }
    first
        .map(|v| {
            v.to_str()
                .map_err(|_| invalid_proof("the proof is not text"))
        })
        .transpose()
}

/// The base64url SHA-256 of an access token (a proof's `ath`).
fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        token.as_bytes(),
    ))
}

/// A proof whose signature and claims hold for `target`: its key's thumbprint and its claims.
fn verified(proof: &str, target: &ProofTarget<'_>) -> Result<(String, ProofClaims), Error> {
    if proof.len() > MAX_PROOF {
        return Err(invalid_proof("the proof is too long"));
    }
    let header: Value = proof
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or_else(|| invalid_proof("the proof is not a JWT"))?;
    if header["typ"] != "dpop+jwt" {
        return Err(invalid_proof("the proof's typ must be dpop+jwt"));
    }
    let alg = header["alg"].as_str().unwrap_or("");
    let key = proof_key(&header["jwk"], alg)?;
    let jwk = serde_json::to_value(&key).map_err(|e| Error::internal(e.to_string()))?;
    let claims = jwt::verify_key(proof, &jwk)
        .map_err(|_| invalid_proof("the proof's signature does not hold for its jwk"))?;
    let claims: ProofClaims = serde_json::from_value(claims)
        .map_err(|_| invalid_proof("the proof needs jti, htm, htu and iat (a number)"))?;
    claims.check(target)?;
    Ok((crypto::public_keys::thumbprint(&key), claims))
}

fn window(now: i64) -> i64 {
    now.div_euclid(NONCE_WINDOW)
}

/// The nonce of the current window: the window's number sealed for the instance.
pub fn nonce(gw: &Gateway, instance: &str) -> Result<String, Error> {
    let master = gw
        .master_key
        .as_ref()
        .ok_or_else(|| Error::internal("no master key is configured"))?;
    let now = window(now_ms() / 1000).to_be_bytes();
    Ok(URL_SAFE_NO_PAD.encode(master.seal_for(Purpose::DpopNonce, instance, &now)))
}

/// Whether `nonce` was handed out by this instance in this window or the one before.
fn nonce_fresh(gw: &Gateway, instance: &str, nonce: &str) -> bool {
    let Some(master) = gw.master_key.as_ref() else {
        return false;
    };
    let Some(made) = URL_SAFE_NO_PAD
        .decode(nonce)
        .ok()
        .and_then(|sealed| {
            master
                .unseal_for(Purpose::DpopNonce, instance, &sealed)
                .ok()
        })
        .and_then(|w| <[u8; 8]>::try_from(w.as_slice()).ok())
        .map(i64::from_be_bytes)
    else {
        return false;
    };
    let now = window(now_ms() / 1000);
    made == now || made == now - 1
}

/// The key a token request's proof binds its tokens to (its thumbprint), if it brings one: the
/// proof holds for this request, carries a fresh nonce of ours (else `use_dpop_nonce` with a
/// new one) and was never used before.
pub async fn at_token_endpoint(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
) -> Result<Option<String>, Error> {
    let Some(proof) = proof_of(req)? else {
        return Ok(None);
    };
    let url = format!("{}{}", issuer(gw, req)?, req.path());
    let target = ProofTarget {
        method: req.method().as_str(),
        url: &url,
        ath: None,
        now: now_ms() / 1000,
    };
    let (jkt, claims) = verified(proof, &target)?;
    if !claims
        .nonce
        .as_deref()
        .is_some_and(|n| nonce_fresh(gw, instance, n))
    {
        return Err(Error::new(
            Code::UseDpopNonce,
            "the proof must carry the nonce of the DPoP-Nonce header",
        )
        .with("nonce", nonce(gw, instance)?));
    }
    gw.bus
        .use_assertion(
            instance,
            &format!("dpop:{jkt}"),
            &claims.jti,
            claims.iat + PROOF_LIFETIME,
        )
        .await
        .map_err(|e| match e.code {
            Code::InvalidGrant => invalid_proof("the proof was used before: make a new one"),
            _ => e,
        })?;
    Ok(Some(jkt))
}

/// The request a resource (userinfo, the APIs) checks a proof against.
pub struct Resource<'a> {
    pub method: &'a str,
    /// Without query and fragment.
    pub url: String,
    pub proof: Option<&'a str>,
}

/// Checks how a token is presented against what it is bound to: an unbound token only as a
/// bearer token, a token bound to `jkt` only with a fresh proof of that key for this request
/// and this token, seen here for the first time.
pub fn check_presented(
    gw: &Gateway,
    scheme: Scheme,
    token: &str,
    jkt: Option<&str>,
    resource: &Resource<'_>,
) -> Result<(), Error> {
    let Some(jkt) = jkt else {
        return match scheme {
            Scheme::Bearer => Ok(()),
            Scheme::DPoP => Err(invalid_proof(
                "the token is not bound to a DPoP key: send it as a Bearer token",
            )),
        };
    };
    if scheme != Scheme::DPoP {
        return Err(invalid_proof(
            "the token is bound to a DPoP key: send it as Authorization: DPoP, with a proof",
        ));
    }
    let proof = resource
        .proof
        .ok_or_else(|| invalid_proof("a DPoP header with a proof is required"))?;
    let ath = token_hash(token);
    let now = now_ms() / 1000;
    let target = ProofTarget {
        method: resource.method,
        url: &resource.url,
        ath: Some(&ath),
        now,
    };
    let (signer, claims) = verified(proof, &target)?;
    if signer != jkt {
        return Err(invalid_proof(
            "the proof is signed by another key than the token is bound to",
        ));
    }
    gw.dpop_proofs
        .first_use(jkt, &claims.jti, claims.iat + PROOF_LIFETIME, now)
}

/// The `jkt` a token's claims bind it to (`cnf.jkt`).
pub fn bound_key(claims: &Value) -> Option<&str> {
    claims["cnf"]["jkt"].as_str()
}

/// The proofs a gateway saw at its resources, by a hash of key and `jti`, until they expire.
#[derive(Default)]
pub struct SeenProofs {
    seen: Mutex<HashMap<[u8; 32], i64>>,
}

impl SeenProofs {
    /// Records a proof (good until `expires`, unix seconds); one seen before is refused.
    fn first_use(&self, jkt: &str, jti: &str, expires: i64, now: i64) -> Result<(), Error> {
        let mut key = [0u8; 32];
        let digest =
            ring::digest::digest(&ring::digest::SHA256, format!("{jkt}\n{jti}").as_bytes());
        key.copy_from_slice(digest.as_ref());
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.get(&key).is_some_and(|t| *t > now) {
            return Err(invalid_proof("the proof was used before: make a new one"));
        }
        if seen.len() >= MAX_SEEN {
            seen.retain(|_, t| *t > now);
            if seen.len() >= MAX_SEEN {
                return Err(Error::new(
                    Code::Overloaded,
                    "too many DPoP proofs at once: try again in a moment",
                ));
            }
        }
        seen.insert(key, expires);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_seen_once_until_it_expires() {
        let seen = SeenProofs::default();
        seen.first_use("k", "j1", 1_300, 1_000).unwrap();
        assert_eq!(
            seen.first_use("k", "j1", 1_300, 1_100).unwrap_err().code,
            Code::InvalidDpopProof
        );
        // The same jti of another key is another proof.
        seen.first_use("k2", "j1", 1_300, 1_100).unwrap();
    }

    #[test]
    fn schemes_are_read_case_insensitively() {
        assert_eq!(authorization("DPoP abc"), Some((Scheme::DPoP, "abc")));
        assert_eq!(authorization("dpop abc"), Some((Scheme::DPoP, "abc")));
        assert_eq!(authorization("Bearer abc"), Some((Scheme::Bearer, "abc")));
        assert_eq!(authorization("Basic abc"), None);
    }
}
