//! Linking an IdP's identity to an existing account at the hosted login: an account the IdP's
//! `auto_link` found (the verified email, or the login name, of a user of the login's org), or
//! any account of that org where the IdP allows linking, is linked only once its owner logs in
//! to it here with its password (an IdP's word on an address is no proof of owning the
//! account). The identity waits sealed in the form, bound to this form's CSRF token; the
//! password check has the login's rate limits; the account must be of the org the IdP's users
//! belong to.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use command::{ExternalUser, IdpOwner};
use crypto::sealing::Purpose;
use domain::idp::{AutoLink, IdpOptions};
use domain::oidc::PendingAuthRequest;
use domain::validate::same_secret;
use domain::Error;
use serde::{Deserialize, Serialize};

use super::language::Language;
use super::login::{
    cookie, error_page, expired, login_path, look_of, not_checked, posted, CSRF_COOKIE,
};
use super::pages::{self, Frame, IdpLinkPage};
use super::texts::Notice;
use super::{now_ms, OAuthResult};
use crate::api::login_sessions::{check_password, user_named};
use crate::reads::read;
use crate::Gateway;

/// The link form.
pub const PATH: &str = "/ui/login/idp/link";
/// How long the identity waits for its link.
const TTL_MS: i64 = 10 * 60_000;

/// An identity no user is linked to, waiting for the owner of an account of `org` to link it.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct Unclaimed {
    pub idp_id: String,
    /// The org whose IdP it is (none: the instance's).
    pub owner: Option<String>,
    /// The org whose account it may be linked to.
    pub org: String,
    /// The account `auto_link` found (none: any account of `org`).
    pub account: Option<String>,
    pub external: ExternalUser,
}

/// What the form carries, sealed.
#[derive(Serialize, Deserialize)]
struct Waiting {
    auth_request: String,
    unclaimed: Unclaimed,
    /// The hash of the form's CSRF token: the state is good with its own form only.
    csrf: String,
    expires_at: i64,
}

/// The one account of `org` the IdP's `auto_link` finds for `external`, if there is one: by
/// an email address the IdP says is verified and the account has verified, or by login name.
pub(super) async fn account_found(
    gw: &Gateway,
    instance: &str,
    org: &str,
    options: &IdpOptions,
    external: &ExternalUser,
) -> Option<String> {
    let (i, o) = (instance.to_string(), org.to_string());
    let found = match options.auto_link {
        AutoLink::None => return None,
        AutoLink::Email => {
            let email = external.email.clone().filter(|_| external.email_verified)?;
            read(gw, move |m| m.users_with_verified_email(&i, &o, &email)).await
        }
        AutoLink::Username => {
            let name = external.preferred_username.clone()?;
            read(gw, move |m| {
                let user = m.user_by_login(&i, &name)?.map(|(u, _)| u);
                Ok(user
                    .filter(|u| u.org_id == o)
                    .map(|u| u.id)
                    .into_iter()
                    .collect())
            })
            .await
        }
    };
    // Several accounts with that address: which one is the user's to say, not ours.
    match found.ok()?.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

fn master(gw: &Gateway) -> Result<&crypto::sealing::MasterKey, Error> {
    gw.master_key
        .as_ref()
        .ok_or_else(|| Error::internal("no master key is configured"))
}

/// The link form for `unclaimed` (the account's login name filled in where one was found).
pub(super) async fn link_page(
    gw: &Gateway,
    req: &HttpRequest,
    (instance, auth_request, request): (&str, &str, &PendingAuthRequest),
    unclaimed: Unclaimed,
    error: Option<(StatusCode, &'static str)>,
) -> OAuthResult<HttpResponse> {
    let texts = Language::of_login(request, req).texts();
    let look = look_of(gw, instance, &request.params.project_id).await;
    let username = match &unclaimed.account {
        Some(id) => {
            let (i, id) = (instance.to_string(), id.clone());
            let user = read(gw, move |m| m.user(&i, &id)).await?;
            user.map(|u| u.username).unwrap_or_default()
        }
        None => String::new(),
    };
    let owner = match &unclaimed.owner {
        Some(org) => IdpOwner::Org(org),
        None => IdpOwner::Instance,
    };
    let (idps, _) = gw.bus.idps(instance, owner).await?;
    let idp_name = idps
        .get(&unclaimed.idp_id)
        .map(|i| i.name.clone())
        .unwrap_or_default();
    let identity = unclaimed.external.display_name();
    let (csrf, csrf_hash) = crypto::secrets::new_token();
    let waiting = Waiting {
        auth_request: auth_request.to_string(),
        unclaimed,
        csrf: csrf_hash,
        expires_at: now_ms() + TTL_MS,
    };
    let plain = serde_json::to_vec(&waiting).map_err(|e| Error::internal(e.to_string()))?;
    let state =
        URL_SAFE_NO_PAD.encode(master(gw)?.seal_for(Purpose::IdpPendingLink, instance, &plain));
    let page = IdpLinkPage {
        frame: Frame::new(texts, texts.link_title, &look),
        auth_request,
        csrf: &csrf,
        state: &state,
        identity: &identity,
        idp_name: &idp_name,
        username: &username,
        error: error.map(|(_, said)| said),
        back: login_path("/ui/login", auth_request),
    };
    let status = error.map_or(StatusCode::OK, |(status, _)| status);
    let mut response = pages::render(status, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    Ok(response)
}

/// The identity a link form carries, if it is this instance's, for this login and form, and
/// not expired.
fn waiting(gw: &Gateway, instance: &str, f: &Fields) -> Option<Unclaimed> {
    let sealed = URL_SAFE_NO_PAD.decode(&f.state).ok()?;
    let plain = master(gw)
        .ok()?
        .unseal_for(Purpose::IdpPendingLink, instance, &sealed)
        .ok()?;
    let w: Waiting = serde_json::from_slice(&plain).ok()?;
    let this_form = same_secret(&crypto::secrets::token_hash(&f.csrf), &w.csrf);
    let ok = this_form && w.auth_request == f.auth_request && w.expires_at > now_ms();
    ok.then_some(w.unclaimed)
}

#[derive(Deserialize)]
pub struct Fields {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    state: String,
    username: String,
    password: String,
}

/// The owner's password links the identity to the account, then logs them in with both.
pub async fn submit(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<Fields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, request) = match posted(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let Some(unclaimed) = waiting(&gw, &instance, &f) else {
        return Ok(expired(&req));
    };
    let login = (instance.as_str(), f.auth_request.as_str(), &request);
    let user_id = user_named(&gw, &instance, &f.username).await?;
    // Only the account found, or (where any may be linked) an account of the IdP's org; any
    // other name is checked as a wrong one, so that the answer says nothing more.
    let of_org = match &user_id {
        Some(id) => {
            let (i, id) = (instance.clone(), id.clone());
            let user = read(&gw, move |m| m.user(&i, &id)).await?;
            user.is_some_and(|u| u.org_id == unclaimed.org)
        }
        None => false,
    };
    let allowed = match (&unclaimed.account, &user_id) {
        (Some(found), Some(id)) => found == id,
        (None, Some(_)) => of_org,
        (_, None) => false,
    };
    let id = user_id.clone().filter(|_| allowed).unwrap_or_default();
    let ip = gw.edge.client_ip(&req);
    let checked = check_password(&gw, &instance, ip, &f.username, &id, f.password).await;
    if let Err(e) = checked {
        let texts = Language::of_login(&request, &req).texts();
        let error = match not_checked(&e) {
            Some(r) if r.status == StatusCode::TOO_MANY_REQUESTS => (r.status, texts.too_many),
            Some(r) => (r.status, texts.busy),
            None => (StatusCode::UNAUTHORIZED, texts.wrong),
        };
        return link_page(&gw, &req, login, unclaimed, Some(error)).await;
    }
    if let Err(e) = gw
        .bus
        .link_identity(&instance, &id, &unclaimed.external)
        .await
    {
        tracing::info!(instance, user_id = %id, error = %e, "an identity was not linked");
        let look = look_of(&gw, &instance, &request.params.project_id).await;
        return Ok(error_page(&req, &look, Notice::IdpFailed));
    }
    let by = (unclaimed.idp_id.as_str(), id.as_str());
    super::idp_login::logged_in_by_idp(&gw, &req, login, by, true).await
}
