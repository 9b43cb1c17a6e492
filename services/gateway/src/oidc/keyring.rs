//! An instance's signing keys for the OIDC endpoints: the public JWKS, and signers for the
//! active keys (unsealed with the master key once, then cached by key id). An instance gets its
//! first keys on first use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::Error;
use readmodel::KeyRow;
use serde_json::Value;

use super::jwt::Signer;
use crate::reads::read;
use crate::Gateway;

#[derive(Default)]
pub struct KeyRing {
    signers: Mutex<HashMap<String, Arc<Signer>>>,
}

/// The instance's keys, with an active one of each default algorithm and of `also`.
async fn rows(gw: &Gateway, instance: &str, also: Option<&str>) -> Result<Vec<KeyRow>, Error> {
    let i = instance.to_string();
    let rows = read(gw, move |m| m.signing_keys(&i)).await?;
    let mut wanted: Vec<&str> = command::keys::DEFAULT_ALGORITHMS.to_vec();
    wanted.extend(also.filter(|a| !wanted.contains(a)));
    let complete = wanted
        .iter()
        .all(|alg| rows.iter().any(|r| r.alg == *alg && r.status == "active"));
    if complete {
        return Ok(rows);
    }
    let position = gw.bus.ensure_signing_keys(instance, &wanted).await?;
    gw.model.wait_for(position, Duration::from_secs(5)).await?;
    let i = instance.to_string();
    read(gw, move |m| m.signing_keys(&i)).await
}

/// Every published key of the instance, as public JWKs.
pub async fn jwks(gw: &Gateway, instance: &str) -> Result<Vec<Value>, Error> {
    Ok(rows(gw, instance, None)
        .await?
        .iter()
        .filter_map(|r| serde_json::from_str(&r.public_jwk).ok())
        .collect())
}

/// The signer of the instance's active key for `alg`.
pub async fn signer(gw: &Gateway, instance: &str, alg: &str) -> Result<Arc<Signer>, Error> {
    let rows = rows(gw, instance, Some(alg)).await?;
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
    let der = master.unseal(&row.sealed)?;
    let signer = Arc::new(Signer::new(&row.kid, &row.alg, &der)?);
    gw.keys
        .signers
        .lock()
        .expect("key ring lock")
        .insert(cache_key, signer.clone());
    Ok(signer)
}
