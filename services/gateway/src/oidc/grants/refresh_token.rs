//! `grant_type=refresh_token`: the token rotates on every use; a rotated token used again
//! revokes its whole family.

use actix_web::HttpRequest;
use domain::app::GrantType;
use serde_json::{Map, Value};

use super::{active_user, login_tokens, response, Form, UserLogin};
use crate::oidc::clients::authenticate_app;
use crate::oidc::{issuer, OAuthError, OAuthResult};
use crate::Gateway;

pub async fn grant(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &Form,
    jkt: Option<&str>,
) -> OAuthResult<Map<String, Value>> {
    let app = authenticate_app(gw, req, instance, form).await?;
    if !app.config.grant_types.contains(&GrantType::RefreshToken) {
        return Err(OAuthError::new(
            "unauthorized_client",
            "the app does not allow the refresh_token grant",
        ));
    }
    let presented = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is missing"))?;
    // A family bound to a DPoP key refreshes only with a proof of that key (the family
    // decides, before its token rotates).
    let (family_id, grant, next) = gw.bus.rotate_refresh(instance, presented, jkt).await?;
    if grant.client_id != app.client_id {
        gw.bus.revoke_refresh_family(instance, &family_id).await?;
        return Err(OAuthError::new(
            "invalid_grant",
            "the refresh token belongs to another client",
        ));
    }
    let user = active_user(gw, instance, &grant.user_id).await?;
    let iss = issuer(gw, req)?;
    let login = UserLogin {
        instance,
        issuer: &iss,
        app: &app,
        user: &user,
        scope: &grant.scope,
        auth_time_ms: grant.auth_time,
        nonce: None,
        session_id: grant.session_id.as_deref(),
        family_id: Some(&family_id),
        amr: &grant.amr,
        jkt,
    };
    let (access, id_token) = login_tokens(gw, &login).await?;
    Ok(response(access, &grant.scope, Some(id_token), Some(next)))
}
