//! `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693), for confidential
//! apps that allow it:
//! - **exchange**: an access token of this instance (`subject_token`) for one of the calling
//!   app, about the same user, with at most the scope it had;
//! - **delegation**: the same with an `actor_token`: the new token names its actor in `act`;
//! - **impersonation**: `subject_token` a user's id (type
//!   `urn:portcullis:params:oauth:token-type:user_id`) and the impersonator's access token as
//!   `actor_token`: a token as that user with the impersonator in `act`, where the `security`
//!   settings and the impersonation rule allow it; recorded on the user.

use actix_web::HttpRequest;
use domain::app::GrantType;
use serde_json::{json, Map, Value};

use super::{active_user, response, Form};
use crate::auth::load_principal;
use crate::oidc::tokens::{self, AccessGrant};
use crate::oidc::{audience, issuer, OAuthError, OAuthResult};
use crate::reads::read;
use crate::Gateway;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
/// A user named by their id: impersonation.
pub const USER_ID: &str = "urn:portcullis:params:oauth:token-type:user_id";

fn invalid_request(why: &str) -> OAuthError {
    OAuthError::new("invalid_request", why)
}

/// The claims of a live access token of a user of this instance.
async fn user_token(
    gw: &Gateway,
    instance: &str,
    issuer: &str,
    token: &str,
    what: &str,
    jkt: Option<&str>,
) -> OAuthResult<Value> {
    let claims = tokens::validate(gw, instance, issuer, token)
        .await
        .map_err(|_| {
            OAuthError::new(
                "invalid_grant",
                format!("{what} is not an active access token of this issuer"),
            )
        })?;
    if claims["sub"] == claims["client_id"] {
        return Err(OAuthError::new(
            "invalid_grant",
            format!("{what} is an app's own token, not a user's"),
        ));
    }
    // A token bound to a DPoP key is exchanged only with a proof of that key: else whoever
    // holds a copy could trade it for a token bound to nothing.
    if let Some(bound) = crate::oidc::dpop::bound_key(&claims) {
        if jkt != Some(bound) {
            return Err(OAuthError::new(
                "invalid_dpop_proof",
                format!("{what} is bound to a DPoP key: send a proof of that key"),
            ));
        }
    }
    Ok(claims)
}

/// Whether a token type names an access token of ours.
fn access_token_type(t: &str) -> bool {
    t == ACCESS_TOKEN || t == JWT
}

pub async fn grant(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &Form,
    jkt: Option<&str>,
) -> OAuthResult<Map<String, Value>> {
    let app = crate::oidc::clients::authenticate_app(gw, req, instance, form).await?;
    if !app.config.auth_method.is_confidential()
        || !app.config.grant_types.contains(&GrantType::TokenExchange)
    {
        return Err(OAuthError::new(
            "unauthorized_client",
            "the app does not allow token exchange",
        ));
    }
    if form
        .get("requested_token_type")
        .is_some_and(|t| !access_token_type(t))
    {
        return Err(invalid_request("only access tokens are issued by exchange"));
    }
    let subject = form
        .get("subject_token")
        .ok_or_else(|| invalid_request("subject_token is missing"))?;
    let subject_type = form
        .get("subject_token_type")
        .ok_or_else(|| invalid_request("subject_token_type is missing"))?;
    let iss = issuer(gw, req)?;
    let actor = match (form.get("actor_token"), form.get("actor_token_type")) {
        (Some(t), Some(kind)) if access_token_type(kind) => {
            Some(user_token(gw, instance, &iss, t, "actor_token", jkt).await?)
        }
        (None, None) => None,
        _ => {
            return Err(invalid_request(
                "actor_token comes with an access token type, and only with it",
            ))
        }
    };
    let asked = crate::oidc::scopes(form.get("scope"));
    let (user_id, scope, previous_act) = match subject_type.as_str() {
        t if access_token_type(t) => {
            let claims = user_token(gw, instance, &iss, subject, "subject_token", jkt).await?;
            let had = crate::oidc::scopes(claims["scope"].as_str().map(String::from).as_ref());
            // At most the scope the subject token had.
            let scope = match asked.is_empty() {
                true => had,
                false => asked.into_iter().filter(|s| had.contains(s)).collect(),
            };
            let sub = claims["sub"].as_str().unwrap_or_default().to_string();
            (sub, scope, claims.get("act").cloned())
        }
        USER_ID => {
            let actor = actor.as_ref().ok_or_else(|| {
                invalid_request(
                    "impersonation needs the impersonator's access token as actor_token",
                )
            })?;
            let by = actor["sub"].as_str().unwrap_or_default().to_string();
            let (i, map) = (instance.to_string(), gw.authz.role_map().clone());
            let principal = read(gw, move |m| load_principal(m, &i, &by, &map))
                .await?
                .map(|(p, _)| p)
                .ok_or_else(|| OAuthError::new("invalid_grant", "the actor is not a user"))?;
            let caller = authz::Caller::Principal(std::sync::Arc::new(principal));
            gw.bus
                .impersonate(&caller, instance, subject, &app.client_id)
                .await
                .map_err(|e| match e.code {
                    domain::Code::PermissionDenied => OAuthError::new(
                        "access_denied",
                        format!("the actor may not impersonate this user: {}", e.message),
                    ),
                    domain::Code::ImpersonationOff | domain::Code::UserNotFound => {
                        OAuthError::new("invalid_request", e.message)
                    }
                    _ => e.into(),
                })?;
            (subject.clone(), asked, None)
        }
        other => {
            return Err(invalid_request(&format!(
                "subject_token_type {other} is not supported"
            )))
        }
    };
    let user = active_user(gw, instance, &user_id).await?;
    // The new token is the calling app's: it names only audiences the app's org may ask for.
    let org = audience::org_of_project(gw, instance, &app.project_id).await?;
    audience::check(gw, instance, &org, &scope).await?;
    // Who acts: the actor, and before it whoever acted in the subject token.
    let act = actor.map(|a| {
        let mut act = json!({"sub": a["sub"]});
        if let Some(previous) = previous_act {
            act["act"] = previous;
        }
        act
    });
    let grant = AccessGrant {
        instance,
        issuer: &iss,
        client_id: &app.client_id,
        project_id: Some(&app.project_id),
        user_id: &user.id,
        scope: &scope,
        family_id: None,
        kind: app.config.access_token_type,
        alg: &app.signing.access_token_alg,
        act,
        jkt,
    };
    let access = tokens::access_token(gw, &grant).await?;
    let mut answer = response(access, &scope, None, None);
    answer.insert("issued_token_type".into(), ACCESS_TOKEN.into());
    Ok(answer)
}
