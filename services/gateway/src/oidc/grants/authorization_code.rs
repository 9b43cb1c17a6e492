//! `grant_type=authorization_code`: a single-use code for the client it was issued to, at the
//! same redirect URI, with the PKCE verifier of its challenge. A second use is `invalid_grant`
//! and revokes what the first one issued.

use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::validate::same_secret;
use serde_json::{Map, Value};

use super::{active_user, response, tokens_of_login, Form, UserLogin};
use crate::oidc::clients::authenticate_app;
use crate::oidc::{issuer, OAuthError, OAuthResult};
use crate::Gateway;

/// RFC 7636 4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn pkce_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fn invalid_grant(why: &str) -> OAuthError {
    OAuthError::new("invalid_grant", why)
}

pub async fn grant(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &Form,
    jkt: Option<&str>,
) -> OAuthResult<Map<String, Value>> {
    let app = authenticate_app(gw, req, instance, form).await?;
    let code = form
        .get("code")
        .ok_or_else(|| OAuthError::new("invalid_request", "code is missing"))?;
    // The keys that will sign are made (and readable) before the single-use code is spent: an
    // instance's first tokens never burn a code on keys that are not readable yet.
    for alg in [&app.signing.id_token_alg, &app.signing.access_token_alg] {
        crate::oidc::keyring::signer(gw, instance, alg).await?;
    }
    let (request, family_id) = gw.bus.exchange_code(instance, code).await?;
    let p = &request.params;
    if p.client_id != app.client_id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if form.get("redirect_uri") != Some(&p.redirect_uri) {
        return Err(invalid_grant(
            "redirect_uri is not the one of the authorization request",
        ));
    }
    match (&p.code_challenge, form.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            if !pkce_verifier(verifier) {
                return Err(invalid_grant(
                    "code_verifier must be 43 to 128 unreserved characters (RFC 7636)",
                ));
            }
            let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
            if !same_secret(&URL_SAFE_NO_PAD.encode(digest), challenge) {
                return Err(invalid_grant(
                    "the code_verifier does not match the code_challenge",
                ));
            }
        }
        (Some(_), None) => return Err(invalid_grant("code_verifier is missing")),
        // A verifier for a code issued without a challenge: a downgrade (RFC 9700 2.1.1).
        (None, Some(_)) => {
            return Err(invalid_grant(
                "the code was issued without a code_challenge: send no code_verifier",
            ))
        }
        (None, None) => {}
    }
    // A code asked for with `dpop_jkt` goes only with a proof of that key.
    if p.dpop_jkt.is_some() && p.dpop_jkt.as_deref() != jkt {
        return Err(OAuthError::new(
            "invalid_dpop_proof",
            "the code is bound to a DPoP key (dpop_jkt): send a proof of that key",
        ));
    }
    let login = request
        .login
        .as_ref()
        .ok_or_else(|| invalid_grant("the code is not valid"))?;
    let user = active_user(gw, instance, &login.user_id).await?;
    let iss = issuer(gw, req)?;
    // Every exchange starts a family, named by its access tokens: revoking it (the code used
    // again, `/revoke`) ends them all, with or without refresh tokens.
    let l = UserLogin {
        instance,
        issuer: &iss,
        app: &app,
        user: &user,
        scope: &p.scope,
        auth_time_ms: login.auth_time,
        nonce: p.nonce.as_deref(),
        session_id: Some(&login.session_id),
        family_id: Some(&family_id),
        amr: &login.amr,
        jkt,
    };
    let (access, id_token, refresh_token) = tokens_of_login(gw, &l, login).await?;
    Ok(response(access, &p.scope, Some(id_token), refresh_token))
}
