//! RP-initiated logout: ends the browser session; sends the user back only to a
//! `post_logout_redirect_uri` registered exactly for the client the `id_token_hint` names.

use actix_web::cookie::Cookie;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::oidc::SessionCommand;

use super::authorize::redirect_to;
use super::login::{error_page, SESSION_COOKIE};
use super::params::Params;
use super::{jwt, keyring, OAuthResult};
use crate::auth::instance_of;
use crate::reads::read;
use crate::Gateway;

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
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        if let Some((id, _)) = gw.bus.session(&instance, cookie.value()).await? {
            gw.bus
                .change_session(&instance, &id, SessionCommand::End)
                .await?;
        }
    }
    let mut response = match (q.get("post_logout_redirect_uri"), client_id) {
        (Some(uri), Some(client_id)) => {
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
        (Some(_), None) => {
            error_page("You are logged out. Without id_token_hint there is no way back.")
        }
        (None, _) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body("<!doctype html><title>Logged out</title><p>You are logged out.</p>"),
    };
    let mut gone = Cookie::named(SESSION_COOKIE);
    gone.set_path("/");
    let _ = response.add_removal_cookie(&gone);
    Ok(response)
}
