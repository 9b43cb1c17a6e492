//! An instance's SMS provider: an HTTP endpoint that Portcullis POSTs `{to, text}` to, each
//! call signed with a key of the instance's (sealed with the master key; answered once, when
//! it is made).

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsConfig {
    /// The provider's endpoint (`https://…`).
    pub endpoint: String,
    /// The key the calls are signed with, sealed with the master key for this instance.
    pub sealed_signing_key: String,
}

/// An endpoint's address as checked: whether it is `https`, and its host (a DNS name, an IPv4
/// address or a bracketed IPv6 one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    pub https: bool,
    pub host: String,
}

/// An `http(s)` address with a host and no credentials or fragment, of at most 2000
/// characters.
pub fn endpoint(value: &str) -> Result<Endpoint> {
    endpoint_or(value, Code::InvalidSms)
}

/// [`endpoint`], refused with `code`.
pub fn endpoint_or(value: &str, code: Code) -> Result<Endpoint> {
    let invalid = |why: &str| Error::new(code, format!("endpoint {why}")).with("field", "endpoint");
    let url = value.trim();
    if url.len() > 2000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("must be at most 2000 characters without spaces"));
    }
    let lower = url.to_ascii_lowercase();
    let (https, rest) = match (
        lower.strip_prefix("https://"),
        lower.strip_prefix("http://"),
    ) {
        (Some(_), _) => (true, &url["https://".len()..]),
        (None, Some(_)) => (false, &url["http://".len()..]),
        (None, None) => return Err(invalid("must be an https address")),
    };
    if url.contains('#') {
        return Err(invalid("must not have a fragment"));
    }
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(invalid("must not carry credentials"));
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((addr, _)) if addr.parse::<std::net::Ipv6Addr>().is_ok() => format!("[{addr}]"),
            _ => return Err(invalid("has a malformed IPv6 host")),
        },
        None => {
            let (name, port) = authority
                .split_once(':')
                .map_or((authority, None), |(n, p)| (n, Some(p)));
            if port.is_some_and(|p| p.parse::<u16>().map_or(true, |p| p == 0)) {
                return Err(invalid("has a bad port"));
            }
            crate::validate::domain(name).map_err(|_| invalid("has no valid host"))?
        }
    };
    Ok(Endpoint {
        url: url.to_string(),
        https,
        host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_http_addresses_with_a_host_and_nothing_hidden() {
        let e = endpoint(" https://SMS.example.com:8443/send?x=1 ").unwrap();
        assert_eq!(e.url, "https://SMS.example.com:8443/send?x=1");
        assert_eq!(e.host, "sms.example.com");
        assert!(e.https);
        assert!(!endpoint("http://127.0.0.1:9000/sms").unwrap().https);
        assert_eq!(endpoint("http://[::1]:9/x").unwrap().host, "[::1]");
        for bad in [
            "ftp://example.com/",
            "https://",
            "https://user:pw@example.com/",
            "https://example.com/#x",
            "https://exa mple.com/",
            "https://example.com:0/",
            "https://example.com:99999/",
            "https://[zz]/",
            "javascript:alert(1)",
        ] {
            let e = endpoint(bad).unwrap_err();
            assert_eq!(e.code, Code::InvalidSms, "{bad}");
        }
        assert!(endpoint(&format!("https://example.com/{}", "a".repeat(2000))).is_err());
    }
}
