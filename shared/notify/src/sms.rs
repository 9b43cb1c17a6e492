//! Sending a text message through the instance's SMS provider: an HTTP POST of `{to, text}`
//! to its endpoint, signed with the instance's key (`Portcullis-Signature`). No redirects are
//! followed and no proxy from the environment is used; with private hosts not allowed the
//! endpoint must be `https` at public addresses only.

use crypto::call_signature;
use serde::Serialize;

use crate::web::{allowed, call};

/// An SMS provider with its signing key opened.
#[derive(Clone)]
pub struct SmsProvider {
    pub endpoint: String,
    pub signing_key: String,
}

impl std::fmt::Debug for SmsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmsProvider({})", self.endpoint)
    }
}

/// What the provider is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sms {
    pub to: String,
    pub text: String,
}

/// Sends `sms` through `provider` at `unix_seconds`; with `private_hosts` false, only over
/// https to an endpoint at public addresses. Any answer but 2xx is a failure, and the error
/// says what the provider answered.
pub async fn send_sms(
    provider: &SmsProvider,
    sms: &Sms,
    private_hosts: bool,
    unix_seconds: i64,
) -> Result<(), String> {
    allowed(&provider.endpoint, private_hosts, "SMS endpoints").await?;
    let body = serde_json::to_vec(sms).map_err(|e| format!("cannot encode the message: {e}"))?;
    let signature = call_signature::signature(&provider.signing_key, unix_seconds, &body);
    let answer = call(&provider.endpoint, 500, move |agent, url| {
        agent
            .post(url)
            .header("content-type", "application/json")
            .header(call_signature::HEADER, &signature)
            .send(&body[..])
    })
    .await
    .map_err(|e| format!("the call to the SMS provider failed: {e}"))?;
    match answer.status {
        200..=299 => Ok(()),
        status => Err(format!(
            "{} answered {status}: {}",
            provider.endpoint, answer.body
        )),
    }
}
