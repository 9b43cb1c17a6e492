//! Introspection (RFC 7662) and revocation (RFC 7009) of access and refresh tokens, by
//! authenticated clients.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::app::AuthMethod;
use serde_json::{json, Value};

use super::clients::{authenticate, Client};
use super::params::Params;
use super::{issuer, tokens, OAuthError, OAuthResult};
use crate::auth::instance_of;
use crate::Gateway;

pub async fn introspect(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: Params,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let form = form.0;
    // RFC 7662 2.1: only clients that hold a credential may introspect.
    if let Client::App(app) = authenticate(&gw, &req, &instance, &form, true).await? {
        if app.config.auth_method == AuthMethod::None {
            return Err(OAuthError::new(
                "invalid_client",
                "introspection is for confidential clients only",
            ));
        }
    }
    let token = form.get("token").cloned().unwrap_or_default();
    let answer = match tokens::validate(&gw, &instance, &issuer(&req), &token).await {
        Ok(c) => json!({
            "active": true, "token_type": "Bearer", "scope": c["scope"], "client_id": c["client_id"],
            "sub": c["sub"], "aud": c["aud"], "iss": c["iss"], "exp": c["exp"], "iat": c["iat"],
            "jti": c["jti"],
        }),
        Err(_) => json!({"active": false}),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(answer))
}

/// Revokes a refresh token's family, or the family an access token belongs to. Unknown tokens
/// are not an error (RFC 7009).
pub async fn revoke(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: Params,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let form = form.0;
    let client = authenticate(&gw, &req, &instance, &form, true).await?;
    let token = form.get("token").cloned().unwrap_or_default();
    let family = match command::oidc::split_token(&token) {
        Some((id, _)) if !token.contains(' ') && token.matches('.').count() == 1 => {
            Some(id.to_string())
        }
        _ => tokens::validate(&gw, &instance, &issuer(&req), &token)
            .await
            .ok()
            .and_then(|c: Value| c["fid"].as_str().map(String::from)),
    };
    if let Some(fid) = family {
        // Only the client the family was issued to may revoke it.
        if let Some(grant) = gw.bus.refresh_family(&instance, &fid).await? {
            if grant.client_id == client.client_id() {
                gw.bus.revoke_refresh_family(&instance, &fid).await?;
            }
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}
