//! Memberships (manager roles) on the instance and on orgs: `{user_id, roles[]}` at every
//! level. POST adds (409 if a member already), PUT sets, DELETE removes.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::members::{self, instance_at, org_at, project_at, same_user, At};
use crate::api::orgs;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, ErrorBody, ListParams, MemberView, PageView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/instance/members", web::post().to(add_instance_member))
        .route("/instance/members", web::get().to(list_instance_members))
        .route(
            "/instance/members/{user_id}",
            web::put().to(set_instance_member),
        )
        .route(
            "/instance/members/{user_id}",
            web::delete().to(remove_instance_member),
        )
        .route("/orgs/{org_id}/members", web::post().to(add_org_member))
        .route("/orgs/{org_id}/members", web::get().to(list_org_members))
        .route(
            "/orgs/{org_id}/members/{user_id}",
            web::put().to(set_org_member),
        )
        .route(
            "/orgs/{org_id}/members/{user_id}",
            web::delete().to(remove_org_member),
        )
        .route("/projects/{id}/members", web::post().to(add_project_member))
        .route(
            "/projects/{id}/members",
            web::get().to(list_project_members),
        )
        .route(
            "/projects/{id}/members/{user_id}",
            web::put().to(set_project_member),
        )
        .route(
            "/projects/{id}/members/{user_id}",
            web::delete().to(remove_project_member),
        );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Member {
    #[schema(min_length = 1)]
    user_id: String,
    /// Roles of the membership's level (`IAM_*` on the instance, `ORG_*` on an org,
    /// `PROJECT_*` on a project).
    #[schema(min_items = 1)]
    roles: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MemberRoles {
    /// If given, must be the user of the path.
    #[serde(default)]
    user_id: Option<String>,
    #[schema(min_items = 1)]
    roles: Vec<String>,
}

async fn add(gw: &Gateway, auth: &Authenticated, at: At<'_>, body: Member) -> Result<HttpResponse> {
    let reply = members::add(gw, auth, at, body.user_id, body.roles).await?;
    Ok(respond(reply, true))
}

async fn set(
    gw: &Gateway,
    auth: &Authenticated,
    at: At<'_>,
    user_id: &str,
    body: MemberRoles,
) -> Result<HttpResponse> {
    same_user(body.user_id.as_deref(), user_id)?;
    Ok(respond(
        members::set(gw, auth, at, user_id, body.roles).await?,
        false,
    ))
}

async fn remove(
    gw: &Gateway,
    auth: &Authenticated,
    at: At<'_>,
    user_id: &str,
) -> Result<HttpResponse> {
    Ok(respond(
        members::remove(gw, auth, at, user_id).await?,
        false,
    ))
}

async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    at: At<'_>,
    q: ListParams,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(members::list(gw, auth, at, q).await?))
}

/// Adds an instance member. `iam.member.write`.
#[utoipa::path(post, path = "/v1/instance/members", tag = "instance", request_body = Member,
    responses((status = 201, body = WriteReply), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.member.write"))))]
async fn add_instance_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<Member>,
) -> Result<HttpResponse> {
    add(&gw, &auth, instance_at(&auth), body.into_inner()).await
}

/// The instance's members. `iam.member.read`.
#[utoipa::path(get, path = "/v1/instance/members", tag = "instance", params(ListParams),
    responses((status = 200, body = PageView<MemberView>)),
    extensions(("x-permission" = json!("iam.member.read"))))]
async fn list_instance_members(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    list(&gw, &auth, instance_at(&auth), q.into_inner()).await
}

/// Sets an instance member's roles. `iam.member.write`.
#[utoipa::path(put, path = "/v1/instance/members/{user_id}", tag = "instance",
    params(("user_id" = String, Path)), request_body = MemberRoles,
    responses((status = 200, body = WriteReply), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.member.write"))))]
async fn set_instance_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    user_id: web::Path<String>,
    body: Body<MemberRoles>,
) -> Result<HttpResponse> {
    set(&gw, &auth, instance_at(&auth), &user_id, body.into_inner()).await
}

/// Removes an instance member. `iam.member.delete`.
#[utoipa::path(delete, path = "/v1/instance/members/{user_id}", tag = "instance",
    params(("user_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.member.delete"))))]
async fn remove_instance_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    user_id: web::Path<String>,
) -> Result<HttpResponse> {
    remove(&gw, &auth, instance_at(&auth), &user_id).await
}

/// Adds an org member. `org.member.write` on the org.
#[utoipa::path(post, path = "/v1/orgs/{org_id}/members", tag = "orgs",
    params(("org_id" = String, Path)), request_body = Member,
    responses((status = 201, body = WriteReply), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("org.member.write"))))]
async fn add_org_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    body: Body<Member>,
) -> Result<HttpResponse> {
    add(&gw, &auth, org_at(&auth, &org_id), body.into_inner()).await
}

/// An org's members. `org.member.read` on the org.
#[utoipa::path(get, path = "/v1/orgs/{org_id}/members", tag = "orgs",
    params(("org_id" = String, Path), ListParams),
    responses((status = 200, body = PageView<MemberView>)),
    extensions(("x-permission" = json!("org.member.read"))))]
async fn list_org_members(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    orgs::exists(&gw, &auth, &org_id).await?;
    list(&gw, &auth, org_at(&auth, &org_id), q.into_inner()).await
}

/// Sets an org member's roles. `org.member.write` on the org.
#[utoipa::path(put, path = "/v1/orgs/{org_id}/members/{user_id}", tag = "orgs",
    params(("org_id" = String, Path), ("user_id" = String, Path)), request_body = MemberRoles,
    responses((status = 200, body = WriteReply)),
    extensions(("x-permission" = json!("org.member.write"))))]
async fn set_org_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<MemberRoles>,
) -> Result<HttpResponse> {
    let (org_id, user_id) = path.into_inner();
    set(
        &gw,
        &auth,
        org_at(&auth, &org_id),
        &user_id,
        body.into_inner(),
    )
    .await
}

/// Removes an org member. `org.member.delete` on the org.
#[utoipa::path(delete, path = "/v1/orgs/{org_id}/members/{user_id}", tag = "orgs",
    params(("org_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("org.member.delete"))))]
async fn remove_org_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org_id, user_id) = path.into_inner();
    remove(&gw, &auth, org_at(&auth, &org_id), &user_id).await
}

/// Adds a project member. `project.member.write` on the project.
#[utoipa::path(post, path = "/v1/projects/{id}/members", tag = "projects",
    params(("id" = String, Path)), request_body = Member,
    responses((status = 201, body = WriteReply), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("project.member.write"))))]
async fn add_project_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<Member>,
) -> Result<HttpResponse> {
    let p = members::project(&gw, &auth, &id).await?;
    add(&gw, &auth, project_at(&auth, &p), body.into_inner()).await
}

/// A project's members. `project.member.read` on the project.
#[utoipa::path(get, path = "/v1/projects/{id}/members", tag = "projects",
    params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<MemberView>), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.member.read"))))]
async fn list_project_members(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let p = members::project(&gw, &auth, &id).await?;
    list(&gw, &auth, project_at(&auth, &p), q.into_inner()).await
}

/// Sets a project member's roles. `project.member.write` on the project.
#[utoipa::path(put, path = "/v1/projects/{id}/members/{user_id}", tag = "projects",
    params(("id" = String, Path), ("user_id" = String, Path)), request_body = MemberRoles,
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.member.write"))))]
async fn set_project_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<MemberRoles>,
) -> Result<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let p = members::project(&gw, &auth, &id).await?;
    set(
        &gw,
        &auth,
        project_at(&auth, &p),
        &user_id,
        body.into_inner(),
    )
    .await
}

/// Removes a project member. `project.member.delete` on the project.
#[utoipa::path(delete, path = "/v1/projects/{id}/members/{user_id}", tag = "projects",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.member.delete"))))]
async fn remove_project_member(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, user_id) = path.into_inner();
    let p = members::project(&gw, &auth, &id).await?;
    remove(&gw, &auth, project_at(&auth, &p), &user_id).await
}
