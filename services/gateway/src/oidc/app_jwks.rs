//! The keys a `private_key_jwt` app publishes at its `jwks_uri`: fetched when an assertion
//! comes, kept for five minutes, and fetched again at once (at most every 5 seconds) when an
//! assertion is signed by none of them, so that the app can rotate its keys. Only what is
//! a public signing key we verify (RSA, EC P-256, Ed25519) is read; the document may be 64 KB
//! at most and is read with the limits of every call to an admin-configured endpoint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use domain::machine_keys::{MachineKey, MachineKeys, PublicJwk};
use domain::{Code, Error};
use serde_json::Value;

use crate::Gateway;

/// How long fetched keys are used before they are fetched again.
const FRESH: Duration = Duration::from_secs(300);
/// How soon keys are fetched again when an assertion was signed by none of them.
const REFETCH_AFTER: Duration = Duration::from_secs(5);
/// The largest key set read, and the most keys kept of it.
const MAX_DOCUMENT: u64 = 64 * 1024;
const MAX_KEYS: usize = 50;
/// The most key sets a gateway keeps.
const MAX_SETS: usize = 10_000;

struct Fetched {
    at: Instant,
    keys: Arc<MachineKeys>,
}

/// Key sets by URI.
#[derive(Default)]
pub struct AppKeySets {
    sets: Mutex<HashMap<String, Fetched>>,
}

fn unusable(uri: &str, why: &str) -> Error {
    Error::new(
        Code::InvalidClient,
        format!("the app's jwks_uri ({uri}) gives no usable keys: {why}"),
    )
}

/// The public signing keys of a JWKS document, by `kid` (or position).
pub fn keys_of(document: &Value) -> MachineKeys {
    let text = |k: &Value, name: &str| k[name].as_str().map(String::from);
    document["keys"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|k| k["use"].as_str().is_none_or(|u| u == "sig"))
        .filter(|k| k.get("d").is_none())
        .filter_map(|k| {
            let (kty, crv) = (text(k, "kty")?, text(k, "crv"));
            let alg = match (kty.as_str(), crv.as_deref(), k["alg"].as_str()) {
                ("RSA", _, Some(alg @ ("RS256" | "PS256"))) => alg,
                ("RSA", _, None) => "RS256",
                ("EC", Some("P-256"), None | Some("ES256")) => "ES256",
                ("OKP", Some("Ed25519"), None | Some("EdDSA")) => "EdDSA",
                _ => return None,
            };
            let jwk = PublicJwk {
                kty,
                alg: alg.to_string(),
                crv,
                n: text(k, "n"),
                e: text(k, "e"),
                x: text(k, "x"),
                y: text(k, "y"),
            };
            Some((text(k, "kid"), jwk))
        })
        .take(MAX_KEYS)
        .enumerate()
        .map(|(i, (kid, jwk))| {
            let id = kid.unwrap_or_else(|| format!("#{i}"));
            let key = MachineKey {
                jwk,
                expires_at: None,
                added_at: 0,
            };
            (id, key)
        })
        .collect()
}

async fn fetch(gw: &Gateway, uri: &str) -> Result<Arc<MachineKeys>, Error> {
    let private_hosts = gw.bus.allows_private_hosts();
    let answer = notify::web::get(uri, MAX_DOCUMENT, private_hosts, "key sets")
        .await
        .map_err(|e| unusable(uri, &e))?;
    if answer.status != 200 {
        return Err(unusable(uri, &format!("it answered {}", answer.status)));
    }
    let document: Value =
        serde_json::from_str(&answer.body).map_err(|_| unusable(uri, "it is not JSON"))?;
    let keys = Arc::new(keys_of(&document));
    let mut sets = gw
        .app_key_sets
        .sets
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if sets.len() >= MAX_SETS {
        sets.clear();
    }
    sets.insert(
        uri.to_string(),
        Fetched {
            at: Instant::now(),
            keys: keys.clone(),
        },
    );
    Ok(keys)
}

/// The keys published at `uri`: those fetched less than five minutes ago, else fetched now;
/// with `again`, fetched now unless they were in the last 5 seconds.
pub async fn keys(gw: &Gateway, uri: &str, again: bool) -> Result<Arc<MachineKeys>, Error> {
    let known = {
        let sets = gw
            .app_key_sets
            .sets
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        sets.get(uri).map(|f| (f.at.elapsed(), f.keys.clone()))
    };
    match known {
        Some((age, keys)) if age < FRESH && !(again && age >= REFETCH_AFTER) => Ok(keys),
        _ => fetch(gw, uri).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_public_signing_keys_of_kinds_we_verify_are_read() {
        let document = json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "BB", "kid": "ec"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "enc", "use": "enc"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "alg": "RS512"},
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "BB", "d": "CC"},
            {"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "OKP", "crv": "Ed25519", "x": "AA"},
        ]});
        let keys = keys_of(&document);
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert_eq!(keys["ec"].jwk.alg, "ES256");
        assert!(keys.values().any(|k| k.jwk.alg == "EdDSA"));
        assert!(keys_of(&json!({"keys": "none"})).is_empty());
    }
}
