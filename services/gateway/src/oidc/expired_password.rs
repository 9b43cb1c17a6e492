//! The change of an expired password at the hosted login: after a right password past the
//! `password_expiry` settings' maximum age, the login asks for a new one (held to the password
//! rules) before it goes back to the client. The session the password check just made proves
//! the current password; the change ends it with the user's other sessions, and a new session
//! carries the login on.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::oidc::PendingAuthRequest;
use domain::settings::MessageTemplate;
use domain::Code;
use serde::Deserialize;

use super::language::Language;
use super::login::{cookie, expired, finalized, org_of_login, posted, CSRF_COOKIE, SESSION_COOKIE};
use super::page_look::{page_look, PageLook};
use super::pages::{self, ExpiredPasswordPage, Frame};
use super::texts::Texts;
use super::OAuthResult;
use crate::Gateway;

/// The page as the login's org (else the instance) sets it up.
pub(super) async fn looks(
    gw: &Gateway,
    instance: &str,
    request: &PendingAuthRequest,
    language: Language,
) -> PageLook {
    let org = org_of_login(gw, instance, request).await;
    let template = MessageTemplate::ExpiredPasswordPage;
    page_look(gw, instance, org.as_deref(), template, language).await
}

/// Why a new password is asked for: the password is past its age, or an administrator asked
/// for a new one (`password_change_required`, as an import may). Only the words differ.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    #[default]
    Expired,
    ChangeRequired,
}

impl Reason {
    /// The reason a `PasswordExpired` error gives.
    pub fn of(e: &domain::Error) -> Reason {
        match e
            .details
            .iter()
            .any(|(k, v)| k == "reason" && v == "change_required")
        {
            true => Reason::ChangeRequired,
            false => Reason::Expired,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Reason::Expired => "expired",
            Reason::ChangeRequired => "change_required",
        }
    }
}

/// The page that asks for a new password; `error` says why the last one was refused.
pub(super) fn expired_password_page(
    req: &HttpRequest,
    p: &PageLook,
    texts: &'static Texts,
    (auth_request, reason): (&str, Reason),
    error: Option<&str>,
) -> HttpResponse {
    let (csrf, _) = crypto::secrets::new_token();
    let (title, intro) = match reason {
        Reason::Expired => (texts.expired_title, texts.expired_intro),
        Reason::ChangeRequired => (texts.change_required_title, texts.change_required_intro),
    };
    let page = ExpiredPasswordPage {
        frame: Frame::of_page(texts, title, p),
        intro,
        reason,
        auth_request,
        csrf: &csrf,
        error,
    };
    let status = match error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let mut response = pages::render(status, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    response
}

#[derive(Deserialize)]
pub struct ExpiredPasswordForm {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    new_password: String,
    /// The page's words only.
    #[serde(default)]
    reason: Reason,
}

pub async fn submit(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<ExpiredPasswordForm>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, request) = match posted(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(expired(&req));
    };
    let Some((session_id, _)) = gw.bus.session(&instance, &token).await? else {
        return Ok(expired(&req));
    };
    let changed = gw
        .bus
        .change_expired_password(&instance, &session_id, &token, f.new_password)
        .await;
    let user_id = match changed {
        Ok(user_id) => user_id,
        Err(e) if e.code == Code::InvalidPassword => {
            let language = Language::of_login(&request, &req);
            let p = looks(&gw, &instance, &request, language).await;
            let texts = language.texts();
            let why = texts.broken_rule(&e);
            let form = (f.auth_request.as_str(), f.reason);
            let page = expired_password_page(&req, &p, texts, form, Some(&why));
            return Ok(page);
        }
        Err(e) if matches!(e.code, Code::SessionNotFound | Code::SessionChecksMissing) => {
            return Ok(expired(&req))
        }
        Err(e) => return Err(e.into()),
    };
    let created = gw.bus.create_session(&instance, &user_id, true).await?;
    finalized(&gw, &req, &instance, &f.auth_request, &request, created).await
}
