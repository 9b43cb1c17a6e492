//! Logins through a SAML identity provider upstream (an IdP of type `saml`): the login page's
//! button sends the browser to the IdP with an `AuthnRequest` (by HTTP-Redirect, its query
//! signed, or by HTTP-POST, signed inside, as the IdP's settings say), the login underway
//! sealed into its `RelayState`. The IdP posts its response to the assertion consumer service
//! (`/ui/login/idp/saml/acs`): what it vouches for logs the user in as with the other IdP types
//! (a linked user, or one made just in time where the IdP's options allow it), and each
//! assertion is taken once. A login UI of one's own (an intent of the Sessions API) sends the
//! browser to `/ui/login/idp/saml/go`, which goes on to the IdP.

use actix_web::{web, HttpRequest, HttpResponse};
use command::ExternalUser;
use domain::idp::{Idp, IdpKind, SamlIdp};
use domain::{Code, Error};
use serde::Deserialize;

use super::form_post;
use super::idp_login::{answered, redirect, underway, Underway, BROWSER_COOKIE};
use super::language::Language;
use super::login::{expired, look_in};
use super::texts::Notice;
use super::{issuer, OAuthResult};
use crate::auth::instance_of;
use crate::saml::upstream::{self, Way};
use crate::Gateway;

/// Where a login UI's intent sends the browser on its way to a SAML IdP.
pub const GO: &str = "/ui/login/idp/saml/go";

/// The browser's way to SAML IdP `idp` (`idp_id` of `instance` at `iss`) with the request
/// `request_id`, the login underway sealed in `state`.
pub(super) async fn to_idp(
    gw: &Gateway,
    req: &HttpRequest,
    (instance, iss, idp_id): (&str, &str, &str),
    idp: &SamlIdp,
    request_id: &str,
    state: &str,
) -> Result<HttpResponse, Error> {
    match upstream::way_to(gw, (instance, iss, idp_id), idp, request_id, state).await? {
        Way::Redirect(url) => Ok(redirect(&url)),
        Way::Post(request) => {
            let look = look_in(gw, instance, None).await;
            let fields = [("SAMLRequest", request.as_str()), ("RelayState", state)];
            Ok(form_post::sign_in_on(
                &look,
                Language::of_request(req),
                &idp.sso_url,
                &fields,
            ))
        }
    }
}

/// Where a login UI sends the browser for its intent at a SAML IdP.
pub(super) fn intent_url(issuer: &str, state: &str) -> String {
    super::authorize::with_query(&format!("{issuer}{GO}"), &[("RelayState", state)])
}

#[derive(Deserialize)]
pub struct GoQuery {
    #[serde(rename = "RelayState")]
    relay_state: String,
}

/// `GET /ui/login/idp/saml/go`: a login UI's intent on its way to the SAML IdP.
pub async fn go(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<GoQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let Some(u) = underway(&gw, &req, &instance, &q.relay_state).filter(|u| u.intent.is_some())
    else {
        return Ok(expired(&req));
    };
    let (idps, _) = gw.bus.idps(&instance, u.owner()).await?;
    let Some(IdpKind::Saml(idp)) = idps.get(&u.idp_id).map(|i| &i.kind) else {
        return Ok(expired(&req));
    };
    let iss = issuer(&gw, &req)?;
    let to = (instance.as_str(), iss.as_str(), u.idp_id.as_str());
    Ok(to_idp(&gw, &req, to, idp, &u.nonce, &q.relay_state).await?)
}

/// `POST /ui/login/idp/saml/acs`: a SAML IdP's response. Posted from the IdP's site, it comes
/// without the browser's cookie that binds the login to it: it is posted again from here
/// first.
pub async fn acs(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    body: web::Bytes,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let iss = issuer(&gw, &req)?;
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let here = format!("{iss}{}", upstream::ACS);
    let again =
        crate::saml::same_site::post_again(&gw, &req, (&instance, &here), &form, BROWSER_COOKIE);
    if let Some(page) = again.await {
        return Ok(page);
    }
    let relay = form.iter().find(|(k, _)| k == "RelayState");
    let Some(u) = relay.and_then(|(_, state)| underway(&gw, &req, &instance, state)) else {
        return Ok(expired(&req));
    };
    let found = identity(&gw, (&instance, &iss), &u, &form).await?;
    answered(&gw, &req, &instance, &u, found).await
}

/// What the IdP of login `u` answered in `form`: the IdP and the identity it vouches for, or
/// the notice of why there is none (the reason is logged).
async fn identity(
    gw: &Gateway,
    (instance, iss): (&str, &str),
    u: &Underway,
    form: &[(String, String)],
) -> Result<Result<(Idp, ExternalUser), Notice>, Error> {
    let (mut idps, _) = gw.bus.idps(instance, u.owner()).await?;
    let Some(idp) = idps.remove(&u.idp_id) else {
        return Ok(Err(Notice::IdpFailed));
    };
    let IdpKind::Saml(saml) = &idp.kind else {
        return Ok(Err(Notice::IdpFailed));
    };
    let vouched = match upstream::read(form, (iss, &u.idp_id), saml, &u.nonce).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(instance, idp = %u.idp_id, code = e.code.as_str(), reason = %e.message, "a SAML IdP's response was refused");
            return Ok(Err(Notice::IdpFailed));
        }
    };
    // Each assertion once: a response replayed (by the browser, or by whoever saw it) is not.
    let signer = format!("saml:{}", u.idp_id);
    let used = gw
        .bus
        .use_assertion(instance, &signer, &vouched.assertion_id, vouched.expires_at)
        .await;
    match used {
        Ok(()) => Ok(Ok((idp, vouched.user))),
        Err(e) if e.code == Code::InvalidGrant => {
            tracing::warn!(instance, idp = %u.idp_id, reason = %e.message, "a SAML IdP's assertion came again");
            Ok(Err(Notice::IdpFailed))
        }
        Err(e) => Err(e),
    }
}
