//! Logins through external identity providers at the hosted login: the login page offers the
//! instance's IdPs and those of the app's org (where the `login` settings allow external
//! IdPs); a button leads to the IdP with the code flow (PKCE, a nonce) and a state sealed for
//! the instance, bound to this browser by a cookie; the IdP's answer comes back to the
//! callback, whose ID token is verified, and the user linked to the identity (or a new one,
//! where the IdP's options allow it) is logged in with a session whose check is the IdP. A
//! login UI of one's own starts the same login through the Sessions API (an intent): the
//! answer then goes back to the UI with an intent's id and token, for its `idp_intent` check.
//! Nothing is written before the IdP has vouched for the user.

use actix_web::cookie::SameSite;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use command::{ExternalUser, Federated, IdpOwner};
use crypto::sealing::Purpose;
use domain::idp::{Idp, IdpKind};
use domain::oidc::{PendingAuthRequest, SessionCommand};
use domain::validate::same_secret;
use domain::{Code, Error};
use serde::{Deserialize, Serialize};

use super::idp_link::Unclaimed;
use super::login::{cookie, error_page, expired, logged_in, look_of, org_of_login};
use super::texts::Notice;
use super::{idp_client, issuer, now_ms, OAuthResult};
use crate::auth::instance_of;
use crate::views::idps::CALLBACK_PATH;
use crate::Gateway;

/// Where a login page's IdP button leads (`?authRequest=...&idp=...`).
pub const START: &str = "/ui/login/idp";
/// The cookie that binds a login at an IdP to the browser that began it.
pub(crate) const BROWSER_COOKIE: &str = "portcullis_idp";
/// How long a login at an IdP may take.
const TTL_MS: i64 = 10 * 60_000;

/// An IdP a login page offers: its button.
pub struct IdpButton {
    pub name: String,
    pub href: String,
}

/// A login at an IdP on its way, sealed into the `state` the IdP sends back (a SAML IdP's
/// `RelayState`).
#[derive(Serialize, Deserialize)]
pub(super) struct Underway {
    pub(super) auth_request: String,
    pub(super) idp_id: String,
    /// The org whose IdP it is (none: the instance's).
    pub(super) org: Option<String>,
    /// The ID token's nonce; at a SAML IdP, the ID of the request its response must answer.
    pub(super) nonce: String,
    verifier: String,
    /// The hash of the browser cookie's value (none for a login UI's intent).
    browser: String,
    /// Unix milliseconds.
    expires_at: i64,
    /// Set for a login UI's intent (the Sessions API): where the browser goes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) intent: Option<IntentUrls>,
}

impl Underway {
    /// Whose IdP the login is at.
    pub(super) fn owner(&self) -> IdpOwner<'_> {
        match &self.org {
            Some(org) => IdpOwner::Org(org),
            None => IdpOwner::Instance,
        }
    }
}

/// Where a login UI wants the browser back after an intent, and the org the login is for.
#[derive(Clone, Serialize, Deserialize)]
pub struct IntentUrls {
    pub org: String,
    pub success_url: String,
    pub failure_url: String,
}

/// The IdPs a login for `org`'s app may use, with their owner: the org's, then the
/// instance's; none where the `login` settings do not allow external IdPs.
pub(super) async fn usable(
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
        .map(|(id, _, idp)| {
            let path = match idp.kind {
                IdpKind::Ldap(_) => super::ldap_login::PATH,
                IdpKind::Oidc(_) | IdpKind::Oauth(_) | IdpKind::Saml(_) => START,
            };
            IdpButton {
                name: idp.name,
                href: format!(
                    "{path}?authRequest={}&idp={}",
                    encode(auth_request),
                    encode(&id)
                ),
            }
        })
        .collect()
}

#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(rename = "authRequest")]
    auth_request: String,
    idp: String,
    /// The login name whose domain led here (domain discovery): the IdPs of its org.
    discovered: Option<String>,
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
    let found = usable_for(&gw, &instance, &request, &q.idp, q.discovered.as_deref()).await?;
    let look = look_of(&gw, &instance, &request.params.project_id).await;
    let Some((idp_id, owner, idp)) = found else {
        return Ok(error_page(&req, &look, Notice::IdpUnavailable));
    };
    if let IdpKind::Ldap(_) = idp.kind {
        // A directory logs in with a password: its form.
        let to = req.uri().path_and_query().map_or("", |p| p.as_str());
        return Ok(redirect(&to.replacen(START, super::ldap_login::PATH, 1)));
    }
    let (browser, browser_hash) = crypto::secrets::new_token();
    let nonce = match idp.kind {
        IdpKind::Saml(_) => crate::saml::upstream::new_request_id(),
        _ => crypto::secrets::new_token().0,
    };
    let verifier = crypto::secrets::new_token().0;
    let underway = Underway {
        auth_request: q.auth_request.clone(),
        idp_id,
        org: owner,
        nonce: nonce.clone(),
        verifier: verifier.clone(),
        browser: browser_hash,
        expires_at: now_ms() + TTL_MS,
        intent: None,
    };
    let state = sealed(&gw, &instance, &underway)?;
    let iss = issuer(&gw, &req)?;
    let callback = format!("{iss}{CALLBACK_PATH}");
    let checks = (nonce.as_str(), verifier.as_str());
    let way = match &idp.kind {
        IdpKind::Oidc(oidc) => idp_client::authorization_url(&gw, oidc, &callback, state, checks)
            .await
            .map(|url| redirect(&url)),
        IdpKind::Oauth(oauth) => Ok(redirect(&idp_client::oauth_authorization_url(
            oauth, &callback, &state, &verifier,
        ))),
        IdpKind::Saml(saml) => {
            let to = (instance.as_str(), iss.as_str(), underway.idp_id.as_str());
            super::idp_saml::to_idp(&gw, &req, to, saml, &nonce, &state).await
        }
        IdpKind::Ldap(_) => unreachable!("sent to the directory's form above"),
    };
    let mut response = match way {
        Ok(response) => response,
        Err(e) => {
            tracing::warn!(instance, error = %e, "a login could not go to its identity provider");
            return Ok(error_page(&req, &look, Notice::IdpUnavailable));
        }
    };
    // Lax: the IdP's redirect back is a top-level navigation, which takes it along.
    let _ = response.add_cookie(&cookie(&req, BROWSER_COOKIE, browser, START, SameSite::Lax));
    Ok(response)
}

/// The browser sent to `url`.
pub(super) fn redirect(url: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", url))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// IdP `idp_id` with its owner, if a login for `request` may use it: an IdP of the app's org
/// or of the instance, or of the org a discovered login name's domain led to.
pub(super) async fn usable_for(
    gw: &Gateway,
    instance: &str,
    request: &PendingAuthRequest,
    idp_id: &str,
    discovered: Option<&str>,
) -> Result<Option<(String, Option<String>, Idp)>, Error> {
    let org = match discovered {
        Some(name) => super::domain_discovery::discovered(gw, instance, request, name).await,
        None => org_of_login(gw, instance, request).await,
    };
    Ok(usable(gw, instance, org.as_deref())
        .await?
        .into_iter()
        .find(|(id, ..)| id == idp_id))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: String,
    code: Option<String>,
    error: Option<String>,
}

/// The login an IdP's answer continues, if it is one of this instance's, not expired, and
/// begun in this browser.
pub(super) fn underway(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    state: &str,
) -> Option<Underway> {
    let sealed = URL_SAFE_NO_PAD.decode(state).ok()?;
    let plain = master(gw)
        .ok()?
        .unseal_for(Purpose::IdpLoginState, instance, &sealed)
        .ok()?;
    let u: Underway = serde_json::from_slice(&plain).ok()?;
    let this_browser = u.intent.is_some()
        || req.cookie(BROWSER_COOKIE).is_some_and(|browser| {
            same_secret(&crypto::secrets::token_hash(browser.value()), &u.browser)
        });
    (this_browser && u.expires_at > now_ms()).then_some(u)
}

/// What an OpenID Connect or OAuth IdP answered for login `u`: the IdP and the identity it
/// vouches for, or the notice of why there is none.
async fn identity(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    u: &Underway,
    q: &CallbackQuery,
) -> Result<Result<(Idp, ExternalUser), Notice>, Error> {
    let (mut idps, _) = gw.bus.idps(instance, u.owner()).await?;
    let (Some(idp), Some(code), None) = (idps.remove(&u.idp_id), &q.code, &q.error) else {
        // The IdP refused, or was removed meanwhile.
        return Ok(Err(Notice::IdpFailed));
    };
    let callback = format!("{}{CALLBACK_PATH}", issuer(gw, req)?);
    let checks = (u.nonce.as_str(), u.verifier.as_str());
    let identity = match &idp.kind {
        IdpKind::Oidc(oidc) => {
            let secret = gw.bus.open_idp_secret(instance, &idp)?;
            idp_client::identity(gw, oidc, secret, &callback, code, checks).await
        }
        IdpKind::Oauth(oauth) => {
            let secret = gw.bus.open_idp_secret(instance, &idp)?;
            idp_client::oauth_identity(gw, oauth, &secret, &callback, code, &u.verifier).await
        }
        // A directory and a SAML IdP never answer here.
        IdpKind::Ldap(_) | IdpKind::Saml(_) => return Ok(Err(Notice::IdpFailed)),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(instance, idp = %u.idp_id, error = %e, "a login through an identity provider failed");
            return Ok(Err(Notice::IdpFailed));
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
    Ok(Ok((idp, external)))
}

/// The user an IdP's identity comes to for login `u`: linked, or made where allowed (new
/// users go to the IdP's org, else to `org`, the login's).
async fn vouched(
    gw: &Gateway,
    instance: &str,
    u: &Underway,
    found: Result<(Idp, ExternalUser), Notice>,
    org: Option<String>,
) -> Result<Vouched, Error> {
    let (idp, external) = match found {
        Ok(found) => found,
        Err(notice) => return Ok(Vouched::Refused(notice)),
    };
    let org = u.org.clone().or(org);
    user_of(
        gw,
        instance,
        (&u.idp_id, u.org.clone(), org),
        &idp,
        &external,
    )
    .await
}

/// What an IdP's identity comes to at the login.
pub(super) enum Vouched {
    /// The user linked to it (or just made from it).
    User(String),
    /// No user yet: the owner of an existing account may link it.
    Confirm(Box<Unclaimed>),
    Refused(Notice),
}

/// The user IdP `idp_id` (of `owner`) vouches for: linked, made where the IdP's options
/// allow it, or an account to link (in the IdP's org, else in `org`, the login's).
pub(super) async fn user_of(
    gw: &Gateway,
    instance: &str,
    (idp_id, owner, org): (&str, Option<String>, Option<String>),
    idp: &Idp,
    external: &ExternalUser,
) -> Result<Vouched, Error> {
    let org = org.ok_or_else(|| Error::internal("the login has no org"))?;
    let found = super::idp_link::account_found(gw, instance, &org, &idp.options, external).await;
    match gw
        .bus
        .federated_user(instance, &org, &idp.options, external, found.as_deref())
        .await
    {
        Ok(Federated::User(user_id)) => Ok(Vouched::User(user_id)),
        Ok(Federated::Confirm { account }) => Ok(Vouched::Confirm(Box::new(Unclaimed {
            idp_id: idp_id.to_string(),
            owner,
            org,
            account,
            external: external.clone(),
        }))),
        Err(e) if e.code == Code::IdpUserUnknown => Ok(Vouched::Refused(Notice::IdpNoUser)),
        Err(e) => Err(e),
    }
}

/// The IdP's answer: the user it vouches for logged in (a new one made where allowed), or
/// for a login UI's intent, the intent recorded and the browser sent back to the login UI.
pub async fn callback(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<CallbackQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let Some(u) = underway(&gw, &req, &instance, &q.state) else {
        return Ok(expired(&req));
    };
    let found = identity(&gw, &req, &instance, &u, &q).await?;
    answered(&gw, &req, &instance, &u, found).await
}

/// What an IdP answered for login `u` (the IdP and the identity it vouches for, or why
/// not): the user logged in, an account to link, or the notice; for a login UI's intent, the
/// browser back at the UI.
pub(super) async fn answered(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    u: &Underway,
    found: Result<(Idp, ExternalUser), Notice>,
) -> OAuthResult<HttpResponse> {
    if let Some(urls) = u.intent.clone() {
        return Ok(intent_answered(gw, instance, u, found, urls).await?);
    }
    let Ok(request) = gw.bus.auth_request(instance, &u.auth_request) else {
        return Ok(expired(req));
    };
    let look = look_of(gw, instance, &request.params.project_id).await;
    let app_org = org_of_login(gw, instance, &request).await;
    let login = (instance, u.auth_request.as_str(), &request);
    match vouched(gw, instance, u, found, app_org).await? {
        Vouched::User(user_id) => {
            logged_in_by_idp(gw, req, login, (&u.idp_id, &user_id), false).await
        }
        Vouched::Confirm(unclaimed) => {
            super::idp_link::link_page(gw, req, login, *unclaimed, None).await
        }
        Vouched::Refused(notice) => Ok(error_page(req, &look, notice)),
    }
}

/// The end of a login an IdP vouched for `user_id`: a session whose check is the IdP (and
/// the password too, when `password_checked`: an account just linked by its owner).
pub(super) async fn logged_in_by_idp(
    gw: &Gateway,
    req: &HttpRequest,
    (instance, auth_request, request): (&str, &str, &PendingAuthRequest),
    (idp_id, user_id): (&str, &str),
    password_checked: bool,
) -> OAuthResult<HttpResponse> {
    let created = match gw
        .bus
        .create_session(instance, user_id, password_checked)
        .await
    {
        Ok(created) => created,
        // Locked, deactivated or removed: no login.
        Err(e) if e.code == Code::UserNotFound => {
            let look = look_of(gw, instance, &request.params.project_id).await;
            return Ok(error_page(req, &look, Notice::IdpNoUser));
        }
        Err(e) => return Err(e.into()),
    };
    let check = SessionCommand::CheckIdp {
        idp_id: idp_id.to_string(),
    };
    gw.bus
        .change_session(instance, &created.session_id, check)
        .await?;
    logged_in(gw, req, (instance, auth_request, request), user_id, created).await
}

/// A login UI's intent came back: recorded with a token for the UI (its `idp_intent` check),
/// and the browser sent to its success URL (`?id=&token=`); or to its failure URL
/// (`?error=`, the reason's code).
async fn intent_answered(
    gw: &Gateway,
    instance: &str,
    u: &Underway,
    found: Result<(Idp, ExternalUser), Notice>,
    urls: IntentUrls,
) -> Result<HttpResponse, Error> {
    let failed = |notice: Notice| {
        let reason = match notice {
            Notice::IdpNoUser => Code::IdpUserUnknown,
            _ => Code::IdpLoginFailed,
        };
        super::authorize::redirect_to(&urls.failure_url, &[("error", reason.as_str())])
    };
    let user_id = match vouched(gw, instance, u, found, Some(urls.org.clone())).await? {
        Vouched::User(user_id) => user_id,
        // A login UI of one's own links accounts its own way (the user logs in, then links).
        Vouched::Confirm(_) => return Ok(failed(Notice::IdpNoUser)),
        Vouched::Refused(notice) => return Ok(failed(notice)),
    };
    let (id, token) = gw
        .bus
        .succeed_idp_intent(instance, &u.idp_id, &user_id)
        .await?;
    Ok(super::authorize::redirect_to(
        &urls.success_url,
        &[("id", &id), ("token", &token)],
    ))
}

/// A login UI's login at an IdP (the Sessions API): the IdP's authorization URL to send the
/// browser to. The IdP must be one a login for `urls.org` may use.
pub async fn start_intent(
    gw: &Gateway,
    instance: &str,
    issuer: &str,
    idp_id: &str,
    urls: IntentUrls,
) -> Result<String, Error> {
    let found = usable(gw, instance, Some(&urls.org))
        .await?
        .into_iter()
        .find(|(id, ..)| id == idp_id);
    let Some((idp_id, owner, idp)) = found else {
        return Err(Error::new(
            Code::IdpNotFound,
            format!("no identity provider {idp_id} for logins of this org"),
        )
        .with("idp_id", idp_id));
    };
    if let IdpKind::Ldap(_) = idp.kind {
        return Err(Error::new(
            Code::InvalidIdp,
            "an LDAP directory has no login page to send the browser to: check the user's password with the hosted login's directory form",
        )
        .with("idp_id", idp_id));
    }
    let nonce = match idp.kind {
        IdpKind::Saml(_) => crate::saml::upstream::new_request_id(),
        _ => crypto::secrets::new_token().0,
    };
    let verifier = crypto::secrets::new_token().0;
    let underway = Underway {
        auth_request: String::new(),
        idp_id,
        org: owner,
        nonce: nonce.clone(),
        verifier: verifier.clone(),
        browser: String::new(),
        expires_at: now_ms() + TTL_MS,
        intent: Some(urls),
    };
    let state = sealed(gw, instance, &underway)?;
    let callback = format!("{issuer}{CALLBACK_PATH}");
    match &idp.kind {
        IdpKind::Oidc(oidc) => {
            let checks = (nonce.as_str(), verifier.as_str());
            idp_client::authorization_url(gw, oidc, &callback, state, checks).await
        }
        IdpKind::Oauth(oauth) => Ok(idp_client::oauth_authorization_url(
            oauth, &callback, &state, &verifier,
        )),
        IdpKind::Saml(_) => Ok(super::idp_saml::intent_url(issuer, &state)),
        IdpKind::Ldap(_) => unreachable!("refused above"),
    }
}

/// A login underway, sealed for the instance (the `state` the IdP sends back).
pub(super) fn sealed(gw: &Gateway, instance: &str, u: &Underway) -> Result<String, Error> {
    let plain = serde_json::to_vec(u).map_err(|e| Error::internal(e.to_string()))?;
    let sealed = master(gw)?.seal_for(Purpose::IdpLoginState, instance, &plain);
    Ok(URL_SAFE_NO_PAD.encode(sealed))
}
