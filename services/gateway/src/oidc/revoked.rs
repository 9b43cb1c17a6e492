//! What the gateway remembers of access tokens revoked on their own (client credentials): each
//! token subject's revocations as its aggregate last said, for one auth generation. A
//! revocation made through this gateway counts here at once; made through another, once this
//! gateway's read model has the event (the generation moves and the memory is dropped).

use std::collections::HashMap;
use std::sync::Arc;

use domain::oidc::TokenRevocations;
use domain::Error;

use crate::generational::{weight, Generational};
use crate::Gateway;

/// Revocations by (instance, token subject).
#[derive(Default)]
pub struct Revoked {
    by_subject: HashMap<(String, String), Arc<TokenRevocations>>,
}

pub type RevokedCache = Generational<Revoked>;

/// Reads the subject's revocations from their aggregate and remembers them.
async fn load(gw: &Gateway, instance: &str, subject: &str) -> Result<Arc<TokenRevocations>, Error> {
    // Stamped with the generation seen before the read: an event projected meanwhile makes
    // the entry stale at once.
    let generation = gw.model.progress().auth_generation();
    let state = Arc::new(gw.bus.token_revocations(instance, subject).await?);
    let key = (instance.to_string(), subject.to_string());
    let bytes = weight(&[&key.0, &key.1])
        + state
            .revoked
            .keys()
            .map(|jti| jti.len() + 32)
            .sum::<usize>();
    gw.revoked.put(generation, bytes, |c| {
        c.by_subject.insert(key, state.clone());
    });
    Ok(state)
}

/// Whether the token `jti` of `subject` was revoked on its own.
pub async fn holds(gw: &Gateway, instance: &str, subject: &str, jti: &str) -> Result<bool, Error> {
    let generation = gw.model.progress().auth_generation();
    let key = (instance.to_string(), subject.to_string());
    let known = gw
        .revoked
        .with(generation, |c| c.by_subject.get(&key).cloned());
    let state = match known {
        Some(state) => state,
        None => load(gw, instance, subject).await?,
    };
    Ok(state.holds(jti))
}

/// Revokes the token `jti` of `subject` (expiring at `expires_at`, unix seconds).
pub async fn revoke(
    gw: &Gateway,
    instance: &str,
    subject: &str,
    jti: &str,
    expires_at: i64,
) -> Result<(), Error> {
    gw.bus
        .revoke_access_token(instance, subject, jti, expires_at)
        .await?;
    load(gw, instance, subject).await?;
    Ok(())
}
