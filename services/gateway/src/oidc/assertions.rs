//! Signed assertions (RFC 7523): a machine user's for the JWT bearer grant, an app's for
//! `private_key_jwt` and `client_secret_jwt` client authentication. The signer's keys (and a
//! `client_secret_jwt` app's sealed secret) are read from its actor, so a key added works at
//! once and a key removed stops at once. Each assertion is good once: its `jti` (or, without
//! one, its hash) is recorded until it expires.

use actix_web::HttpRequest;
use crypto::sealing::Purpose;
use domain::machine_keys::MachineKeys;
use domain::oidc::AssertionClaims;
use domain::{Code, Error};

use super::{issuer, jwt, now_ms};
use crate::Gateway;

/// `client_assertion_type` of a JWT client assertion.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest assertion read (a JWT with an RSA-8192 signature is well under it).
const MAX_ASSERTION: usize = 8 * 1024;

fn refused(why: &str) -> Error {
    Error::new(Code::InvalidGrant, why.to_string())
}

fn typed(claims: serde_json::Value) -> Result<AssertionClaims, Error> {
    serde_json::from_value(claims)
        .map_err(|_| refused("the assertion needs iss, sub, aud and exp (a number)"))
}

/// The `sub` an assertion claims, before anything is verified: whose keys to check it with.
pub fn claimed_subject(assertion: &str) -> Option<String> {
    use base64::Engine;
    if assertion.len() > MAX_ASSERTION {
        return None;
    }
    let payload = assertion.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["sub"].as_str().map(String::from)
}

/// The claims of an assertion signed by one of `keys` that is valid now: the key the header's
/// `kid` names, or, without a `kid`, any of them.
pub fn signed_by(assertion: &str, keys: &MachineKeys) -> Result<AssertionClaims, Error> {
    let header = jwt::header(assertion).ok_or_else(|| refused("the assertion is not a JWT"))?;
    let now = now_ms();
    let claims = keys
        .iter()
        .filter(|(id, k)| {
            k.valid_at(now) && header.kid.as_deref().is_none_or(|kid| kid == id.as_str())
        })
        .find_map(|(_, k)| {
            let jwk = serde_json::to_value(&k.jwk).ok()?;
            jwt::verify_key(assertion, &jwk).ok()
        })
        .ok_or_else(|| refused("the assertion is not signed by a valid key of its subject"))?;
    typed(claims)
}

/// The claims of an assertion made with HMAC-SHA-256 under a `client_secret_jwt` app's
/// secret, kept sealed.
pub fn made_with_secret(
    gw: &Gateway,
    instance: &str,
    assertion: &str,
    sealed_secret: &str,
) -> Result<AssertionClaims, Error> {
    use base64::Engine;
    let master = gw
        .master_key
        .as_ref()
        .ok_or_else(|| Error::internal("no master key is configured"))?;
    let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sealed_secret)
        .map_err(|_| Error::internal("a sealed secret is not base64"))?;
    let secret = master.unseal_for(Purpose::ClientSecret, instance, &sealed)?;
    let claims = jwt::verify_hs256(assertion, &secret)
        .map_err(|_| refused("the assertion is not made with the client's secret"))?;
    typed(claims)
}

/// Checks a verified assertion's claims for `signer` and uses it up: for this issuer (or its
/// token endpoint, or the endpoint it was sent to), good now, and never seen before.
pub async fn accept(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    assertion: &str,
    claims: &AssertionClaims,
    signer: &str,
) -> Result<(), Error> {
    let iss = issuer(gw, req)?;
    let token_endpoint = format!("{iss}/oauth/v2/token");
    let this_endpoint = format!("{iss}{}", req.path());
    let audiences = [iss.as_str(), &token_endpoint, &this_endpoint];
    claims.check(signer, &audiences, now_ms() / 1000)?;
    let id = claims
        .jti
        .clone()
        .unwrap_or_else(|| crypto::secrets::token_hash(assertion));
    gw.bus
        .use_assertion(instance, signer, &id, claims.exp)
        .await
}
