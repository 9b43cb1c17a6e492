//! `grant_type=refresh_token`: the token rotates on every use; a rotated token used again
//! revokes its whole family.

use actix_web::HttpRequest;
use serde_json::{Map, Value};

use super::{response, Form};
use crate::oidc::clients::{authenticate, Client};
use crate::oidc::tokens::{self, AccessGrant, IdToken};
use crate::oidc::{claims, issuer, OAuthError, OAuthResult};
use crate::reads::read;
use crate::Gateway;

pub async fn grant(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &Form,
) -> OAuthResult<Map<String, Value>> {
    let Client::App(app) = authenticate(gw, req, instance, form, false).await? else {
        return Err(OAuthError::new("unauthorized_client", "not an application"));
    };
    let presented = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is missing"))?;
    let (family_id, grant, next) = gw.bus.rotate_refresh(instance, presented).await?;
    if grant.client_id != app.client_id {
        gw.bus.revoke_refresh_family(instance, &family_id).await?;
        return Err(OAuthError::new(
            "invalid_grant",
            "the refresh token belongs to another client",
        ));
    }
    let (i, u) = (instance.to_string(), grant.user_id.clone());
    let user = read(gw, move |m| m.user(&i, &u))
        .await?
        .filter(|u| u.state == "active")
        .ok_or_else(|| OAuthError::new("invalid_grant", "the user cannot log in"))?;
    let iss = issuer(req);
    let access = tokens::access_token(
        gw,
        &AccessGrant {
            instance,
            issuer: &iss,
            client_id: &app.client_id,
            project_id: Some(&app.project_id),
            user_id: &user.id,
            scope: &grant.scope,
            family_id: Some(&family_id),
            kind: app.config.access_token_type,
            alg: &app.signing.access_token_alg,
        },
    )
    .await?;
    let mut extra = Map::new();
    if let Some(roles) =
        claims::roles_if_asked(gw, instance, &user.id, &app.project_id, &grant.scope).await?
    {
        extra.insert(claims::ROLES_CLAIM.into(), roles);
    }
    let id_token = tokens::id_token(
        gw,
        IdToken {
            instance,
            issuer: &iss,
            client_id: &app.client_id,
            user: &user,
            scope: &grant.scope,
            auth_time_ms: grant.auth_time,
            nonce: None,
            extra,
            alg: &app.signing.id_token_alg,
        },
    )
    .await?;
    Ok(response(access, &grant.scope, Some(id_token), Some(next)))
}
