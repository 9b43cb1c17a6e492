//! Whether an org controls a domain: its token at
//! `http://{domain}/.well-known/portcullis-challenge/{token}` (as ACME's HTTP check: port 80,
//! plain http, no redirects), or in the TXT record `_portcullis-challenge.{domain}`. Names are
//! resolved by the DNS server the operator names (else those of `/etc/resolv.conf`), never
//! from a cache, so that a record published a moment ago counts.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use domain::org_domain::{Method, DNS_LABEL, HTTP_PATH};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::TokioResolver;

use crate::is_private;

/// The most of a challenge answer read.
const MAX_ANSWER: u64 = 1024;

/// Where the checks look.
#[derive(Clone, Debug)]
pub struct DomainChecks {
    /// The DNS server names are resolved by (`ip:port`); none: the system's.
    pub resolver: Option<SocketAddr>,
    /// The port the HTTP check connects to (80).
    pub http_port: u16,
    /// Whether domains at private addresses may be checked over HTTP.
    pub private_hosts: bool,
}

impl Default for DomainChecks {
    fn default() -> Self {
        DomainChecks {
            resolver: None,
            http_port: 80,
            private_hosts: false,
        }
    }
}

/// The name servers of `/etc/resolv.conf`.
fn system_name_servers() -> Vec<IpAddr> {
    std::fs::read_to_string("/etc/resolv.conf")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|ip| ip.trim().split('%').next()?.parse().ok())
        .collect()
}

impl DomainChecks {
    fn resolver(&self) -> Result<TokioResolver, String> {
        let servers = match self.resolver {
            Some(at) => {
                let on = |mut c: ConnectionConfig| {
                    c.port = at.port();
                    c
                };
                let both = vec![on(ConnectionConfig::udp()), on(ConnectionConfig::tcp())];
                vec![NameServerConfig::new(at.ip(), true, both)]
            }
            None => system_name_servers()
                .into_iter()
                .map(NameServerConfig::udp_and_tcp)
                .collect(),
        };
        if servers.is_empty() {
            return Err(
                "no DNS server is known: name one (--dns-resolver) or in /etc/resolv.conf".into(),
            );
        }
        let config = ResolverConfig::from_parts(None, vec![], servers);
        let mut builder =
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        let options = builder.options_mut();
        options.timeout = Duration::from_secs(5);
        options.attempts = 2;
        options.cache_size = 0;
        builder
            .build()
            .map_err(|e| format!("the DNS resolver cannot start: {e}"))
    }

    /// Checks that `domain` shows `token` in the way `method` says; the error says what was
    /// found instead.
    pub async fn check(&self, domain: &str, token: &str, method: Method) -> Result<(), String> {
        match method {
            Method::Dns => self.dns(domain, token).await,
            Method::Http => self.http(domain, token).await,
        }
    }

    async fn dns(&self, domain: &str, token: &str) -> Result<(), String> {
        let name = format!("{DNS_LABEL}.{domain}.");
        let found = self
            .resolver()?
            .txt_lookup(name.as_str())
            .await
            .map_err(|e| match e.is_no_records_found() || e.is_nx_domain() {
                true => format!("no TXT record {name} was found"),
                false => format!("the TXT record {name} could not be read ({e})"),
            })?;
        let values: Vec<String> = found
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part))
                        .collect::<String>(),
                ),
                _ => None,
            })
            .collect();
        if values.iter().any(|v| v.trim() == token) {
            return Ok(());
        }
        Err(format!(
            "the TXT record {name} does not hold the domain's token (it holds {values:?})"
        ))
    }

    async fn http(&self, domain: &str, token: &str) -> Result<(), String> {
        let found = self
            .resolver()?
            .lookup_ip(format!("{domain}."))
            .await
            .map_err(|e| match e.is_no_records_found() || e.is_nx_domain() {
                true => format!("{domain} has no address"),
                false => format!("the address of {domain} could not be read ({e})"),
            })?;
        let ip = found
            .iter()
            .next()
            .ok_or_else(|| format!("{domain} has no address"))?;
        if is_private(ip) && !self.private_hosts {
            return Err(format!(
                "{domain} is at a private address ({ip}): only public domains can be checked over HTTP; use the DNS check"
            ));
        }
        let port = self.http_port;
        let host = match port {
            80 => domain.to_string(),
            _ => format!("{domain}:{port}"),
        };
        let at = SocketAddr::new(ip, port);
        let url = format!("http://{at}{HTTP_PATH}{token}");
        let shown = format!("http://{host}{HTTP_PATH}{token}");
        let answer = crate::web::call(&url, MAX_ANSWER, move |agent, url| {
            agent.get(url).header("host", host).call()
        })
        .await
        .map_err(|e| format!("{shown} could not be read: {e}"))?;
        if answer.status != 200 {
            return Err(format!("{shown} answered {}", answer.status));
        }
        if answer.body.trim() != token {
            return Err(format!("{shown} does not answer the domain's token"));
        }
        Ok(())
    }
}
