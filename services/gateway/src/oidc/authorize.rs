//! The authorization endpoint (GET and POST): the code flow with PKCE S256. An unknown client
//! or a redirect URI that is not registered exactly gets an error page, never a redirect; other
//! errors go back to the client with the standard parameters and `iss`.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use domain::app::AuthMethod;
use domain::oidc::AuthParams;
use domain::settings::BrandingSettings;
use domain::Code;
use readmodel::AppRow;

use super::accounts::{answered, Open};
use super::language::Language;
use super::login::{error_page, expired, look_in, look_of, to_page, SESSION_COOKIE};
use super::params::Params;
use super::texts::Notice;
use super::{issuer, OAuthError, OAuthResult};
use crate::auth::instance_of;
use crate::Gateway;

/// `redirect_uri` with these query parameters added.
/// `redirect_uri` with `params` added to its query.
pub fn with_query(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let mut url = redirect_uri.to_string();
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(
        &form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish(),
    );
    url
}

pub fn redirect_to(redirect_uri: &str, params: &[(&str, &str)]) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", with_query(redirect_uri, params)))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// An error for the client, at its redirect URI: in the query, or posted (`look` given, for a
/// form_post request).
fn error_answer(
    look: Option<&BrandingSettings>,
    language: Language,
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&String>,
    iss: &str,
) -> HttpResponse {
    let mut p = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        p.push(("state", s));
    }
    p.push(("iss", iss));
    super::form_post::answer(look, language, redirect_uri, &p)
}

/// What an authorization request asks for, its parameters checked.
pub(super) struct Asked {
    pub params: AuthParams,
    pub prompt: Vec<String>,
}

/// Checks an authorization request's parameters for `app` (whose client and redirect URI are
/// known good): what the client may ask for, or the OAuth error to answer. The authorization
/// endpoint and the PAR endpoint check alike.
pub(super) async fn checked(
    gw: &Gateway,
    instance: &str,
    app: &AppRow,
    p: &HashMap<String, String>,
    form_post: bool,
) -> OAuthResult<Asked> {
    let fail = |error: &'static str, description: &str| Err(OAuthError::new(error, description));
    // The browser carries what the client sent to the login and back: bounded.
    for (name, most) in [
        ("state", 2048),
        ("nonce", 512),
        ("login_hint", 256),
        ("ui_locales", 256),
    ] {
        if p.get(name).is_some_and(|v| v.len() > most) {
            return fail(
                "invalid_request",
                &format!("{name} is longer than {most} bytes"),
            );
        }
    }
    if p.contains_key("request") {
        return fail("request_not_supported", "request objects are not supported");
    }
    if p.get("response_type").map(String::as_str) != Some("code") {
        return fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let scope = super::scopes(p.get("scope"));
    if !scope.iter().any(|s| s == "openid") {
        return fail("invalid_scope", "the scope must include openid");
    }
    let org = super::audience::org_of_project(gw, instance, &app.project_id).await?;
    super::audience::check(gw, instance, &org, &scope).await?;
    let challenge = p.get("code_challenge").cloned();
    match (
        challenge.as_ref(),
        p.get("code_challenge_method").map(String::as_str),
    ) {
        (Some(c), Some("S256")) if is_s256_challenge(c) => {}
        (Some(_), Some("S256")) => {
            return fail(
                "invalid_request",
                "code_challenge must be the 43-character base64url SHA-256 of the verifier",
            )
        }
        (Some(_), _) => return fail("invalid_request", "code_challenge_method must be S256"),
        (None, _) if app.config.auth_method == AuthMethod::None => {
            return fail("invalid_request", "public clients must use PKCE (S256)")
        }
        (None, _) => {}
    }
    let dpop_jkt = p.get("dpop_jkt").cloned();
    if dpop_jkt.as_deref().is_some_and(|j| !is_s256_challenge(j)) {
        return fail(
            "invalid_request",
            "dpop_jkt must be the 43-character base64url SHA-256 thumbprint of a key",
        );
    }
    let prompt: Vec<String> = super::scopes(p.get("prompt"));
    let max_age = match p.get("max_age") {
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => return fail("invalid_request", "max_age must be a number of seconds"),
        },
        None => None,
    };
    let params = AuthParams {
        client_id: app.client_id.clone(),
        project_id: app.project_id.clone(),
        app_id: app.id.clone(),
        redirect_uri: p.get("redirect_uri").cloned().unwrap_or_default(),
        scope,
        state: p.get("state").cloned(),
        nonce: p.get("nonce").cloned(),
        code_challenge: challenge,
        prompt_login: prompt.iter().any(|p| p == "login"),
        max_age,
        login_hint: p.get("login_hint").cloned(),
        acr_values: super::scopes(p.get("acr_values")),
        form_post,
        dpop_jkt,
        saml: None,
    };
    Ok(Asked { params, prompt })
}

/// `response_mode`: the query (the default) or `form_post`; `None` for another.
pub(super) fn form_post(p: &HashMap<String, String>) -> Option<bool> {
    match p.get("response_mode").map(String::as_str) {
        None | Some("query") => Some(false),
        Some("form_post") => Some(true),
        Some(_) => None,
    }
}

/// The authorization endpoint, by GET (query) or POST (form).
pub async fn authorize(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    p: Params,
) -> OAuthResult<HttpResponse> {
    let (gw, req, mut p) = (gw.get_ref(), &req, p.0);
    let instance = instance_of(gw, req).await?;
    let iss = issuer(gw, req)?;
    let client_id = p.get("client_id").cloned().unwrap_or_default();
    let app = super::console_app::app_by_client_id(gw, req, &instance, &client_id).await?;
    let Some(app) = app else {
        let look = look_in(gw, &instance, None).await;
        return Ok(error_page(req, &look, Notice::UnknownClient));
    };
    // A pushed request (PAR) stands for every parameter: only what was pushed counts.
    let pushed = p.contains_key("request_uri");
    if let Some(uri) = p.get("request_uri").cloned() {
        match super::par::take(gw, &instance, &uri, &client_id).await {
            Ok(sent) => p = sent,
            Err(_) => return Ok(expired(req)),
        }
    }
    let redirect_uri = p.get("redirect_uri").cloned().unwrap_or_default();
    if !app.config.redirect_uris.contains(&redirect_uri) {
        let look = look_of(gw, &instance, &app.project_id).await;
        return Ok(error_page(req, &look, Notice::UnregisteredRedirect));
    }
    let state = p.get("state");
    let language = Language::of_request(req);
    let Some(form_post) = form_post(&p) else {
        return Ok(error_answer(
            None,
            language,
            &redirect_uri,
            "invalid_request",
            "response_mode must be query or form_post",
            state,
            &iss,
        ));
    };
    let look = match form_post {
        true => Some(look_of(gw, &instance, &app.project_id).await),
        false => None,
    };
    let fail = |error: &str, description: &str| {
        Ok(error_answer(
            look.as_ref(),
            language,
            &redirect_uri,
            error,
            description,
            state,
            &iss,
        ))
    };
    if app.config.require_par && !pushed {
        return fail(
            "invalid_request",
            "this client must push its authorization requests (PAR) first",
        );
    }
    let Asked { params, prompt } = match checked(gw, &instance, &app, &p, form_post).await {
        Ok(asked) => asked,
        Err(e) => return fail(e.error, &e.description),
    };
    let prompt: Vec<&str> = prompt.iter().map(String::as_str).collect();
    let prompt_login = params.prompt_login;
    let prompt_none = prompt.contains(&"none");
    let ui_locales = super::scopes(p.get("ui_locales"));
    let id = gw
        .bus
        .start_auth_request(&instance, params, &iss, ui_locales)?;

    // The browser's live sessions (the current one first). One answers at once when its checks
    // are fresh enough for this request (the login settings, `prompt=login`, `max_age`): the
    // finalize of the Sessions API decides. With several, the user chooses.
    let open = super::accounts::open_sessions(gw, req, &instance).await?;
    // An id_token_hint names the user the client expects: another user's session does not do.
    let hinted = match p.get("id_token_hint") {
        Some(hint) => {
            let jwks = super::keyring::jwks(gw, &instance).await?;
            match super::jwt::verify(hint, &jwks) {
                Ok(c) => c["sub"].as_str().map(String::from),
                Err(_) => {
                    return fail(
                        "invalid_request",
                        "id_token_hint is not a token of this issuer",
                    )
                }
            }
        }
        None => None,
    };
    let usable: Vec<&Open> = match &hinted {
        Some(h) => open.iter().filter(|o| o.session.user_id == *h).collect(),
        None => open.iter().collect(),
    };
    let choose = prompt.contains(&"select_account") || (usable.len() > 1 && !prompt_login);
    if choose && !usable.is_empty() {
        if prompt_none {
            return fail(
                "account_selection_required",
                "the browser holds several accounts: the user must choose one",
            );
        }
        return Ok(to_page("/ui/login/accounts", &id));
    }
    if let Some(o) = usable.first() {
        match gw.bus.finalize(&instance, &id, &o.id, &o.token).await {
            Ok(done) => {
                let back = super::form_post::with_code(gw, req, &instance, &done).await;
                return Ok(answered(req, back, o, &open));
            }
            // The browser's own session needs only a (fresh) second factor: a step up.
            Err(e)
                if super::mfa::second_factor_missing(&e)
                    && req
                        .cookie(SESSION_COOKIE)
                        .is_some_and(|c| c.value() == o.token)
                    && !prompt_none =>
            {
                return Ok(to_page("/ui/login/mfa", &id))
            }
            // Not enough for this request: a new login.
            Err(e) if again(e.code) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if prompt_none {
        return fail("login_required", "the user is not logged in");
    }
    Ok(to_page("/ui/login", &id))
}

/// Whether a session's finalize failed for want of a new login (rather than of the server).
pub(crate) fn again(code: Code) -> bool {
    matches!(
        code,
        Code::SessionNotFound | Code::SessionChecksMissing | Code::PasswordExpired
    )
}

/// An S256 challenge: a SHA-256 digest in unpadded base64url (43 characters).
fn is_s256_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
