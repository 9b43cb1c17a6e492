//! Who is calling: the instance from the `Host` header, the caller from a bearer personal
//! access token (looked up by its SHA-256 hash), with their memberships.

use std::future::{ready, Ready};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use authz::{Caller, Principal};
use domain::{Code, Error};

use crate::{ApiError, Gateway};

/// An authenticated request: its instance and its caller.
pub struct Authenticated {
    pub instance: String,
    pub caller: Caller,
    pub principal: Arc<Principal>,
}

fn unauthenticated() -> Error {
    Error::new(
        Code::Unauthenticated,
        "a valid bearer token of this instance is required",
    )
}

/// The hex SHA-256 of a token: all that is stored of it.
pub fn token_hash(token: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The instance a request's host names (the port is ignored).
pub fn instance_of(gw: &Gateway, req: &HttpRequest) -> Result<String, Error> {
    let info = req.connection_info();
    let host = info.host();
    let name = host
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    gw.model.instance_by_domain(name)?.ok_or_else(|| {
        Error::new(
            Code::InstanceNotFound,
            format!("no instance is reached at {name}"),
        )
        .with("host", name)
    })
}

fn authenticate(gw: &Gateway, req: &HttpRequest) -> Result<Authenticated, Error> {
    let instance = instance_of(gw, req)?;
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthenticated)?;
    let (owner_instance, user_id, expires_at) = gw
        .model
        .pat_owner(&token_hash(token.trim()))?
        .ok_or_else(unauthenticated)?;
    if owner_instance != instance || expires_at.is_some_and(|t| t <= now_ms()) {
        return Err(unauthenticated());
    }
    let user = gw
        .model
        .user(&instance, &user_id)?
        .ok_or_else(unauthenticated)?;
    let memberships = gw
        .model
        .memberships(&instance, &user_id, gw.authz.role_map())?;
    let principal = Arc::new(Principal {
        instance: instance.clone(),
        org: user.org_id,
        user: user_id,
        memberships,
    });
    Ok(Authenticated {
        instance,
        caller: Caller::Principal(principal.clone()),
        principal,
    })
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.app_data::<web::Data<Gateway>>() {
            Some(gw) => authenticate(gw, req).map_err(ApiError),
            None => Err(ApiError(Error::internal("gateway state missing"))),
        };
        ready(result)
    }
}
