//! The token endpoint: one file per grant type.

mod authorization_code;
mod client_credentials;
pub(crate) mod device_code;
pub(crate) mod jwt_bearer;
mod refresh_token;
pub(crate) mod token_exchange;

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::dpop;
use super::params::Params;
use super::{OAuthError, OAuthResult};
use crate::auth::instance_of;
use crate::limits::Subject;
use crate::Gateway;

pub type Form = HashMap<String, String>;

pub async fn token(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: Params,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let form = form.0;
    // Codes and refresh tokens that do not hold count against the address they came from.
    let who = Subject {
        ip: gw.edge.client_ip(&req),
        instance: &instance,
        account: None,
    };
    gw.limits.check(&who)?;
    // A DPoP proof binds the tokens to its key (RFC 9449).
    let jkt = dpop::at_token_endpoint(&gw, &req, &instance).await?;
    // The instance's keys are readable before any grant spends a single-use code or rotates a
    // refresh token: a read model that lags answers "try again" while nothing is spent yet.
    crate::oidc::keyring::jwks(&gw, &instance).await?;
    let mut body = grant(&gw, &req, &instance, &form, jkt.as_deref())
        .await
        .inspect_err(|e| {
            if e.error == "invalid_grant" {
                gw.limits.failed(&who);
            }
        })?;
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"));
    if jkt.is_some() {
        body.insert("token_type".into(), "DPoP".into());
        answer.insert_header((dpop::NONCE_HEADER, dpop::nonce(&gw, &instance)?));
    }
    Ok(answer.json(Value::Object(body)))
}

async fn grant(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &Form,
    jkt: Option<&str>,
) -> OAuthResult<Map<String, Value>> {
    Ok(match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            authorization_code::grant(gw, req, instance, form, jkt).await?
        }
        Some("refresh_token") => refresh_token::grant(gw, req, instance, form, jkt).await?,
        Some("client_credentials") => {
            client_credentials::grant(gw, req, instance, form, jkt).await?
        }
        Some(jwt_bearer::GRANT_TYPE) => jwt_bearer::grant(gw, req, instance, form, jkt).await?,
        Some(device_code::GRANT_TYPE) => device_code::grant(gw, req, instance, form, jkt).await?,
        Some(token_exchange::GRANT_TYPE) => {
            token_exchange::grant(gw, req, instance, form, jkt).await?
        }
        Some(other) => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!("grant_type {other} is not supported"),
            ))
        }
        None => return Err(OAuthError::new("invalid_request", "grant_type is missing")),
    })
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

/// A user's login at an app, as both user-facing grants issue tokens for it.
pub struct UserLogin<'a> {
    pub instance: &'a str,
    pub issuer: &'a str,
    pub app: &'a readmodel::AppRow,
    pub user: &'a readmodel::UserRow,
    pub scope: &'a [String],
    pub auth_time_ms: i64,
    pub nonce: Option<&'a str>,
    pub session_id: Option<&'a str>,
    /// The refresh family the tokens belong to, if any.
    pub family_id: Option<&'a str>,
    /// How the user authenticated (RFC 8176); empty for logins recorded before it was.
    pub amr: &'a [String],
    /// The DPoP key the access token is bound to (its thumbprint).
    pub jkt: Option<&'a str>,
}

/// The access token and the ID token (with the project roles when asked) of a login.
pub async fn login_tokens(
    gw: &Gateway,
    l: &UserLogin<'_>,
) -> Result<(String, String), domain::Error> {
    use super::{claims, tokens};
    let access = tokens::access_token(
        gw,
        &tokens::AccessGrant {
            instance: l.instance,
            issuer: l.issuer,
            client_id: &l.app.client_id,
            project_id: Some(&l.app.project_id),
            user_id: &l.user.id,
            scope: l.scope,
            family_id: l.family_id,
            kind: l.app.config.access_token_type,
            alg: &l.app.signing.access_token_alg,
            act: None,
            jkt: l.jkt,
        },
    )
    .await?;
    let mut extra = Map::new();
    if let Some(sid) = l.session_id {
        extra.insert("sid".into(), sid.into());
    }
    if !l.amr.is_empty() {
        extra.insert("amr".into(), l.amr.into());
        extra.insert("acr".into(), domain::oidc::acr(l.amr).into());
    }
    if let Some(roles) =
        claims::roles_if_asked(gw, l.instance, &l.user.id, &l.app.project_id, l.scope).await?
    {
        extra.insert(claims::ROLES_CLAIM.into(), roles);
    }
    let id_token = tokens::id_token(
        gw,
        tokens::IdToken {
            instance: l.instance,
            issuer: l.issuer,
            client_id: &l.app.client_id,
            user: l.user,
            scope: l.scope,
            auth_time_ms: l.auth_time_ms,
            nonce: l.nonce,
            extra,
            alg: &l.app.signing.id_token_alg,
        },
    )
    .await?;
    Ok((access, id_token))
}

/// A user's login at an app turned into tokens: a refresh family `family_id` started (with a
/// refresh token when the app allows them), the access token and the ID token.
pub async fn tokens_of_login(
    gw: &Gateway,
    l: &UserLogin<'_>,
    login: &domain::oidc::Login,
) -> OAuthResult<(String, String, Option<String>)> {
    let family_id = l
        .family_id
        .ok_or_else(|| domain::Error::internal("a login's tokens start a refresh family"))?;
    let refresh = l
        .app
        .config
        .grant_types
        .contains(&domain::app::GrantType::RefreshToken);
    let grant = domain::oidc::Grant {
        user_id: l.user.id.clone(),
        client_id: l.app.client_id.clone(),
        project_id: l.app.project_id.clone(),
        scope: l.scope.to_vec(),
        auth_time: login.auth_time,
        session_id: Some(login.session_id.clone()),
        amr: login.amr.clone(),
        // A public client's refresh tokens are bound to its DPoP key (RFC 9449 5); a
        // confidential client's are bound to it by its authentication already.
        jkt: l
            .jkt
            .filter(|_| !l.app.config.auth_method.is_confidential())
            .map(String::from),
        issuer: Some(l.issuer.to_string()),
    };
    let refresh_token = gw
        .bus
        .issue_refresh(l.instance, family_id, grant, refresh)
        .await?;
    let (access, id_token) = login_tokens(gw, l).await?;
    Ok((access, id_token, refresh_token))
}

/// The user of a grant, if it may still log in.
pub async fn active_user(
    gw: &Gateway,
    instance: &str,
    user_id: &str,
) -> OAuthResult<readmodel::UserRow> {
    let (i, u) = (instance.to_string(), user_id.to_string());
    crate::reads::read(gw, move |m| m.user(&i, &u))
        .await?
        .filter(|u| u.state == "active")
        .ok_or_else(|| OAuthError::new("invalid_grant", "the user cannot log in"))
}
