//! An org's domains: added with a random token, verified once the service found that token
//! at the domain (over HTTP or in a DNS TXT record) and claimed the domain for the org across
//! the instance, removed. A verified domain sends the logins of `x@domain` to its org where
//! the login settings ask for domain discovery.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};
use crate::validate;

/// The most domains one org holds.
pub const MAX_DOMAINS: usize = 50;
/// The label the DNS check reads the TXT record of, before the domain.
pub const DNS_LABEL: &str = "_portcullis-challenge";
/// The path the HTTP check reads, before the token.
pub const HTTP_PATH: &str = "/.well-known/portcullis-challenge/";

/// One domain of an org.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDomain {
    /// The value the org proves control of the domain with.
    pub token: String,
    pub verified: bool,
}

/// An org's domains, by name.
pub type OrgDomains = BTreeMap<String, OrgDomain>;

/// How a domain is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `http://{domain}/.well-known/portcullis-challenge/{token}` answers the token.
    Http,
    /// A TXT record `_portcullis-challenge.{domain}` holds the token.
    Dns,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DomainCommand {
    /// A new domain, not verified yet; `token` is random (the service makes it).
    Add {
        domain: String,
        token: String,
    },
    /// The domain is verified: the service checked its token and claimed it for the org.
    Verify {
        domain: String,
    },
    Remove {
        domain: String,
    },
}

/// What a domain command changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainChange {
    Added { domain: String, token: String },
    Verified { domain: String },
    Removed { domain: String },
}

/// A domain as an org names it: lower case, no trailing dot, two labels at least, not an
/// address.
pub fn org_domain(value: &str) -> Result<String> {
    let invalid = || {
        Error::new(
            Code::InvalidOrgDomain,
            format!("{value:?} is not a domain an org can hold: name one such as example.com"),
        )
        .with("field", "domain")
    };
    let d = validate::domain(value).map_err(|_| invalid())?;
    let top = d.rsplit('.').next().unwrap_or_default();
    if !d.contains('.') || top.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    Ok(d)
}

/// A domain an org may hold, as a request names it (any case, a trailing dot): the name to
/// look it up by. (A name that is no domain is held by no org: not found.)
pub fn held_name(value: &str) -> String {
    value.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn not_found(domain: &str) -> Error {
    Error::new(
        Code::OrgDomainNotFound,
        format!("the org has no domain {domain}"),
    )
    .with("domain", domain)
}

/// Decides a domain command against the org's domains; `None` when nothing changes.
pub fn decide_domain(domains: &OrgDomains, cmd: &DomainCommand) -> Result<Option<DomainChange>> {
    Ok(match cmd {
        DomainCommand::Add { domain, token } => {
            let domain = org_domain(domain)?;
            if domains.contains_key(&domain) {
                return Err(Error::new(
                    Code::OrgDomainExists,
                    format!("the org has the domain {domain} already"),
                )
                .with("domain", domain));
            }
            if domains.len() >= MAX_DOMAINS {
                return Err(Error::new(
                    Code::TooManyOrgDomains,
                    format!("an org holds {MAX_DOMAINS} domains at most: remove one first"),
                ));
            }
            Some(DomainChange::Added {
                domain,
                token: token.clone(),
            })
        }
        DomainCommand::Verify { domain } => match domains.get(domain) {
            None => return Err(not_found(domain)),
            Some(d) if d.verified => None,
            Some(_) => Some(DomainChange::Verified {
                domain: domain.clone(),
            }),
        },
        DomainCommand::Remove { domain } => match domains.contains_key(domain) {
            false => return Err(not_found(domain)),
            true => Some(DomainChange::Removed {
                domain: domain.clone(),
            }),
        },
    })
}

/// Applies a domain change to the org's domains.
pub fn apply_domain(domains: &mut OrgDomains, change: DomainChange) {
    match change {
        DomainChange::Added { domain, token } => {
            domains.insert(
                domain,
                OrgDomain {
                    token,
                    verified: false,
                },
            );
        }
        DomainChange::Verified { domain } => {
            if let Some(d) = domains.get_mut(&domain) {
                d.verified = true;
            }
        }
        DomainChange::Removed { domain } => {
            domains.remove(&domain);
        }
    }
}

/// The domain of a login name `x@domain`, if it names one.
pub fn of_login_name(login_name: &str) -> Option<String> {
    let (_, domain) = login_name.rsplit_once('@')?;
    org_domain(domain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_domain_is_a_name_of_two_labels_at_least() {
        assert_eq!(org_domain("Acme.Example.").unwrap(), "acme.example");
        for bad in ["localhost", "10.0.0.1", "a_b.com", "", "-x.com", "x..com"] {
            assert_eq!(
                org_domain(bad).unwrap_err().code,
                Code::InvalidOrgDomain,
                "{bad}"
            );
        }
        assert_eq!(of_login_name("jo@Acme.COM").as_deref(), Some("acme.com"));
        assert_eq!(of_login_name("jo"), None);
    }
}
