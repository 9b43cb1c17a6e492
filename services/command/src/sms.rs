//! The instance's SMS provider: set (with a new signing key, sealed with the master key and
//! answered once), read (without the key), and opened for sending.

use authz::Caller;
use crypto::call_signature::new_signing_key;
use crypto::sealing::Purpose;
use domain::instance::{Instance, InstanceCommand};
use domain::sms::{Endpoint, SmsConfig};
use domain::{Aggregate, Code, Error};
use notify::SmsProvider;

use crate::bus::CommandBus;
use crate::codes::{seal, unseal};
use crate::sagas::key;
use crate::Written;

fn not_configured() -> Error {
    Error::new(
        Code::SmsNotConfigured,
        "the instance has no SMS provider: set one with PUT /v1/instance/sms",
    )
}

impl CommandBus {
    /// Refuses (with `code`) an endpoint the service may not call: without
    /// `--allow-private-hosts`, one that is not `https` or is at a private address.
    pub(crate) fn reachable(&self, checked: &Endpoint, code: Code) -> Result<(), Error> {
        if self.allow_private_hosts {
            return Ok(());
        }
        let private = checked
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(notify::is_private);
        if !checked.https || private || checked.host == "localhost" {
            return Err(Error::new(
                code,
                "endpoint must be https at a public address: plain http and private hosts only where the operator allows them (--allow-private-hosts)",
            )
            .with("field", "endpoint"));
        }
        Ok(())
    }

    /// Sets the instance's SMS provider (`iam.write`) and answers its new signing key, which
    /// is never shown again. Without `--allow-private-hosts` the endpoint is `https` and not
    /// at a private address.
    pub async fn set_sms(
        &self,
        caller: &Caller,
        instance: &str,
        endpoint: &str,
        if_match: Option<u64>,
    ) -> Result<(Written, String), Error> {
        let checked = domain::sms::endpoint(endpoint)?;
        self.reachable(&checked, Code::InvalidSms)?;
        let signing_key = new_signing_key();
        let config = SmsConfig {
            endpoint: checked.url,
            sealed_signing_key: seal(
                self.master_key()?,
                Purpose::CallSigningKey,
                instance,
                &signing_key,
            ),
        };
        let k = key(instance, Instance::KIND, instance);
        let written = self
            .execute::<Instance>(&k, caller, InstanceCommand::SetSms(config), if_match)
            .await?;
        Ok((written, signing_key))
    }

    /// The instance's SMS provider, if it has one (with its key still sealed).
    pub async fn sms(&self, instance: &str) -> Result<Option<SmsConfig>, Error> {
        let (own, _) = self
            .state::<Instance>(&key(instance, Instance::KIND, instance))
            .await?;
        Ok(own.sms)
    }

    /// The instance's SMS provider with its signing key opened, for sending.
    pub(crate) async fn sms_provider(&self, instance: &str) -> Result<SmsProvider, Error> {
        let config = self.sms(instance).await?.ok_or_else(not_configured)?;
        let signing_key = unseal(
            self.master_key()?,
            Purpose::CallSigningKey,
            instance,
            &config.sealed_signing_key,
        )?;
        Ok(SmsProvider {
            endpoint: config.endpoint,
            signing_key,
        })
    }
}
