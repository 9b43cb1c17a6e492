//! The token endpoint: one file per grant type.

mod authorization_code;
mod client_credentials;
mod refresh_token;

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::{OAuthError, OAuthResult};
use crate::auth::instance_of;
use crate::Gateway;

pub type Form = HashMap<String, String>;

pub async fn token(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<Form>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let form = form.into_inner();
    let body = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            authorization_code::grant(&gw, &req, &instance, &form).await?
        }
        Some("refresh_token") => refresh_token::grant(&gw, &req, &instance, &form).await?,
        Some("client_credentials") => {
            client_credentials::grant(&gw, &req, &instance, &form).await?
        }
        Some(other) => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!("grant_type {other} is not supported"),
            ))
        }
        None => return Err(OAuthError::new("invalid_request", "grant_type is missing")),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"))
        .json(Value::Object(body)))
}

/// The response of a token request.
pub fn response(
    access_token: String,
    scope: &[String],
    id_token: Option<String>,
    refresh_token: Option<String>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("access_token".into(), access_token.into());
    m.insert("token_type".into(), "Bearer".into());
    m.insert("expires_in".into(), super::tokens::ACCESS_TTL_SECS.into());
    m.insert("scope".into(), scope.join(" ").into());
    if let Some(t) = id_token {
        m.insert("id_token".into(), t.into());
    }
    if let Some(t) = refresh_token {
        m.insert("refresh_token".into(), t.into());
    }
    m
}
