//! RP-initiated logout: ends the browser session and the refresh tokens issued in it; sends
//! the user back only to a `post_logout_redirect_uri` registered exactly for the client the
//! `id_token_hint` names. Without a valid hint a page asks first, and only its form (a POST
//! with the page's token, double-submitted in a cookie) logs out: a cross-site GET logs nobody
//! out.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::validate::same_secret;

use super::authorize::redirect_to;
use super::login::{cookie, error_page, escape, html, SESSION_COOKIE};
use super::params::Params;
use super::{jwt, keyring, OAuthResult};
use crate::auth::instance_of;
use crate::reads::read;
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
    let Some(client_id) = client_id else {
        return Ok(confirm_page(&req));
    };
    log_out(&gw, &req, &instance).await?;
    let response = match q.get("post_logout_redirect_uri") {
        Some(uri) => {
            let (i, c) = (instance.clone(), client_id.clone());
            let app = read(&gw, move |m| m.app_by_client_id(&i, &c)).await?;
            match app {
                Some((app, _)) if app.config.post_logout_redirect_uris.contains(uri) => {
                    let state = q.get("state").map(String::as_str);
                    let params: Vec<(&str, &str)> =
                        state.map(|s| ("state", s)).into_iter().collect();
                    redirect_to(uri, &params)
                }
                _ => error_page("You are logged out. The address to return to is not registered."),
            }
        }
        None => logged_out(),
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
    if !token_ok {
        return Ok(html(
            StatusCode::BAD_REQUEST,
            "Not logged out",
            "<h1>Not logged out</h1><p>This logout did not come from the logout page, so \
             nobody was logged out. Open the logout page again to log out.</p>",
        ));
    }
    log_out(&gw, &req, &instance).await?;
    let mut response = forget_session(logged_out());
    let _ = response.add_removal_cookie(&cookie(
        &req,
        LOGOUT_COOKIE,
        String::new(),
        PATH,
        SameSite::Strict,
    ));
    Ok(response)
}

/// Ends the session of the request's cookie, with the refresh tokens issued in it.
async fn log_out(gw: &Gateway, req: &HttpRequest, instance: &str) -> OAuthResult<()> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        if let Some((id, session)) = gw.bus.session(instance, cookie.value()).await? {
            gw.bus
                .end_sessions_of(instance, &session.user_id, Some(&id))
                .await?;
        }
    }
    Ok(())
}

fn confirm_page(req: &HttpRequest) -> HttpResponse {
    let (csrf, _) = crypto::secrets::new_token();
    let mut page = html(
        StatusCode::OK,
        "Log out",
        &format!(
            "<h1>Log out?</h1><p>You will be logged out of every application that uses this \
             login.</p><form method=\"post\" action=\"{PATH}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <p><button type=\"submit\">Log out</button></p></form>",
            escape(&csrf)
        ),
    );
    let _ = page.add_cookie(&cookie(req, LOGOUT_COOKIE, csrf, PATH, SameSite::Strict));
    page
}

fn logged_out() -> HttpResponse {
    html(
        StatusCode::OK,
        "Logged out",
        "<h1>Logged out</h1><p>You are logged out.</p>",
    )
}

fn forget_session(mut response: HttpResponse) -> HttpResponse {
    let mut gone = Cookie::named(SESSION_COOKIE);
    gone.set_path("/");
    let _ = response.add_removal_cookie(&gone);
    response
}
