//! `grant_type=client_credentials`: a machine user authenticates with its login name and
//! client secret and gets an access token about itself (as ZITADEL does).

use actix_web::HttpRequest;
use domain::app::AccessTokenType;
use serde_json::{Map, Value};

use super::{response, Form};
use crate::oidc::clients::{authenticate, Client};
use crate::oidc::tokens::{self, AccessGrant};
use crate::oidc::{issuer, OAuthError, OAuthResult};
use crate::Gateway;

pub async fn grant(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &Form,
) -> OAuthResult<Map<String, Value>> {
    let Client::Machine(user) = authenticate(gw, req, instance, form, true).await? else {
        return Err(OAuthError::new(
            "unauthorized_client",
            "client_credentials is for machine users",
        ));
    };
    let scope: Vec<String> = form
        .get("scope")
        .map(|s| {
            s.split(' ')
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let iss = issuer(req);
    let access = tokens::access_token(
        gw,
        &AccessGrant {
            instance,
            issuer: &iss,
            client_id: &user.username,
            project_id: None,
            user_id: &user.id,
            scope: &scope,
            family_id: None,
            kind: AccessTokenType::Jwt,
            alg: "ES256",
        },
    )
    .await?;
    Ok(response(access, &scope, None, None))
}
