//! The hosted login's pages for a device (RFC 8628): the user enters the code the device
//! shows, logs in as at any login (second factors, passkeys and sessions included), then
//! allows or denies the device, which its poll learns. The login runs as an authorization
//! request of the device's app whose redirect URI is the consent page itself; the consent
//! page exchanges the login's code and carries the login, sealed, to the answer.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crypto::sealing::Purpose;
use domain::oidc::{AuthParams, DeviceState, Login};
use domain::settings::BrandingSettings;
use domain::{Code, Error};
use serde::{Deserialize, Serialize};

use super::language::Language;
use super::login::{cookie, csrf_ok, error_page, look_in, look_of, to_page, CSRF_COOKIE};
use super::pages::{self, Frame, MessagePage};
use super::texts::Notice;
use super::{issuer, now_ms, OAuthResult};
use crate::auth::instance_of;
use crate::limits::Subject;
use crate::reads::read;
use crate::Gateway;

/// Where the user enters the code (the `verification_uri`).
pub const PAGE: &str = "/ui/device";
/// The consent page: the device's login comes back here.
const APPROVE: &str = "/ui/device/approve";
/// How long the consent page's answer may wait (milliseconds).
const CONSENT_TTL: i64 = 5 * 60_000;

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage<'a> {
    frame: Frame<'a>,
    csrf: &'a str,
    user_code: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "device_approve.html")]
struct ApprovePage<'a> {
    frame: Frame<'a>,
    csrf: &'a str,
    consent: &'a str,
    app: &'a str,
    user_code: &'a str,
    user: &'a str,
}

/// What the consent page carries to the answer, sealed.
#[derive(Serialize, Deserialize)]
struct Consent {
    user_code: String,
    login: Login,
    /// Unix milliseconds.
    expires_at: i64,
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    user_code: String,
}

#[derive(Deserialize)]
pub struct CodeFields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_code: String,
}

#[derive(Deserialize)]
pub struct Returned {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
}

#[derive(Deserialize)]
pub struct Answer {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    answer: String,
}

fn master(gw: &Gateway) -> Result<&crypto::sealing::MasterKey, Error> {
    gw.master_key
        .as_ref()
        .ok_or_else(|| Error::internal("no master key is configured"))
}

/// The code form, with a new CSRF token.
fn form(
    req: &HttpRequest,
    look: &BrandingSettings,
    status: StatusCode,
    user_code: &str,
    error: Option<&str>,
) -> HttpResponse {
    let texts = Language::of_request(req).texts();
    let (csrf, _) = crypto::secrets::new_token();
    let page = DevicePage {
        frame: Frame::new(texts, texts.device_title, look),
        csrf: &csrf,
        user_code,
        error,
    };
    let mut response = pages::render(status, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    response
}

fn message(
    req: &HttpRequest,
    look: &BrandingSettings,
    status: StatusCode,
    title: &str,
    text: &str,
) -> HttpResponse {
    let texts = Language::of_request(req).texts();
    let page = MessagePage {
        frame: Frame::new(texts, title, look),
        text,
        alert: status != StatusCode::OK,
        link: None,
    };
    pages::render(status, &page.frame, &page)
}

/// The instance and its look for a form of these pages, once its CSRF token is the one of its
/// cookie; else the page to answer.
async fn posted(
    gw: &Gateway,
    req: &HttpRequest,
    csrf: &str,
) -> OAuthResult<Result<(String, BrandingSettings), HttpResponse>> {
    let instance = instance_of(gw, req).await?;
    let look = look_in(gw, &instance, None).await;
    Ok(match csrf_ok(req, csrf) {
        true => Ok((instance, look)),
        false => Err(error_page(req, &look, Notice::FormExpired)),
    })
}

/// `GET /ui/device`: the code form (filled from `verification_uri_complete`).
pub async fn page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<CodeQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let look = look_in(&gw, &instance, None).await;
    let code: String = q.user_code.chars().take(16).collect();
    Ok(form(&req, &look, StatusCode::OK, &code, None))
}

/// `POST /ui/device`: a live code starts the device's login; any other is refused and counts
/// against the client's address.
pub async fn enter(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    f: web::Form<CodeFields>,
) -> OAuthResult<HttpResponse> {
    let (gw, req, f) = (gw.get_ref(), &req, f.into_inner());
    let (instance, look) = match posted(gw, req, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let who = Subject {
        ip: gw.edge.client_ip(req),
        instance: &instance,
        account: None,
    };
    let texts = Language::of_request(req).texts();
    if let Err(e) = gw.limits.check(&who) {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(match e.code {
            Code::RateLimited => form(req, &look, status, &f.user_code, Some(texts.too_many)),
            _ => return Err(e.into()),
        });
    }
    let request = match command::plausible_user_code(&f.user_code) {
        true => gw
            .bus
            .device(&instance, &f.user_code)
            .await?
            .live(now_ms())
            .cloned(),
        false => None,
    };
    let Some(request) = request else {
        gw.limits.failed(&who);
        let status = StatusCode::BAD_REQUEST;
        return Ok(form(
            req,
            &look,
            status,
            &f.user_code,
            Some(texts.device_invalid),
        ));
    };
    let iss = issuer(gw, req)?;
    let params = AuthParams {
        client_id: request.client_id,
        project_id: request.project_id,
        app_id: request.app_id,
        redirect_uri: format!("{iss}{APPROVE}"),
        scope: request.scope,
        state: Some(crypto::secrets::normal_code(&f.user_code)),
        ..AuthParams::default()
    };
    let ui_locales = vec![Language::of_request(req).tag().to_string()];
    let id = gw
        .bus
        .start_auth_request(&instance, params, &iss, ui_locales)?;
    // The browser's session answers at once where its checks are fresh enough; with several,
    // the user chooses; else the login asks.
    let open = super::accounts::open_sessions(gw, req, &instance).await?;
    match open.as_slice() {
        [only] => match gw.bus.finalize(&instance, &id, &only.id, &only.token).await {
            Ok(done) => {
                let back = super::form_post::with_code(gw, req, &instance, &done).await;
                return Ok(super::accounts::answered(req, back, only, &open));
            }
            Err(e) if super::mfa::second_factor_missing(&e) => {
                return Ok(to_page("/ui/login/mfa", &id))
            }
            Err(e) if super::authorize::again(e.code) => {}
            Err(e) => return Err(e.into()),
        },
        [] => {}
        _ => return Ok(to_page("/ui/login/accounts", &id)),
    }
    Ok(to_page("/ui/login", &id))
}

/// `GET /ui/device/approve`: the device's login is back with its code; the user allows or
/// denies the device.
pub async fn approve_page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<Returned>,
) -> OAuthResult<HttpResponse> {
    let (gw, req) = (gw.get_ref(), &req);
    let instance = instance_of(gw, req).await?;
    let iss = issuer(gw, req)?;
    let expired = |look: &BrandingSettings| error_page(req, look, Notice::LoginExpired);
    let Ok((request, _)) = gw.bus.exchange_code(&instance, &q.code).await else {
        return Ok(expired(&BrandingSettings::default()));
    };
    let p = &request.params;
    let look = look_of(gw, &instance, &p.project_id).await;
    let device = gw.bus.device(&instance, &q.state).await?;
    let live = device
        .live(now_ms())
        .is_some_and(|d| d.client_id == p.client_id && device.state == DeviceState::Pending);
    let (Some(login), true, true) = (
        request.login.clone(),
        p.redirect_uri == format!("{iss}{APPROVE}") && p.state.as_deref() == Some(&q.state),
        live,
    ) else {
        return Ok(expired(&look));
    };
    let (i, a, pr) = (instance.clone(), p.app_id.clone(), p.project_id.clone());
    let app = read(gw, move |m| m.app(&i, &pr, &a))
        .await?
        .map(|a| a.config.name)
        .unwrap_or_default();
    let (i, u) = (instance.clone(), login.user_id.clone());
    let user = read(gw, move |m| m.user(&i, &u))
        .await?
        .map(|u| format!("{} ({})", u.display_name, u.username))
        .unwrap_or_default();
    let consent = Consent {
        user_code: q.state.clone(),
        login,
        expires_at: now_ms() + CONSENT_TTL,
    };
    let plain = serde_json::to_vec(&consent).map_err(|e| Error::internal(e.to_string()))?;
    let sealed = master(gw)?.seal_for(Purpose::DeviceConsent, &instance, &plain);
    let texts = Language::of_request(req).texts();
    let (csrf, _) = crypto::secrets::new_token();
    let shown = format!("{}-{}", &q.state[..4], &q.state[4..]);
    let page = ApprovePage {
        frame: Frame::new(texts, texts.device_allow_title, &look),
        csrf: &csrf,
        consent: &URL_SAFE_NO_PAD.encode(sealed),
        app: &app,
        user_code: &shown,
        user: &user,
    };
    let mut response = pages::render(StatusCode::OK, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    Ok(response)
}

/// `POST /ui/device/approve`: the user's answer goes to the device's request.
pub async fn answer(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    f: web::Form<Answer>,
) -> OAuthResult<HttpResponse> {
    let (gw, req, f) = (gw.get_ref(), &req, f.into_inner());
    let (instance, look) = match posted(gw, req, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let consent: Option<Consent> = URL_SAFE_NO_PAD
        .decode(&f.consent)
        .ok()
        .and_then(|sealed| {
            master(gw)
                .ok()?
                .unseal_for(Purpose::DeviceConsent, &instance, &sealed)
                .ok()
        })
        .and_then(|plain| serde_json::from_slice(&plain).ok())
        .filter(|c: &Consent| c.expires_at > now_ms());
    let texts = Language::of_request(req).texts();
    let Some(consent) = consent else {
        return Ok(error_page(req, &look, Notice::LoginExpired));
    };
    let allow = f.answer == "allow";
    let login = allow.then_some(consent.login);
    match gw
        .bus
        .answer_device(&instance, &consent.user_code, login)
        .await
    {
        Ok(_) if allow => Ok(message(
            req,
            &look,
            StatusCode::OK,
            texts.device_connected_title,
            texts.device_connected,
        )),
        Ok(_) => Ok(message(
            req,
            &look,
            StatusCode::OK,
            texts.device_denied_title,
            texts.device_denied,
        )),
        Err(e) if e.code == Code::DeviceCodeExpired => Ok(message(
            req,
            &look,
            StatusCode::BAD_REQUEST,
            texts.device_title,
            texts.device_invalid,
        )),
        Err(e) => Err(e.into()),
    }
}
