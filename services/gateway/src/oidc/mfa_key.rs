//! The second step with a security key or passkey: the page's script (the login's one) asks
//! the browser's authenticator to sign a challenge the session keeps, and posts the answer.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::oidc::PendingAuthRequest;
use domain::settings::MessageTemplate;
use domain::user::Factor;
use domain::Code;
use serde::Deserialize;

use super::language::Language;
use super::login::{cookie, expired, finalize_session, CSRF_COOKIE};
use super::mfa::{looks, others, posted_step, Step};
use super::pages::{self, Frame, MfaKeyPage};
use super::OAuthResult;
use crate::api::login_sessions::{limited, SessionUser};
use crate::Gateway;

/// A login's request: its instance, the pending request and its handle.
pub(super) struct At<'a> {
    pub instance: &'a str,
    pub request: &'a PendingAuthRequest,
    pub auth_request: &'a str,
}

/// The page asking for a key's signature: a new challenge, kept in the session.
pub(super) async fn key_page(
    gw: &Gateway,
    req: &HttpRequest,
    at: At<'_>,
    s: &Step,
    factor: Factor,
    error: Option<(StatusCode, &str)>,
) -> OAuthResult<HttpResponse> {
    let At {
        instance,
        request,
        auth_request,
    } = at;
    let origin = super::issuer(gw, req)?;
    let options = gw
        .bus
        .challenge_key(
            instance,
            &s.session_id,
            &s.session.user_id,
            Some(factor),
            &origin,
        )
        .await?;
    let language = Language::of_login(request, req);
    let texts = language.texts();
    let p = looks(gw, instance, request, language, MessageTemplate::MfaPage).await;
    let (csrf, _) = crypto::secrets::new_token();
    let page = MfaKeyPage {
        frame: Frame::of_page(texts, texts.mfa_title, &p),
        auth_request,
        csrf: &csrf,
        options: &options.to_string(),
        error: error.map(|(_, e)| e),
        others: others(texts, auth_request, factor, &s.usable),
    };
    let status = error.map_or(StatusCode::OK, |(s, _)| s);
    let mut response = pages::render_with_script(status, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    Ok(response)
}

#[derive(Deserialize)]
pub struct KeyFields {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    /// The authenticator's answer (`PublicKeyCredential.toJSON()`), as JSON.
    credential: String,
}

/// A key's answer to the session's challenge: checked, and the login goes on.
pub async fn submit_key(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<KeyFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, request, s) = match posted_step(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let Some(factor) = s.session.key_challenge.as_ref().map(|c| c.factor) else {
        return Ok(expired(&req));
    };
    let who = SessionUser {
        session_id: &s.session_id,
        user_id: &s.session.user_id,
        account: &s.user.username,
    };
    let ip = gw.edge.client_ip(&req);
    let checked = match serde_json::from_str::<command::PublicKeyCredential>(&f.credential) {
        Ok(answer) => {
            let check = gw
                .bus
                .check_key(&instance, &s.session_id, &s.session.user_id, &answer);
            limited(&gw, &instance, ip, &who, check).await
        }
        Err(_) => Err(domain::user::wrong_code()),
    };
    match checked {
        Ok(()) => {
            let (id, token) = (&s.session_id, s.token.clone());
            finalize_session(&gw, &req, &instance, &f.auth_request, &request, id, token).await
        }
        Err(e) => {
            let texts = Language::of_login(&request, &req).texts();
            let refusal = match e.code {
                Code::InvalidCode => (StatusCode::UNAUTHORIZED, texts.key_refused),
                Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, texts.too_many),
                _ => return Err(e.into()),
            };
            let at = At {
                instance: &instance,
                request: &request,
                auth_request: &f.auth_request,
            };
            key_page(&gw, &req, at, &s, factor, Some(refusal)).await
        }
    }
}
