//! Signing-key events -> the signing_keys table (public JWKs, sealed private keys), and the
//! queries the token endpoints run on it.

use domain::signing_keys::SigningKeysEvent;
use domain::Error;
use rusqlite::{params, Connection};

use crate::projection::exec;
use crate::store::SqliteReadModel;

pub(crate) fn apply(tx: &Connection, i: &str, e: &SigningKeysEvent) -> rusqlite::Result<()> {
    match e {
        SigningKeysEvent::KeyAdded {
            kid,
            alg,
            public_jwk,
            sealed,
        } => {
            exec(tx,
                "INSERT OR REPLACE INTO signing_keys (instance, kid, alg, public_jwk, sealed, status) VALUES (?1, ?2, ?3, ?4, ?5, 'published')",
                params![i, kid, alg, public_jwk, sealed],
            )?;
        }
        SigningKeysEvent::KeyActivated { kid } => {
            exec(
                tx,
                "UPDATE signing_keys SET status = 'active' WHERE instance = ?1 AND kid = ?2",
                params![i, kid],
            )?;
        }
        SigningKeysEvent::KeyRetired { kid, at } => {
            exec(
                tx,
                "UPDATE signing_keys SET status = 'retired', retired_at = ?3 WHERE instance = ?1 AND kid = ?2",
                params![i, kid, at],
            )?;
        }
        SigningKeysEvent::KeyRemoved { kid } => {
            exec(
                tx,
                "DELETE FROM signing_keys WHERE instance = ?1 AND kid = ?2",
                params![i, kid],
            )?;
        }
    }
    Ok(())
}

/// A signing key as the read model holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub public_jwk: String,
    pub sealed: Vec<u8>,
    /// `published`, `active` or `retired`.
    pub status: String,
}

impl SqliteReadModel {
    /// Every key of an instance (the JWKS publishes them all).
    pub(crate) fn keys(&self, instance: &str) -> Result<Vec<KeyRow>, Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT kid, alg, public_jwk, sealed, status FROM signing_keys WHERE instance = ?1 ORDER BY kid",
            )?;
            let rows = st.query_map(params![instance], |r| {
                Ok(KeyRow {
                    kid: r.get(0)?,
                    alg: r.get(1)?,
                    public_jwk: r.get(2)?,
                    sealed: r.get(3)?,
                    status: r.get(4)?,
                })
            })?;
            rows.collect()
        })
    }
}
