//! `grant_type=client_credentials`: a machine user authenticates with its login name and
//! client secret and gets an access token about itself (as ZITADEL does); a confidential app
//! that allows the grant gets one about itself (`sub` is its client id).

use actix_web::HttpRequest;
use domain::app::{AccessTokenType, GrantType};
use serde_json::{Map, Value};

use super::{response, Form};
use crate::oidc::audience;
use crate::oidc::clients::{authenticate, Client};
use crate::oidc::tokens::{self, AccessGrant};
use crate::oidc::{issuer, OAuthError, OAuthResult};
use crate::Gateway;

pub async fn grant(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &Form,
    jkt: Option<&str>,
) -> OAuthResult<Map<String, Value>> {
    let client = authenticate(gw, req, instance, form, true).await?;
    let scope = crate::oidc::scopes(form.get("scope"));
    let org = match &client {
        Client::Machine(user) => user.org_id.clone(),
        Client::App(app) => audience::org_of_project(gw, instance, &app.project_id).await?,
    };
    audience::check(gw, instance, &org, &scope).await?;
    let iss = issuer(gw, req)?;
    let grant = match &client {
        Client::Machine(user) => machine_grant(instance, &iss, user, &scope, jkt),
        Client::App(app) => {
            if !app
                .config
                .grant_types
                .contains(&GrantType::ClientCredentials)
            {
                return Err(OAuthError::new(
                    "unauthorized_client",
                    "the app does not allow client_credentials",
                ));
            }
            AccessGrant {
                instance,
                issuer: &iss,
                client_id: &app.client_id,
                project_id: Some(&app.project_id),
                user_id: &app.client_id,
                scope: &scope,
                family_id: None,
                kind: app.config.access_token_type,
                alg: &app.signing.access_token_alg,
                act: None,
                jkt,
            }
        }
    };
    let access = tokens::access_token(gw, &grant).await?;
    Ok(response(access, &scope, None, None))
}

/// A machine user's access token about itself (a JWT; its client id is its login name).
pub(super) fn machine_grant<'a>(
    instance: &'a str,
    issuer: &'a str,
    user: &'a readmodel::UserRow,
    scope: &'a [String],
    jkt: Option<&'a str>,
) -> AccessGrant<'a> {
    AccessGrant {
        instance,
        issuer,
        client_id: &user.username,
        project_id: None,
        user_id: &user.id,
        scope,
        family_id: None,
        kind: AccessTokenType::Jwt,
        alg: "ES256",
        act: None,
        jkt,
    }
}
