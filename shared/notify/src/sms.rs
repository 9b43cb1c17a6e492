//! Sending a text message through the instance's SMS provider: an HTTP POST of `{to, text}`
//! to its endpoint, signed with the instance's key (`Portcullis-Signature`). No redirects are
//! followed and no proxy from the environment is used; with private hosts not allowed the
//! endpoint must be `https` at public addresses only.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crypto::call_signature;
use serde::Serialize;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use crate::smtp::public_only;

/// How long a call may take in all before the attempt fails.
const TIMEOUT: Duration = Duration::from_secs(20);

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

/// The system's root certificates, read once.
fn roots() -> RootCerts {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    let certs = ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::warn!(error = %e, "a system root certificate could not be read");
        }
        found
            .certs
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect()
    });
    RootCerts::new_with_certs(certs)
}

/// rustls on ring, as lettre's SMTP connections: aws-lc-rs (which rustls now prefers for its
/// post-quantum key exchange) would need cmake and a C toolchain in every build.
#[allow(deprecated)]
fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn agent() -> ureq::Agent {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(roots())
        .unversioned_rustls_crypto_provider(ring())
        .build();
    ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .max_redirects(0)
        .http_status_as_error(false)
        .proxy(None)
        .tls_config(tls)
        .build()
        .into()
}

/// The host and port an endpoint connects to.
fn host_and_port(endpoint: &str) -> Result<(String, u16, bool), String> {
    let uri: ureq::http::Uri = endpoint
        .parse()
        .map_err(|e| format!("the endpoint {endpoint:?} is not an address: {e}"))?;
    let https = uri.scheme_str() == Some("https");
    let host = uri
        .host()
        .ok_or_else(|| format!("the endpoint {endpoint:?} has no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    Ok((host.to_string(), port, https))
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
    let (host, port, https) = host_and_port(&provider.endpoint)?;
    if !private_hosts {
        if !https {
            return Err(format!(
                "{} is not https: Portcullis sends text messages in plain http only to private hosts its operator allows (--allow-private-hosts)",
                provider.endpoint
            ));
        }
        public_only(&host, port, "SMS endpoints").await?;
    }
    let body = serde_json::to_vec(sms).map_err(|e| format!("cannot encode the message: {e}"))?;
    let signature = call_signature::signature(&provider.signing_key, unix_seconds, &body);
    let endpoint = provider.endpoint.clone();
    let answered = tokio::task::spawn_blocking(move || {
        let mut response = agent()
            .post(&endpoint)
            .header("content-type", "application/json")
            .header(call_signature::HEADER, &signature)
            .send(&body[..])
            .map_err(|e| format!("{endpoint}: {e}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let said = response
            .body_mut()
            .with_config()
            .limit(500)
            .read_to_string()
            .unwrap_or_default();
        Err(format!("{endpoint} answered {status}: {said}"))
    })
    .await;
    answered.map_err(|e| format!("the call to the SMS provider failed: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoints_host_and_port_are_read_as_a_connection_would() {
        assert_eq!(
            host_and_port("https://sms.example.com/send").unwrap(),
            ("sms.example.com".into(), 443, true)
        );
        assert_eq!(
            host_and_port("http://[::1]:9000/x").unwrap(),
            ("::1".into(), 9000, false)
        );
    }
}
