//! UserInfo: GET with the Bearer header, POST with the header or the `access_token` form field.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::{claims, issuer, tokens, OAuthError, OAuthResult};
use crate::auth::instance_of;
use crate::Gateway;

fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
}

async fn answer(
    gw: &Gateway,
    req: &HttpRequest,
    token: Option<String>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(gw, req).await?;
    let token =
        token.ok_or_else(|| OAuthError::new("invalid_token", "an access token is required"))?;
    let (c, user) = tokens::validate_with_user(gw, &instance, &issuer(gw, req)?, &token)
        .await
        .map_err(|_| OAuthError::new("invalid_token", "the access token is not active"))?;
    let scope: Vec<String> = c["scope"]
        .as_str()
        .unwrap_or("")
        .split(' ')
        .map(String::from)
        .collect();
    if !scope.iter().any(|s| s == "openid") {
        return Err(OAuthError::new(
            "insufficient_scope",
            "the token has no openid scope",
        ));
    }
    // An app's own token has no user to describe.
    let user =
        user.ok_or_else(|| OAuthError::new("invalid_token", "the access token has no user"))?;
    let mut out = Map::new();
    claims::user_claims(&user, &scope, &mut out);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Value::Object(out)))
}

pub async fn get(gw: web::Data<Gateway>, req: HttpRequest) -> OAuthResult<HttpResponse> {
    let token = bearer(&req);
    answer(&gw, &req, token).await
}

pub async fn post(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: Option<web::Form<HashMap<String, String>>>,
) -> OAuthResult<HttpResponse> {
    let token = bearer(&req).or_else(|| form.and_then(|f| f.get("access_token").cloned()));
    answer(&gw, &req, token).await
}
