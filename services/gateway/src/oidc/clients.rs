//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` and `client_secret_jwt`
//! (a signed assertion, RFC 7523), or `none` for public clients, each app only with the method
//! it registered. Secrets are compared by their SHA-256 hashes in constant time. Machine users
//! authenticate with their secret (client id = login name) for `client_credentials`.

use actix_web::HttpRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto::secrets::token_hash;
use domain::app::AuthMethod;
use domain::validate::same_secret;
use readmodel::{AppRow, UserRow};

use super::{assertions, client_cache, OAuthError, OAuthResult};
use crate::limits::Subject;
use crate::Gateway;

pub enum Client {
    /// An OIDC app of a project.
    App(AppRow),
    /// A machine user with a client secret.
    Machine(UserRow),
}

impl Client {
    pub fn client_id(&self) -> &str {
        match self {
            Client::App(a) => &a.client_id,
            Client::Machine(u) => &u.username,
        }
    }
}

fn invalid() -> OAuthError {
    OAuthError::new("invalid_client", "client authentication failed")
}

fn decode_form_part(s: &str) -> String {
    url_decode(s).unwrap_or_else(|| s.to_string())
}

/// Percent-decoding of a form value (`+` is a space).
pub fn url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// How a client presented itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    /// `Authorization: Basic` with id and secret.
    Basic,
    /// `client_id` and `client_secret` in the form.
    Post,
    /// `client_id` alone: a public client.
    IdOnly,
    /// `client_assertion`: a JWT signed with a key or made with the secret.
    Assertion,
}

impl Via {
    /// Whether this is the way an app registered with `method` authenticates: one method per
    /// client, never another that happens to carry the same secret.
    fn is(self, method: AuthMethod) -> bool {
        matches!(
            (self, method),
            (Via::Basic, AuthMethod::ClientSecretBasic)
                | (Via::Post, AuthMethod::ClientSecretPost)
                | (Via::IdOnly, AuthMethod::None)
                | (Via::Assertion, AuthMethod::PrivateKeyJwt)
                | (Via::Assertion, AuthMethod::ClientSecretJwt)
        )
    }
}

fn one_method() -> OAuthError {
    OAuthError::new(
        "invalid_request",
        "a client authenticates with one method: Basic, client_secret or client_assertion",
    )
}

/// The client's id and secret (or assertion), from the Basic header or the form (never two).
fn credentials(
    req: &HttpRequest,
    form: &std::collections::HashMap<String, String>,
) -> OAuthResult<(String, Option<String>, Via)> {
    if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str)
            != Some(assertions::CLIENT_ASSERTION_TYPE)
        {
            return Err(OAuthError::new(
                "invalid_request",
                format!(
                    "client_assertion_type must be {}",
                    assertions::CLIENT_ASSERTION_TYPE
                ),
            ));
        }
        if form.contains_key("client_secret") || req.headers().contains_key("authorization") {
            return Err(one_method());
        }
        // The assertion names its client (`sub`); a client_id sent beside it must agree.
        let named = assertions::claimed_subject(assertion).ok_or_else(invalid)?;
        if form.get("client_id").is_some_and(|id| *id != named) {
            return Err(invalid());
        }
        return Ok((named, Some(assertion.clone()), Via::Assertion));
    }
    if let Some(basic) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        if form.contains_key("client_secret") {
            return Err(one_method());
        }
        let decoded = STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(invalid)?;
        let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
        return Ok((
            decode_form_part(id),
            Some(decode_form_part(secret)),
            Via::Basic,
        ));
    }
    let id = form.get("client_id").cloned().ok_or_else(invalid)?;
    Ok(match form.get("client_secret") {
        Some(secret) => (id, Some(secret.clone()), Via::Post),
        None => (id, None, Via::IdOnly),
    })
}

/// Authenticates the calling client of `instance`, which must be an application (the user
/// grants: authorization code, refresh token).
pub async fn authenticate_app(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &std::collections::HashMap<String, String>,
) -> OAuthResult<AppRow> {
    match authenticate(gw, req, instance, form, false).await? {
        Client::App(app) => Ok(app),
        _ => Err(OAuthError::new("unauthorized_client", "not an application")),
    }
}

/// Authenticates the calling client of `instance`. A client the read model does not know (or
/// whose secret it does not know yet) is looked up once more after the read model has caught
/// up with the log, so that an app or a secret used right after its creation works.
pub async fn authenticate(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    form: &std::collections::HashMap<String, String>,
    allow_machine_users: bool,
) -> OAuthResult<Client> {
    let (client_id, secret, via) = credentials(req, form)?;
    // No client id is longer than a login name (generated ids are shorter): a longer one is
    // refused before any lookup or hashing.
    if client_id.chars().count() > domain::validate::MAX_NAME {
        return Err(invalid());
    }
    let (id, secret) = (client_id.as_str(), secret.as_deref());
    let account = format!("client:{id}");
    let who = Subject {
        ip: gw.edge.client_ip(req),
        instance,
        account: Some(&account),
    };
    gw.limits.check(&who)?;
    if via == Via::IdOnly {
        if let Some(console) = super::console_app::builtin(gw, req, id)? {
            return Ok(Client::App(console));
        }
    }
    let answer = match via {
        Via::Assertion => by_assertion(gw, req, instance, id, secret.unwrap_or_default()).await,
        _ => match attempt(gw, instance, id, secret, via, allow_machine_users).await {
            Err(e) if e.error == "invalid_client" => {
                if crate::reads::caught_up(gw).await.is_err() {
                    return Err(e);
                }
                attempt(gw, instance, id, secret, via, allow_machine_users).await
            }
            answer => answer,
        },
    };
    if answer.as_ref().is_err_and(|e| e.error == "invalid_client") {
        gw.limits.failed(&who);
    }
    answer
}

/// An app that authenticates with an assertion: signed with one of its keys
/// (`private_key_jwt`) or made with its secret (`client_secret_jwt`), as it registered, about
/// itself, for this issuer, and never presented before.
async fn by_assertion(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    client_id: &str,
    assertion: &str,
) -> OAuthResult<Client> {
    let mut app = client_cache::app(gw, instance, client_id).await?;
    if app.is_none() && crate::reads::caught_up(gw).await.is_ok() {
        app = client_cache::app(gw, instance, client_id).await?;
    }
    let Some((app, _)) = app.filter(|(a, _)| Via::Assertion.is(a.config.auth_method)) else {
        return Err(invalid());
    };
    let project = gw.bus.project(instance, &app.project_id).await?;
    let held = project.apps.get(&app.id).ok_or_else(invalid)?;
    let claims = match (app.config.auth_method, &held.sealed_secret) {
        (AuthMethod::PrivateKeyJwt, _) => {
            published_or_held(gw, assertion, &held.keys, held.config.jwks_uri.as_deref()).await
        }
        (AuthMethod::ClientSecretJwt, Some(sealed)) => {
            assertions::made_with_secret(gw, instance, assertion, sealed)
        }
        _ => return Err(invalid()),
    };
    let refused = |e: domain::Error| match e.code {
        domain::Code::InvalidGrant => OAuthError::new("invalid_client", e.message),
        _ => e.into(),
    };
    let claims = claims.map_err(refused)?;
    assertions::accept(gw, req, instance, assertion, &claims, client_id)
        .await
        .map_err(refused)?;
    Ok(Client::App(app))
}

/// The claims of a `private_key_jwt` assertion signed by one of the app's keys: those added
/// through the API, else those it publishes at its `jwks_uri` (fetched again once when none
/// of them signed it: the app may have rotated its keys).
async fn published_or_held(
    gw: &Gateway,
    assertion: &str,
    held: &domain::machine_keys::MachineKeys,
    jwks_uri: Option<&str>,
) -> Result<domain::oidc::AssertionClaims, domain::Error> {
    let by_held = assertions::signed_by(assertion, held);
    let Some(uri) = jwks_uri.filter(|_| by_held.is_err()) else {
        return by_held;
    };
    let published = super::app_jwks::keys(gw, uri, false).await?;
    match assertions::signed_by(assertion, &published) {
        Err(_) => assertions::signed_by(assertion, &*super::app_jwks::keys(gw, uri, true).await?),
        signed => signed,
    }
}

async fn attempt(
    gw: &Gateway,
    instance: &str,
    client_id: &str,
    secret: Option<&str>,
    via: Via,
    allow_machine_users: bool,
) -> OAuthResult<Client> {
    let app = client_cache::app(gw, instance, client_id).await?;
    let machine = match app {
        Some(_) => None,
        None => client_cache::by_login(gw, instance, client_id).await?,
    };
    let presented: Option<String> = secret.map(token_hash);
    if let Some((app, hash)) = app {
        let method = app.config.auth_method;
        let ok = via.is(method)
            && match (&hash, &presented) {
                (_, None) => true,
                (Some(h), Some(p)) => method.uses_secret() && same_secret(h, p),
                (None, Some(_)) => false,
            };
        return if ok {
            Ok(Client::App(app))
        } else {
            Err(invalid())
        };
    }
    match (machine, presented.as_deref()) {
        (Some((user, Some(h))), Some(p))
            if allow_machine_users
                && user.kind == "machine"
                && user.state == "active"
                && same_secret(&h, p) =>
        {
            Ok(Client::Machine(user))
        }
        _ => {
            // Spend a comparison either way: whether a client exists is not for the caller.
            let _ = same_secret(&token_hash(client_id), presented.as_deref().unwrap_or(""));
            Err(invalid())
        }
    }
}
