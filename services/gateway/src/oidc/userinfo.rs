//! UserInfo: GET with the `Authorization` header (`Bearer`, or `DPoP` with a proof for a
//! DPoP-bound token), POST with the header or the `access_token` form field.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use domain::actions::Function;
use serde_json::{Map, Value};

use super::dpop::{self, Scheme};
use super::{claims, issuer, tokens, OAuthError, OAuthResult};
use crate::action_hooks;
use crate::auth::instance_of;
use crate::Gateway;

fn presented(req: &HttpRequest) -> Option<(Scheme, String)> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(dpop::authorization)
        .map(|(scheme, t)| (scheme, t.to_string()))
}

async fn answer(
    gw: &Gateway,
    req: &HttpRequest,
    token: Option<(Scheme, String)>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(gw, req).await?;
    let (scheme, token) =
        token.ok_or_else(|| OAuthError::new("invalid_token", "an access token is required"))?;
    let iss = issuer(gw, req)?;
    let (c, user) = tokens::validate_with_user(gw, &instance, &iss, &token)
        .await
        .map_err(|_| OAuthError::new("invalid_token", "the access token is not active"))?;
    let resource = dpop::Resource {
        method: req.method().as_str(),
        url: format!("{iss}{}", req.path()),
        proof: dpop::proof_of(req).map_err(|e| OAuthError::from(e).at_resource())?,
    };
    dpop::check_presented(gw, scheme, &token, dpop::bound_key(&c), &resource)
        .map_err(|e| OAuthError::from(e).at_resource())?;
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
    let to = action_hooks::ClaimsFor {
        instance: &instance,
        user_id: &user.id,
        client_id: c["client_id"].as_str().unwrap_or_default(),
        scope: &scope,
    };
    action_hooks::append_claims(gw, Function::Preuserinfo, &to, &mut out).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Value::Object(out)))
}

pub async fn get(gw: web::Data<Gateway>, req: HttpRequest) -> OAuthResult<HttpResponse> {
    let token = presented(&req);
    answer(&gw, &req, token).await
}

pub async fn post(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: Option<web::Form<HashMap<String, String>>>,
) -> OAuthResult<HttpResponse> {
    let token = presented(&req).or_else(|| {
        form.and_then(|f| f.get("access_token").cloned())
            .map(|t| (Scheme::Bearer, t))
    });
    answer(&gw, &req, token).await
}
