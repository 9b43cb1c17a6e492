//! External identity providers of an instance or an org: added, changed and removed with their
//! client secret sealed with the master key, read without it, and opened for a login.

use authz::Caller;
use crypto::sealing::Purpose;
use domain::idp::{Idp, IdpCommand, Idps};
use domain::instance::{Instance, InstanceCommand};
use domain::org::{Org, OrgCommand};
use domain::{Aggregate, Code, Error};

use crate::bus::CommandBus;
use crate::sagas::key;
use crate::Written;

/// Whose IdPs: the instance's (every org's users may use them) or one org's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdpOwner<'a> {
    Instance,
    Org(&'a str),
}

/// The longest client secret taken.
const MAX_SECRET: usize = 1000;

impl CommandBus {
    /// Seals a client secret for the instance (an empty one stays empty: keep the held one).
    pub fn seal_idp_secret(&self, instance: &str, secret: &str) -> Result<String, Error> {
        if secret.len() > MAX_SECRET {
            return Err(
                Error::new(Code::InvalidIdp, "client_secret is at most 1000 bytes")
                    .with("field", "client_secret"),
            );
        }
        if secret.is_empty() {
            return Ok(String::new());
        }
        Ok(crate::codes::seal(
            self.master_key()?,
            Purpose::IdpSecret,
            instance,
            secret,
        ))
    }

    /// Opens an IdP's client secret, for a login through it.
    pub fn open_idp_secret(&self, instance: &str, idp: &Idp) -> Result<String, Error> {
        crate::codes::unseal(
            self.master_key()?,
            Purpose::IdpSecret,
            instance,
            idp.kind.sealed_secret(),
        )
    }

    /// Adds, changes or removes an IdP of `owner` (its secret sealed already).
    pub async fn change_idps(
        &self,
        caller: &Caller,
        instance: &str,
        owner: IdpOwner<'_>,
        cmd: IdpCommand,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        match owner {
            IdpOwner::Instance => {
                let k = key(instance, Instance::KIND, instance);
                self.execute::<Instance>(&k, caller, InstanceCommand::Idp(cmd), if_match)
                    .await
            }
            IdpOwner::Org(org) => {
                let k = key(instance, Org::KIND, org);
                self.execute::<Org>(&k, caller, OrgCommand::Idp(cmd), if_match)
                    .await
            }
        }
    }

    /// The IdPs of `owner` (secrets sealed), and the sequence of the aggregate that holds them.
    pub async fn idps(&self, instance: &str, owner: IdpOwner<'_>) -> Result<(Idps, u64), Error> {
        Ok(match owner {
            IdpOwner::Instance => {
                let (i, seq) = self
                    .state::<Instance>(&key(instance, Instance::KIND, instance))
                    .await?;
                (i.idps, seq)
            }
            IdpOwner::Org(org) => {
                let (o, seq) = self.state::<Org>(&key(instance, Org::KIND, org)).await?;
                if !o.exists() {
                    return Err(Error::new(Code::OrgNotFound, "the org does not exist"));
                }
                (o.idps, seq)
            }
        })
    }
}
