//! Projects and their roles.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::projects;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, ErrorBody, ListParams, PageView, ProjectView, RoleView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org_id}/projects", web::post().to(create_project))
        .route("/projects", web::get().to(list_projects))
        .route("/projects/{id}", web::get().to(get_project))
        .route("/projects/{id}", web::patch().to(update_project))
        .route("/projects/{id}", web::delete().to(delete_project))
        .route("/projects/{id}/roles", web::post().to(add_role))
        .route("/projects/{id}/roles", web::get().to(list_roles))
        .route("/projects/{id}/roles/{key}", web::delete().to(remove_role));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateProject {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    #[serde(default)]
    assert_roles: bool,
}

/// Creates a project in the org. `project.create` on the org.
#[utoipa::path(post, path = "/v1/orgs/{org_id}/projects", tag = "projects",
    params(("org_id" = String, Path)), request_body = CreateProject,
    responses((status = 201, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.create"))))]
async fn create_project(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    body: Body<CreateProject>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let reply = projects::create(&gw, &auth, &org_id, &b.name, b.assert_roles).await?;
    Ok(respond(reply, true))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListProjects {
    /// Only projects of this org.
    org_id: Option<String>,
    /// 1 to 1,000; default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    cursor: Option<String>,
}

/// The projects the caller may read. `project.read` (filtered in the query to the orgs and
/// projects where the caller has it).
#[utoipa::path(get, path = "/v1/projects", tag = "projects", params(ListProjects),
    responses((status = 200, body = PageView<ProjectView>), (status = 400, body = ErrorBody)),
    extensions(("x-permission" = json!("project.read"))))]
async fn list_projects(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    q: web::Query<ListProjects>,
) -> Result<HttpResponse> {
    let q = q.into_inner();
    let params = ListParams {
        limit: q.limit,
        cursor: q.cursor,
    };
    Ok(HttpResponse::Ok().json(projects::list(&gw, &auth, q.org_id, params).await?))
}

/// A project. `project.read` on it.
#[utoipa::path(get, path = "/v1/projects/{id}", tag = "projects", params(("id" = String, Path)),
    responses((status = 200, body = ProjectView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.read"))))]
async fn get_project(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(projects::get(&gw, &auth, &id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateProject {
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    assert_roles: Option<bool>,
}

/// Renames a project or changes whether tokens carry its roles. `project.write` on it.
#[utoipa::path(patch, path = "/v1/projects/{id}", tag = "projects", params(("id" = String, Path)),
    request_body = UpdateProject,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.write"))))]
async fn update_project(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<UpdateProject>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let reply = projects::update(&gw, &auth, &id, b.name, b.assert_roles).await?;
    Ok(respond(reply, false))
}

/// Removes a project with its roles, apps, grants, members and user grants. `project.delete`
/// on it.
#[utoipa::path(delete, path = "/v1/projects/{id}", tag = "projects", params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.delete"))))]
async fn delete_project(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(respond(projects::delete(&gw, &auth, &id).await?, false))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AddRole {
    /// Letters, digits, `.`, `_`, `-`, `:`; unique in the project.
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,200}$")]
    key: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    group: Option<String>,
}

/// Adds a role to the project. `project.role.write` on it.
#[utoipa::path(post, path = "/v1/projects/{id}/roles", tag = "projects", params(("id" = String, Path)),
    request_body = AddRole,
    responses((status = 201, body = WriteReply), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("project.role.write"))))]
async fn add_role(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<AddRole>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let role = RoleView {
        key: b.key,
        display_name: b.display_name,
        group: b.group,
    };
    Ok(respond(
        projects::add_role(&gw, &auth, &id, role).await?,
        true,
    ))
}

/// The project's roles. `project.role.read` on it.
#[utoipa::path(get, path = "/v1/projects/{id}/roles", tag = "projects", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<RoleView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("project.role.read"))))]
async fn list_roles(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let page = projects::list_roles(&gw, &auth, &id, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Removes a role from the project; its grants and the user grants holding it lose it.
/// `project.role.delete` on it.
#[utoipa::path(delete, path = "/v1/projects/{id}/roles/{key}", tag = "projects",
    params(("id" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.role.delete"))))]
async fn remove_role(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, key) = path.into_inner();
    Ok(respond(
        projects::remove_role(&gw, &auth, &id, &key).await?,
        false,
    ))
}
