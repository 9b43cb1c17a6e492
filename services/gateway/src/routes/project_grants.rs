//! Project grants: some of a project's roles granted to another org, and the grant's members.

use actix_web::{web, HttpResponse};
use domain::members::MemberCommand;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::members::same_user;
use crate::api::project_grants;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, ErrorBody, GrantView, ListParams, MemberView, PageView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{id}/grants", web::post().to(add_grant))
        .route("/projects/{id}/grants", web::get().to(list_grants))
        .route(
            "/projects/{id}/grants/{grant_id}",
            web::patch().to(change_grant),
        )
        .route(
            "/projects/{id}/grants/{grant_id}",
            web::delete().to(remove_grant),
        )
        .route(
            "/projects/{id}/grants/{grant_id}/members",
            web::post().to(add_grant_member),
        )
        .route(
            "/projects/{id}/grants/{grant_id}/members",
            web::get().to(list_grant_members),
        )
        .route(
            "/projects/{id}/grants/{grant_id}/members/{user_id}",
            web::put().to(set_grant_member),
        )
        .route(
            "/projects/{id}/grants/{grant_id}/members/{user_id}",
            web::delete().to(remove_grant_member),
        );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddGrant {
    granted_org_id: String,
    /// Roles of the project.
    role_keys: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeGrant {
    role_keys: Vec<String>,
}

/// Grants roles of the project to another org. `project.grant.write` on the project.
#[utoipa::path(post, path = "/v1/projects/{id}/grants", tag = "grants", params(("id" = String, Path)),
    request_body = AddGrant,
    responses((status = 201, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("project.grant.write"))))]
async fn add_grant(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<AddGrant>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let reply = project_grants::add(&gw, &auth, &id, b.granted_org_id, b.role_keys).await?;
    Ok(respond(reply, true))
}

/// The project's grants. `project.grant.read` on the project.
#[utoipa::path(get, path = "/v1/projects/{id}/grants", tag = "grants", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<GrantView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("project.grant.read"))))]
async fn list_grants(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(project_grants::list(&gw, &auth, &id, q.into_inner()).await?))
}

/// Replaces the granted roles; user grants made through it lose the roles it no longer
/// holds. `project.grant.write` on the project.
#[utoipa::path(patch, path = "/v1/projects/{id}/grants/{grant_id}", tag = "grants",
    params(("id" = String, Path), ("grant_id" = String, Path)), request_body = ChangeGrant,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.grant.write"))))]
async fn change_grant(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<ChangeGrant>,
) -> Result<HttpResponse> {
    let (id, grant_id) = path.into_inner();
    let keys = body.into_inner().role_keys;
    let reply = project_grants::change(&gw, &auth, &id, &grant_id, keys).await?;
    Ok(respond(reply, false))
}

/// Removes a grant with its members and the user grants made through it.
/// `project.grant.delete` on the project.
#[utoipa::path(delete, path = "/v1/projects/{id}/grants/{grant_id}", tag = "grants",
    params(("id" = String, Path), ("grant_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.grant.delete"))))]
async fn remove_grant(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, grant_id) = path.into_inner();
    Ok(respond(
        project_grants::remove(&gw, &auth, &id, &grant_id).await?,
        false,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GrantMember {
    #[schema(min_length = 1)]
    user_id: String,
    /// PROJECT_GRANT_* roles.
    #[schema(min_items = 1)]
    roles: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GrantMemberRoles {
    #[serde(default)]
    user_id: Option<String>,
    roles: Vec<String>,
}

/// Adds a member to the grant. `project.grant.member.write` on the grant.
#[utoipa::path(post, path = "/v1/projects/{id}/grants/{grant_id}/members", tag = "grants",
    params(("id" = String, Path), ("grant_id" = String, Path)), request_body = GrantMember,
    responses((status = 201, body = WriteReply), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("project.grant.member.write"))))]
async fn add_grant_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<GrantMember>,
) -> Result<HttpResponse> {
    let (id, grant_id) = path.into_inner();
    let b = body.into_inner();
    let cmd = MemberCommand::Add {
        user_id: b.user_id,
        roles: b.roles,
    };
    Ok(respond(
        project_grants::member(&gw, &auth, &id, &grant_id, cmd).await?,
        true,
    ))
}

/// The grant's members. `project.grant.member.read` on the grant.
#[utoipa::path(get, path = "/v1/projects/{id}/grants/{grant_id}/members", tag = "grants",
    params(("id" = String, Path), ("grant_id" = String, Path), ListParams),
    responses((status = 200, body = PageView<MemberView>), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.grant.member.read"))))]
async fn list_grant_members(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let (id, grant_id) = path.into_inner();
    let page = project_grants::members(&gw, &auth, &id, &grant_id, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Sets a grant member's roles. `project.grant.member.write` on the grant.
#[utoipa::path(put, path = "/v1/projects/{id}/grants/{grant_id}/members/{user_id}", tag = "grants",
    params(("id" = String, Path), ("grant_id" = String, Path), ("user_id" = String, Path)),
    request_body = GrantMemberRoles,
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.grant.member.write"))))]
async fn set_grant_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String, String)>,
    body: Body<GrantMemberRoles>,
) -> Result<HttpResponse> {
    let (id, grant_id, user_id) = path.into_inner();
    let b = body.into_inner();
    same_user(b.user_id.as_deref(), &user_id)?;
    let cmd = MemberCommand::Set {
        user_id,
        roles: b.roles,
    };
    Ok(respond(
        project_grants::member(&gw, &auth, &id, &grant_id, cmd).await?,
        false,
    ))
}

/// Removes a grant member. `project.grant.member.delete` on the grant.
#[utoipa::path(delete, path = "/v1/projects/{id}/grants/{grant_id}/members/{user_id}", tag = "grants",
    params(("id" = String, Path), ("grant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.grant.member.delete"))))]
async fn remove_grant_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (id, grant_id, user_id) = path.into_inner();
    let cmd = MemberCommand::Remove { user_id };
    Ok(respond(
        project_grants::member(&gw, &auth, &id, &grant_id, cmd).await?,
        false,
    ))
}
