//! `/.well-known/openid-configuration` and the JWKS.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{issuer, keyring, OAuthResult};
use crate::auth::instance_of;
use crate::Gateway;

pub async fn configuration(gw: web::Data<Gateway>, req: HttpRequest) -> OAuthResult<HttpResponse> {
    instance_of(&gw, &req).await?;
    let iss = issuer(&req);
    Ok(HttpResponse::Ok().json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth/v2/authorize"),
        "token_endpoint": format!("{iss}/oauth/v2/token"),
        "userinfo_endpoint": format!("{iss}/oidc/v1/userinfo"),
        "jwks_uri": format!("{iss}/oauth/v2/keys"),
        "introspection_endpoint": format!("{iss}/oauth/v2/introspect"),
        "revocation_endpoint": format!("{iss}/oauth/v2/revoke"),
        "end_session_endpoint": format!("{iss}/oidc/v1/end_session"),
        "scopes_supported": ["openid", "profile", "email", "phone", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name",
            "given_name", "family_name", "preferred_username", "email", "email_verified",
            "locale", "phone_number", "phone_number_verified", "sid",
            "urn:portcullis:project:roles"],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    })))
}

pub async fn keys(gw: web::Data<Gateway>, req: HttpRequest) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let keys = keyring::jwks(&gw, &instance).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(json!({ "keys": *keys })))
}
