//! The Sessions API, for login UIs of one's own: sessions that gather checks (the user, the
//! password), and the finalize that completes an authorization request with one.
//! `session.write` / `session.read` (e.g. the `IAM_LOGIN_CLIENT` role).

use actix_web::{web, HttpResponse};
use domain::{Code, Error};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::login_sessions::{self, Checks, UserCheck};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{CallbackView, CreatedSessionView, ErrorBody, LoginSessionView};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sessions", web::post().to(create_session))
        .route("/sessions/{id}", web::patch().to(set_session))
        .route("/sessions/{id}", web::get().to(get_session))
        .route(
            "/auth_requests/{id}/finalize",
            web::post().to(finalize_auth_request),
        );
}

/// Who the session is for: exactly one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UserCheckBody {
    /// A login name (the username).
    login_name: Option<String>,
    user_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordCheckBody {
    password: String,
}

/// The checks to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChecksBody {
    /// Required to create a session; in a PATCH, the session's own user or nothing.
    user: Option<UserCheckBody>,
    password: Option<PasswordCheckBody>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SessionBody {
    checks: ChecksBody,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FinalizeBody {
    session_id: String,
    session_token: String,
}

impl TryFrom<ChecksBody> for Checks {
    type Error = Error;

    fn try_from(b: ChecksBody) -> std::result::Result<Checks, Error> {
        let user = match b.user {
            None => None,
            Some(UserCheckBody {
                login_name: Some(name),
                user_id: None,
            }) => Some(UserCheck::LoginName(name)),
            Some(UserCheckBody {
                login_name: None,
                user_id: Some(id),
            }) => Some(UserCheck::UserId(id)),
            Some(_) => {
                return Err(Error::new(
                    Code::MalformedBody,
                    "checks.user needs a login_name or a user_id, not both",
                )
                .with("field", "checks.user"))
            }
        };
        Checks::bounded(user, b.password.map(|p| p.password))
    }
}

/// Creates a session with checks: the user (by login name or id) and, if given, the
/// password. The token is shown once. `session.write`.
#[utoipa::path(post, path = "/v1/sessions", tag = "sessions",
    request_body = SessionBody,
    responses((status = 201, body = CreatedSessionView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)),
    extensions(("x-permission" = json!("session.write"))))]
async fn create_session(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<SessionBody>,
) -> Result<HttpResponse> {
    let checks = Checks::try_from(body.into_inner().checks)?;
    Ok(HttpResponse::Created().json(login_sessions::create(&gw, &auth, checks).await?))
}

/// Adds checks to a session (the password). `session.write`.
#[utoipa::path(patch, path = "/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path)), request_body = SessionBody,
    responses((status = 200, body = LoginSessionView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)),
    extensions(("x-permission" = json!("session.write"))))]
async fn set_session(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<SessionBody>,
) -> Result<HttpResponse> {
    let checks = Checks::try_from(body.into_inner().checks)?;
    Ok(HttpResponse::Ok().json(login_sessions::set(&gw, &auth, &id, checks).await?))
}

/// A live session: its user and its checks, each with when it passed. `session.read` on the
/// user's org.
#[utoipa::path(get, path = "/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path)),
    responses((status = 200, body = LoginSessionView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("session.read"))))]
async fn get_session(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(login_sessions::get(&gw, &auth, &id).await?))
}

/// Completes an authorization request (the `authRequest` the authorization endpoint sent the
/// browser to the login with) with a session whose checks the login settings find fresh:
/// answers the client's redirect URI with the code. `SESSION-0003` names a check to make
/// again; `SESSION-0004`: the password has expired. `session.write`.
#[utoipa::path(post, path = "/v1/auth_requests/{id}/finalize", tag = "sessions",
    params(("id" = String, Path)), request_body = FinalizeBody,
    responses((status = 200, body = CallbackView), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("session.write"))))]
async fn finalize_auth_request(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<FinalizeBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let done = login_sessions::finalize(&gw, &auth, &id, &b.session_id, &b.session_token).await?;
    Ok(HttpResponse::Ok().json(done))
}
