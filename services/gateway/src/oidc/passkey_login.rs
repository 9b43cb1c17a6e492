//! A login with a passkey alone, from the login's first page where the login settings allow
//! passkeys: the page carries a challenge (sealed), the browser's passkey signs it and names
//! its user, and the login goes on with a session whose passkey check stands for both
//! factors. Refusals count against the rate limit of the client's address.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::settings::Passkeys;
use domain::Code;
use serde::Deserialize;

use super::login::{logged_in, not_checked, posted, refused, Refusal, Why};
use super::page_look::PageLook;
use super::OAuthResult;
use crate::limits::Subject;
use crate::Gateway;

/// A login with a passkey, offered beside the password: the options for
/// `navigator.credentials.get()` and the challenge sealed for the page to carry back.
pub struct PasskeyOffer {
    pub options: String,
    pub state: String,
}

/// The passkey login a page offers, where its login settings allow passkeys (none if the
/// challenge cannot be made now: the password form still works).
pub(super) async fn offer(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    setup: &PageLook,
) -> Option<PasskeyOffer> {
    if setup.login.passkeys != Passkeys::Allowed {
        return None;
    }
    let origin = super::issuer(gw, req).ok()?;
    match gw.bus.passkey_challenge(instance, &origin).await {
        Ok((options, state)) => Some(PasskeyOffer {
            options: options.to_string(),
            state,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "no passkey challenge for the login page");
            None
        }
    }
}

#[derive(Deserialize)]
pub struct PasskeyFields {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    /// The challenge, as the page carried it (sealed).
    state: String,
    /// The authenticator's answer (`PublicKeyCredential.toJSON()`), as JSON.
    credential: String,
}

/// A login with a passkey alone: its answer names its user. Counted against the rate limit
/// of the client's address; a refusal is the login form again.
pub async fn passkey(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<PasskeyFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, request) = match posted(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let who = Subject {
        ip: gw.edge.client_ip(&req),
        instance: &instance,
        account: None,
    };
    let logged = match gw.limits.check(&who) {
        Err(e) => Err(e),
        Ok(()) => match serde_json::from_str::<command::PublicKeyCredential>(&f.credential) {
            Ok(answer) => gw.bus.passkey_login(&instance, &f.state, &answer).await,
            Err(_) => Err(domain::user::wrong_code()),
        },
    };
    let created = match logged {
        Ok(created) => created,
        Err(e) => {
            let refusal = match e.code {
                Code::InvalidCode => {
                    gw.limits.failed(&who);
                    Refusal {
                        status: StatusCode::UNAUTHORIZED,
                        why: Why::KeyRefused,
                        retry_after: None,
                    }
                }
                _ => match not_checked(&e) {
                    Some(refusal) => refusal,
                    None => return Err(e.into()),
                },
            };
            let ar = &f.auth_request;
            return Ok(refused(&gw, &req, &instance, &request, (ar, ""), refusal).await);
        }
    };
    let (i, ar) = (instance.as_str(), f.auth_request.as_str());
    let (session, _) = gw.bus.session_with_user(i, &created.session_id).await?;
    logged_in(&gw, &req, (i, ar, &request), &session.user_id, created).await
}
