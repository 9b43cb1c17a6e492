//! RP-initiated logout: ends the browser's sessions (every account it holds) and the refresh
//! tokens issued in them; sends
//! the user back only to a `post_logout_redirect_uri` registered exactly for the client the
//! `id_token_hint` names. Without a valid hint a page asks first, and only its form (a POST
//! with the page's token, double-submitted in a cookie) logs out: a cross-site GET logs nobody
//! out.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::settings::{BrandingSettings, MessageTemplate};
use domain::validate::same_secret;

use super::accounts::{open_sessions, ACCOUNTS_COOKIE};
use super::authorize::redirect_to;
use super::language::Language;
use super::login::{cookie, error_page, look_in, SESSION_COOKIE};
use super::page_look::{page_look, PageLook};
use super::pages::{self, Frame, LogoutPage, MessagePage};
use super::params::Params;
use super::texts::Notice;
use super::{jwt, keyring, OAuthResult};
use crate::auth::instance_of;
use crate::Gateway;

const LOGOUT_COOKIE: &str = "portcullis_logout";
const PATH: &str = "/oidc/v1/end_session";

pub async fn end_session(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: Params,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    // The hint names the client (its signature must be ours; it may have expired).
    let client_id = match q.get("id_token_hint") {
        Some(hint) => {
            let claims = jwt::verify(hint, &keyring::jwks(&gw, &instance).await?).ok();
            claims.and_then(|c| c["aud"][0].as_str().map(String::from))
        }
        None => None,
    };
    let language = Language::of_request(&req);
    let p = page_look(&gw, &instance, None, MessageTemplate::LogoutPage, language).await;
    let look = &p.look;
    let Some(client_id) = client_id else {
        return Ok(confirm_page(&req, &p));
    };
    log_out(&gw, &req, &instance).await?;
    let response = match q.get("post_logout_redirect_uri") {
        Some(uri) => {
            let app =
                super::console_app::app_by_client_id(&gw, &req, &instance, &client_id).await?;
            match app {
                Some(app) if app.config.post_logout_redirect_uris.contains(uri) => {
                    let state = q.get("state").map(String::as_str);
                    let params: Vec<(&str, &str)> =
                        state.map(|s| ("state", s)).into_iter().collect();
                    redirect_to(uri, &params)
                }
                _ => error_page(&req, look, Notice::LoggedOutUnregistered),
            }
        }
        None => logged_out(&req, look),
    };
    Ok(forget_session(response))
}

/// The confirmed logout of the page's form.
pub async fn confirmed(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: Params,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let token_ok = req.cookie(LOGOUT_COOKIE).is_some_and(|c| {
        form.get("csrf")
            .is_some_and(|f| !f.is_empty() && same_secret(c.value(), f))
    });
    let look = look_in(&gw, &instance, None).await;
    if !token_ok {
        let texts = Language::of_request(&req).texts();
        let page = MessagePage {
            frame: Frame::new(texts, texts.not_logged_out_title, &look),
            text: texts.not_logged_out,
            alert: true,
            link: None,
        };
        return Ok(pages::render(StatusCode::BAD_REQUEST, &page.frame, &page));
    }
    log_out(&gw, &req, &instance).await?;
    let mut response = forget_session(logged_out(&req, &look));
    let _ = response.add_removal_cookie(&cookie(
        &req,
        LOGOUT_COOKIE,
        String::new(),
        PATH,
        SameSite::Strict,
    ));
    Ok(response)
}

/// Ends the browser's sessions, with the refresh tokens issued in them.
async fn log_out(gw: &Gateway, req: &HttpRequest, instance: &str) -> OAuthResult<()> {
    for o in open_sessions(gw, req, instance).await? {
        gw.bus
            .end_sessions_of(instance, &o.session.user_id, Some(&o.id))
            .await?;
    }
    Ok(())
}

fn confirm_page(req: &HttpRequest, p: &PageLook) -> HttpResponse {
    let (csrf, _) = crypto::secrets::new_token();
    let texts = Language::of_request(req).texts();
    let page = LogoutPage {
        frame: Frame::of_page(texts, texts.log_out_question, p),
        action: PATH,
        csrf: &csrf,
    };
    let mut response = pages::render(StatusCode::OK, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, LOGOUT_COOKIE, csrf, PATH, SameSite::Strict));
    response
}

pub(crate) fn logged_out(req: &HttpRequest, look: &BrandingSettings) -> HttpResponse {
    let texts = Language::of_request(req).texts();
    let page = MessagePage {
        frame: Frame::new(texts, texts.logged_out_title, look),
        text: texts.logged_out,
        alert: false,
        link: None,
    };
    pages::render(StatusCode::OK, &page.frame, &page)
}

/// The response, with the browser's session cookies removed.
pub(crate) fn forget_session(mut response: HttpResponse) -> HttpResponse {
    for name in [SESSION_COOKIE, ACCOUNTS_COOKIE] {
        let mut gone = Cookie::named(name);
        gone.set_path("/");
        let _ = response.add_removal_cookie(&gone);
    }
    response
}
