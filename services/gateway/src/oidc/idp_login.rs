//! Logins through external identity providers at the hosted login: the login page offers the
//! instance's IdPs and those of the app's org (where the `login` settings allow external
//! IdPs); a button leads to the IdP with the code flow (PKCE, a nonce) and a state sealed for
//! the instance, bound to this browser by a cookie; the IdP's answer comes back to the
//! callback, whose ID token is verified, and the user linked to the identity (or a new one,
//! where the IdP's options allow it) is logged in with a session whose check is the IdP.
//! Nothing is written before the IdP has vouched for the user.

use actix_web::cookie::SameSite;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use command::{ExternalUser, IdpOwner};
use crypto::sealing::Purpose;
use domain::idp::{Idp, IdpKind};
use domain::oidc::{PendingAuthRequest, SessionCommand};
use domain::validate::same_secret;
use domain::{Code, Error};
use serde::{Deserialize, Serialize};

use super::login::{cookie, error_page, expired, logged_in, look_of, org_of_login};
use super::texts::Notice;
use super::{idp_client, issuer, now_ms, OAuthResult};
use crate::auth::instance_of;
use crate::views::idps::CALLBACK_PATH;
use crate::Gateway;

/// Where a login page's IdP button leads (`?authRequest=...&idp=...`).
pub const START: &str = "/ui/login/idp";
/// The cookie that binds a login at an IdP to the browser that began it.
const BROWSER_COOKIE: &str = "portcullis_idp";
/// How long a login at an IdP may take.
const TTL_MS: i64 = 10 * 60_000;

/// An IdP a login page offers: its button.
pub struct IdpButton {
    pub name: String,
    pub href: String,
}

/// A login at an IdP on its way, sealed into the `state` the IdP sends back.
#[derive(Serialize, Deserialize)]
struct Underway {
    auth_request: String,
    idp_id: String,
    /// The org whose IdP it is (none: the instance's).
    org: Option<String>,
    nonce: String,
    verifier: String,
    /// The hash of the browser cookie's value.
    browser: String,
    /// Unix milliseconds.
    expires_at: i64,
}

/// The IdPs a login for `org`'s app may use, with their owner: the org's, then the
/// instance's; none where the `login` settings do not allow external IdPs.
async fn usable(
    gw: &Gateway,
    instance: &str,
    org: Option<&str>,
) -> Result<Vec<(String, Option<String>, Idp)>, Error> {
    let (own, org_settings) = gw.bus.settings_maps(instance, org).await?;
    if !domain::settings::login(org_settings.as_ref(), &own).allow_external_idp {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    if let Some(org) = org {
        let (idps, _) = gw.bus.idps(instance, IdpOwner::Org(org)).await?;
        out.extend(
            idps.into_iter()
                .map(|(id, i)| (id, Some(org.to_string()), i)),
        );
    }
    let (idps, _) = gw.bus.idps(instance, IdpOwner::Instance).await?;
    out.extend(idps.into_iter().map(|(id, i)| (id, None, i)));
    Ok(out)
}

/// The buttons of a login page for `request` (none if the IdPs cannot be read now: the
/// other ways of logging in stay).
pub(super) async fn buttons(
    gw: &Gateway,
    instance: &str,
    request: &PendingAuthRequest,
    auth_request: &str,
) -> Vec<IdpButton> {
    let org = org_of_login(gw, instance, request).await;
    let found = usable(gw, instance, org.as_deref())
        .await
        .unwrap_or_default();
    let encode = |v: &str| -> String { form_urlencoded::byte_serialize(v.as_bytes()).collect() };
    found
        .into_iter()
        .map(|(id, _, idp)| IdpButton {
            name: idp.name,
            href: format!(
                "{START}?authRequest={}&idp={}",
                encode(auth_request),
                encode(&id)
            ),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(rename = "authRequest")]
    auth_request: String,
    idp: String,
}

fn master(gw: &Gateway) -> Result<&crypto::sealing::MasterKey, Error> {
    gw.master_key
        .as_ref()
        .ok_or_else(|| Error::internal("no master key is configured"))
}

/// Sends the browser to the IdP.
pub async fn start(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<StartQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let Ok(request) = gw.bus.auth_request(&instance, &q.auth_request) else {
        return Ok(expired(&req));
    };
    let org = org_of_login(&gw, &instance, &request).await;
    let found = usable(&gw, &instance, org.as_deref())
        .await?
        .into_iter()
        .find(|(id, ..)| *id == q.idp);
    let look = look_of(&gw, &instance, &request.params.project_id).await;
    let Some((idp_id, owner, idp)) = found else {
        return Ok(error_page(&req, &look, Notice::IdpUnavailable));
    };
    let (browser, browser_hash) = crypto::secrets::new_token();
    let nonce = crypto::secrets::new_token().0;
    let verifier = crypto::secrets::new_token().0;
    let underway = Underway {
        auth_request: q.auth_request.clone(),
        idp_id,
        org: owner,
        nonce: nonce.clone(),
        verifier: verifier.clone(),
        browser: browser_hash,
        expires_at: now_ms() + TTL_MS,
    };
    let plain = serde_json::to_vec(&underway).map_err(|e| Error::internal(e.to_string()))?;
    let state =
        URL_SAFE_NO_PAD.encode(master(&gw)?.seal_for(Purpose::IdpLoginState, &instance, &plain));
    let callback = format!("{}{CALLBACK_PATH}", issuer(&gw, &req)?);
    let checks = (nonce.as_str(), verifier.as_str());
    let url = match &idp.kind {
        IdpKind::Oidc(oidc) => {
            idp_client::authorization_url(&gw, oidc, &callback, state, checks).await
        }
        IdpKind::Oauth(oauth) => Ok(idp_client::oauth_authorization_url(
            oauth, &callback, &state, &verifier,
        )),
    };
    let url = match url {
        Ok(url) => url,
        Err(e) => {
            tracing::warn!(instance, error = %e, "a login could not go to its identity provider");
            return Ok(error_page(&req, &look, Notice::IdpUnavailable));
        }
    };
    let mut response = HttpResponse::Found()
        .insert_header(("Location", url))
        .insert_header(("Cache-Control", "no-store"))
        .finish();
    // Lax: the IdP's redirect back is a top-level navigation, which takes it along.
    let _ = response.add_cookie(&cookie(&req, BROWSER_COOKIE, browser, START, SameSite::Lax));
    Ok(response)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: String,
    code: Option<String>,
    error: Option<String>,
}

/// The login an IdP's answer continues, if it is one of this instance's, not expired, and
/// begun in this browser.
fn underway(gw: &Gateway, req: &HttpRequest, instance: &str, state: &str) -> Option<Underway> {
    let sealed = URL_SAFE_NO_PAD.decode(state).ok()?;
    let plain = master(gw)
        .ok()?
        .unseal_for(Purpose::IdpLoginState, instance, &sealed)
        .ok()?;
    let u: Underway = serde_json::from_slice(&plain).ok()?;
    let browser = req.cookie(BROWSER_COOKIE)?;
    let this_browser = same_secret(&crypto::secrets::token_hash(browser.value()), &u.browser);
    (this_browser && u.expires_at > now_ms()).then_some(u)
}

/// The IdP's answer: the user it vouches for logged in (a new one made where allowed).
pub async fn callback(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<CallbackQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let Some(u) = underway(&gw, &req, &instance, &q.state) else {
        return Ok(expired(&req));
    };
    let Ok(request) = gw.bus.auth_request(&instance, &u.auth_request) else {
        return Ok(expired(&req));
    };
    let look = look_of(&gw, &instance, &request.params.project_id).await;
    let owner = match &u.org {
        Some(org) => IdpOwner::Org(org),
        None => IdpOwner::Instance,
    };
    let (idps, _) = gw.bus.idps(&instance, owner).await?;
    let (Some(idp), Some(code), None) = (idps.get(&u.idp_id), &q.code, &q.error) else {
        // The IdP refused, or was removed meanwhile.
        return Ok(error_page(&req, &look, Notice::IdpFailed));
    };
    let secret = gw.bus.open_idp_secret(&instance, idp)?;
    let callback = format!("{}{CALLBACK_PATH}", issuer(&gw, &req)?);
    let checks = (u.nonce.as_str(), u.verifier.as_str());
    let identity = match &idp.kind {
        IdpKind::Oidc(oidc) => {
            idp_client::identity(&gw, oidc, secret, &callback, code, checks).await
        }
        IdpKind::Oauth(oauth) => {
            idp_client::oauth_identity(&gw, oauth, &secret, &callback, code, &u.verifier).await
        }
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(instance, idp = %u.idp_id, error = %e, "a login through an identity provider failed");
            return Ok(error_page(&req, &look, Notice::IdpFailed));
        }
    };
    let external = ExternalUser {
        idp_id: u.idp_id.clone(),
        external_id: identity.subject,
        email: identity.email,
        email_verified: identity.email_verified,
        given_name: identity.given_name,
        family_name: identity.family_name,
        preferred_username: identity.preferred_username,
    };
    // New users belong to the org of the IdP, else to the org of the app.
    let org = match u.org.clone() {
        Some(org) => Some(org),
        None => org_of_login(&gw, &instance, &request).await,
    };
    let org = org.ok_or_else(|| Error::internal("the login's app has no org"))?;
    let user_id = match gw
        .bus
        .federated_user(&instance, &org, &idp.options, &external)
        .await
    {
        Ok(user_id) => user_id,
        Err(e) if e.code == Code::IdpUserUnknown => {
            return Ok(error_page(&req, &look, Notice::IdpNoUser))
        }
        Err(e) => return Err(e.into()),
    };
    let created = match gw.bus.create_session(&instance, &user_id, false).await {
        Ok(created) => created,
        // Locked, deactivated or removed: no login.
        Err(e) if e.code == Code::UserNotFound => {
            return Ok(error_page(&req, &look, Notice::IdpNoUser))
        }
        Err(e) => return Err(e.into()),
    };
    let check = SessionCommand::CheckIdp {
        idp_id: u.idp_id.clone(),
    };
    gw.bus
        .change_session(&instance, &created.session_id, check)
        .await?;
    logged_in(
        &gw,
        &req,
        (&instance, &u.auth_request, &request),
        &user_id,
        created,
    )
    .await
}
