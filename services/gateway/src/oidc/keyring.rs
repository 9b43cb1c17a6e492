//! An instance's signing keys for the OIDC endpoints: the public JWKS, signers for the active
//! keys (unsealed with the master key once, then cached by key id), and the claims of tokens
//! whose signature was verified (kept while the keys stay the same; expiry and the subject's
//! state are checked on every use). An instance gets its first keys on first use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crypto::sealing::Purpose;
use domain::Error;
use readmodel::KeyRow;
use serde_json::Value;

use super::jwt::Signer;
use crate::generational::{weight, Generational};
use crate::reads::read;
use crate::Gateway;

#[derive(Default)]
pub struct KeyRing {
    signers: Mutex<HashMap<String, Arc<Signer>>>,
    /// Each instance's keys as last read, valid while the read model's auth generation (which
    /// every key event moves) stays the same: the hot paths read no table for them.
    published: Mutex<HashMap<String, Published>>,
    /// Claims of verified JWTs by (instance, token), for one auth generation.
    verified: Generational<Verified>,
    /// The SAML keys (an RSA key with its certificate) by `<instance>/<kid>`.
    pub(crate) saml: Mutex<HashMap<String, Arc<crate::saml::keys::SamlKey>>>,
}

#[derive(Default)]
struct Verified(HashMap<(String, String), Value>);

struct Published {
    generation: u64,
    rows: Arc<Vec<KeyRow>>,
    jwks: Arc<Vec<Value>>,
    /// `{"keys": [...]}`, as served.
    document: actix_web::web::Bytes,
}

pub(crate) const MAX_INSTANCES: usize = 100_000;

type Keys = (Arc<Vec<KeyRow>>, Arc<Vec<Value>>, actix_web::web::Bytes);

/// The instance's keys, with an active one of each default algorithm and of `also`.
async fn published(gw: &Gateway, instance: &str, also: Option<&str>) -> Result<Keys, Error> {
    let mut wanted: Vec<&str> = crypto::keys::DEFAULT_ALGORITHMS.to_vec();
    wanted.extend(also.filter(|a| !wanted.contains(a)));
    let complete = |rows: &[KeyRow]| {
        wanted
            .iter()
            .all(|alg| rows.iter().any(|r| r.alg == *alg && r.status == "active"))
    };
    let generation = gw.model.progress().auth_generation();
    if let Some(p) = gw
        .keys
        .published
        .lock()
        .expect("key ring lock")
        .get(instance)
    {
        if p.generation == generation && complete(&p.rows) {
            return Ok((p.rows.clone(), p.jwks.clone(), p.document.clone()));
        }
    }
    let i = instance.to_string();
    let mut rows = read(gw, move |m| m.signing_keys(&i)).await?;
    if !complete(&rows) {
        let position = gw.bus.ensure_signing_keys(instance, &wanted).await?;
        for p in position.iter() {
            gw.model
                .progress()
                .wait_for(p, Duration::from_secs(5))
                .await?;
        }
        let i = instance.to_string();
        rows = read(gw, move |m| m.signing_keys(&i)).await?;
    }
    let jwks: Arc<Vec<Value>> = Arc::new(
        rows.iter()
            .filter_map(|r| serde_json::from_str(&r.public_jwk).ok())
            .collect(),
    );
    let document = actix_web::web::Bytes::from(serde_json::json!({ "keys": *jwks }).to_string());
    let rows = Arc::new(rows);
    let mut cache = gw.keys.published.lock().expect("key ring lock");
    if cache.len() > MAX_INSTANCES {
        cache.clear();
    }
    // Stamped with the generation seen before the read: a key event projected meanwhile
    // makes the entry stale at once.
    cache.insert(
        instance.to_string(),
        Published {
            generation,
            rows: rows.clone(),
            jwks: jwks.clone(),
            document: document.clone(),
        },
    );
    Ok((rows, jwks, document))
}

/// Every published key of the instance, as public JWKs.
pub async fn jwks(gw: &Gateway, instance: &str) -> Result<Arc<Vec<Value>>, Error> {
    Ok(published(gw, instance, None).await?.1)
}

/// The instance's JWKS document, `{"keys": [...]}`, as served.
impl KeyRing {
    /// Bytes of verified tokens' claims held.
    pub fn cache_bytes(&self) -> usize {
        self.verified.bytes()
    }
}

pub async fn jwks_document(gw: &Gateway, instance: &str) -> Result<actix_web::web::Bytes, Error> {
    Ok(published(gw, instance, None).await?.2)
}

/// The claims of a JWT signed by one of the instance's published keys; a signature is verified
/// once for as long as the keys stay the same. Expiry is the caller's to check.
pub async fn verify(gw: &Gateway, instance: &str, token: &str) -> Result<Value, Error> {
    let generation = gw.model.progress().auth_generation();
    let key = (instance.to_string(), token.to_string());
    if let Some(claims) = gw
        .keys
        .verified
        .with(generation, |v| v.0.get(&key).cloned())
    {
        return Ok(claims);
    }
    let claims = super::jwt::verify(token, &jwks(gw, instance).await?)?;
    let bytes = weight(&[&key.0, &key.1]) + claims.to_string().len();
    gw.keys.verified.put(generation, bytes, |v| {
        v.0.insert(key, claims.clone());
    });
    Ok(claims)
}

/// The instance's RSA keys that are not retired, the active one first, each with its private
/// key (PKCS#8 DER): SAML signs with the active one and publishes them all.
pub(crate) async fn rsa_keys(
    gw: &Gateway,
    instance: &str,
) -> Result<Vec<(KeyRow, Vec<u8>)>, Error> {
    let (rows, _, _) = published(gw, instance, Some("RS256")).await?;
    let master = gw
        .master_key
        .as_ref()
        .ok_or_else(|| Error::internal("no master key is configured"))?;
    let mut keys: Vec<&KeyRow> = rows
        .iter()
        .filter(|r| r.alg == "RS256" && r.status != "retired")
        .collect();
    keys.sort_by_key(|r| r.status != "active");
    keys.into_iter()
        .map(|r| {
            Ok((
                r.clone(),
                master.unseal_for(Purpose::SigningKey, instance, &r.sealed)?,
            ))
        })
        .collect()
}

/// The signer of the instance's active key for `alg`.
pub async fn signer(gw: &Gateway, instance: &str, alg: &str) -> Result<Arc<Signer>, Error> {
    let (rows, _, _) = published(gw, instance, Some(alg)).await?;
    let row = rows
        .iter()
        .find(|r| r.alg == alg && r.status == "active")
        .ok_or_else(|| Error::internal(format!("the instance has no active {alg} key")))?;
    let cache_key = format!("{instance}/{}", row.kid);
    if let Some(s) = gw
        .keys
        .signers
        .lock()
        .expect("key ring lock")
        .get(&cache_key)
    {
        return Ok(s.clone());
    }
    let master = gw
        .master_key
        .as_ref()
        .ok_or_else(|| Error::internal("no master key is configured"))?;
    let der = master.unseal_for(Purpose::SigningKey, instance, &row.sealed)?;
    let signer = Arc::new(Signer::new(&row.kid, &row.alg, &der)?);
    gw.keys
        .signers
        .lock()
        .expect("key ring lock")
        .insert(cache_key, signer.clone());
    Ok(signer)
}
