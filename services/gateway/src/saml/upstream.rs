//! Portcullis as the SAML service provider of an identity provider upstream (an IdP of type
//! `saml`), with an entity id of its own for each such IdP (`<issuer>/saml/v2/sp/<idp id>`,
//! where its metadata is served): the IdP's metadata read into its settings, the
//! `AuthnRequest` that sends the browser there, and the response read back.
//!
//! Only what the IdP's certificates signed is read: xmlsec reduces the response to its signed
//! part before anything is parsed, so an assertion beside the signed one (signature wrapping)
//! is never seen (and a response with more than one assertion is refused besides). Then the
//! issuer, the audience (required), the recipient, the request answered and the times are
//! checked. A response with a comment anywhere is refused: a comment splits a NameID's text
//! without breaking its signature.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use command::ExternalUser;
use domain::idp::SamlIdp;
use domain::saml::Binding;
use domain::{Code, Error};
use samael::crypto::AllowedSignatureAlgorithm;
use samael::schema::Assertion;
use samael::service_provider::ServiceProvider;

use super::authn_request::from_post;
use super::keys::{keys, signing_key};
use super::redirect_binding;
use super::sp_metadata::{certificates_for, entity};
use super::xml::{instant, new_id, plain_xml, refused, sign, signature_template};
use crate::auth::instance_of;
use crate::oidc::issuer;
use crate::{ApiError, Gateway};

/// Where each SAML IdP's service provider lives: `<SP>/<idp id>` is its entity id and its
/// metadata.
pub const SP: &str = "/saml/v2/sp";
/// The assertion consumer service of every SAML IdP (under the IdP logins' cookie path).
pub const ACS: &str = "/ui/login/idp/saml/acs";

/// The SP's entity id for IdP `idp_id`.
pub fn sp_entity_id(iss: &str, idp_id: &str) -> String {
    format!("{iss}{SP}/{idp_id}")
}

fn invalid(why: impl Into<String>) -> Error {
    Error::new(Code::InvalidIdp, why).with("field", "saml.metadata_xml")
}

/// A SAML IdP's settings from its metadata: its entity id, its single sign-on service by
/// `binding` (else by HTTP-Redirect, else by HTTP-POST) and its signing certificates.
pub fn idp_settings(
    xml: &str,
    binding: Option<Binding>,
    signed_requests: bool,
    metadata_url: Option<String>,
) -> Result<SamlIdp, Error> {
    let (entity_id, entity) = entity(xml).map_err(invalid)?;
    let idp = entity
        .idp_sso_descriptors
        .and_then(|d| d.into_iter().next())
        .ok_or_else(|| invalid("the metadata describes no identity provider (IDPSSODescriptor)"))?;
    let offered = |b: Binding| {
        idp.single_sign_on_services
            .iter()
            .find(|e| Binding::of_urn(&e.binding) == Some(b))
            .map(|e| (b, e.location.clone()))
    };
    let (binding, sso_url) = match binding {
        Some(b) => offered(b).ok_or_else(|| {
            invalid("the IdP offers no single sign-on service by the binding asked for")
        })?,
        None => offered(Binding::Redirect)
            .or_else(|| offered(Binding::Post))
            .ok_or_else(|| {
                invalid("the IdP offers no single sign-on service by HTTP-Redirect or HTTP-POST")
            })?,
    };
    Ok(SamlIdp {
        entity_id,
        sso_url,
        binding,
        certificates: certificates_for(&idp.key_descriptors, "signing"),
        signed_requests,
        metadata_url,
    })
}

#[derive(Template)]
#[template(path = "saml/sp_metadata.xml")]
struct SpMetadataXml<'a> {
    entity_id: &'a str,
    certificates: &'a [String],
    acs: &'a str,
}

/// `GET /saml/v2/sp/{idp_id}`: the metadata of the SP Portcullis is to IdP `idp_id` (to
/// register at the IdP): its entity id, assertion consumer service and signing certificates.
pub async fn sp_metadata(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    idp_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let instance = instance_of(&gw, &req).await?;
    let iss = issuer(&gw, &req)?;
    let keys = keys(&gw, &instance, &iss).await?;
    let certificates: Vec<String> = keys.iter().map(|k| k.certificate_base64()).collect();
    let xml = SpMetadataXml {
        entity_id: &sp_entity_id(&iss, &idp_id),
        certificates: &certificates,
        acs: &format!("{iss}{ACS}"),
    }
    .render()
    .map_err(|e| Error::internal(format!("cannot render the SP's metadata: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/samlmetadata+xml")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(xml))
}

#[derive(Template)]
#[template(path = "saml/authn_request.xml")]
struct AuthnRequestXml<'a> {
    id: &'a str,
    now: &'a str,
    destination: &'a str,
    acs: &'a str,
    issuer: &'a str,
    signature: &'a str,
}

/// A new request's ID (what the response must answer).
pub fn new_request_id() -> String {
    new_id()
}

/// How the browser takes a request to the IdP.
pub enum Way {
    /// To this URL (HTTP-Redirect: the request and `RelayState` in its query).
    Redirect(String),
    /// Posting this `SAMLRequest` (base64) with the `RelayState` to the IdP's SSO URL.
    Post(String),
}

/// The way to IdP `idp_id` (`idp`) of `instance` at `iss` with the request `id`, the login
/// underway in `relay_state`: signed with the instance's SAML key where the IdP's settings say
/// so.
pub async fn way_to(
    gw: &Gateway,
    (instance, iss, idp_id): (&str, &str, &str),
    idp: &SamlIdp,
    id: &str,
    relay_state: &str,
) -> Result<Way, Error> {
    let key = match idp.signed_requests {
        true => Some(signing_key(gw, instance, iss).await?),
        false => None,
    };
    match idp.binding {
        Binding::Redirect => {
            let xml = authn_request(iss, idp_id, idp, id, None)?;
            let der = key.as_ref().map(|k| k.private_der.as_slice());
            let url =
                redirect_binding::url(&idp.sso_url, ("SAMLRequest", &xml), Some(relay_state), der)?;
            Ok(Way::Redirect(url))
        }
        Binding::Post => {
            let certificate = key.as_ref().map(|k| k.certificate_base64());
            let xml = authn_request(iss, idp_id, idp, id, certificate.as_deref())?;
            let xml = match key {
                Some(k) => web::block(move || sign(&xml, &k.private_der))
                    .await
                    .map_err(|e| Error::internal(format!("the signing was cut off: {e}")))??,
                None => xml,
            };
            use base64::Engine;
            Ok(Way::Post(
                base64::engine::general_purpose::STANDARD.encode(xml),
            ))
        }
    }
}

/// The `AuthnRequest` `id` of the SP for IdP `idp_id` at `iss`; with `certificate`, the
/// template of its enveloped signature (the HTTP-POST binding signs inside).
fn authn_request(
    iss: &str,
    idp_id: &str,
    idp: &SamlIdp,
    id: &str,
    certificate: Option<&str>,
) -> Result<String, Error> {
    let signature = match certificate {
        Some(c) => signature_template(id, c)?,
        None => String::new(),
    };
    AuthnRequestXml {
        id,
        now: &instant(crate::oidc::now_ms()),
        destination: &idp.sso_url,
        acs: &format!("{iss}{ACS}"),
        issuer: &sp_entity_id(iss, idp_id),
        signature: &signature,
    }
    .render()
    .map(|s| s.trim_end().to_string())
    .map_err(|e| Error::internal(format!("cannot render a SAML request: {e}")))
}

#[derive(Template)]
#[template(path = "saml/trusted_idp.xml")]
struct TrustedIdpXml<'a> {
    entity_id: &'a str,
    certificates: &'a [String],
    sso: &'a str,
}

/// What an IdP's response vouched for.
pub struct Vouched {
    pub user: ExternalUser,
    /// The assertion's ID and when it expires (unix seconds): it is taken once.
    pub assertion_id: String,
    pub expires_at: i64,
}

/// The longest NameID taken as a user's external id.
const MAX_NAME_ID: usize = 256;
/// How long after it was issued a response is taken (the clock skew included), and the
/// clock skew allowed on the times it states.
const MAX_AGE_S: i64 = 5 * 60;
const SKEW_S: i64 = 3 * 60;

/// The response posted in `form` (`SAMLResponse`), read as the SP for IdP `idp_id` at `iss`
/// that sent request `request_id`: what it vouches for, or why it is refused (`SAML-0003`).
pub async fn read(
    form: &[(String, String)],
    (iss, idp_id): (&str, &str),
    idp: &SamlIdp,
    request_id: &str,
) -> Result<Vouched, Error> {
    let received = from_post(form, "SAMLResponse")?;
    let (iss, idp_id, idp, request_id) = (
        iss.to_string(),
        idp_id.to_string(),
        idp.clone(),
        request_id.to_string(),
    );
    // xmlsec checks the signatures off the async runtime.
    web::block(move || vouched(&received.xml, (&iss, &idp_id), &idp, &request_id))
        .await
        .map_err(|e| Error::internal(format!("the check was cut off: {e}")))?
}

fn vouched(
    xml: &str,
    (iss, idp_id): (&str, &str),
    idp: &SamlIdp,
    request_id: &str,
) -> Result<Vouched, Error> {
    plain_xml(xml)?;
    if xml.contains("<!--") {
        return Err(refused("the response has a comment"));
    }
    if elements(xml, "Assertion") > 1 {
        return Err(refused("the response has more than one assertion"));
    }
    let trusted = TrustedIdpXml {
        entity_id: &idp.entity_id,
        certificates: &idp.certificates,
        sso: &idp.sso_url,
    }
    .render()
    .map_err(|e| Error::internal(format!("cannot render the IdP's metadata: {e}")))?;
    let entity_id = sp_entity_id(iss, idp_id);
    let sp = ServiceProvider {
        entity_id: Some(entity_id.clone()),
        acs_url: Some(format!("{iss}{ACS}")),
        idp_metadata: trusted
            .parse()
            .map_err(|e| Error::internal(format!("cannot read the IdP's metadata: {e}")))?,
        max_issue_delay: chrono::Duration::seconds(MAX_AGE_S),
        max_clock_skew: chrono::Duration::seconds(SKEW_S),
        allowed_signature_algorithms: Some(vec![
            AllowedSignatureAlgorithm::RsaSha256,
            AllowedSignatureAlgorithm::RsaSha384,
            AllowedSignatureAlgorithm::RsaSha512,
        ]),
        ..ServiceProvider::default()
    };
    let assertion = sp
        .parse_xml_response(xml, Some(&[request_id]))
        .map_err(|e| refused(format!("the response was refused: {e}")))?;
    let audiences = assertion
        .conditions
        .as_ref()
        .and_then(|c| c.audience_restrictions.as_ref())
        .into_iter()
        .flatten()
        .flat_map(|r| r.audience.iter());
    if !audiences.clone().any(|a| *a == entity_id) {
        return Err(refused("the assertion is not for this service provider"));
    }
    let name_id = assertion
        .subject
        .as_ref()
        .and_then(|s| s.name_id.as_ref())
        .map(|n| n.value.trim().to_string())
        .filter(|n| !n.is_empty() && n.len() <= MAX_NAME_ID)
        .ok_or_else(|| refused("the assertion names no subject"))?;
    Ok(Vouched {
        expires_at: expires_at(&assertion),
        assertion_id: assertion.id.clone(),
        user: ExternalUser {
            idp_id: idp_id.to_string(),
            external_id: name_id,
            email: attribute(&assertion, EMAIL),
            // A SAML IdP's word on an address is no proof of owning it.
            email_verified: false,
            given_name: attribute(&assertion, GIVEN_NAME),
            family_name: attribute(&assertion, FAMILY_NAME),
            preferred_username: attribute(&assertion, USERNAME),
        },
    })
}

/// How many elements named `name` (in any namespace prefix) `xml` opens.
fn elements(xml: &str, name: &str) -> usize {
    xml.match_indices('<')
        .filter(|(at, _)| {
            let tag = &xml[at + 1..];
            let local = tag
                .split([' ', '>', '/', '\t', '\n', '\r'])
                .next()
                .unwrap_or("");
            local.rsplit(':').next() == Some(name)
        })
        .count()
}

/// When the assertion can no longer be used (its subject confirmation's or its conditions'
/// end, the later, with the clock skew allowed), unix seconds.
fn expires_at(a: &Assertion) -> i64 {
    let confirmed = a
        .subject
        .as_ref()
        .and_then(|s| s.subject_confirmations.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|c| c.subject_confirmation_data.as_ref()?.not_on_or_after);
    let conditions = a.conditions.as_ref().and_then(|c| c.not_on_or_after);
    confirmed
        .chain(conditions)
        .map(|t| t.timestamp())
        .max()
        .unwrap_or_else(|| a.issue_instant.timestamp() + 300)
        + SKEW_S
}

/// The names an attribute goes by: its usual name, its LDAP name, its OID (the URI name
/// format) and its name in the claims of Microsoft's IdPs.
const EMAIL: &[&str] = &[
    "email",
    "mail",
    "emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
];
const GIVEN_NAME: &[&str] = &[
    "given_name",
    "givenname",
    "firstname",
    "urn:oid:2.5.4.42",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
];
const FAMILY_NAME: &[&str] = &[
    "family_name",
    "sn",
    "surname",
    "lastname",
    "urn:oid:2.5.4.4",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
];
const USERNAME: &[&str] = &[
    "preferred_username",
    "username",
    "uid",
    "urn:oid:0.9.2342.19200300.100.1.1",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
];

/// The first value of the first attribute named (or friendly-named) one of `names`.
fn attribute(a: &Assertion, names: &[&str]) -> Option<String> {
    let named = |n: &Option<String>| {
        n.as_deref()
            .is_some_and(|n| names.iter().any(|m| m.eq_ignore_ascii_case(n)))
    };
    a.attribute_statements
        .iter()
        .flatten()
        .flat_map(|s| s.attributes.iter())
        .filter(|at| named(&at.name) || named(&at.friendly_name))
        .flat_map(|at| at.values.iter())
        .find_map(|v| v.value.as_deref().map(str::trim).map(str::to_string))
        .filter(|v| !v.is_empty() && v.len() <= 320)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertions_are_counted_whatever_their_prefix_and_nothing_else_is() {
        let two = r#"<p:Response><saml:Assertion ID="a"/><Assertion>x</Assertion><p:AssertionConsumer/><saml:EncryptedAssertion/></p:Response>"#;
        assert_eq!(elements(two, "Assertion"), 2);
        assert_eq!(
            elements("<r AssertionConsumerServiceURL=\"x\"/>", "Assertion"),
            0
        );
    }
}
