//! Introspection (RFC 7662) and revocation (RFC 7009) of access and refresh tokens, by
//! authenticated clients.

use actix_web::{web, HttpRequest, HttpResponse};
use domain::app::AuthMethod;
use serde_json::json;

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
    let answer = match tokens::validate(&gw, &instance, &issuer(&gw, &req)?, &token).await {
        Ok(c) => {
            let bound = super::dpop::bound_key(&c).is_some();
            let mut answer = json!({
                "active": true, "token_type": if bound { "DPoP" } else { "Bearer" },
                "scope": c["scope"],
                "client_id": c["client_id"], "sub": c["sub"], "aud": c["aud"], "iss": c["iss"],
                "exp": c["exp"], "iat": c["iat"], "jti": c["jti"],
            });
            // Who acts as the user, for a token of a token exchange.
            if let Some(act) = c.get("act") {
                answer["act"] = act.clone();
            }
            // The key a DPoP-bound token must be presented with (RFC 9449 6.2).
            if let Some(cnf) = c.get("cnf") {
                answer["cnf"] = cnf.clone();
            }
            answer
        }
        Err(_) => json!({"active": false}),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(answer))
}

/// Revokes a refresh token's family (the whole token must be shown, not its family id alone),
/// or the family an access token belongs to, and with it every token of that login; an access
/// token outside any family (client credentials) alone. Only the client the tokens were
/// issued to may revoke them; unknown tokens are not an error (RFC 7009).
pub async fn revoke(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: Params,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let form = form.0;
    let client = authenticate(&gw, &req, &instance, &form, true).await?;
    let token = form.get("token").cloned().unwrap_or_default();
    let refresh = match command::oidc::split_token(&token) {
        Some((id, _)) if !token.contains(' ') && token.matches('.').count() == 1 => {
            Some(id.to_string())
        }
        _ => None,
    };
    let access = match &refresh {
        Some(_) => None,
        None => tokens::validate(&gw, &instance, &issuer(&gw, &req)?, &token)
            .await
            .ok(),
    };
    let family = match (&refresh, &access) {
        (Some(id), _) => Some(id.clone()),
        (None, Some(claims)) => claims["fid"].as_str().map(String::from),
        (None, None) => None,
    };
    let Some(fid) = family else {
        // An access token outside any family (client credentials) is revoked on its own, by
        // the client it was issued to.
        if let Some(c) = access.filter(|c| c["client_id"] == client.client_id()) {
            let (sub, jti) = (c["sub"].as_str(), c["jti"].as_str());
            if let (Some(sub), Some(jti)) = (sub, jti) {
                let exp = c["exp"].as_i64().unwrap_or(0);
                super::revoked::revoke(&gw, &instance, sub, jti, exp).await?;
            }
        }
        return Ok(revoked());
    };
    let issued_to_caller = gw
        .bus
        .refresh_family(&instance, &fid)
        .await?
        .is_some_and(|grant| grant.client_id == client.client_id());
    if issued_to_caller {
        match refresh {
            Some(_) => gw.bus.revoke_refresh_token(&instance, &token).await?,
            None => gw.bus.revoke_refresh_family(&instance, &fid).await?,
        }
    }
    Ok(revoked())
}

fn revoked() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}
