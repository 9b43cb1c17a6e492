//! What the edge knows of a request before anything else: the host it was sent to (checked
//! before any work), the client's address, and the external URL of the instance it reaches.
//! `Forwarded` and `X-Forwarded-*` count only when the peer is a configured trusted proxy; the
//! external URL's scheme and port are configured, never taken from the request, so no token or
//! discovery document carries an issuer a caller chose.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::HttpRequest;
use domain::{Code, Error};

/// A network of trusted proxies: `10.0.0.0/8`, `::1/128`, or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = s.split_once('/').unwrap_or((s, ""));
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or a CIDR such as 10.0.0.0/8"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            "" => max,
            p => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length is 0 to {max}"))?,
        };
        Ok(Cidr { net, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| match ip {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (u128::from(u32::from(v4)) << 96, 32),
                None => (u128::from(v6), 128),
            },
        };
        let ((net, net_len), (ip, ip_len)) = (bits(self.net), bits(ip));
        if net_len != ip_len {
            return false;
        }
        // Both sit in the high bits, so the prefix counts from the top either way.
        let mask = u128::MAX
            .checked_shl(128 - u32::from(self.prefix))
            .unwrap_or(0);
        net & mask == ip & mask
    }
}

/// The scheme of every instance's external URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scheme {
    #[default]
    Http,
    Https,
}

impl FromStr for Scheme {
    type Err = String;

    fn from_str(s: &str) -> Result<Scheme, String> {
        match s {
            "http" => Ok(Scheme::Http),
            "https" => Ok(Scheme::Https),
            _ => Err(format!("{s:?}: the external scheme is http or https")),
        }
    }
}

/// How this gateway is reached from outside.
#[derive(Clone, Debug, Default)]
pub struct Edge {
    /// Peers whose forwarded headers count.
    pub trusted_proxies: Vec<Cidr>,
    /// The scheme of the external URL (`https` behind a TLS-terminating proxy).
    pub external_scheme: Scheme,
    /// The port of the external URL; unset, the port the request reached this server on.
    pub external_port: Option<u16>,
}

/// The longest host name (RFC 1035).
const MAX_HOST: usize = 253;

fn invalid_host(why: &str) -> Error {
    Error::new(
        Code::InvalidHost,
        format!("the Host header is not valid ({why}): send the instance's domain"),
    )
}

/// The host name of a `Host` value (`name`, `name:port`, an IP address, `[v6]:port`), in lower
/// case and without its port; anything else is refused before any lookup.
pub fn host_name(authority: &str) -> Result<String, Error> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => {
            let (v6, after) = rest
                .split_once(']')
                .ok_or_else(|| invalid_host("an unclosed IPv6 literal"))?;
            v6.parse::<std::net::Ipv6Addr>()
                .map_err(|_| invalid_host("not an IPv6 address"))?;
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| invalid_host("text after the IPv6 literal"))?,
                ),
            };
            return check_port(port).map(|()| format!("[{}]", v6.to_ascii_lowercase()));
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    check_port(port)?;
    // Counted before anything is copied; the rules are those of an instance's domains.
    if host.len() > MAX_HOST + 1 {
        return Err(invalid_host("a host name is 1 to 253 characters"));
    }
    domain::validate::domain(host).map_err(|_| {
        invalid_host("labels of letters, digits and hyphens, 63 at most, 253 characters in all")
    })
}

fn check_port(port: Option<&str>) -> Result<(), Error> {
    match port {
        None => Ok(()),
        Some(p) if p.len() <= 5 && p.parse::<u16>().is_ok_and(|p| p > 0) => Ok(()),
        Some(_) => Err(invalid_host("a port is 1 to 65535")),
    }
}

/// One element of a `Forwarded` header (RFC 7239): its `for` and `host`.
#[derive(Default)]
struct ForwardedElement<'a> {
    for_: Option<&'a str>,
    host: Option<&'a str>,
}

fn forwarded_elements(value: &str) -> Vec<ForwardedElement<'_>> {
    value
        .split(',')
        .map(|element| {
            let mut e = ForwardedElement::default();
            for pair in element.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=') {
                    let v = v.trim_matches('"');
                    match k.trim().to_ascii_lowercase().as_str() {
                        "for" => e.for_ = Some(v),
                        "host" => e.host = Some(v),
                        _ => {}
                    }
                }
            }
            e
        })
        .collect()
}

/// An address of a `for` value: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`.
fn node_ip(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.parse()
        .ok()
        .or_else(|| node.rsplit_once(':')?.0.parse().ok())
}

impl Edge {
    fn trusts(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|ip| self.trusted_proxies.iter().any(|c| c.contains(ip)))
    }

    fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
        req.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Host` the request was sent to, as the nearest trusted proxy saw it, else as it
    /// came; not yet checked.
    fn authority<'r>(&self, req: &'r HttpRequest) -> Option<&'r str> {
        if self.trusts(req.peer_addr().map(|a| a.ip())) {
            let forwarded = Self::header(req, "forwarded")
                .and_then(|v| forwarded_elements(v).into_iter().rev().find_map(|e| e.host))
                .or_else(|| {
                    Self::header(req, "x-forwarded-host")
                        .and_then(|v| v.rsplit(',').next())
                        .map(str::trim)
                });
            if forwarded.is_some() {
                return forwarded;
            }
        }
        Self::header(req, "host").or_else(|| req.uri().authority().map(|a| a.as_str()))
    }

    /// The host name the request was sent to, checked.
    pub fn host(&self, req: &HttpRequest) -> Result<String, Error> {
        host_name(
            self.authority(req)
                .ok_or_else(|| invalid_host("it is missing"))?,
        )
    }

    /// The client's address: the peer's, or behind trusted proxies the nearest address of
    /// the forwarded chain that is not one of them.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| a.ip());
        if !self.trusts(peer) {
            return peer;
        }
        let chain: Vec<IpAddr> = match Self::header(req, "forwarded") {
            Some(v) => forwarded_elements(v)
                .iter()
                .filter_map(|e| e.for_.and_then(node_ip))
                .collect(),
            None => Self::header(req, "x-forwarded-for")
                .map(|v| v.split(',').filter_map(node_ip).collect())
                .unwrap_or_default(),
        };
        chain
            .iter()
            .rev()
            .find(|ip| !self.trusts(Some(**ip)))
            .or(chain.first())
            .copied()
            .or(peer)
    }

    /// The external URL of the instance at `host`: the configured scheme and port (else the
    /// port the request reached this server on), the default port left out.
    pub fn external_url(&self, req: &HttpRequest, host: &str) -> String {
        let port = self
            .external_port
            .unwrap_or_else(|| req.app_config().local_addr().port());
        match (self.external_scheme, port) {
            (Scheme::Http, 80) => format!("http://{host}"),
            (Scheme::Https, 443) => format!("https://{host}"),
            (Scheme::Http, p) => format!("http://{host}:{p}"),
            (Scheme::Https, p) => format!("https://{host}:{p}"),
        }
    }

    /// The external URL of the instance at `host` where no HTTP request says the port (a
    /// gRPC call's messages): the configured port, else the scheme's own.
    pub fn external_url_of(&self, host: &str) -> String {
        match (self.external_scheme, self.external_port) {
            (Scheme::Http, None | Some(80)) => format!("http://{host}"),
            (Scheme::Https, None | Some(443)) => format!("https://{host}"),
            (Scheme::Http, Some(p)) => format!("http://{host}:{p}"),
            (Scheme::Https, Some(p)) => format!("https://{host}:{p}"),
        }
    }

    /// Whether browsers reach the instances over TLS (cookies are then `Secure`).
    pub fn secure(&self) -> bool {
        self.external_scheme == Scheme::Https
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_host_is_a_name_or_an_address_with_at_most_a_valid_port() {
        for (value, name) in [
            ("Auth.Example.COM", "auth.example.com"),
            ("auth.example.com:8443", "auth.example.com"),
            ("localhost.", "localhost"),
            ("127.0.0.1:8080", "127.0.0.1"),
            ("[::1]:8080", "[::1]"),
        ] {
            assert_eq!(host_name(value).unwrap(), name, "{value}");
        }
        let long_port = format!("localhost:{}", "0".repeat(60_000));
        let long_name = format!("{}.test", "a".repeat(250));
        for bad in [
            "",
            "localhost:",
            "localhost:0",
            "localhost:65536",
            long_port.as_str(),
            long_name.as_str(),
            "a_b.test",
            "-a.test",
            "a..test",
            "évil.test",
            "[::1",
            "[nope]:1",
            "host:80:80",
        ] {
            let e = host_name(bad).unwrap_err();
            assert_eq!(e.code, Code::InvalidHost, "{bad:?}");
        }
    }

    #[test]
    fn a_cidr_holds_the_addresses_of_its_prefix() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        let one: Cidr = "::1".parse().unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!(!one.contains("::2".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        assert!(!all.contains("::2".parse().unwrap()));
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/x", "::/129"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    fn request(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let mut r = TestRequest::default()
            .peer_addr(peer.parse().unwrap())
            .insert_header(("host", "portcullis.test"));
        for h in headers {
            r = r.insert_header(*h);
        }
        r.to_http_request()
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let edge = Edge {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..Edge::default()
        };
        let headers = [
            ("x-forwarded-host", "other.test"),
            ("x-forwarded-for", "198.51.100.7, 10.0.0.3"),
        ];
        let stranger = request("203.0.113.5:4000", &headers);
        assert_eq!(edge.host(&stranger).unwrap(), "portcullis.test");
        assert_eq!(
            edge.client_ip(&stranger).unwrap().to_string(),
            "203.0.113.5"
        );
        let proxy = request("10.0.0.2:4000", &headers);
        assert_eq!(edge.host(&proxy).unwrap(), "other.test");
        assert_eq!(edge.client_ip(&proxy).unwrap().to_string(), "198.51.100.7");
        let rfc = request(
            "10.0.0.2:4000",
            &[(
                "forwarded",
                "for=198.51.100.9;host=a.test, for=\"[2001:db8::1]:4711\";host=b.test",
            )],
        );
        assert_eq!(edge.host(&rfc).unwrap(), "b.test");
        assert_eq!(edge.client_ip(&rfc).unwrap().to_string(), "2001:db8::1");
    }

    #[test]
    fn the_external_url_is_configured_not_requested() {
        let req = request(
            "203.0.113.5:4000",
            &[("x-forwarded-proto", "https"), ("x-forwarded-port", "6666")],
        );
        let plain = Edge {
            external_port: Some(8080),
            ..Edge::default()
        };
        assert_eq!(
            plain.external_url(&req, "portcullis.test"),
            "http://portcullis.test:8080"
        );
        let tls = Edge {
            external_scheme: Scheme::Https,
            external_port: Some(443),
            ..Edge::default()
        };
        assert_eq!(
            tls.external_url(&req, "portcullis.test"),
            "https://portcullis.test"
        );
        assert!(tls.secure() && !plain.secure());
    }
}
