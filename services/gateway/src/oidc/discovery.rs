//! `/.well-known/openid-configuration` and the JWKS. Both are served as bytes made once: the
//! discovery document per issuer (the external URL of a domain an instance was configured
//! with: a host that names no instance is refused before anything is made), the JWKS per
//! instance for as long as its keys stay the same.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{issuer, keyring, OAuthResult};
use crate::auth::instance_of;
use crate::Gateway;

/// Discovery documents by issuer; only issuers of real domains get here.
#[derive(Default)]
pub struct Documents(Mutex<HashMap<String, Bytes>>);

const MAX_ISSUERS: usize = 10_000;

impl Documents {
    pub fn bytes(&self) -> usize {
        let documents = self.0.lock().expect("documents");
        documents.iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}

pub async fn configuration(gw: web::Data<Gateway>, req: HttpRequest) -> OAuthResult<HttpResponse> {
    instance_of(&gw, &req).await?;
    let iss = issuer(&gw, &req)?;
    let cached = gw.documents.0.lock().expect("documents").get(&iss).cloned();
    let body = match cached {
        Some(body) => body,
        None => {
            let body = Bytes::from(document(&iss).to_string());
            let mut documents = gw.documents.0.lock().expect("documents");
            if documents.len() >= MAX_ISSUERS {
                documents.clear();
            }
            documents.insert(iss, body.clone());
            body
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body))
}

/// What client assertions may be signed with: the keys' algorithms, and HS256 with the secret.
const ASSERTION_ALGS: [&str; 4] = ["RS256", "ES256", "EdDSA", "HS256"];

fn document(iss: &str) -> Value {
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth/v2/authorize"),
        "token_endpoint": format!("{iss}/oauth/v2/token"),
        "userinfo_endpoint": format!("{iss}/oidc/v1/userinfo"),
        "jwks_uri": format!("{iss}/oauth/v2/keys"),
        "introspection_endpoint": format!("{iss}/oauth/v2/introspect"),
        "revocation_endpoint": format!("{iss}/oauth/v2/revoke"),
        "pushed_authorization_request_endpoint": format!("{iss}/oauth/v2/par"),
        "device_authorization_endpoint": format!("{iss}/oauth/v2/device_authorization"),
        "require_pushed_authorization_requests": false,
        "end_session_endpoint": format!("{iss}/oidc/v1/end_session"),
        "scopes_supported": ["openid", "profile", "email", "phone", "offline_access",
            super::audience::API_SCOPE],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
            super::grants::jwt_bearer::GRANT_TYPE, super::grants::device_code::GRANT_TYPE,
            super::grants::token_exchange::GRANT_TYPE],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
            "private_key_jwt", "client_secret_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic",
            "client_secret_post", "private_key_jwt", "client_secret_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post",
            "private_key_jwt", "client_secret_jwt", "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": domain::oidc::dpop::ALGS,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name",
            "given_name", "family_name", "preferred_username", "email", "email_verified",
            "locale", "phone_number", "phone_number_verified", "sid", "amr", "acr",
            "urn:portcullis:project:roles"],
        "acr_values_supported": [domain::oidc::ACR_ONE_FACTOR, domain::oidc::ACR_MFA],
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    })
}

pub async fn keys(gw: web::Data<Gateway>, req: HttpRequest) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .content_type(ContentType::json())
        .body(keyring::jwks_document(&gw, &instance).await?))
}
