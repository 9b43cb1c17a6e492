//! The SAML response to a finalized login: an assertion about the user (NameID in the app's
//! format, the app as its only audience, valid for five minutes, bound to the request it
//! answers and to the ACS it goes to, the session's index, attributes from the user and their
//! roles in the app's project, and what `presamlresponse` actions append), signed, inside a
//! response that is signed too; posted by the browser to the SP's assertion consumer service.

use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::saml::{NameIdFormat, SamlRequest};
use domain::Error;
use readmodel::UserRow;

use super::keys::signing_key;
use super::xml::{instant, new_id, sign, signature_template};
use crate::oidc::form_post;
use crate::oidc::language::Language;
use crate::oidc::login::look_of;
use crate::reads::read;
use crate::Gateway;

pub const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
pub const NO_PASSIVE: &str = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
pub const INVALID_NAME_ID_POLICY: &str = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";
pub const BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
const PASSWORD: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";
/// REFEDS MFA: more than one factor.
const MFA: &str = "https://refeds.org/profile/mfa";

/// How long an assertion may be used, and the clock skew allowed before it.
const VALID_MS: i64 = 5 * 60 * 1000;
const SKEW_MS: i64 = 60 * 1000;

/// An attribute of the assertion.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attribute {
    pub name: String,
    #[serde(default = "basic")]
    pub name_format: String,
    #[serde(rename = "value")]
    pub values: Vec<String>,
}

fn basic() -> String {
    BASIC.into()
}

#[derive(Template)]
#[template(path = "saml/assertion.xml")]
struct AssertionXml<'a> {
    id: &'a str,
    now: &'a str,
    issuer: &'a str,
    signature: &'a str,
    name_id_format: &'a str,
    name_id: &'a str,
    in_response_to: Option<&'a str>,
    until: &'a str,
    acs: &'a str,
    not_before: &'a str,
    audience: &'a str,
    authn_instant: &'a str,
    session_index: &'a str,
    class_ref: &'a str,
    attributes: &'a [Attribute],
}

#[derive(Template)]
#[template(path = "saml/response.xml")]
struct ResponseXml<'a> {
    id: &'a str,
    now: &'a str,
    destination: &'a str,
    in_response_to: Option<&'a str>,
    issuer: &'a str,
    signature: &'a str,
    status: &'a str,
    second_status: Option<&'a str>,
    message: Option<&'a str>,
    assertion: &'a str,
}

fn rendered(t: impl Template) -> Result<String, Error> {
    t.render()
        .map(|s| s.trim_end().to_string())
        .map_err(|e| Error::internal(format!("cannot render a SAML message: {e}")))
}

/// The IdP's entity id at an instance's issuer.
pub fn idp_entity_id(issuer: &str) -> String {
    format!("{issuer}/saml/v2/metadata")
}

/// The NameID of `user` in `format`: their id, email address or login name (their id when
/// they have no email address).
fn name_id(user: &UserRow, format: NameIdFormat) -> (NameIdFormat, String) {
    match format {
        NameIdFormat::Persistent => (format, user.id.clone()),
        NameIdFormat::Email => match &user.email {
            Some(e) => (format, e.clone()),
            None => (NameIdFormat::Persistent, user.id.clone()),
        },
        NameIdFormat::Unspecified => (format, user.username.clone()),
    }
}

/// The user's attributes, and their role keys in the project.
fn attributes(user: &UserRow, roles: Vec<String>) -> Vec<Attribute> {
    let one = |name: &str, v: &Option<String>| {
        v.as_ref().map(|v| Attribute {
            name: name.into(),
            name_format: BASIC.into(),
            values: vec![v.clone()],
        })
    };
    let mut out: Vec<Attribute> = [
        one("user_id", &Some(user.id.clone())),
        one("username", &Some(user.username.clone())),
        one("email", &user.email),
        one("given_name", &user.given_name),
        one("family_name", &user.family_name),
        one("display_name", &Some(user.display_name.clone())),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !roles.is_empty() {
        out.push(Attribute {
            name: "roles".into(),
            name_format: BASIC.into(),
            values: roles,
        });
    }
    out
}

/// A signed response with a signed assertion about the finalized login, base64.
async fn signed(gw: &Gateway, instance: &str, done: &command::Finalized) -> Result<String, Error> {
    let request = &done.request;
    let saml = request
        .params
        .saml
        .as_ref()
        .ok_or_else(|| Error::internal("not a SAML request"))?;
    let login = &done.login;
    let (i, u) = (instance.to_string(), login.user_id.clone());
    let user = read(gw, move |m| m.user(&i, &u))
        .await?
        .ok_or_else(|| Error::internal("the user of the login is not in the read model yet"))?;
    let roles =
        crate::oidc::claims::project_roles(gw, instance, &user.id, &request.params.project_id)
            .await?;
    let roles = roles
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut attributes = attributes(&user, roles);
    let (format, name_id) = name_id(&user, saml.name_id_format);
    let hooked = crate::action_hooks::saml::AttributesFor {
        instance,
        user_id: &user.id,
        entity_id: &saml.entity_id,
    };
    crate::action_hooks::saml::append_attributes(gw, &hooked, &mut attributes).await?;
    let issuer = idp_entity_id(&request.issuer);
    let key = signing_key(gw, instance, &request.issuer).await?;
    let certificate = key.certificate_base64();
    let now_ms = crate::oidc::now_ms();
    let (now, until, not_before) = (
        instant(now_ms),
        instant(now_ms + VALID_MS),
        instant(now_ms - SKEW_MS),
    );
    let assertion_id = new_id();
    let class_ref = match (
        login.amr.iter().any(|m| m == "mfa"),
        login.amr.iter().any(|m| m == "pwd"),
    ) {
        (true, _) => MFA,
        (false, true) => PASSWORD,
        (false, false) => UNSPECIFIED,
    };
    let acs = &request.params.redirect_uri;
    let assertion = rendered(AssertionXml {
        id: &assertion_id,
        now: &now,
        issuer: &issuer,
        signature: &signature_template(&assertion_id, &certificate)?,
        name_id_format: format.urn(),
        name_id: &name_id,
        in_response_to: saml.request_id.as_deref(),
        until: &until,
        acs,
        not_before: &not_before,
        audience: &saml.entity_id,
        authn_instant: &instant(login.auth_time),
        session_index: &login.session_id,
        class_ref,
        attributes: &attributes,
    })?;
    let response_id = new_id();
    let der = key.private_der.clone();
    let saml = saml.clone();
    let acs = acs.clone();
    // xmlsec signs off the async runtime: the assertion (then encrypted where the app asks
    // for it), then the response around it.
    let xml = actix_web::web::block(move || {
        let mut assertion = sign(&assertion, &der)?;
        if let Some(certificate) = &saml.encrypt_to {
            assertion = super::encryption::encrypted(&assertion, certificate)?;
        }
        let response = rendered(ResponseXml {
            id: &response_id,
            now: &now,
            destination: &acs,
            in_response_to: saml.request_id.as_deref(),
            issuer: &issuer,
            signature: &signature_template(&response_id, &certificate)?,
            status: SUCCESS,
            second_status: None,
            message: None,
            assertion: &assertion,
        })?;
        sign(&response, &der)
    })
    .await
    .map_err(|e| Error::internal(format!("the signing was cut off: {e}")))??;
    Ok(STANDARD.encode(xml))
}

/// An unsigned error response (`status`, and a second-level status), base64: what an SP is
/// told when its request cannot be answered with an assertion.
pub fn error_response(
    issuer: &str,
    acs: &str,
    saml: &SamlRequest,
    status: (&str, Option<&str>),
    message: &str,
) -> Result<String, Error> {
    let xml = rendered(ResponseXml {
        id: &new_id(),
        now: &instant(crate::oidc::now_ms()),
        destination: acs,
        in_response_to: saml.request_id.as_deref(),
        issuer: &idp_entity_id(issuer),
        signature: "",
        status: status.0,
        second_status: status.1,
        message: Some(message),
        assertion: "",
    })?;
    Ok(STANDARD.encode(xml))
}

/// The page that posts `fields` to the SP's ACS, in the look of the app's org.
pub async fn post_to(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    project_id: &str,
    acs: &str,
    fields: &[(&str, &str)],
) -> HttpResponse {
    let look = look_of(gw, instance, project_id).await;
    form_post::answer(Some(&look), Language::of_request(req), acs, fields)
}

/// A finalized SAML login back to its SP: the signed response posted to the ACS, with the
/// request's `RelayState`.
pub async fn answer(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    done: &command::Finalized,
) -> Result<HttpResponse, Error> {
    let response = signed(gw, instance, done).await?;
    let params = &done.request.params;
    let mut fields = vec![("SAMLResponse", response.as_str())];
    let relay = params.saml.as_ref().and_then(|s| s.relay_state.clone());
    if let Some(r) = &relay {
        fields.push(("RelayState", r));
    }
    Ok(post_to(
        gw,
        req,
        instance,
        &params.project_id,
        &params.redirect_uri,
        &fields,
    )
    .await)
}
