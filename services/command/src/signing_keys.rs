//! The instance's signing keys: generated (`crypto::keys`), sealed with the master key's
//! signing-key purpose key (`crypto::sealing`), and kept as events of the instance's
//! SigningKeys aggregate.

use authz::{Caller, InternalFlow};
use domain::signing_keys::{KeyStatus, SigningKeys, SigningKeysCommand, ALGORITHMS};
use domain::{Aggregate, Code, Error};
use eventlog::position::Positions;

use crate::bus::CommandBus;
use crate::sagas::key;
use crypto::keys::{generate, NewKey};
use crypto::sealing::{MasterKey, Purpose};

impl CommandBus {
    pub(crate) fn master_key(&self) -> Result<&MasterKey, Error> {
        self.deps
            .master_key
            .as_ref()
            .ok_or_else(|| Error::internal("no master key is configured"))
    }

    /// A new key of `alg` for `instance`, generated off the async runtime; the private key
    /// sealed for signing keys of that instance.
    async fn new_key(&self, instance: &str, alg: &str) -> Result<(NewKey, Vec<u8>), Error> {
        let owned = alg.to_string();
        let new = tokio::task::spawn_blocking(move || generate(&owned))
            .await
            .map_err(|e| Error::internal(e.to_string()))??;
        let sealed = self
            .master_key()?
            .seal_for(Purpose::SigningKey, instance, &new.private_der);
        Ok((new, sealed))
    }

    /// Adds a new key of `alg` to an instance, published (in the JWKS) but not yet signing.
    /// Returns its id and the log position.
    pub async fn publish_signing_key(
        &self,
        instance: &str,
        alg: &str,
    ) -> Result<(String, Positions), Error> {
        let (new, sealed) = self.new_key(instance, alg).await?;
        let k = key(instance, SigningKeys::KIND, instance);
        let cmd = SigningKeysCommand::Add {
            kid: new.kid.clone(),
            alg: new.alg.into(),
            public_jwk: new.public_jwk.to_string(),
            sealed,
        };
        let w = self
            .execute::<SigningKeys>(&k, &keys_caller(instance), cmd, None)
            .await?;
        Ok((new.kid, w.position))
    }

    /// Rotates an algorithm's key in two steps, so that clients see a key before it signs:
    /// publishes a new key if none is waiting, else activates the waiting one (the active one
    /// retires, and stays published until its tokens expire).
    /// Keys retired longer ago than `keep_retired_ms` (the tokens they signed have expired)
    /// leave the JWKS. Returns the log position of the step.
    pub async fn rotate_signing_key(
        &self,
        instance: &str,
        alg: &str,
        keep_retired_ms: i64,
    ) -> Result<Positions, Error> {
        if !ALGORITHMS.contains(&alg) {
            return Err(Error::new(
                Code::InvalidQuery,
                format!("alg is one of {}", ALGORITHMS.join(", ")),
            )
            .with("field", "alg"));
        }
        let k = key(instance, SigningKeys::KIND, instance);
        let (keys, _) = self.state::<SigningKeys>(&k).await?;
        let waiting = keys
            .keys
            .iter()
            .find(|(_, sk)| sk.alg == alg && sk.status == KeyStatus::Published)
            .map(|(kid, _)| kid.clone());
        let mut position = match waiting {
            Some(kid) => {
                let cmd = SigningKeysCommand::Activate { kid };
                self.execute::<SigningKeys>(&k, &keys_caller(instance), cmd, None)
                    .await?
                    .position
            }
            None => self.publish_signing_key(instance, alg).await?.1,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let prune = SigningKeysCommand::Prune {
            retired_before: now - keep_retired_ms,
        };
        let w = self
            .execute::<SigningKeys>(&k, &keys_caller(instance), prune, None)
            .await?;
        position.merge(&w.position);
        Ok(position)
    }

    /// Gives an instance an active key of each algorithm, once; returns the log position a
    /// read model must reach to hold them (what it wrote, or the keys' last event).
    pub async fn ensure_signing_keys(
        &self,
        instance: &str,
        algs: &[&str],
    ) -> Result<Positions, Error> {
        let k = key(instance, SigningKeys::KIND, instance);
        let (keys, _, last) = self.peek::<SigningKeys>(&k).await?;
        // Keys that a concurrent first use provided a moment ago may not be in the read model
        // yet: the caller waits for them as for its own.
        let mut position = Positions::default();
        position.add(last);
        for &alg in algs {
            if keys.active(alg).is_none() {
                // Concurrent first uses may each get here; the actor keeps the first key.
                let (new, sealed) = self.new_key(instance, alg).await?;
                let cmd = SigningKeysCommand::Provide {
                    kid: new.kid,
                    alg: new.alg.into(),
                    public_jwk: new.public_jwk.to_string(),
                    sealed,
                };
                let w = self
                    .execute::<SigningKeys>(&k, &keys_caller(instance), cmd, None)
                    .await?;
                position.merge(&w.position);
            }
        }
        Ok(position)
    }
}

fn keys_caller(instance: &str) -> Caller {
    Caller::Internal {
        flow: InternalFlow::Setup,
        instance: instance.into(),
    }
}
