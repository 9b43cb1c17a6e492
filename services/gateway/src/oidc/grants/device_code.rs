//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 section 3.4): the device
//! polls with its device code, authenticated as the client it asked as; the answer is
//! `authorization_pending` (or `slow_down` when it polls too often) until its user answers,
//! then the tokens of the user's login once, or `access_denied`, or `expired_token`.

use actix_web::HttpRequest;
use domain::app::GrantType;
use serde_json::{Map, Value};

use super::{active_user, response, tokens_of_login, Form, UserLogin};
use crate::oidc::clients::authenticate_app;
use crate::oidc::{issuer, OAuthError, OAuthResult};
use crate::Gateway;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

pub async fn grant(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &Form,
    jkt: Option<&str>,
) -> OAuthResult<Map<String, Value>> {
    let app = authenticate_app(gw, req, instance, form).await?;
    if !app.config.grant_types.contains(&GrantType::DeviceCode) {
        return Err(OAuthError::new(
            "unauthorized_client",
            "the app does not allow the device_code grant",
        ));
    }
    let device_code = form
        .get("device_code")
        .ok_or_else(|| OAuthError::new("invalid_request", "device_code is missing"))?;
    let (login, scope) = gw
        .bus
        .poll_device(instance, &app.client_id, device_code)
        .await?;
    let user = active_user(gw, instance, &login.user_id).await?;
    let iss = issuer(gw, req)?;
    let family_id = uuid::Uuid::now_v7().to_string();
    let (access, id_token, refresh_token) = tokens_of_login(
        gw,
        &UserLogin {
            instance,
            issuer: &iss,
            app: &app,
            user: &user,
            scope: &scope,
            auth_time_ms: login.auth_time,
            nonce: None,
            session_id: Some(&login.session_id),
            family_id: Some(&family_id),
            amr: &login.amr,
            jkt,
        },
        &login,
    )
    .await?;
    let id_token = scope.iter().any(|s| s == "openid").then_some(id_token);
    Ok(response(access, &scope, id_token, refresh_token))
}
