//! The hosted login's second step: after the password, a code of one of the user's second
//! factors (their choice: an authenticator app, a login code by email or SMS, a recovery
//! code), or, where the login settings require a second factor of a user who has none, an
//! authenticator app set up on the spot. The login's session (its cookie) carries the step;
//! codes are checked within the rate limits and count against the lockout, as passwords do.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::oidc::{PendingAuthRequest, Session};
use domain::settings::MessageTemplate;
use domain::user::{Factor, User};
use domain::{Code, Error};
use serde::Deserialize;

use super::language::Language;
use super::login::{
    cookie, error_page, expired, finalize_session, login_path, org_of_login, posted, CSRF_COOKIE,
    SESSION_COOKIE,
};
use super::mfa_key::{key_page, At};
use super::mfa_setup::setup_page;
use super::page_look::{page_look, PageLook};
use super::pages::{self, Frame, MfaPage, OtherFactor};
use super::texts::{Notice, Texts};
use super::OAuthResult;
use crate::api::login_sessions::{check_factor, SessionUser};
use crate::auth::instance_of;
use crate::Gateway;

/// Whether a finalize failed for want of a second factor only.
pub(crate) fn second_factor_missing(e: &Error) -> bool {
    e.code == Code::SessionChecksMissing
        && e.details
            .iter()
            .any(|(k, v)| k == "check" && v == "second_factor")
}

/// The login's session (by its cookie) and its user.
pub(super) struct Step {
    pub token: String,
    pub session_id: String,
    pub session: Session,
    pub user: User,
    pub usable: Vec<Factor>,
}

pub(super) async fn step(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
) -> Result<Option<Step>, Error> {
    let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    let Some((session_id, session)) = gw.bus.session(instance, &token).await? else {
        return Ok(None);
    };
    let user = gw.bus.user(instance, &session.user_id).await?;
    let login = gw.bus.login_settings(instance, &user).await?;
    let usable = command::usable_factors(&user, &login);
    Ok(Some(Step {
        token,
        session_id,
        session,
        user,
        usable,
    }))
}

/// A form of the second step, posted: its instance, request and step, once its CSRF token
/// is right and the browser's session lives; else the page to answer.
pub(super) async fn posted_step(
    gw: &Gateway,
    req: &HttpRequest,
    auth_request: &str,
    csrf: &str,
) -> OAuthResult<Result<(String, PendingAuthRequest, Step), HttpResponse>> {
    let (instance, request) = match posted(gw, req, auth_request, csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(Err(page)),
    };
    Ok(match step(gw, req, &instance).await? {
        Some(s) => Ok((instance, request, s)),
        None => Err(expired(req)),
    })
}

pub(super) async fn looks(
    gw: &Gateway,
    instance: &str,
    request: &PendingAuthRequest,
    language: Language,
    template: MessageTemplate,
) -> PageLook {
    let org = org_of_login(gw, instance, request).await;
    page_look(gw, instance, org.as_deref(), template, language).await
}

pub(super) fn name(texts: &Texts, factor: Factor) -> &'static str {
    match factor {
        Factor::Totp => texts.totp_name,
        Factor::OtpEmail => texts.otp_email_name,
        Factor::OtpSms => texts.otp_sms_name,
        Factor::RecoveryCode => texts.recovery_code_name,
        Factor::U2f => texts.u2f_name,
        Factor::Passkey => texts.passkey_name,
    }
}

fn intro(texts: &Texts, factor: Factor) -> &'static str {
    match factor {
        Factor::Totp => texts.mfa_totp,
        Factor::OtpEmail => texts.mfa_otp_email,
        Factor::OtpSms => texts.mfa_otp_sms,
        Factor::RecoveryCode => texts.mfa_recovery_code,
        Factor::U2f | Factor::Passkey => texts.mfa_key,
    }
}

/// The links to the factors other than `factor`.
pub(super) fn others(
    texts: &Texts,
    auth_request: &str,
    factor: Factor,
    usable: &[Factor],
) -> Vec<OtherFactor> {
    usable
        .iter()
        .filter(|f| **f != factor)
        .map(|f| OtherFactor {
            name: name(texts, *f),
            href: format!(
                "{}&factor={}",
                login_path("/ui/login/mfa", auth_request),
                f.name()
            ),
        })
        .collect()
}

/// The page asking for a code of `factor`.
fn mfa_page(
    req: &HttpRequest,
    p: &PageLook,
    texts: &'static Texts,
    auth_request: &str,
    factor: Factor,
    usable: &[Factor],
    error: Option<(StatusCode, &str)>,
) -> HttpResponse {
    let (csrf, _) = crypto::secrets::new_token();
    let others = others(texts, auth_request, factor, usable);
    let page = MfaPage {
        frame: Frame::of_page(texts, texts.mfa_title, p),
        intro: intro(texts, factor),
        auth_request,
        csrf: &csrf,
        factor: factor.name(),
        numeric: factor != Factor::RecoveryCode,
        sent: factor.channel().is_some(),
        error: error.map(|(_, e)| e),
        others,
    };
    let status = error.map_or(StatusCode::OK, |(s, _)| s);
    let mut response = pages::render(status, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    response
}

#[derive(Deserialize)]
pub struct MfaQuery {
    #[serde(rename = "authRequest")]
    auth_request: String,
    factor: Option<String>,
}

/// The factor a page asks for: the one chosen, if the user may use it, else the first.
fn chosen(usable: &[Factor], asked: Option<&str>) -> Option<Factor> {
    asked
        .and_then(Factor::parse)
        .filter(|f| usable.contains(f))
        .or(usable.first().copied())
}

/// Sends a login code for `factor` unless a fresh one waits.
async fn send_code(
    gw: &Gateway,
    instance: &str,
    s: &Step,
    factor: Factor,
    again: bool,
) -> Result<(), Error> {
    let Some(channel) = factor.channel() else {
        return Ok(());
    };
    if !again && command::login_code_waits(&s.user, channel, super::now_ms()) {
        return Ok(());
    }
    gw.bus
        .send_login_code(instance, &s.session.user_id, channel)
        .await
}

pub async fn page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<MfaQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let Ok(request) = gw.bus.auth_request(&instance, &q.auth_request) else {
        return Ok(expired(&req));
    };
    let Some(s) = step(&gw, &req, &instance).await? else {
        return Ok(expired(&req));
    };
    let Some(factor) = chosen(&s.usable, q.factor.as_deref()) else {
        let user_id = &s.session.user_id;
        return setup_page(
            &gw,
            &req,
            &instance,
            &request,
            &q.auth_request,
            user_id,
            None,
        )
        .await;
    };
    if factor.key_kind().is_some() {
        let ar = &q.auth_request;
        return key_page(
            &gw,
            &req,
            At {
                instance: &instance,
                request: &request,
                auth_request: ar,
            },
            &s,
            factor,
            None,
        )
        .await;
    }
    send_code(&gw, &instance, &s, factor, false).await?;
    let language = Language::of_login(&request, &req);
    let p = looks(&gw, &instance, &request, language, MessageTemplate::MfaPage).await;
    let texts = language.texts();
    Ok(mfa_page(
        &req,
        &p,
        texts,
        &q.auth_request,
        factor,
        &s.usable,
        None,
    ))
}

#[derive(Deserialize)]
pub struct MfaFields {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    factor: String,
    #[serde(default)]
    code: String,
}

pub async fn submit(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<MfaFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, request, s) = match posted_step(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let Some(factor) = Factor::parse(&f.factor).filter(|x| s.usable.contains(x)) else {
        return Ok(error_page(&req, &Default::default(), Notice::FormExpired));
    };
    let who = SessionUser {
        session_id: &s.session_id,
        user_id: &s.session.user_id,
        account: &s.user.username,
    };
    let ip = gw.edge.client_ip(&req);
    let code = f.code.chars().take(64).collect::<String>();
    match check_factor(&gw, &instance, ip, &who, factor, &code).await {
        Ok(()) => {
            let (id, token) = (&s.session_id, s.token);
            finalize_session(&gw, &req, &instance, &f.auth_request, &request, id, token).await
        }
        Err(e) => {
            let language = Language::of_login(&request, &req);
            let texts = language.texts();
            let refusal = match e.code {
                Code::InvalidCode => (StatusCode::UNAUTHORIZED, texts.mfa_wrong),
                Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, texts.too_many),
                _ => return Err(e.into()),
            };
            let p = looks(&gw, &instance, &request, language, MessageTemplate::MfaPage).await;
            let (ar, usable) = (&f.auth_request, &s.usable);
            Ok(mfa_page(&req, &p, texts, ar, factor, usable, Some(refusal)))
        }
    }
}

/// "Send a new code": a new login code, then the page again.
pub async fn resend(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<MfaFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, _, s) = match posted_step(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    if let Some(factor) = Factor::parse(&f.factor).filter(|x| s.usable.contains(x)) {
        send_code(&gw, &instance, &s, factor, true).await?;
    }
    let back = format!(
        "{}&factor={}",
        login_path("/ui/login/mfa", &f.auth_request),
        form_urlencoded::byte_serialize(f.factor.as_bytes()).collect::<String>()
    );
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", back))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}
