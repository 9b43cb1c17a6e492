//! Pushed authorization requests (RFC 9126): a client posts its authorization request to the
//! PAR endpoint, authenticated as at the token endpoint, and gets a `request_uri` good for 60
//! seconds and one use, which the browser then carries to the authorization endpoint instead
//! of the parameters. The request is checked when pushed, as the authorization endpoint would
//! check it. Nothing is written when it is pushed: the `request_uri` is the request itself,
//! sealed with the master key; its one use is recorded when the authorization endpoint takes
//! it. An app may require PAR (`require_pushed_authorization_requests`).

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crypto::sealing::Purpose;
use domain::{Code, Error};
use serde::{Deserialize, Serialize};

use super::authorize::{checked, form_post};
use super::clients::authenticate_app;
use super::params::Params;
use super::{now_ms, OAuthError, OAuthResult};
use crate::auth::instance_of;
use crate::Gateway;

/// How long a pushed request may be used (seconds).
pub const LIFETIME_SECS: i64 = 60;
const PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// Client authentication, not part of the authorization request.
const CREDENTIALS: [&str; 3] = ["client_secret", "client_assertion", "client_assertion_type"];

/// A pushed request, as its `request_uri` carries it (sealed).
#[derive(Serialize, Deserialize)]
struct Pushed {
    id: String,
    client_id: String,
    /// Unix seconds.
    expires_at: i64,
    params: HashMap<String, String>,
}

fn master(gw: &Gateway) -> Result<&crypto::sealing::MasterKey, Error> {
    gw.master_key
        .as_ref()
        .ok_or_else(|| Error::internal("no master key is configured"))
}

/// `POST /oauth/v2/par`: checks and seals the pushed request.
pub async fn push(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: Params,
) -> OAuthResult<HttpResponse> {
    let (gw, req) = (gw.get_ref(), &req);
    let instance = instance_of(gw, req).await?;
    let mut params = form.0;
    let app = authenticate_app(gw, req, &instance, &params).await?;
    for name in CREDENTIALS {
        params.remove(name);
    }
    if params.contains_key("request_uri") {
        return Err(OAuthError::new(
            "invalid_request",
            "a pushed request cannot name another request_uri",
        ));
    }
    let redirect_uri = params.get("redirect_uri").map(String::as_str);
    if !redirect_uri.is_some_and(|r| app.config.redirect_uris.iter().any(|u| u == r)) {
        return Err(OAuthError::new(
            "invalid_request",
            "redirect_uri is not registered for this client",
        ));
    }
    let form_post = form_post(&params).ok_or_else(|| {
        OAuthError::new(
            "invalid_request",
            "response_mode must be query or form_post",
        )
    })?;
    checked(gw, &instance, &app, &params, form_post).await?;
    params.insert("client_id".into(), app.client_id.clone());
    let pushed = Pushed {
        id: uuid::Uuid::now_v7().simple().to_string(),
        client_id: app.client_id.clone(),
        expires_at: now_ms() / 1000 + LIFETIME_SECS,
        params,
    };
    let plain = serde_json::to_vec(&pushed).map_err(|e| Error::internal(e.to_string()))?;
    let sealed = master(gw)?.seal_for(Purpose::PushedRequest, &instance, &plain);
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({
            "request_uri": format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed)),
            "expires_in": LIFETIME_SECS,
        })))
}

/// The parameters of the pushed request `request_uri` of `client_id`, used up: refused when
/// it is not one of ours, of another client, expired, or used before.
pub async fn take(
    gw: &Gateway,
    instance: &str,
    request_uri: &str,
    client_id: &str,
) -> Result<HashMap<String, String>, Error> {
    let gone = || Error::new(Code::InvalidAuthRequest, "the request_uri is not valid");
    let sealed = request_uri
        .strip_prefix(PREFIX)
        .filter(|s| s.len() <= 16 * 1024)
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .ok_or_else(gone)?;
    let plain = master(gw)?
        .unseal_for(Purpose::PushedRequest, instance, &sealed)
        .map_err(|_| gone())?;
    let pushed: Pushed = serde_json::from_slice(&plain).map_err(|_| gone())?;
    if pushed.client_id != client_id || pushed.expires_at <= now_ms() / 1000 {
        return Err(gone());
    }
    let signer = format!("par:{client_id}");
    gw.bus
        .use_assertion(instance, &signer, &pushed.id, pushed.expires_at)
        .await?;
    Ok(pushed.params)
}
