//! The hosted login: a server-rendered page with a form of `username` and `password`, CSRF
//! protection (a random token in an HttpOnly cookie and in the form, compared in constant
//! time), password checks off the async runtime with lockout, and a session cookie (HttpOnly,
//! SameSite=Lax, Secure unless the instance is reached over plain http). Messages never say
//! whether a user exists.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use command::oidc::NewSession;
use domain::oidc::{PendingAuthRequest, SessionCommand};
use domain::settings::{BrandingSettings, MessageTemplate};
use domain::validate::same_secret;
use domain::{Code, Error};
use serde::Deserialize;

use super::accounts::{keep, open_sessions};
use super::domain_discovery::Route;
use super::expired_password::expired_password_page;
use super::language::Language;
use super::page_look::{page_look, PageLook};
use super::pages::{self, Frame, LoginPage};
use super::texts::{Notice, Texts};
use super::OAuthResult;
use crate::api::login_sessions;
use crate::auth::instance_of;
use crate::reads::read;
use crate::Gateway;

pub const SESSION_COOKIE: &str = "portcullis_session";
pub(super) const CSRF_COOKIE: &str = "portcullis_csrf";

/// The org of an app's project, if it can be read now.
async fn org_of_project(gw: &Gateway, instance: &str, project_id: &str) -> Option<String> {
    let (i, p) = (instance.to_string(), project_id.to_string());
    read(gw, move |m| Ok(m.project(&i, &p)?.map(|p| p.org_id)))
        .await
        .ok()
        .flatten()
}

/// The branding of an app's login: its project's org's, else the instance's (or the default,
/// if they cannot be read now: the login goes on, unbranded).
pub(crate) async fn look_of(gw: &Gateway, instance: &str, project_id: &str) -> BrandingSettings {
    let org = org_of_project(gw, instance, project_id).await;
    look_in(gw, instance, org.as_deref()).await
}

/// An app's login page as its project's org (else the instance) sets it up.
pub(super) async fn login_setup(
    gw: &Gateway,
    instance: &str,
    project_id: &str,
    language: Language,
) -> PageLook {
    let org = org_of_project(gw, instance, project_id).await;
    page_look(
        gw,
        instance,
        org.as_deref(),
        MessageTemplate::LoginPage,
        language,
    )
    .await
}

/// The org of a login's app, if it can be read now.
pub(super) async fn org_of_login(
    gw: &Gateway,
    instance: &str,
    request: &PendingAuthRequest,
) -> Option<String> {
    org_of_project(gw, instance, &request.params.project_id).await
}

/// A page of the login for an authorization request.
pub(super) fn login_path(path: &str, auth_request: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(auth_request.as_bytes()).collect();
    format!("{path}?authRequest={encoded}")
}

/// The branding of an org (else of the instance), or of the instance (`org` absent).
pub(crate) async fn look_in(gw: &Gateway, instance: &str, org: Option<&str>) -> BrandingSettings {
    let maps = match gw.bus.settings_maps(instance, org).await {
        Ok(maps) => Ok(maps),
        // The org is gone: the instance's.
        Err(_) => gw.bus.settings_maps(instance, None).await,
    };
    match maps {
        Ok((own, org)) => domain::settings::branding(org.as_ref(), &own),
        Err(e) => {
            tracing::warn!(error = %e, "the login's branding cannot be read now; showing the default");
            BrandingSettings::default()
        }
    }
}

/// A page that ends a flow (never a redirect to an unverified address), in the request's
/// language.
pub fn error_page(req: &HttpRequest, look: &BrandingSettings, notice: Notice) -> HttpResponse {
    let texts = Language::of_request(req).texts();
    pages::notice(StatusCode::BAD_REQUEST, texts, look, notice)
}

/// Cookies are `Secure` when the instances' external URL is `https`.
fn secure(req: &HttpRequest) -> bool {
    req.app_data::<web::Data<Gateway>>()
        .is_some_and(|gw| gw.edge.secure())
}

pub(crate) fn cookie<'a>(
    req: &HttpRequest,
    name: &'a str,
    value: String,
    path: &'a str,
    same_site: SameSite,
) -> Cookie<'a> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .secure(secure(req))
        .same_site(same_site)
        .finish()
}

/// What the login form says above its fields after a submission that did not log in.
pub(super) struct Refusal<'a> {
    pub status: StatusCode,
    pub why: Why,
    pub retry_after: Option<&'a str>,
}

/// Why a submission did not log in.
#[derive(Clone, Copy)]
pub(super) enum Why {
    /// A wrong username or password, a locked or inactive account: one answer for all.
    Wrong,
    /// Over a rate limit.
    TooMany,
    /// The password pool is full.
    Busy,
    /// The login settings allow no passwords.
    NotAllowed,
    /// A passkey's answer was refused.
    KeyRefused,
}

impl Why {
    fn said(self, texts: &Texts) -> &'static str {
        match self {
            Why::Wrong => texts.wrong,
            Why::TooMany => texts.too_many,
            Why::Busy => texts.busy,
            Why::NotAllowed => texts.no_passwords,
            Why::KeyRefused => texts.key_refused,
        }
    }
}

const WRONG: Refusal<'static> = Refusal {
    status: StatusCode::UNAUTHORIZED,
    why: Why::Wrong,
    retry_after: None,
};

/// The refusal of a check that was not made: over a rate limit (429), or the password pool
/// full (503); both say when to come back.
pub(super) fn not_checked(e: &Error) -> Option<Refusal<'_>> {
    let retry_after = crate::limits::retry_after(e);
    match e.code {
        Code::RateLimited => Some(Refusal {
            status: StatusCode::TOO_MANY_REQUESTS,
            why: Why::TooMany,
            retry_after,
        }),
        Code::Overloaded => Some(Refusal {
            status: StatusCode::SERVICE_UNAVAILABLE,
            why: Why::Busy,
            retry_after,
        }),
        _ => None,
    }
}

/// The login form of a request.
struct LoginForm<'a> {
    auth_request: &'a str,
    username: &'a str,
    /// A passkey's challenge, where the login settings allow passkeys.
    passkey: Option<super::passkey_login::PasskeyOffer>,
    /// The external IdPs offered.
    idps: Vec<super::idp_login::IdpButton>,
}

fn login_page(
    req: &HttpRequest,
    setup: &PageLook,
    texts: &'static Texts,
    form: LoginForm<'_>,
    refusal: Option<Refusal<'_>>,
) -> HttpResponse {
    let (csrf, _) = crypto::secrets::new_token();
    let status = refusal.as_ref().map_or(StatusCode::OK, |r| r.status);
    let page = LoginPage {
        frame: Frame::new(texts, setup.title(texts.log_in), &setup.look),
        intro: setup.texts.text.as_deref(),
        button: setup.button(texts.log_in),
        auth_request: form.auth_request,
        csrf: &csrf,
        username: form.username,
        error: refusal.as_ref().map(|r| r.why.said(texts)),
        reset_href: (!setup.login.hide_password_reset)
            .then(|| login_path("/ui/login/reset", form.auth_request)),
        register_href: setup
            .login
            .allow_register
            .then(|| login_path("/ui/login/register", form.auth_request)),
        passkey: form.passkey.as_ref(),
        idps: &form.idps,
        // Where domains are discovered, a login name alone may go to its org's IdP.
        password_required: !setup.login.domain_discovery,
    };
    let mut response = match page.passkey {
        Some(_) => pages::render_with_script(status, &page.frame, &page),
        None => pages::render(status, &page.frame, &page),
    };
    if let Some(seconds) = refusal.and_then(|r| r.retry_after) {
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_str(seconds)
                .unwrap_or(actix_web::http::header::HeaderValue::from_static("1")),
        );
    }
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    response
}

/// A page of the login for an authorization request.
#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(rename = "authRequest")]
    pub auth_request: String,
}

pub async fn page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<PageQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let Ok(request) = gw.bus.auth_request(&instance, &q.auth_request) else {
        return Ok(expired(&req));
    };
    let username = request.params.login_hint.as_deref().unwrap_or_default();
    Ok(login_form(&gw, &req, &instance, &request, &q.auth_request, username).await)
}

/// The login form of a pending request, `username` filled in.
pub(super) async fn login_form(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    request: &PendingAuthRequest,
    auth_request: &str,
    username: &str,
) -> HttpResponse {
    let language = Language::of_login(request, req);
    let setup = login_setup(gw, instance, &request.params.project_id, language).await;
    let form = LoginForm {
        auth_request,
        username,
        passkey: super::passkey_login::offer(gw, req, instance, &setup).await,
        idps: super::idp_login::buttons(gw, instance, request, auth_request).await,
    };
    login_page(req, &setup, language.texts(), form, None)
}

#[derive(Deserialize)]
pub struct LoginFields {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    username: String,
    password: String,
}

pub async fn submit(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<LoginFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, request) = match posted(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let (ar, name) = (f.auth_request.as_str(), f.username.as_str());
    if let Some(org) = super::domain_discovery::discovered(&gw, &instance, &request, name).await {
        match super::domain_discovery::route(&gw, &instance, &org, ar, name).await {
            Route::Password => {}
            Route::Idp(href) => return Ok(to(&href)),
            Route::Nowhere => {
                let refusal = Refusal {
                    status: StatusCode::FORBIDDEN,
                    why: Why::NotAllowed,
                    retry_after: None,
                };
                return Ok(refused(&gw, &req, &instance, &request, (ar, name), refusal).await);
            }
        }
    }
    if f.password.is_empty() {
        // A login name alone (the password is optional where domains are discovered): its
        // password next.
        return Ok(login_form(&gw, &req, &instance, &request, ar, name).await);
    }
    let ip = gw.edge.client_ip(&req);
    let user_id = login_sessions::user_named(&gw, &instance, &f.username).await?;
    let id = user_id.as_deref().unwrap_or("");
    let checked =
        login_sessions::check_password(&gw, &instance, ip, &f.username, id, f.password).await;
    let created = match (checked, user_id.clone()) {
        (Ok(()), Some(user_id)) => gw.bus.create_session(&instance, &user_id, true).await,
        (Ok(()), None) => Err(command::wrong_password()),
        (Err(e), _) => Err(e),
    };
    let created = match created {
        Ok(created) => created,
        Err(e) => match refusal(&e) {
            Some(refusal) => {
                let (ar, name) = (&f.auth_request, &f.username);
                return Ok(refused(&gw, &req, &instance, &request, (ar, name), refusal).await);
            }
            None => return Err(e.into()),
        },
    };
    let user_id = user_id.unwrap_or_default();
    logged_in(
        &gw,
        &req,
        (&instance, &f.auth_request, &request),
        &user_id,
        created,
    )
    .await
}

/// The login form again, saying why the last submission did not log in.
pub(super) async fn refused(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    request: &PendingAuthRequest,
    (auth_request, username): (&str, &str),
    refusal: Refusal<'_>,
) -> HttpResponse {
    let language = Language::of_login(request, req);
    let project = &request.params.project_id;
    let setup = login_setup(gw, instance, project, language).await;
    let form = LoginForm {
        auth_request,
        username,
        passkey: super::passkey_login::offer(gw, req, instance, &setup).await,
        idps: super::idp_login::buttons(gw, instance, request, auth_request).await,
    };
    login_page(req, &setup, language.texts(), form, Some(refusal))
}

/// The end of a first step that logged `user_id` in with a new session. Every login gets a
/// new session id and cookie, so that a cookie planted or seen before the login is worth
/// nothing after it: the user's earlier session in this browser ends. Other users' sessions
/// stay, for the account selection.
pub(super) async fn logged_in(
    gw: &Gateway,
    req: &HttpRequest,
    (instance, auth_request, request): (&str, &str, &PendingAuthRequest),
    user_id: &str,
    created: NewSession,
) -> OAuthResult<HttpResponse> {
    let open = open_sessions(gw, req, instance).await?;
    let mut others = Vec::new();
    for o in open {
        match o.session.user_id == user_id {
            true => {
                gw.bus
                    .change_session(instance, &o.id, SessionCommand::End)
                    .await?
            }
            false => others.push(o.token),
        }
    }
    let response = finalized(gw, req, instance, auth_request, request, created).await?;
    Ok(keep(req, response, None, others))
}

/// The end of a login with a new session: see [`finalize_session`].
pub(super) async fn finalized(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    auth_request: &str,
    request: &PendingAuthRequest,
    created: NewSession,
) -> OAuthResult<HttpResponse> {
    let (id, token) = (created.session_id, created.cookie);
    finalize_session(gw, req, instance, auth_request, request, &id, token).await
}

/// The end of a login with a session: the browser goes back to the client with its code and
/// the session's cookie; a second factor is asked for first where the login needs one, and a
/// password past its maximum age is changed.
pub(super) async fn finalize_session(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    auth_request: &str,
    request: &PendingAuthRequest,
    session_id: &str,
    token: String,
) -> OAuthResult<HttpResponse> {
    let done = gw
        .bus
        .finalize(instance, auth_request, session_id, &token)
        .await;
    let mut response = match done {
        Ok(done) => super::form_post::with_code(gw, req, instance, &done).await,
        Err(e) if super::mfa::second_factor_missing(&e) => to_page("/ui/login/mfa", auth_request),
        // The session's password check is stale: the login starts again.
        Err(e) if e.code == Code::SessionChecksMissing => to_page("/ui/login", auth_request),
        Err(e) if e.code == Code::PasswordExpired => {
            let language = Language::of_login(request, req);
            let p = super::expired_password::looks(gw, instance, request, language).await;
            let form = (auth_request, super::expired_password::Reason::of(&e));
            expired_password_page(req, &p, language.texts(), form, None)
        }
        Err(e) => return Err(e.into()),
    };
    let session = cookie(req, SESSION_COOKIE, token, "/", SameSite::Lax);
    let _ = response.add_cookie(&session);
    Ok(response)
}

/// A redirect to a page of the login for an authorization request.
pub(crate) fn to_page(path: &str, auth_request: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", login_path(path, auth_request)))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// The browser to `href` after a form (303: a GET there).
fn to(href: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", href))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// The page of a login that is over: its request expired, or its session is gone.
pub(super) fn expired(req: &HttpRequest) -> HttpResponse {
    error_page(req, &BrandingSettings::default(), Notice::LoginExpired)
}

/// The instance and the pending authorization request a form of the login was posted for,
/// once its CSRF token is the one of its cookie; else the error page to answer.
pub(super) async fn posted(
    gw: &Gateway,
    req: &HttpRequest,
    auth_request: &str,
    csrf: &str,
) -> OAuthResult<Result<(String, PendingAuthRequest), HttpResponse>> {
    let instance = instance_of(gw, req).await?;
    if !csrf_ok(req, csrf) {
        let look = look_in(gw, &instance, None).await;
        return Ok(Err(error_page(req, &look, Notice::FormExpired)));
    }
    Ok(match gw.bus.auth_request(&instance, auth_request) {
        Ok(request) => Ok((instance, request)),
        Err(_) => Err(expired(req)),
    })
}

/// Whether a form's CSRF token is the one of its cookie (compared in constant time).
pub(super) fn csrf_ok(req: &HttpRequest, csrf: &str) -> bool {
    req.cookie(CSRF_COOKIE)
        .is_some_and(|c| !csrf.is_empty() && same_secret(c.value(), csrf))
}

/// The form's answer to a failed login: a wrong password (or user, or lockout), a rate limit,
/// a full password pool, or passwords not allowed; anything else is an error of the server.
fn refusal(e: &Error) -> Option<Refusal<'_>> {
    match e.code {
        Code::SessionCheckFailed | Code::UserNotFound => Some(WRONG),
        Code::LoginMethodNotAllowed => Some(Refusal {
            status: StatusCode::FORBIDDEN,
            why: Why::NotAllowed,
            retry_after: None,
        }),
        _ => not_checked(e),
    }
}
