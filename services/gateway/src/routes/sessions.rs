//! A user's browser sessions. `user.write` on the user's org, or the user themself.

use actix_web::{web, HttpResponse};

use crate::api::sessions;
use crate::auth::Authenticated;
use crate::views::{respond, ErrorBody, ListParams, PageView, SessionView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/sessions", web::get().to(list_sessions))
        .route("/users/{id}/sessions", web::delete().to(end_sessions))
        .route(
            "/users/{id}/sessions/{session_id}",
            web::delete().to(end_session),
        );
}

/// A user's live browser sessions, oldest first. `user.write` (self).
#[utoipa::path(get, path = "/v1/users/{id}/sessions", tag = "users",
    params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<SessionView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn list_sessions(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(sessions::list(&gw, &auth, &id, q.into_inner()).await?))
}

/// Ends every session of a user, and revokes their refresh tokens. `user.write` (self).
#[utoipa::path(delete, path = "/v1/users/{id}/sessions", tag = "users",
    params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn end_sessions(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(respond(sessions::end(&gw, &auth, &id, None).await?, false))
}

/// Ends one session of a user, and revokes its refresh tokens. `user.write` (self).
#[utoipa::path(delete, path = "/v1/users/{id}/sessions/{session_id}", tag = "users",
    params(("id" = String, Path), ("session_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn end_session(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, session_id) = path.into_inner();
    Ok(respond(
        sessions::end(&gw, &auth, &id, Some(&session_id)).await?,
        false,
    ))
}
