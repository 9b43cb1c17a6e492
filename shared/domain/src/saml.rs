//! SAML 2.0 service providers (SAML apps of a project): what their metadata declared, checked
//! (https endpoints, a bounded entity id, certificates as base64 DER), and what a SAML login
//! carries from the SP's `AuthnRequest` to the response.

use serde::{Deserialize, Serialize};

use crate::app::redirect_uri;
use crate::error::{Code, Error, Result};
use crate::validate;

/// The NameID an app receives for its users.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameIdFormat {
    /// The user's id: stable, opaque, never reassigned.
    #[default]
    Persistent,
    /// The user's email address.
    Email,
    /// The user's login name.
    Unspecified,
}

impl NameIdFormat {
    pub const PERSISTENT: &'static str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
    pub const EMAIL: &'static str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    pub const UNSPECIFIED: &'static str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

    pub fn urn(self) -> &'static str {
        match self {
            NameIdFormat::Persistent => Self::PERSISTENT,
            NameIdFormat::Email => Self::EMAIL,
            NameIdFormat::Unspecified => Self::UNSPECIFIED,
        }
    }

    /// The format a URN names, if it is one of ours.
    pub fn of_urn(urn: &str) -> Option<NameIdFormat> {
        match urn {
            Self::PERSISTENT => Some(NameIdFormat::Persistent),
            Self::EMAIL => Some(NameIdFormat::Email),
            Self::UNSPECIFIED | "urn:oasis:names:tc:SAML:2.0:nameid-format:unspecified" => {
                Some(NameIdFormat::Unspecified)
            }
            _ => None,
        }
    }
}

/// A SAML binding of an SP's endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Binding {
    Post,
    Redirect,
}

impl Binding {
    pub const POST: &'static str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
    pub const REDIRECT: &'static str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

    pub fn of_urn(urn: &str) -> Option<Binding> {
        match urn {
            Self::POST => Some(Binding::Post),
            Self::REDIRECT => Some(Binding::Redirect),
            _ => None,
        }
    }
}

/// An endpoint of an SP: where assertions (ACS) or logout messages (SLO) go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub binding: Binding,
    pub location: String,
    /// The ACS index an `AuthnRequest` may name instead of the location.
    #[serde(default)]
    pub index: Option<u16>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_default: bool,
}

/// What a SAML app is configured with (from the SP's metadata, checked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlConfig {
    pub name: String,
    /// The SP's entity id: the issuer of its requests, the audience of our assertions.
    pub entity_id: String,
    /// Assertion consumer services (HTTP-POST).
    pub acs: Vec<Endpoint>,
    /// Single logout services.
    #[serde(default)]
    pub slo: Vec<Endpoint>,
    /// The SP's signing certificates (base64 DER), which check its signed requests.
    #[serde(default)]
    pub certificates: Vec<String>,
    /// The SP signs its requests (metadata `AuthnRequestsSigned`): unsigned ones are refused.
    #[serde(default)]
    pub requests_signed: bool,
    pub name_id_format: NameIdFormat,
    /// Whether a login may start at Portcullis (IdP-initiated SSO) rather than at the SP.
    #[serde(default)]
    pub idp_initiated: bool,
    /// The SP's encryption certificate (base64 DER): its assertions are encrypted to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypt_to: Option<String>,
    /// Where the metadata came from, when it was fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_url: Option<String>,
}

impl SamlConfig {
    /// The ACS an `AuthnRequest` asked for (by location or index), or the default one: an
    /// unregistered location is none, never a fallback.
    pub fn acs_for(&self, location: Option<&str>, index: Option<u16>) -> Option<&Endpoint> {
        match (location, index) {
            (Some(l), _) => self.acs.iter().find(|e| e.location == l),
            (None, Some(i)) => self.acs.iter().find(|e| e.index == Some(i)),
            (None, None) => self
                .acs
                .iter()
                .find(|e| e.is_default)
                .or_else(|| self.acs.first()),
        }
    }
}

/// The most endpoints and certificates an SP may declare.
const MAX_ENDPOINTS: usize = 20;
const MAX_CERTIFICATES: usize = 5;
/// The longest certificate (base64 of DER).
const MAX_CERTIFICATE: usize = 16 * 1024;

fn invalid(field: &str, message: String) -> Error {
    Error::new(Code::InvalidSamlConfig, message).with("field", field)
}

/// An entity id: an absolute URI (or URN) of at most 1024 characters, without spaces.
pub(crate) fn entity_id(value: &str) -> Result<String> {
    let ok = !value.is_empty()
        && value.len() <= 1024
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.split_once(':').is_some_and(|(s, r)| {
            !s.is_empty() && !r.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric())
        });
    match ok {
        true => Ok(value.to_string()),
        false => Err(invalid(
            "entity_id",
            format!("{value:?} is not an entity id: an absolute URI of at most 1024 characters"),
        )),
    }
}

fn endpoints(list: &[Endpoint], field: &str) -> Result<Vec<Endpoint>> {
    if list.len() > MAX_ENDPOINTS {
        return Err(invalid(field, format!("at most {MAX_ENDPOINTS} endpoints")));
    }
    list.iter()
        .map(|e| {
            let location =
                redirect_uri(&e.location, field).map_err(|err| invalid(field, err.message))?;
            let web = location.starts_with("https://") || location.starts_with("http://");
            match web {
                true => Ok(Endpoint {
                    location,
                    ..e.clone()
                }),
                false => Err(invalid(
                    field,
                    format!("{:?} must be an https address", e.location),
                )),
            }
        })
        .collect()
}

/// Whether `s` can be a certificate as metadata carries it: base64 (of DER) of at most
/// 16 KiB.
pub(crate) fn is_certificate(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_CERTIFICATE
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// Validates a SAML app's configuration.
pub fn saml_config(c: &SamlConfig) -> Result<SamlConfig> {
    let name = validate::name(&c.name, Code::InvalidSamlConfig, "name")?;
    let entity_id = entity_id(&c.entity_id)?;
    let acs = endpoints(&c.acs, "acs")?;
    if !acs.iter().any(|e| e.binding == Binding::Post) {
        return Err(invalid(
            "acs",
            "the SP needs an assertion consumer service with the HTTP-POST binding".into(),
        ));
    }
    let acs: Vec<Endpoint> = acs
        .into_iter()
        .filter(|e| e.binding == Binding::Post)
        .collect();
    let slo = endpoints(&c.slo, "slo")?;
    if c.certificates.len() > MAX_CERTIFICATES {
        return Err(invalid(
            "certificates",
            format!("at most {MAX_CERTIFICATES} certificates"),
        ));
    }
    if let Some(bad) = c
        .certificates
        .iter()
        .chain(&c.encrypt_to)
        .find(|s| !is_certificate(s))
    {
        return Err(invalid(
            "certificates",
            format!(
                "a certificate is base64 DER of at most {MAX_CERTIFICATE} characters: {:.40}",
                bad
            ),
        ));
    }
    if c.requests_signed && c.certificates.is_empty() {
        return Err(invalid(
            "certificates",
            "an SP that signs its requests needs a signing certificate in its metadata".into(),
        ));
    }
    let metadata_url = c
        .metadata_url
        .as_deref()
        .map(|u| crate::app::web_uri(u, "metadata_url"))
        .transpose()?;
    Ok(SamlConfig {
        name,
        entity_id,
        acs,
        slo,
        certificates: c.certificates.clone(),
        requests_signed: c.requests_signed,
        name_id_format: c.name_id_format,
        idp_initiated: c.idp_initiated,
        encrypt_to: c.encrypt_to.clone(),
        metadata_url,
    })
}

/// What a SAML login carries from the SP's request to the response (in the sealed handle of
/// the authorization request).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlRequest {
    /// The `AuthnRequest`'s ID, the response's `InResponseTo` (none when IdP-initiated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The SP's entity id (the audience).
    pub entity_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_state: Option<String>,
    pub name_id_format: NameIdFormat,
    /// The SP's encryption certificate (base64 DER) when its app asks for encrypted
    /// assertions, as the app said when the request came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypt_to: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SamlConfig {
        crate::testing::saml_app()
    }

    #[test]
    fn a_valid_config_is_kept() {
        assert_eq!(saml_config(&config()).unwrap(), config());
    }

    #[test]
    fn bad_endpoints_and_ids_are_refused() {
        type Change = Box<dyn Fn(&mut SamlConfig)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "acs",
                Box::new(|c| c.acs[0].location = "http://wiki.example.com/acs".into()),
            ),
            (
                "acs",
                Box::new(|c| c.acs[0].location = "javascript:alert(1)".into()),
            ),
            ("acs", Box::new(|c| c.acs[0].binding = Binding::Redirect)),
            ("acs", Box::new(|c| c.acs.clear())),
            ("entity_id", Box::new(|c| c.entity_id = "no scheme".into())),
            ("entity_id", Box::new(|c| c.entity_id = "x".repeat(2000))),
            ("certificates", Box::new(|c| c.requests_signed = true)),
            (
                "certificates",
                Box::new(|c| c.certificates = vec!["<x/>".into()]),
            ),
        ];
        for (field, change) in cases {
            let mut c = config();
            change(&mut c);
            let e = saml_config(&c).unwrap_err();
            assert_eq!(e.code, Code::InvalidSamlConfig, "{field}: {e:?}");
            let named = e.details.iter().find(|(k, _)| k == "field");
            assert_eq!(named.map(|(_, v)| v.as_str()), Some(field));
        }
    }

    #[test]
    fn the_acs_is_the_one_asked_for_or_the_default_never_another() {
        let mut c = config();
        c.acs.push(Endpoint {
            binding: Binding::Post,
            location: "https://wiki.example.com/acs2".into(),
            index: Some(2),
            is_default: false,
        });
        let at = |l: Option<&str>, i| c.acs_for(l, i).map(|e| e.location.as_str());
        assert_eq!(at(None, None), Some("https://wiki.example.com/acs"));
        assert_eq!(at(None, Some(2)), Some("https://wiki.example.com/acs2"));
        assert_eq!(
            at(Some("https://wiki.example.com/acs2"), None),
            Some("https://wiki.example.com/acs2")
        );
        assert_eq!(at(Some("https://evil.example.com/acs"), None), None);
        assert_eq!(at(None, Some(9)), None);
    }
}
