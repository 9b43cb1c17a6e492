//! Single sign-on: `/saml/v2/SSO` takes an SP's `AuthnRequest` by the HTTP-Redirect or the
//! HTTP-POST binding; `/saml/v2/init?sp=<entity id>` starts a login at Portcullis for an app
//! that allows it (IdP-initiated). A request that cannot be trusted (an unknown SP, an ACS
//! that is not registered exactly, a bad or missing signature, another destination, a stale
//! request) gets an error page and nothing is sent anywhere; once the SP and its ACS are
//! known good, what cannot be answered goes back to it as a SAML error status.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::oidc::AuthParams;
use domain::saml::{NameIdFormat, SamlRequest};
use domain::Error;
use serde::Deserialize;

use super::authn_request::{self, Received};
use super::response::{self, INVALID_NAME_ID_POLICY, NO_PASSIVE, REQUESTER};
use crate::auth::instance_of;
use crate::oidc::accounts::{answered, open_sessions};
use crate::oidc::authorize::again;
use crate::oidc::issuer;
use crate::oidc::login::{error_page, look_in, to_page, SESSION_COOKIE};
use crate::oidc::mfa::second_factor_missing;
use crate::oidc::texts::Notice;
use crate::{ApiError, Gateway};

type Answer = Result<HttpResponse, ApiError>;

/// How far a request's `IssueInstant` may be from now: older is a replay or a stale page,
/// newer a clock that is off.
const MAX_AGE_MS: i64 = 10 * 60 * 1000;
const MAX_AHEAD_MS: i64 = 3 * 60 * 1000;

/// The error page for a request that cannot be trusted; why is logged.
async fn refused(gw: &Gateway, req: &HttpRequest, instance: &str, why: &Error) -> HttpResponse {
    tracing::info!(instance, code = why.code.as_str(), reason = %why.message, "a SAML request was refused");
    let look = look_in(gw, instance, None).await;
    error_page(req, &look, Notice::SamlRefused)
}

/// `GET /saml/v2/SSO`: the HTTP-Redirect binding.
pub async fn redirect(gw: web::Data<Gateway>, req: HttpRequest) -> Answer {
    let received = authn_request::from_redirect(req.query_string(), "SAMLRequest");
    sso(&gw, &req, received).await
}

/// `POST /saml/v2/SSO`: the HTTP-POST binding.
pub async fn post(gw: web::Data<Gateway>, req: HttpRequest, body: web::Bytes) -> Answer {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let instance = instance_of(&gw, &req).await?;
    let here = format!("{}{}", issuer(&gw, &req)?, super::SSO);
    let cookie = crate::oidc::login::SESSION_COOKIE;
    let again = super::same_site::post_again(&gw, &req, (&instance, &here), &form, cookie);
    if let Some(page) = again.await {
        return Ok(page);
    }
    let received = authn_request::from_post(&form, "SAMLRequest");
    sso(&gw, &req, received).await
}

async fn sso(gw: &Gateway, req: &HttpRequest, received: Result<Received, Error>) -> Answer {
    let instance = instance_of(gw, req).await?;
    let iss = issuer(gw, req)?;
    let received = match received {
        Ok(r) => r,
        Err(e) => return Ok(refused(gw, req, &instance, &e).await),
    };
    let request = match authn_request::parse(&received) {
        Ok(r) => r,
        Err(e) => return Ok(refused(gw, req, &instance, &e).await),
    };
    let entity_id = request
        .issuer
        .as_ref()
        .and_then(|i| i.value.clone())
        .unwrap_or_default();
    let Some(app) = gw.bus.saml_app_of_entity(&instance, &entity_id).await? else {
        let why = super::xml::refused(format!("no SAML app has the entity id {entity_id:?}"));
        return Ok(refused(gw, req, &instance, &why).await);
    };
    let checked = trusted(&received, &request, &app.config, &iss);
    let acs = match checked {
        Ok(acs) => acs,
        Err(e) => return Ok(refused(gw, req, &instance, &e).await),
    };
    let mut saml = SamlRequest {
        request_id: Some(request.id.clone()),
        entity_id,
        relay_state: received.relay_state.clone(),
        name_id_format: app.config.name_id_format,
        encrypt_to: app.config.encrypt_to.clone(),
    };
    // The SP and its ACS are known good from here: it hears what goes wrong.
    let asked = request
        .name_id_policy
        .as_ref()
        .and_then(|p| p.format.clone())
        .filter(|f| !f.ends_with(":nameid-format:unspecified"));
    if let Some(format) = asked {
        match NameIdFormat::of_urn(&format) {
            Some(f) => saml.name_id_format = f,
            None => {
                let status = (REQUESTER, Some(INVALID_NAME_ID_POLICY));
                let why = format!("the NameID format {format} is not offered");
                return error_back(
                    gw,
                    req,
                    &instance,
                    &iss,
                    (&app.project_id, &acs),
                    &saml,
                    status,
                    &why,
                )
                .await;
            }
        }
    }
    let options = Options {
        force_authn: request.force_authn.unwrap_or(false),
        passive: request.is_passive.unwrap_or(false),
    };
    login(gw, req, (&instance, &iss), (&app, &acs), saml, options).await
}

/// Checks what decides whether a request may be answered at all: its signature, its
/// destination, its age, and its ACS (the one it names, exactly, or the default): the ACS
/// to answer at.
fn trusted(
    received: &Received,
    request: &samael::schema::AuthnRequest,
    config: &domain::saml::SamlConfig,
    iss: &str,
) -> Result<String, Error> {
    let refused = |why: &str| super::xml::refused(why.to_string());
    authn_request::check_signature(received, &request.id, request.signature.as_ref(), config)?;
    let sso = format!("{iss}{}", super::SSO);
    if request.destination.as_deref().is_some_and(|d| d != sso) {
        return Err(refused(&format!(
            "the request is for {:?}, not {sso}",
            request.destination
        )));
    }
    let issued = request.issue_instant.timestamp_millis();
    let now = crate::oidc::now_ms();
    if issued < now - MAX_AGE_MS || issued > now + MAX_AHEAD_MS {
        return Err(refused(
            "the request was issued too long ago, or in the future",
        ));
    }
    if request
        .protocol_binding
        .as_deref()
        .is_some_and(|b| b != domain::saml::Binding::POST)
    {
        return Err(refused("responses go only by the HTTP-POST binding"));
    }
    let index = request
        .assertion_consumer_service_index
        .and_then(|i| u16::try_from(i).ok());
    let url = request.assertion_consumer_service_url.as_deref();
    config
        .acs_for(url, index)
        .map(|e| e.location.clone())
        .ok_or_else(|| {
            refused(&format!(
                "the assertion consumer service {url:?} is not registered"
            ))
        })
}

#[allow(clippy::too_many_arguments)]
async fn error_back(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    iss: &str,
    (project_id, acs): (&str, &str),
    saml: &SamlRequest,
    status: (&str, Option<&str>),
    why: &str,
) -> Answer {
    tracing::info!(instance, entity_id = %saml.entity_id, reason = why, "a SAML request was answered with an error status");
    let message = response::error_response(iss, acs, saml, status, why)?;
    let mut fields = vec![("SAMLResponse", message.as_str())];
    if let Some(r) = &saml.relay_state {
        fields.push(("RelayState", r));
    }
    Ok(response::post_to(gw, req, instance, project_id, acs, &fields).await)
}

struct Options {
    force_authn: bool,
    passive: bool,
}

/// The login for a SAML request: a live session of the browser answers at once when it is
/// enough (a second factor is asked for first where the login needs one); otherwise the hosted
/// login, or for a passive request the `NoPassive` status.
async fn login(
    gw: &Gateway,
    req: &HttpRequest,
    (instance, iss): (&str, &str),
    (app, acs): (&command::SamlApp, &str),
    saml: SamlRequest,
    options: Options,
) -> Answer {
    let params = AuthParams {
        client_id: saml.entity_id.clone(),
        project_id: app.project_id.clone(),
        app_id: app.app_id.clone(),
        redirect_uri: acs.to_string(),
        prompt_login: options.force_authn,
        saml: Some(Box::new(saml.clone())),
        ..AuthParams::default()
    };
    let id = gw
        .bus
        .start_auth_request(instance, params, iss, Vec::new())?;
    let open = open_sessions(gw, req, instance).await?;
    if let Some(o) = open.first() {
        match gw.bus.finalize(instance, &id, &o.id, &o.token).await {
            Ok(done) => {
                let back = response::answer(gw, req, instance, &done).await?;
                return Ok(answered(req, back, o, &open));
            }
            Err(e)
                if second_factor_missing(&e)
                    && !options.passive
                    && req
                        .cookie(SESSION_COOKIE)
                        .is_some_and(|c| c.value() == o.token) =>
            {
                return Ok(to_page("/ui/login/mfa", &id))
            }
            Err(e) if again(e.code) || second_factor_missing(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if options.passive {
        let status = (REQUESTER, Some(NO_PASSIVE));
        let project = app.project_id.as_str();
        return error_back(
            gw,
            req,
            instance,
            iss,
            (project, acs),
            &saml,
            status,
            "the user is not logged in",
        )
        .await;
    }
    Ok(to_page("/ui/login", &id))
}

#[derive(Deserialize)]
pub struct InitQuery {
    /// The SP's entity id.
    sp: String,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// `GET /saml/v2/init?sp=<entity id>&RelayState=`: a login started at Portcullis, for an app
/// that allows IdP-initiated SSO; its response answers no request and goes to the default ACS.
pub async fn idp_initiated(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    query: web::Query<InitQuery>,
) -> Answer {
    let (gw, req) = (gw.get_ref(), &req);
    let instance = instance_of(gw, req).await?;
    let iss = issuer(gw, req)?;
    let refuse = |why: String| super::xml::refused(why);
    let app = gw.bus.saml_app_of_entity(&instance, &query.sp).await?;
    let app = match app {
        Some(a) if a.config.idp_initiated => a,
        Some(_) => {
            let why = refuse(format!("{} does not take logins started here", query.sp));
            return Ok(refused(gw, req, &instance, &why).await);
        }
        None => {
            let why = refuse(format!("no SAML app has the entity id {:?}", query.sp));
            return Ok(refused(gw, req, &instance, &why).await);
        }
    };
    if query
        .relay_state
        .as_ref()
        .is_some_and(|r| r.len() > authn_request::MAX_RELAY_STATE)
    {
        let why = refuse("RelayState is too long".into());
        return Ok(refused(gw, req, &instance, &why).await);
    }
    let Some(acs) = app.config.acs_for(None, None).map(|e| e.location.clone()) else {
        return Err(Error::internal("a SAML app without an ACS").into());
    };
    let saml = SamlRequest {
        request_id: None,
        entity_id: app.config.entity_id.clone(),
        relay_state: query.relay_state.clone(),
        name_id_format: app.config.name_id_format,
        encrypt_to: app.config.encrypt_to.clone(),
    };
    let options = Options {
        force_authn: false,
        passive: false,
    };
    login(gw, req, (&instance, &iss), (&app, &acs), saml, options).await
}
