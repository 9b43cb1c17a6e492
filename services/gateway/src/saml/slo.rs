//! Single logout: `/saml/v2/SLO` takes an SP's `LogoutRequest` (HTTP-Redirect or HTTP-POST,
//! its signature checked as for sign-on) and ends the browser's session it names (the
//! `SessionIndex` of the SP's assertion), with what was issued in it; then answers the SP
//! with a `LogoutResponse` at its logout service, signed over the query. A request cannot end
//! a session the browser that brings it does not hold.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::saml::Binding;
use domain::Error;
use serde::Deserialize;

use super::authn_request::{self, Received};
use super::keys::signing_key;
use super::redirect_binding;
use super::response::{idp_entity_id, post_to, REQUESTER, SUCCESS};
use super::xml::{instant, new_id, plain_xml, refused, sign, signature_template};
use crate::auth::instance_of;
use crate::oidc::accounts::open_sessions;
use crate::oidc::end_session::{forget_session, logged_out};
use crate::oidc::issuer;
use crate::oidc::login::{error_page, look_in};
use crate::oidc::texts::Notice;
use crate::{ApiError, Gateway};

type Answer = Result<HttpResponse, ApiError>;

#[derive(Deserialize)]
struct Text {
    #[serde(rename = "$text", default)]
    value: String,
}

/// A `LogoutRequest`, as far as it matters here.
#[derive(Deserialize)]
struct LogoutRequest {
    #[serde(rename = "@ID")]
    id: String,
    #[serde(rename = "@Version")]
    version: String,
    #[serde(rename = "@Destination")]
    destination: Option<String>,
    #[serde(rename = "Issuer")]
    issuer: Option<Text>,
    #[serde(rename = "Signature")]
    signature: Option<samael::signature::Signature>,
    #[serde(rename = "SessionIndex", default)]
    session_indexes: Vec<Text>,
}

#[derive(Template)]
#[template(path = "saml/logout_response.xml")]
struct LogoutResponseXml<'a> {
    id: &'a str,
    now: &'a str,
    destination: &'a str,
    in_response_to: &'a str,
    issuer: &'a str,
    signature: &'a str,
    status: &'a str,
}

/// `GET /saml/v2/SLO`: the HTTP-Redirect binding.
pub async fn redirect(gw: web::Data<Gateway>, req: HttpRequest) -> Answer {
    let received = authn_request::from_redirect(req.query_string(), "SAMLRequest");
    slo(&gw, &req, received).await
}

/// `POST /saml/v2/SLO`: the HTTP-POST binding.
pub async fn post(gw: web::Data<Gateway>, req: HttpRequest, body: web::Bytes) -> Answer {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let instance = instance_of(&gw, &req).await?;
    let here = format!("{}{}", issuer(&gw, &req)?, super::SLO);
    let cookie = crate::oidc::login::SESSION_COOKIE;
    let again = super::same_site::post_again(&gw, &req, (&instance, &here), &form, cookie);
    if let Some(page) = again.await {
        return Ok(page);
    }
    let received = authn_request::from_post(&form, "SAMLRequest");
    slo(&gw, &req, received).await
}

fn parsed(received: &Received) -> Result<LogoutRequest, Error> {
    plain_xml(&received.xml)?;
    let request: LogoutRequest = quick_xml::de::from_str(&received.xml)
        .map_err(|e| refused(format!("the message is not a LogoutRequest: {e}")))?;
    if request.version != "2.0" {
        return Err(refused("only SAML 2.0 requests are taken"));
    }
    Ok(request)
}

async fn slo(gw: &Gateway, req: &HttpRequest, received: Result<Received, Error>) -> Answer {
    let instance = instance_of(gw, req).await?;
    let iss = issuer(gw, req)?;
    let checked = async {
        let received = received?;
        let request = parsed(&received)?;
        let entity_id = request.issuer.as_ref().map(|i| i.value.trim().to_string());
        let entity_id = entity_id.unwrap_or_default();
        let app = gw
            .bus
            .saml_app_of_entity(&instance, &entity_id)
            .await?
            .ok_or_else(|| refused(format!("no SAML app has the entity id {entity_id:?}")))?;
        authn_request::check_signature(
            &received,
            &request.id,
            request.signature.as_ref(),
            &app.config,
        )?;
        let slo = format!("{iss}{}", super::SLO);
        if request.destination.as_deref().is_some_and(|d| d != slo) {
            return Err(refused(format!(
                "the request is for {:?}",
                request.destination
            )));
        }
        Ok((received, request, app))
    }
    .await;
    let (received, request, app) = match checked {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(instance, code = e.code.as_str(), reason = %e.message, "a SAML logout request was refused");
            let look = look_in(gw, &instance, None).await;
            return Ok(error_page(req, &look, Notice::SamlRefused));
        }
    };
    // Only the sessions the browser holds, and only those the SP names.
    let named: Vec<&str> = request
        .session_indexes
        .iter()
        .map(|s| s.value.trim())
        .collect();
    let mut ended = 0;
    for o in open_sessions(gw, req, &instance).await? {
        if named.contains(&o.id.as_str()) {
            gw.bus
                .end_sessions_of(&instance, &o.session.user_id, Some(&o.id))
                .await?;
            ended += 1;
        }
    }
    let status = match ended == named.len() && !named.is_empty() {
        true => SUCCESS,
        false => REQUESTER,
    };
    tracing::info!(instance, entity_id = %app.config.entity_id, ended, "a SAML logout request was answered");
    let back = app.config.slo.first().cloned();
    let Some(back) = back else {
        let look = look_in(gw, &instance, None).await;
        return Ok(forgotten(logged_out(req, &look), ended));
    };
    let key = signing_key(gw, &instance, &iss).await?;
    let id = new_id();
    let xml = |signature: &str| {
        LogoutResponseXml {
            id: &id,
            now: &instant(crate::oidc::now_ms()),
            destination: &back.location,
            in_response_to: &request.id,
            issuer: &idp_entity_id(&iss),
            signature,
            status,
        }
        .render()
        .map(|s| s.trim_end().to_string())
        .map_err(|e| Error::internal(format!("cannot render a logout response: {e}")))
    };
    let relay = received.relay_state.clone();
    let response = match back.binding {
        Binding::Redirect => {
            let url = redirect_binding::url(
                &back.location,
                ("SAMLResponse", &xml("")?),
                relay.as_deref(),
                Some(&key.private_der),
            )?;
            HttpResponse::Found()
                .insert_header(("Location", url))
                .insert_header(("Cache-Control", "no-store"))
                .finish()
        }
        Binding::Post => {
            let template = xml(&signature_template(&id, &key.certificate_base64())?)?;
            let der = key.private_der.clone();
            let signed = web::block(move || sign(&template, &der))
                .await
                .map_err(|e| Error::internal(format!("the signing was cut off: {e}")))??;
            let encoded = STANDARD.encode(signed);
            let mut fields = vec![("SAMLResponse", encoded.as_str())];
            if let Some(r) = &relay {
                fields.push(("RelayState", r));
            }
            post_to(gw, req, &instance, &app.project_id, &back.location, &fields).await
        }
    };
    Ok(forgotten(response, ended))
}

/// The browser forgets its session cookies when a session of its was ended (and keeps them
/// when the request named none of its sessions).
fn forgotten(response: HttpResponse, ended: usize) -> HttpResponse {
    match ended {
        0 => response,
        _ => forget_session(response),
    }
}
