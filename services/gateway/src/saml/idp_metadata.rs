//! `/saml/v2/metadata`: the instance's IdP metadata, signed with its active key. It lists the
//! certificate of every key that is not retired, so that SPs that read it now and then trust
//! the next key before it signs and the last one until it is retired.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::keys::keys;
use super::response::idp_entity_id;
use super::xml::{instant, new_id, sign, signature_template};
use crate::auth::instance_of;
use crate::oidc::issuer;
use crate::{ApiError, Gateway};

/// How long an SP may keep the metadata.
const VALID_MS: i64 = 7 * 24 * 3600 * 1000;

#[derive(Template)]
#[template(path = "saml/metadata.xml")]
struct MetadataXml<'a> {
    id: &'a str,
    entity_id: &'a str,
    valid_until: &'a str,
    signature: &'a str,
    certificates: &'a [String],
    sso: &'a str,
    slo: &'a str,
}

pub async fn metadata(gw: web::Data<Gateway>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let instance = instance_of(&gw, &req).await?;
    let iss = issuer(&gw, &req)?;
    let keys = keys(&gw, &instance, &iss).await?;
    let certificates: Vec<String> = keys.iter().map(|k| k.certificate_base64()).collect();
    let id = new_id();
    let xml = MetadataXml {
        id: &id,
        entity_id: &idp_entity_id(&iss),
        valid_until: &instant(crate::oidc::now_ms() + VALID_MS),
        signature: &signature_template(&id, &certificates[0])?,
        certificates: &certificates,
        sso: &format!("{iss}{}", super::SSO),
        slo: &format!("{iss}{}", super::SLO),
    }
    .render()
    .map_err(|e| domain::Error::internal(format!("cannot render the metadata: {e}")))?;
    let der = keys[0].private_der.clone();
    let signed = web::block(move || sign(&xml, &der))
        .await
        .map_err(|e| domain::Error::internal(format!("the signing was cut off: {e}")))??;
    Ok(HttpResponse::Ok()
        .content_type("application/samlmetadata+xml")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(signed))
}
