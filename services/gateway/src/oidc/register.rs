//! "Create an account" at the hosted login, where the `login` settings of the app's org
//! allow it: a human in that org, with a password held to the org's rules; the email address
//! gets a verification code, and the new user is logged in to the app at once. Each
//! registration counts against the rate limit of the client's address.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use command::Registration;
use domain::settings::MessageTemplate;
use domain::{Code, Error};
use serde::Deserialize;

use super::accounts::{keep, open_sessions};
use super::language::Language;
use super::login::{cookie, finalized, login_path, org_of_login, posted, PageQuery, CSRF_COOKIE};
use super::page_look::{page_look, PageLook};
use super::pages::{self, Frame, MessagePage, RegisterPage};
use super::texts::{Notice, Texts};
use super::OAuthResult;
use crate::auth::instance_of;
use crate::limits::Subject;
use crate::Gateway;

#[derive(Default, Deserialize)]
pub struct RegisterFields {
    #[serde(rename = "authRequest")]
    auth_request: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn register_page(
    req: &HttpRequest,
    p: &PageLook,
    texts: &'static Texts,
    f: &RegisterFields,
    refused: Option<(StatusCode, &str)>,
) -> HttpResponse {
    let (csrf, _) = crypto::secrets::new_token();
    let page = RegisterPage {
        frame: Frame::new(texts, p.title(texts.register_title), &p.look),
        intro: p.texts.text.as_deref(),
        button: p.button(texts.create_account),
        auth_request: &f.auth_request,
        csrf: &csrf,
        given_name: &f.given_name,
        family_name: &f.family_name,
        email: &f.email,
        username: &f.username,
        error: refused.map(|(_, why)| why),
        back: login_path("/ui/login", &f.auth_request),
    };
    let status = refused.map_or(StatusCode::OK, |(s, _)| s);
    let mut response = pages::render(status, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    response
}

/// What the page says of a refused registration, if it is the person's to fix.
fn said(e: &Error, texts: &Texts) -> Option<(StatusCode, String)> {
    let bad = StatusCode::BAD_REQUEST;
    Some(match e.code {
        Code::UsernameTaken => (StatusCode::CONFLICT, texts.username_taken.into()),
        Code::InvalidEmail => (bad, texts.invalid_email.into()),
        Code::InvalidUsername => (bad, texts.invalid_username.into()),
        Code::InvalidProfile => (bad, texts.invalid_name.into()),
        Code::InvalidPassword => (bad, texts.broken_rule(e)),
        Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, texts.too_many.into()),
        Code::LoginMethodNotAllowed => (StatusCode::FORBIDDEN, texts.no_registration.into()),
        _ => return None,
    })
}

/// The registration page of an app's login, as its org sets it up.
async fn looks(gw: &Gateway, instance: &str, org: Option<&str>, language: Language) -> PageLook {
    page_look(gw, instance, org, MessageTemplate::RegisterPage, language).await
}

pub async fn page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<PageQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let Ok(request) = gw.bus.auth_request(&instance, &q.auth_request) else {
        return Ok(super::login::expired(&req));
    };
    let language = Language::of_login(&request, &req);
    let texts = language.texts();
    let org = org_of_login(&gw, &instance, &request).await;
    let p = looks(&gw, &instance, org.as_deref(), language).await;
    let allowed = match &org {
        Some(org) => gw.bus.registration_allowed(&instance, org).await?,
        None => false,
    };
    if !allowed {
        let back = login_path("/ui/login", &q.auth_request);
        let page = MessagePage {
            frame: Frame::new(texts, p.title(texts.register_title), &p.look),
            text: texts.no_registration,
            alert: true,
            link: Some((&back, texts.back_to_login)),
        };
        return Ok(pages::render(StatusCode::FORBIDDEN, &page.frame, &page));
    }
    let f = RegisterFields {
        auth_request: q.auth_request.clone(),
        ..RegisterFields::default()
    };
    Ok(register_page(&req, &p, texts, &f, None))
}

pub async fn submit(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<RegisterFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, request) = match posted(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let language = Language::of_login(&request, &req);
    let texts = language.texts();
    let org = org_of_login(&gw, &instance, &request).await;
    let p = looks(&gw, &instance, org.as_deref(), language).await;
    let Some(org_id) = org else {
        return Ok(super::login::error_page(
            &req,
            &p.look,
            Notice::LoginExpired,
        ));
    };
    let who = Subject {
        ip: gw.edge.client_ip(&req),
        instance: &instance,
        account: None,
    };
    let registration = Registration {
        org_id,
        username: f.username.clone(),
        given_name: f.given_name.clone(),
        family_name: f.family_name.clone(),
        email: f.email.clone(),
        password: f.password.clone(),
        language: texts.tag.to_string(),
        base_url: super::issuer(&gw, &req)?,
    };
    let registered = match gw.limits.check(&who) {
        Ok(()) => {
            gw.limits.failed(&who);
            gw.bus.register(&instance, registration).await
        }
        Err(e) => Err(e),
    };
    let user_id = match registered {
        Ok(id) => id,
        Err(e) => match said(&e, texts) {
            Some((status, why)) => {
                return Ok(register_page(&req, &p, texts, &f, Some((status, &why))))
            }
            None => return Err(e.into()),
        },
    };
    // The browser's sessions of other users stay, for the account selection.
    let open = open_sessions(&gw, &req, &instance).await?;
    let created = gw.bus.create_session(&instance, &user_id, true).await?;
    let response = finalized(&gw, &req, &instance, &f.auth_request, &request, created).await?;
    Ok(keep(
        &req,
        response,
        None,
        open.into_iter().map(|o| o.token),
    ))
}
