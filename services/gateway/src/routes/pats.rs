//! Personal access tokens of a user: 256-bit random, shown once, stored as SHA-256 hashes.
//! `user.write` on the user's org, never on oneself (a token cannot mint tokens for itself).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::pats;
use crate::auth::Authenticated;
use crate::views::{
    optional_json, respond, CreatedPatView, ErrorBody, ListParams, PageView, PatView, WriteReply,
};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/pats", web::post().to(create_pat))
        .route("/users/{id}/pats", web::get().to(list_pats))
        .route("/users/{id}/pats/{pat_id}", web::delete().to(delete_pat));
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct CreatePat {
    /// RFC 3339, in the future; without it the token does not expire.
    #[serde(default, deserialize_with = "crate::times::from_rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    expires_at: Option<i64>,
}

/// Creates a personal access token. `user.write` on the user's org, never on oneself.
#[utoipa::path(post, path = "/v1/users/{id}/pats", tag = "users", params(("id" = String, Path)),
    request_body = Option<CreatePat>,
    responses((status = 201, body = CreatedPatView), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn create_pat(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let expires_at = optional_json::<CreatePat>(&body)?.expires_at;
    Ok(HttpResponse::Created().json(pats::create(&gw, &auth, &id, expires_at).await?))
}

/// A user's tokens (ids and expiry, never the tokens). `user.write`, never on oneself.
#[utoipa::path(get, path = "/v1/users/{id}/pats", tag = "users", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<PatView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn list_pats(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(pats::list(&gw, &auth, &id, q.into_inner()).await?))
}

/// Revokes a token. `user.write`, never on oneself.
#[utoipa::path(delete, path = "/v1/users/{id}/pats/{pat_id}", tag = "users",
    params(("id" = String, Path), ("pat_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn delete_pat(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, pat_id) = path.into_inner();
    Ok(respond(
        pats::revoke(&gw, &auth, &id, &pat_id).await?,
        false,
    ))
}
