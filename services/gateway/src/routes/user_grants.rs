//! User grants (authorizations): a user's roles on a project, or through a project grant.
//! Managed by the project's managers, or in the granted org by the grant's managers.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::user_grants::{self, NewGrant};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, ErrorBody, ListParams, PageView, UserGrantView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/grants", web::post().to(create_user_grant))
        .route("/users/{id}/grants", web::get().to(list_user_grants))
        .route(
            "/users/{id}/grants/{grant_id}",
            web::patch().to(change_user_grant),
        )
        .route(
            "/users/{id}/grants/{grant_id}",
            web::delete().to(remove_user_grant),
        );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateUserGrant {
    project_id: String,
    /// Through this grant of the project (its roles only).
    #[serde(default)]
    project_grant_id: Option<String>,
    /// Roles the project (or the grant) holds.
    role_keys: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeUserGrant {
    role_keys: Vec<String>,
}

/// Gives the user roles of a project. `user.grant.write` on the project (or, through a grant,
/// on the grant in the granted org).
#[utoipa::path(post, path = "/v1/users/{id}/grants", tag = "grants", params(("id" = String, Path)),
    request_body = CreateUserGrant,
    responses((status = 201, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("user.grant.write"))))]
async fn create_user_grant(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<CreateUserGrant>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let grant = NewGrant {
        project_id: b.project_id,
        project_grant_id: b.project_grant_id,
        role_keys: b.role_keys,
    };
    Ok(respond(
        user_grants::create(&gw, &auth, &id, grant).await?,
        true,
    ))
}

/// The user's grants the caller may read. `user.grant.read` (on each grant's project or
/// grant; filtered in the query).
#[utoipa::path(get, path = "/v1/users/{id}/grants", tag = "grants", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<UserGrantView>)),
    extensions(("x-permission" = json!("user.grant.read"))))]
async fn list_user_grants(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(user_grants::list(&gw, &auth, &id, q.into_inner()).await?))
}

/// Replaces a user grant's roles. `user.grant.write` on its project or grant.
#[utoipa::path(patch, path = "/v1/users/{id}/grants/{grant_id}", tag = "grants",
    params(("id" = String, Path), ("grant_id" = String, Path)), request_body = ChangeUserGrant,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.grant.write"))))]
async fn change_user_grant(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<ChangeUserGrant>,
) -> Result<HttpResponse> {
    let (id, grant_id) = path.into_inner();
    let keys = body.into_inner().role_keys;
    let reply = user_grants::change(&gw, &auth, &id, &grant_id, keys).await?;
    Ok(respond(reply, false))
}

/// Removes a user grant. `user.grant.delete` on its project or grant.
#[utoipa::path(delete, path = "/v1/users/{id}/grants/{grant_id}", tag = "grants",
    params(("id" = String, Path), ("grant_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.grant.delete"))))]
async fn remove_user_grant(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, grant_id) = path.into_inner();
    Ok(respond(
        user_grants::remove(&gw, &auth, &id, &grant_id).await?,
        false,
    ))
}
