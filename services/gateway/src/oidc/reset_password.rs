//! "Forgot password?" at the hosted login, and the page a reset's or an invitation's message
//! links to: a login name starts a reset (the same answer whether or not it names anyone, and
//! the code is made off the answer's path, so its time says nothing either); the code and a
//! new password set it, held to the password rules of the user's org. Asking for codes and
//! trying them count against the rate limits.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::settings::MessageTemplate;
use domain::{Code, Error};
use serde::Deserialize;

use super::language::Language;
use super::login::{cookie, csrf_ok, error_page, login_path, org_of_login, CSRF_COOKIE};
use super::page_look::{page_look, PageLook};
use super::pages::{self, Frame, MessagePage, ResetPasswordPage, ResetRequestPage};
use super::texts::{Notice, Texts};
use super::OAuthResult;
use crate::api::{login_sessions, notifications};
use crate::auth::instance_of;
use crate::limits::Subject;
use crate::reads::read;
use crate::Gateway;

/// Where a page of the reset leads back to: the login it came from, if any.
fn back_to_login(auth_request: &str) -> Option<String> {
    (!auth_request.is_empty()).then(|| login_path("/ui/login", auth_request))
}

/// The look, texts and language of a reset: its login's (app's org), else its user's org's,
/// else the instance's.
async fn context(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    auth_request: &str,
    user: &str,
    invite: bool,
) -> (PageLook, &'static Texts) {
    let template = match invite {
        true => MessageTemplate::InvitePage,
        false => MessageTemplate::ResetPage,
    };
    if let Ok(request) = gw.bus.auth_request(instance, auth_request) {
        let language = Language::of_login(&request, req);
        let org = org_of_login(gw, instance, &request).await;
        let p = page_look(gw, instance, org.as_deref(), template, language).await;
        return (p, language.texts());
    }
    let (i, u) = (instance.to_string(), user.to_string());
    let org = match user.is_empty() {
        true => None,
        false => read(gw, move |m| Ok(m.user(&i, &u)?.map(|u| u.org_id)))
            .await
            .ok()
            .flatten(),
    };
    let language = Language::of_request(req);
    let p = page_look(gw, instance, org.as_deref(), template, language).await;
    (p, language.texts())
}

fn with_csrf(req: &HttpRequest, mut response: HttpResponse, csrf: String) -> HttpResponse {
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    response
}

/// What the code form shows: who, the code typed so far, and why the last try failed.
struct CodeForm<'a> {
    auth_request: &'a str,
    user: &'a str,
    username: &'a str,
    code: &'a str,
    sent: bool,
    /// An invitation's code: the first password.
    invite: bool,
}

fn code_page(
    req: &HttpRequest,
    p: &PageLook,
    texts: &'static Texts,
    form: CodeForm<'_>,
    refused: Option<(StatusCode, &str)>,
) -> HttpResponse {
    let (csrf, _) = crypto::secrets::new_token();
    let title = match form.invite {
        true => texts.invite_title,
        false => texts.reset_title,
    };
    let page = ResetPasswordPage {
        frame: Frame::of_page(texts, title, p),
        auth_request: form.auth_request,
        csrf: &csrf,
        user: form.user,
        username: form.username,
        code: form.code,
        sent: form.sent,
        invite: form.invite,
        error: refused.map(|(_, why)| why),
        back: back_to_login(form.auth_request),
    };
    let status = refused.map_or(StatusCode::OK, |(s, _)| s);
    with_csrf(req, pages::render(status, &page.frame, &page), csrf)
}

#[derive(Deserialize)]
pub struct ResetQuery {
    #[serde(rename = "authRequest", default)]
    auth_request: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    code: String,
}

/// The form of a login name; with `user` (and `code`, from a message's link), the form of the
/// code and the new password.
pub async fn page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<ResetQuery>,
) -> OAuthResult<HttpResponse> {
    code_or_name_page(&gw, &req, &q, false).await
}

/// The page an invitation's message links to: the code and the first password.
pub async fn invite_page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<ResetQuery>,
) -> OAuthResult<HttpResponse> {
    code_or_name_page(&gw, &req, &q, true).await
}

async fn code_or_name_page(
    gw: &Gateway,
    req: &HttpRequest,
    q: &ResetQuery,
    invite: bool,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(gw, req).await?;
    let (p, texts) = context(gw, req, &instance, &q.auth_request, &q.user, invite).await;
    let look = &p.look;
    if !q.user.is_empty() {
        let form = CodeForm {
            auth_request: &q.auth_request,
            user: &q.user,
            username: "",
            code: &q.code,
            sent: false,
            invite,
        };
        return Ok(code_page(req, &p, texts, form, None));
    }
    let (csrf, _) = crypto::secrets::new_token();
    let page = ResetRequestPage {
        frame: Frame::new(texts, p.title(texts.reset_title), look),
        intro: p.texts.text.as_deref().unwrap_or(texts.reset_intro),
        button: p.button(texts.send_code),
        auth_request: &q.auth_request,
        csrf: &csrf,
        username: "",
        back: back_to_login(&q.auth_request),
    };
    Ok(with_csrf(
        req,
        pages::render(StatusCode::OK, &page.frame, &page),
        csrf,
    ))
}

#[derive(Deserialize)]
pub struct ResetRequestFields {
    #[serde(rename = "authRequest", default)]
    auth_request: String,
    csrf: String,
    username: String,
}

/// Starts a reset for a login name: the code goes to the account's email address, if there
/// is such an account; the answer is the code form either way.
pub async fn request(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<ResetRequestFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let instance = instance_of(&gw, &req).await?;
    let (p, texts) = context(&gw, &req, &instance, &f.auth_request, "", false).await;
    let look = &p.look;
    if !csrf_ok(&req, &f.csrf) {
        return Ok(error_page(&req, look, Notice::FormExpired));
    }
    let form = CodeForm {
        auth_request: &f.auth_request,
        user: "",
        username: &f.username,
        code: "",
        sent: true,
        invite: false,
    };
    // Each request counts against the address's and the account's limits, so that nobody
    // floods a mailbox with codes.
    let account = format!(
        "user:{}",
        domain::validate::normalized_username(&f.username)
    );
    let who = Subject {
        ip: gw.edge.client_ip(&req),
        instance: &instance,
        account: Some(&account),
    };
    if let Err(e) = gw.limits.check(&who) {
        let refused = (StatusCode::TOO_MANY_REQUESTS, texts.too_many);
        tracing::debug!(error = %e, "a password reset over the rate limits");
        return Ok(code_page(&req, &p, texts, form, Some(refused)));
    }
    gw.limits.failed(&who);
    if f.username.len() <= 256 {
        if let Some(user_id) = login_sessions::user_named(&gw, &instance, &f.username).await? {
            let (bus, base_url) = (gw.bus.clone(), super::issuer(&gw, &req)?);
            let i = instance.clone();
            actix_web::rt::spawn(async move {
                if let Err(e) = bus.reset_from_login(&i, &user_id, base_url).await {
                    tracing::error!(error = %e, "a password reset from the login failed");
                }
            });
        }
    }
    Ok(code_page(&req, &p, texts, form, None))
}

#[derive(Deserialize)]
pub struct NewPasswordFields {
    #[serde(rename = "authRequest", default)]
    auth_request: String,
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    username: String,
    /// Set by an invitation's page.
    #[serde(default)]
    invite: String,
    code: String,
    new_password: String,
}

/// Sets the new password with the code.
pub async fn set(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<NewPasswordFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let instance = instance_of(&gw, &req).await?;
    let invite = !f.invite.is_empty();
    let (p, texts) = context(&gw, &req, &instance, &f.auth_request, &f.user, invite).await;
    let look = &p.look;
    if !csrf_ok(&req, &f.csrf) {
        return Ok(error_page(&req, look, Notice::FormExpired));
    }
    let user_id = match f.user.is_empty() {
        false => Some(f.user.clone()),
        true if f.username.len() <= 256 => {
            login_sessions::user_named(&gw, &instance, &f.username).await?
        }
        true => None,
    };
    let ip = gw.edge.client_ip(&req);
    let done = match &user_id {
        Some(id) => {
            notifications::set_password_by_code(&gw, &instance, ip, id, &f.code, f.new_password)
                .await
        }
        None => Err(Error::new(Code::InvalidCode, "no such code")),
    };
    let refused = match done {
        Ok(_) => {
            let back = back_to_login(&f.auth_request);
            let page = MessagePage {
                frame: Frame::new(texts, texts.password_set_title, look),
                text: texts.password_set,
                alert: false,
                link: back.as_deref().map(|href| (href, texts.back_to_login)),
            };
            return Ok(pages::render(StatusCode::OK, &page.frame, &page));
        }
        Err(e) => match e.code {
            Code::InvalidCode => (StatusCode::BAD_REQUEST, texts.wrong_code.to_string()),
            Code::InvalidPassword => {
                let why = texts.broken_rule(&e);
                (StatusCode::BAD_REQUEST, why)
            }
            Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, texts.too_many.to_string()),
            _ => return Err(e.into()),
        },
    };
    let form = CodeForm {
        auth_request: &f.auth_request,
        user: &f.user,
        username: &f.username,
        code: &f.code,
        sent: false,
        invite,
    };
    Ok(code_page(
        &req,
        &p,
        texts,
        form,
        Some((refused.0, refused.1.as_str())),
    ))
}
