//! What the org domain routes answer: a domain, whether it is verified, and how to verify it.

use domain::org_domain::{OrgDomain, DNS_LABEL, HTTP_PATH};
use serde::Serialize;
use utoipa::ToSchema;

/// Serve `token` as the body of `url` (plain http, port 80).
#[derive(Serialize, ToSchema)]
pub struct HttpChallengeView {
    pub url: String,
    pub token: String,
}

/// Publish a TXT record `name` with `value`.
#[derive(Serialize, ToSchema)]
pub struct DnsChallengeView {
    pub name: String,
    pub value: String,
}

/// The two ways of proving control of a domain; either one verifies it.
#[derive(Serialize, ToSchema)]
pub struct ValidationView {
    pub http: HttpChallengeView,
    pub dns: DnsChallengeView,
}

/// A domain of an org.
#[derive(Serialize, ToSchema)]
#[schema(as = OrgDomain)]
pub struct OrgDomainView {
    pub domain: String,
    /// Verified domains are unique in the instance and send logins of `x@domain` to the org
    /// (with domain discovery).
    pub verified: bool,
    pub validation: ValidationView,
    /// The org's version after the write (in a write's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// Send it back as `X-Portcullis-Position` to read the write (in a write's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
}

impl OrgDomainView {
    pub fn of(domain: &str, d: &OrgDomain) -> OrgDomainView {
        OrgDomainView {
            domain: domain.to_string(),
            verified: d.verified,
            validation: ValidationView {
                http: HttpChallengeView {
                    url: format!("http://{domain}{HTTP_PATH}{}", d.token),
                    token: d.token.clone(),
                },
                dns: DnsChallengeView {
                    name: format!("{DNS_LABEL}.{domain}"),
                    value: d.token.clone(),
                },
            },
            sequence: None,
            position: None,
        }
    }
}
