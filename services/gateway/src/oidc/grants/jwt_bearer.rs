//! `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 section 2.1): a machine
//! user signs an assertion with one of its keys (`iss` and `sub` its user id, `aud` the
//! issuer) and gets an access token about itself, as with client credentials. No client
//! authentication is needed: the assertion is the credential, good once.

use actix_web::HttpRequest;
use serde_json::{Map, Value};

use super::client_credentials::machine_grant;
use super::{response, Form};
use crate::oidc::{assertions, audience, issuer, tokens, OAuthError, OAuthResult};
use crate::Gateway;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn refused() -> OAuthError {
    OAuthError::new("invalid_grant", "the assertion is not valid")
}

/// The machine user an assertion claims to come from, if it is one and may log in. The read
/// model answers first (an id that names nobody reaches no actor), once more after catching
/// up with the log.
async fn machine(gw: &Gateway, instance: &str, id: &str) -> OAuthResult<readmodel::UserRow> {
    let find = || async {
        let (i, u) = (instance.to_string(), id.to_string());
        crate::reads::read(gw, move |m| m.user(&i, &u)).await
    };
    let mut row = find().await?;
    if row.is_none() && crate::reads::caught_up(gw).await.is_ok() {
        row = find().await?;
    }
    row.filter(|u| u.kind == "machine" && u.state == "active")
        .ok_or_else(refused)
}

pub async fn grant(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &Form,
    jkt: Option<&str>,
) -> OAuthResult<Map<String, Value>> {
    let assertion = form
        .get("assertion")
        .ok_or_else(|| OAuthError::new("invalid_request", "assertion is missing"))?;
    let subject = assertions::claimed_subject(assertion).ok_or_else(refused)?;
    if subject.chars().count() > domain::validate::MAX_NAME {
        return Err(refused());
    }
    let row = machine(gw, instance, &subject).await?;
    let user = gw.bus.user(instance, &subject).await?;
    let claims = assertions::signed_by(assertion, &user.machine_keys)?;
    assertions::accept(gw, req, instance, assertion, &claims, &subject).await?;
    let scope = crate::oidc::scopes(form.get("scope"));
    audience::check(gw, instance, &row.org_id, &scope).await?;
    let iss = issuer(gw, req)?;
    let access =
        tokens::access_token(gw, &machine_grant(instance, &iss, &row, &scope, jkt)).await?;
    Ok(response(access, &scope, None, None))
}
