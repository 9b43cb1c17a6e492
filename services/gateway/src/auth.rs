//! Who is calling: the instance from the `Host` header, the caller from a bearer token, with
//! their memberships: a personal access token (looked up by its SHA-256 hash), or one of the
//! instance's OAuth access tokens whose audience names the instance's API (a DPoP-bound one as
//! `Authorization: DPoP` with a proof for the request). Principals are cached
//! by token hash; the cache is dropped whenever the projector applies an event that changes
//! memberships, tokens or users (the read model's auth generation), and read-model lookups on
//! a miss run off the async workers. A request with `X-Portcullis-Position` waits for it before
//! any of this, so every read of the request sees that write.

use std::collections::HashMap;
use std::future::{ready, Ready};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use authz::{Caller, Principal};
use crypto::secrets::token_hash;
use domain::{Code, Error};

use crate::generational::{weight, Generational};
use crate::oidc::dpop::{self, Resource, Scheme};
use crate::oidc::tokens::Revocation;
use crate::reads::{consistent, if_match, read};
use crate::request_log::record_caller;
use crate::{ApiError, Gateway};

/// An authenticated request of an instance: its instance and its caller.
#[derive(Clone)]
pub struct Authenticated {
    pub instance: String,
    /// The host the request reached (the port ignored when it is read as a name).
    pub host: String,
    pub caller: Caller,
    pub principal: Arc<Principal>,
    /// `If-Match` of a write: the sequence the client last saw of the aggregate it writes.
    pub if_match: Option<u64>,
    /// The client's address (for rate limits on credential checks).
    pub client_ip: Option<std::net::IpAddr>,
}

/// A caller of the system API (`/v1/system/...`), which no instance's host binds: the token
/// alone says who calls; what they may do comes from their system memberships.
#[derive(Clone)]
pub struct SystemCaller {
    pub caller: Caller,
}

#[derive(Clone)]
struct Cached {
    principal: Arc<Principal>,
    expires_at: Option<i64>,
    /// What revokes an OAuth access token (checked on every use).
    revocation: Option<Revocation>,
    /// The DPoP key an OAuth access token is bound to.
    jkt: Option<String>,
}

/// Principals by token hash and instances by host, valid for one auth generation.
pub type PrincipalCache = Generational<Principals>;

#[derive(Default)]
pub struct Principals {
    /// By personal access token hash.
    principals: HashMap<String, Cached>,
    /// By OAuth access token hash (kept apart: their revocation is checked on every use).
    access: HashMap<String, Cached>,
    hosts: HashMap<String, String>,
}

/// What a principal costs in a cache: its ids and its memberships (each a resource and its
/// permissions).
fn principal_weight(p: &Principal) -> usize {
    weight(&[&p.instance, &p.org, &p.user]) + p.memberships.len() * 512
}

fn unauthenticated() -> Error {
    Error::new(
        Code::Unauthenticated,
        "a valid bearer token of this instance is required",
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What a request carries about its caller, read off HTTP headers or gRPC metadata.
pub struct Credentials<'a> {
    /// The host the request was sent to (`Host`, or gRPC's `:authority`); a port is ignored.
    pub host: &'a str,
    /// `Authorization`.
    pub authorization: Option<&'a str>,
    /// `X-Portcullis-Position`.
    pub position: Option<&'a str>,
    /// `If-Match`.
    pub if_match: Option<&'a str>,
    /// The client's address, as the edge sees it.
    pub client_ip: Option<std::net::IpAddr>,
    /// The request as a DPoP proof names it, with the proof (`DPoP`), if any.
    pub resource: Resource<'a>,
}

impl<'a> Credentials<'a> {
    /// The credentials of an HTTP request sent to `host`.
    pub fn of_http(gw: &Gateway, req: &'a HttpRequest, host: &'a str) -> Credentials<'a> {
        // A value that is not text is kept as an empty one, which every check refuses.
        let header = |name: &str| req.headers().get(name).map(|v| v.to_str().unwrap_or(""));
        Credentials {
            host,
            authorization: header("authorization"),
            position: header("x-portcullis-position"),
            if_match: header("if-match"),
            client_ip: None,
            resource: Resource {
                method: req.method().as_str(),
                url: format!("{}{}", gw.edge.external_url(req, host), req.path()),
                // Several proofs are refused as a proof that does not hold.
                proof: dpop::proof_of(req).unwrap_or(Some("")),
            },
        }
    }
}

/// The instance a request's host names (the port is ignored).
pub async fn instance_of(gw: &Gateway, req: &HttpRequest) -> Result<String, Error> {
    let host = gw.edge.host(req)?;
    instance_at(gw, &host).await
}

/// The instance reached at `host` (the port is ignored); a host that is not a valid name is
/// refused before any lookup.
pub async fn instance_at(gw: &Gateway, host: &str) -> Result<String, Error> {
    let host = crate::edge::host_name(host)?;
    let generation = gw.model.progress().auth_generation();
    if let Some(i) = gw
        .principals
        .with(generation, |c| c.hosts.get(&host).cloned())
    {
        return Ok(i);
    }
    let h = host.clone();
    match read(gw, move |m| m.instance_by_domain(&h)).await? {
        Some(instance) => {
            let bytes = weight(&[&host, &instance]);
            gw.principals.put(generation, bytes, |c| {
                c.hosts.insert(host, instance.clone());
            });
            Ok(instance)
        }
        None => Err(Error::new(
            Code::InstanceNotFound,
            format!("no instance is reached at {host}"),
        )
        .with("host", host)),
    }
}

fn presented(authorization: Option<&str>) -> Result<(Scheme, &str), Error> {
    authorization
        .and_then(dpop::authorization)
        .ok_or_else(unauthenticated)
}

fn bearer(authorization: Option<&str>) -> Result<&str, Error> {
    match presented(authorization)? {
        (Scheme::Bearer, token) => Ok(token),
        (Scheme::DPoP, _) => Err(unauthenticated()),
    }
}

/// The principal of a token of `instance`: one of the instance's OAuth access tokens whose
/// audience names its API, presented as it is bound, or a personal access token (a bearer
/// token).
async fn principal_of(
    gw: &Gateway,
    instance: &str,
    c: &Credentials<'_>,
) -> Result<Arc<Principal>, Error> {
    let (scheme, token) = presented(c.authorization)?;
    if crate::oidc::tokens::is_access_token(token) {
        if let Ok((p, jkt)) = access_principal(gw, instance, token).await {
            dpop::check_presented(gw, scheme, token, jkt.as_deref(), &c.resource)?;
            return Ok(p);
        }
    }
    if scheme != Scheme::Bearer {
        return Err(unauthenticated());
    }
    principal(gw, token_hash(token)).await
}

/// The user of an OAuth access token and the DPoP key it is bound to, cached by the token's
/// hash until it expires, with its revocation (its refresh family's, or its own) checked on
/// every use.
async fn access_principal(
    gw: &Gateway,
    instance: &str,
    token: &str,
) -> Result<(Arc<Principal>, Option<String>), Error> {
    let hash = token_hash(token);
    let generation = gw.model.progress().auth_generation();
    let cached = gw
        .principals
        .with(generation, |c| c.access.get(&hash).cloned());
    gw.metrics.cache(cached.is_some());
    let entry = match cached {
        Some(e) => {
            if let Some(r) = &e.revocation {
                if r.holds(gw, instance).await? {
                    return Err(unauthenticated());
                }
            }
            e
        }
        None => {
            let (claims, user) = crate::oidc::tokens::validate_for_api(gw, instance, token).await?;
            let (i, map) = (instance.to_string(), gw.authz.role_map().clone());
            let principal = read(gw, move |m| load_principal(m, &i, &user.id, &map))
                .await?
                .map(|(p, _)| p)
                .ok_or_else(unauthenticated)?;
            let loaded = Cached {
                principal: Arc::new(principal),
                expires_at: claims["exp"].as_i64().map(|s| s * 1000),
                revocation: Some(Revocation::of(&claims)),
                jkt: dpop::bound_key(&claims).map(String::from),
            };
            let bytes = weight(&[&hash]) + principal_weight(&loaded.principal);
            gw.principals.put(generation, bytes, |c| {
                c.access.insert(hash, loaded.clone());
            });
            loaded
        }
    };
    if entry.expires_at.is_some_and(|t| t <= now_ms()) || entry.principal.instance != instance {
        return Err(unauthenticated());
    }
    Ok((entry.principal, entry.jkt))
}

/// The principal holding a token, from the cache or the read model; None for unknown tokens.
async fn principal(gw: &Gateway, hash: String) -> Result<Arc<Principal>, Error> {
    // Read the generation first: a load that races with a change is cached under the old one.
    let generation = gw.model.progress().auth_generation();
    let cached = gw
        .principals
        .with(generation, |c| c.principals.get(&hash).cloned());
    gw.metrics.cache(cached.is_some());
    let entry = match cached {
        Some(e) => e,
        None => {
            let map = gw.authz.role_map().clone();
            let h = hash.clone();
            let loaded = read(gw, move |m| {
                let Some((instance, user_id, expires_at)) = m.pat_owner(&h)? else {
                    return Ok(None);
                };
                // Deactivated and locked users' tokens do not work.
                Ok(load_principal(m, &instance, &user_id, &map)?
                    .filter(|(_, state)| state == "active")
                    .map(|(principal, _)| Cached {
                        principal: Arc::new(principal),
                        expires_at,
                        revocation: None,
                        jkt: None,
                    }))
            })
            .await?
            .ok_or_else(unauthenticated)?;
            let bytes = weight(&[&hash]) + principal_weight(&loaded.principal);
            gw.principals.put(generation, bytes, |c| {
                c.principals.insert(hash, loaded.clone());
            });
            loaded
        }
    };
    if entry.expires_at.is_some_and(|t| t <= now_ms()) {
        return Err(unauthenticated());
    }
    Ok(entry.principal)
}

/// A user of an instance as a principal (with their memberships), and the user's state.
pub(crate) fn load_principal(
    m: &dyn readmodel::ReadModel,
    instance: &str,
    user_id: &str,
    map: &authz::RoleMap,
) -> Result<Option<(Principal, String)>, Error> {
    let Some(user) = m.user(instance, user_id)? else {
        return Ok(None);
    };
    let memberships = m.memberships(instance, user_id, map)?;
    let principal = Principal {
        instance: instance.to_string(),
        org: user.org_id,
        user: user_id.to_string(),
        memberships,
    };
    Ok(Some((principal, user.state)))
}

/// The caller of an instance's API: the instance from the host, the caller from the token.
pub async fn authenticate(gw: &Gateway, c: &Credentials<'_>) -> Result<Authenticated, Error> {
    // Read-your-writes covers the caller too: a token or a membership just written counts.
    consistent(gw, c.position).await?;
    let instance = instance_at(gw, c.host).await?;
    let principal = principal_of(gw, &instance, c).await?;
    // Tokens of one instance are never accepted by another.
    if principal.instance != instance {
        return Err(unauthenticated());
    }
    record_caller(&instance, &principal.user);
    Ok(Authenticated {
        host: c.host.to_string(),
        instance,
        caller: Caller::Principal(principal.clone()),
        principal,
        if_match: if_match(c.if_match)?,
        client_ip: c.client_ip,
    })
}

/// The caller of the system API: the token alone says who calls.
pub async fn authenticate_system(gw: &Gateway, c: &Credentials<'_>) -> Result<SystemCaller, Error> {
    consistent(gw, c.position).await?;
    let principal = principal(gw, token_hash(bearer(c.authorization)?)).await?;
    record_caller(&principal.instance, &principal.user);
    Ok(SystemCaller {
        caller: Caller::Principal(principal),
    })
}

fn gateway(req: &HttpRequest) -> Result<web::Data<Gateway>, Error> {
    req.app_data::<web::Data<Gateway>>()
        .cloned()
        .ok_or_else(|| Error::internal("gateway state missing"))
}

/// Whether a request may come without a caller: a password set with a reset or invitation
/// code (`PUT /v1/users/{id}/password` with `code`), where the code is the proof. Its handler
/// answers 401 to one that brings no code.
fn may_be_anonymous(req: &HttpRequest) -> bool {
    let password_path = req
        .path()
        .strip_prefix("/v1/users/")
        .and_then(|rest| rest.strip_suffix("/password"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'));
    password_path
        && req.method() == actix_web::http::Method::PUT
        && !req
            .headers()
            .contains_key(actix_web::http::header::AUTHORIZATION)
}

/// Middleware of the instance API: authenticates the request before any handler or body
/// extractor runs, and leaves an [`Authenticated`] in the request.
pub async fn instance_auth(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if may_be_anonymous(req.request()) {
        return next.call(req).await;
    }
    // The clone of the request must be gone before the request goes on (actix needs it unique).
    let auth = {
        let http = req.request().clone();
        let gw = gateway(&http).map_err(ApiError)?;
        let host = gw.edge.host(&http).map_err(ApiError)?;
        let credentials = Credentials {
            client_ip: gw.edge.client_ip(&http),
            ..Credentials::of_http(&gw, &http, &host)
        };
        authenticate(&gw, &credentials).await.map_err(ApiError)?
    };
    req.extensions_mut().insert(auth);
    next.call(req).await
}

/// Middleware of the system API: the token alone says who calls.
pub async fn system_auth(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let caller = {
        let http = req.request().clone();
        let gw = gateway(&http).map_err(ApiError)?;
        let host = gw.edge.host(&http).map_err(ApiError)?;
        let credentials = Credentials::of_http(&gw, &http, &host);
        authenticate_system(&gw, &credentials)
            .await
            .map_err(ApiError)?
    };
    req.extensions_mut().insert(caller);
    next.call(req).await
}

fn from_extensions<T: Clone + 'static>(req: &HttpRequest) -> Ready<Result<T, ApiError>> {
    ready(
        req.extensions()
            .get::<T>()
            .cloned()
            .ok_or_else(|| ApiError(Error::internal("route registered outside its auth scope"))),
    )
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        from_extensions(req)
    }
}

impl FromRequest for SystemCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        from_extensions(req)
    }
}
