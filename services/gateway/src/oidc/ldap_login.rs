//! Logins through an LDAP directory at the hosted login: the IdP's button leads to a form of
//! the directory's username and password (`/ui/login/ldap`); the directory decides (see
//! `notify::ldap`), and the user it vouches for is linked, or made where the IdP's options
//! allow it, then logged in with a session whose check is the IdP. Failed attempts count
//! against the same rate limits as passwords; a wrong username, a wrong password and a name
//! that matches several entries get one answer.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use command::ExternalUser;
use domain::idp::IdpKind;
use domain::oidc::PendingAuthRequest;
use domain::validate::normalized_username;
use notify::ldap::{authenticate, Refused};
use serde::Deserialize;

use super::idp_login::{logged_in_by_idp, usable_for, user_of, Vouched};
use super::language::Language;
use super::login::{
    cookie, error_page, expired, login_path, look_of, org_of_login, posted, CSRF_COOKIE,
};
use super::pages::{self, Frame, LdapLoginPage};
use super::texts::Notice;
use super::OAuthResult;
use crate::auth::instance_of;
use crate::limits::Subject;
use crate::Gateway;

/// The directory's login form.
pub const PATH: &str = "/ui/login/ldap";

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(rename = "authRequest")]
    auth_request: String,
    idp: String,
    discovered: Option<String>,
}

/// The form of one login at one directory.
struct Form<'a> {
    auth_request: &'a str,
    idp: &'a str,
    discovered: &'a str,
    username: &'a str,
}

async fn form_page(
    gw: &Gateway,
    req: &HttpRequest,
    (instance, request): (&str, &PendingAuthRequest),
    (idp_name, form): (&str, Form<'_>),
    refusal: Option<(StatusCode, &'static str)>,
) -> HttpResponse {
    let texts = Language::of_login(request, req).texts();
    let look = look_of(gw, instance, &request.params.project_id).await;
    let title = format!("{} {idp_name}", texts.idp_login);
    let (csrf, _) = crypto::secrets::new_token();
    let page = LdapLoginPage {
        frame: Frame::new(texts, &title, &look),
        auth_request: form.auth_request,
        csrf: &csrf,
        idp: form.idp,
        discovered: form.discovered,
        username: form.username,
        error: refusal.map(|(_, said)| said),
        back: login_path("/ui/login", form.auth_request),
    };
    let status = refusal.map_or(StatusCode::OK, |(status, _)| status);
    let mut response = pages::render(status, &page.frame, &page);
    let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    response
}

pub async fn page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<PageQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let Ok(request) = gw.bus.auth_request(&instance, &q.auth_request) else {
        return Ok(expired(&req));
    };
    let discovered = q.discovered.as_deref().filter(|d| !d.is_empty());
    let found = usable_for(&gw, &instance, &request, &q.idp, discovered).await?;
    let Some((_, _, idp)) = found.filter(|(.., idp)| matches!(idp.kind, IdpKind::Ldap(_))) else {
        let look = look_of(&gw, &instance, &request.params.project_id).await;
        return Ok(error_page(&req, &look, Notice::IdpUnavailable));
    };
    let form = Form {
        auth_request: &q.auth_request,
        idp: &q.idp,
        discovered: discovered.unwrap_or_default(),
        username: discovered.unwrap_or_default(),
    };
    Ok(form_page(&gw, &req, (&instance, &request), (&idp.name, form), None).await)
}

#[derive(Deserialize)]
pub struct Fields {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    idp: String,
    #[serde(default)]
    discovered: String,
    username: String,
    password: String,
}

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
    let discovered = Some(f.discovered.as_str()).filter(|d| !d.is_empty());
    let found = usable_for(&gw, &instance, &request, &f.idp, discovered).await?;
    let look = look_of(&gw, &instance, &request.params.project_id).await;
    let Some((idp_id, owner, idp)) = found else {
        return Ok(error_page(&req, &look, Notice::IdpUnavailable));
    };
    let IdpKind::Ldap(directory) = &idp.kind else {
        return Ok(error_page(&req, &look, Notice::IdpUnavailable));
    };
    let texts = Language::of_login(&request, &req).texts();
    let again = |status, said| Some((status, said));
    let form = || Form {
        auth_request: &f.auth_request,
        idp: &f.idp,
        discovered: &f.discovered,
        username: &f.username,
    };
    let account = format!("ldap:{idp_id}:{}", normalized_username(&f.username));
    let who = Subject {
        ip: gw.edge.client_ip(&req),
        instance: &instance,
        account: Some(&account),
    };
    if gw.limits.check(&who).is_err() {
        let refusal = again(StatusCode::TOO_MANY_REQUESTS, texts.too_many);
        let page = (idp.name.as_str(), form());
        return Ok(form_page(&gw, &req, (&instance, &request), page, refusal).await);
    }
    let secret = gw.bus.open_idp_secret(&instance, &idp)?;
    let private_hosts = gw.bus.allows_private_hosts();
    let login = (f.username.as_str(), f.password.as_str());
    let user = match authenticate(directory, &secret, login, private_hosts).await {
        Ok(user) => user,
        Err(Refused::Wrong) => {
            gw.limits.failed(&who);
            let refusal = again(StatusCode::UNAUTHORIZED, texts.wrong);
            let page = (idp.name.as_str(), form());
            return Ok(form_page(&gw, &req, (&instance, &request), page, refusal).await);
        }
        Err(Refused::Unavailable(why)) => {
            tracing::warn!(instance, idp = %idp_id, %why, "a directory could not be asked for a login");
            return Ok(error_page(&req, &look, Notice::IdpFailed));
        }
    };
    let external = ExternalUser {
        idp_id: idp_id.clone(),
        external_id: user.id,
        email: user.email,
        email_verified: user.email_verified,
        given_name: user.given_name,
        family_name: user.family_name,
        preferred_username: user.preferred_username,
    };
    let org = match &owner {
        Some(org) => Some(org.clone()),
        None => org_of_login(&gw, &instance, &request).await,
    };
    let login = (instance.as_str(), f.auth_request.as_str(), &request);
    match user_of(&gw, &instance, (&idp_id, owner, org), &idp, &external).await? {
        Vouched::User(user_id) => {
            logged_in_by_idp(&gw, &req, login, (&idp_id, &user_id), false).await
        }
        Vouched::Confirm(unclaimed) => {
            super::idp_link::link_page(&gw, &req, login, *unclaimed, None).await
        }
        Vouched::Refused(notice) => Ok(error_page(&req, &look, notice)),
    }
}
