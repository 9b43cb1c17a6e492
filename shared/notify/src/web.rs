//! Calls to web endpoints the instance's admins configure (an SMS provider, an app's logout
//! endpoint or key set): no redirects followed, no proxy from the environment, TLS by rustls
//! on ring with the system's roots, a time limit; and, unless the operator allows private
//! hosts, only https to public addresses.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

use crate::smtp::public_only;

/// How long a call may take in all before the attempt fails.
const TIMEOUT: Duration = Duration::from_secs(20);

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
pub(crate) fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn agent() -> ureq::Agent {
    agent_within(TIMEOUT)
}

/// An agent whose calls fail after `timeout` in all.
fn agent_within(timeout: Duration) -> ureq::Agent {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(roots())
        .unversioned_rustls_crypto_provider(ring())
        .build();
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
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

/// Refuses an endpoint the service may not call: with `private_hosts` false, anything but
/// https at public addresses. `what` names the kind of endpoint in the error.
pub(crate) async fn allowed(endpoint: &str, private_hosts: bool, what: &str) -> Result<(), String> {
    let (host, port, https) = host_and_port(endpoint)?;
    if private_hosts {
        return Ok(());
    }
    if !https {
        return Err(format!(
            "{endpoint} is not https: Portcullis calls {what} over plain http only at private hosts its operator allows (--allow-private-hosts)"
        ));
    }
    public_only(&host, port, what).await
}

/// What an endpoint answered: its status and at most `limit` bytes of its body.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Calls `endpoint` off the async runtime (`send` makes the request with the agent).
pub(crate) async fn call(
    endpoint: &str,
    limit: u64,
    send: impl FnOnce(&ureq::Agent, &str) -> Result<ureq::http::Response<ureq::Body>, ureq::Error>
        + Send
        + 'static,
) -> Result<Answer, String> {
    let endpoint = endpoint.to_string();
    tokio::task::spawn_blocking(move || {
        let mut response = send(&agent(), &endpoint).map_err(|e| format!("{endpoint}: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_string()
            .map_err(|e| format!("{endpoint} answered {status} with a body not read: {e}"))?;
        Ok(Answer { status, body })
    })
    .await
    .map_err(|e| format!("the call failed: {e}"))?
}

/// POSTs `body` as JSON to `endpoint` (after [`allowed`]), signed with `signing_key`
/// (`Portcullis-Signature`), failing after `timeout`; the answer's body is read up to `limit`
/// bytes (a longer one fails the call).
pub async fn post_signed(
    endpoint: &str,
    body: Vec<u8>,
    signing_key: &str,
    unix_seconds: i64,
    timeout: Duration,
    private_hosts: bool,
) -> Result<Answer, String> {
    allowed(endpoint, private_hosts, "action targets").await?;
    let signature = crypto::call_signature::signature(signing_key, unix_seconds, &body);
    let endpoint = endpoint.to_string();
    tokio::task::spawn_blocking(move || {
        let mut response = agent_within(timeout)
            .post(&endpoint)
            .header("content-type", "application/json")
            .header(crypto::call_signature::HEADER, &signature)
            .send(&body[..])
            .map_err(|e| format!("{endpoint}: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(ANSWER_LIMIT)
            .read_to_string()
            .map_err(|e| {
                format!("{endpoint} answered {status} with a body too long or not text: {e}")
            })?;
        Ok(Answer { status, body })
    })
    .await
    .map_err(|e| format!("the call failed: {e}"))?
}

/// The most bytes of a target's answer read.
pub const ANSWER_LIMIT: u64 = 64 << 10;

/// POSTs a form to `endpoint` (after [`allowed`]); the answer's body is read up to 500 bytes.
pub async fn post_form(
    endpoint: &str,
    fields: &[(&str, &str)],
    private_hosts: bool,
    what: &str,
) -> Result<Answer, String> {
    allowed(endpoint, private_hosts, what).await?;
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    call(endpoint, 500, move |agent, url| {
        agent.post(url).send_form(fields)
    })
    .await
}

/// GETs `endpoint` (after [`allowed`]), reading at most `limit` bytes of its body.
pub async fn get(
    endpoint: &str,
    limit: u64,
    private_hosts: bool,
    what: &str,
) -> Result<Answer, String> {
    allowed(endpoint, private_hosts, what).await?;
    call(endpoint, limit, |agent, url| {
        agent.get(url).header("accept", "application/json").call()
    })
    .await
}

/// Sends `request` (after [`allowed`]) as it is, reading at most `limit` bytes of the answer:
/// for clients of other protocols (an OpenID Connect provider's discovery, keys and tokens).
pub async fn send(
    request: ureq::http::Request<Vec<u8>>,
    limit: u64,
    private_hosts: bool,
    what: &str,
) -> Result<ureq::http::Response<Vec<u8>>, String> {
    let url = request.uri().to_string();
    allowed(&url, private_hosts, what).await?;
    tokio::task::spawn_blocking(move || {
        let mut response = agent().run(request).map_err(|e| format!("{url}: {e}"))?;
        let mut answer = ureq::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| format!("{url}: the answer was not read: {e}"))?;
        answer.body(body).map_err(|e| format!("{url}: {e}"))
    })
    .await
    .map_err(|e| format!("the call failed: {e}"))?
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
