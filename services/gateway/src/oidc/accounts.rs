//! Account selection: a browser may hold the sessions of several users (a login as another
//! user keeps the earlier sessions, in the accounts cookie). With more than one, or with
//! `prompt=select_account`, an authorization asks which account to go on with; "Use another
//! account" leads to the login. A session whose checks are no longer fresh enough for the
//! request asks for the password again, its username filled in.

use actix_web::cookie::SameSite;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::oidc::Session;
use domain::settings::MessageTemplate;
use domain::Error;
use serde::Deserialize;

use super::authorize::again;
use super::language::Language;
use super::login::{
    cookie, expired, login_form, login_path, org_of_login, posted, to_page, PageQuery, CSRF_COOKIE,
    SESSION_COOKIE,
};
use super::page_look::page_look;
use super::pages::{self, Account, AccountsPage, Frame};
use super::OAuthResult;
use crate::auth::instance_of;
use crate::reads::read;
use crate::Gateway;

/// The cookie of the browser's other sessions: their tokens, joined by `~`.
pub(super) const ACCOUNTS_COOKIE: &str = "portcullis_accounts";
/// The most sessions a browser keeps besides its current one.
const MOST_ACCOUNTS: usize = 5;
/// The longest token read from the cookie (a session id and a 256-bit secret are far less).
const LONGEST_TOKEN: usize = 256;

/// A live session of the browser.
pub(crate) struct Open {
    pub token: String,
    pub id: String,
    pub session: Session,
}

/// The browser's live sessions, the current one first, one per user, at most one more than
/// [`MOST_ACCOUNTS`]; a token that names no live session is dropped.
pub(crate) async fn open_sessions(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
) -> Result<Vec<Open>, Error> {
    let current = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let others = req.cookie(ACCOUNTS_COOKIE).map(|c| {
        c.value()
            .split('~')
            .filter(|t| !t.is_empty() && t.len() <= LONGEST_TOKEN)
            .take(MOST_ACCOUNTS)
            .map(String::from)
            .collect::<Vec<_>>()
    });
    let mut open: Vec<Open> = Vec::new();
    for token in current.into_iter().chain(others.into_iter().flatten()) {
        if let Some((id, session)) = gw.bus.session(instance, &token).await? {
            if !open.iter().any(|o| o.session.user_id == session.user_id) {
                open.push(Open { token, id, session });
            }
        }
    }
    Ok(open)
}

/// `response` with the browser's other sessions kept (the latest [`MOST_ACCOUNTS`]), and
/// `chosen` as its current one if given (else the response sets it, or keeps it).
pub(super) fn keep(
    req: &HttpRequest,
    mut response: HttpResponse,
    chosen: Option<&str>,
    others: impl IntoIterator<Item = String>,
) -> HttpResponse {
    let others: Vec<String> = others
        .into_iter()
        .filter(|t| Some(t.as_str()) != chosen)
        .take(MOST_ACCOUNTS)
        .collect();
    if let Some(chosen) = chosen {
        let current = cookie(req, SESSION_COOKIE, chosen.to_string(), "/", SameSite::Lax);
        let _ = response.add_cookie(&current);
    }
    let accounts = cookie(req, ACCOUNTS_COOKIE, others.join("~"), "/", SameSite::Lax);
    let _ = response.add_cookie(&accounts);
    response
}

/// The browser back to the client with a request's code (`back`), `chosen` (of the
/// browser's `open` sessions) its current session from now on.
pub(crate) fn answered(
    req: &HttpRequest,
    back: HttpResponse,
    chosen: &Open,
    open: &[Open],
) -> HttpResponse {
    let others = open.iter().map(|o| o.token.clone());
    keep(req, back, Some(&chosen.token), others)
}

/// The accounts of the browser, for an authorization request.
pub async fn page(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    q: web::Query<PageQuery>,
) -> OAuthResult<HttpResponse> {
    let instance = instance_of(&gw, &req).await?;
    let Ok(request) = gw.bus.auth_request(&instance, &q.auth_request) else {
        return Ok(expired(&req));
    };
    let open = open_sessions(&gw, &req, &instance).await?;
    let login = login_path("/ui/login", &q.auth_request);
    if open.is_empty() {
        return Ok(HttpResponse::Found()
            .insert_header(("Location", login))
            .finish());
    }
    let mut accounts = Vec::new();
    for o in &open {
        let (i, u) = (instance.clone(), o.session.user_id.clone());
        if let Some(user) = read(&gw, move |m| m.user(&i, &u)).await? {
            accounts.push(Account {
                session_id: o.id.clone(),
                display_name: user.display_name,
                username: user.username,
            });
        }
    }
    let language = Language::of_login(&request, &req);
    let org = org_of_login(&gw, &instance, &request).await;
    let template = MessageTemplate::AccountsPage;
    let p = page_look(&gw, &instance, org.as_deref(), template, language).await;
    let texts = language.texts();
    let (csrf, _) = crypto::secrets::new_token();
    let page = AccountsPage {
        frame: Frame::of_page(texts, texts.choose_account, &p),
        auth_request: &q.auth_request,
        csrf: &csrf,
        accounts,
        other: login,
    };
    let mut response = pages::render(StatusCode::OK, &page.frame, &page);
    let _ = response.add_cookie(&cookie(&req, CSRF_COOKIE, csrf, "/ui", SameSite::Strict));
    Ok(response)
}

#[derive(Deserialize)]
pub struct ChoiceFields {
    #[serde(rename = "authRequest")]
    auth_request: String,
    csrf: String,
    /// The chosen session's id.
    account: String,
}

/// The account chosen: the request is answered with its session, which becomes the current
/// one; if its checks are not fresh enough, its password is asked for again.
pub async fn choose(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    form: web::Form<ChoiceFields>,
) -> OAuthResult<HttpResponse> {
    let f = form.into_inner();
    let (instance, request) = match posted(&gw, &req, &f.auth_request, &f.csrf).await? {
        Ok(posted) => posted,
        Err(page) => return Ok(page),
    };
    let open = open_sessions(&gw, &req, &instance).await?;
    let Some(chosen) = open.iter().find(|o| o.id == f.account) else {
        let back = login_path("/ui/login/accounts", &f.auth_request);
        return Ok(HttpResponse::Found()
            .insert_header(("Location", back))
            .finish());
    };
    let done = gw
        .bus
        .finalize(&instance, &f.auth_request, &chosen.id, &chosen.token)
        .await;
    match done {
        Ok(done) => {
            let back = super::form_post::with_code(&gw, &req, &instance, &done).await;
            Ok(answered(&req, back, chosen, &open))
        }
        // The chosen session needs only a second factor: it becomes the browser's current
        // session, and the login asks for the factor.
        Err(e) if super::mfa::second_factor_missing(&e) => {
            let step = to_page("/ui/login/mfa", &f.auth_request);
            let others = open.iter().map(|o| o.token.clone());
            Ok(keep(&req, step, Some(&chosen.token), others))
        }
        Err(e) if again(e.code) => {
            let (i, u) = (instance.clone(), chosen.session.user_id.clone());
            let username = read(&gw, move |m| m.user(&i, &u))
                .await?
                .map(|u| u.username)
                .unwrap_or_default();
            Ok(login_form(&gw, &req, &instance, &request, &f.auth_request, &username).await)
        }
        Err(e) => Err(e.into()),
    }
}
