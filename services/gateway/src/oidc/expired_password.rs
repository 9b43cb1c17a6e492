//! The change of an expired password at the hosted login: after a right password past the
//! `password_expiry` settings' maximum age, the login asks for a new one (held to the password
//! rules) before it goes back to the client. The session the password check just made proves
//! the current password; the change ends it with the user's other sessions, and a new session
//! carries the login on.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::settings::BrandingSettings;
use domain::Code;
use serde::Deserialize;

use super::language::Language;
use super::login::{
    branded, cookie, escape, expired, finalized, look_of, posted, CSRF_COOKIE, SESSION_COOKIE,
};
use super::OAuthResult;
use crate::Gateway;

/// The page that asks for a new password; `error` says why the last one was refused.
pub(super) fn expired_password_page(
    req: &HttpRequest,
    look: &BrandingSettings,
    auth_request: &str,
    error: Option<&str>,
) -> HttpResponse {
    let (csrf, _) = crypto::secrets::new_token();
    let texts = Language::of_request(req).texts();
    let alert = error
        .map(|e| format!("<p role=\"alert\" id=\"why\">{}</p>", escape(e)))
        .unwrap_or_default();
    let described = match error {
        Some(_) => " aria-describedby=\"why\" aria-invalid=\"true\"",
        None => "",
    };
    let body = format!(
        "<h1>{title}</h1><p>{intro}</p>{alert}<form method=\"post\" action=\"/ui/login/password\">\
         <input type=\"hidden\" name=\"authRequest\" value=\"{}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <p><label>{label}<br><input name=\"new_password\" type=\"password\" \
         autocomplete=\"new-password\" required autofocus{described}></label></p>\
         <p><button type=\"submit\">{button}</button></p></form>",
        escape(auth_request),
        escape(&csrf),
        title = texts.expired_title,
        intro = texts.expired_intro,
        label = texts.new_password,
        button = texts.change_and_continue,
    );
    let status = match error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let mut page = branded(status, texts.tag, texts.expired_title, &body, look);
    let _ = page.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    page
}

#[derive(Deserialize)]
pub struct ExpiredPasswordForm {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    new_password: String,
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
        return Ok(expired());
    };
    let Some((session_id, _)) = gw.bus.session(&instance, &token).await? else {
        return Ok(expired());
    };
    let changed = gw
        .bus
        .change_expired_password(&instance, &session_id, &token, f.new_password)
        .await;
    let user_id = match changed {
        Ok(user_id) => user_id,
        Err(e) if e.code == Code::InvalidPassword => {
            let look = look_of(&gw, &instance, &request.params.project_id).await;
            let page = expired_password_page(&req, &look, &f.auth_request, Some(&e.message));
            return Ok(page);
        }
        Err(e) if matches!(e.code, Code::SessionNotFound | Code::SessionChecksMissing) => {
            return Ok(expired())
        }
        Err(e) => return Err(e.into()),
    };
    let created = gw.bus.create_session(&instance, &user_id, true).await?;
    finalized(&gw, &req, &instance, &f.auth_request, &request, created).await
}
