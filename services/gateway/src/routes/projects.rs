//! Projects and their roles.

use actix_web::{web, HttpResponse};
use authz::{Permission, Requirement, Target};
use domain::project::ProjectCommand;
use domain::{Code, Error};
use readmodel::ProjectRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{new_id, require};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::reads::read;
use crate::views::{limit, written, ErrorBody, ListParams, PageView, WriteReply};
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

/// The project `id` of the caller's instance, if the caller has `permission` on it (checked
/// against its org as the read model knows it; the actor checks again).
pub(crate) async fn authorized_project(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    permission: &str,
) -> std::result::Result<ProjectRow, Error> {
    let (instance, project_id) = (auth.instance.clone(), id.to_string());
    let project = read(gw, move |m| m.project(&instance, &project_id))
        .await?
        .ok_or_else(|| {
            Error::new(Code::ProjectNotFound, format!("no project {id}")).with("project_id", id)
        })?;
    let target = Target::Project {
        instance: &auth.instance,
        org: &project.org_id,
        project: &project.id,
    };
    require(gw, auth, Permission::named(permission), target)?;
    Ok(project)
}

#[derive(Serialize, ToSchema)]
pub struct ProjectView {
    id: String,
    org_id: String,
    name: String,
    /// Whether tokens carry the user's roles of this project.
    assert_roles: bool,
}

impl From<ProjectRow> for ProjectView {
    fn from(p: ProjectRow) -> Self {
        ProjectView {
            id: p.id,
            org_id: p.org_id,
            name: p.name,
            assert_roles: p.assert_roles,
        }
    }
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
    let id = new_id();
    let w = gw
        .bus
        .create_project(
            &auth.caller,
            &auth.instance,
            &id,
            &org_id,
            &body.name,
            body.assert_roles,
        )
        .await?;
    Ok(written(Some(id), w, true))
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
    let limit = limit(q.limit)?;
    let scope = gw.authz.readable_scope(
        &auth.caller,
        Requirement::plain(Permission::named("project.read")),
        &auth.instance,
    );
    let (instance, q) = (auth.instance.clone(), q.into_inner());
    let page = read(&gw, move |m| {
        m.list_projects(
            &instance,
            &scope,
            q.org_id.as_deref(),
            limit,
            q.cursor.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(PageView::of(page, ProjectView::from)))
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
    let project = authorized_project(&gw, &auth, &id, "project.read").await?;
    Ok(HttpResponse::Ok().json(ProjectView::from(project)))
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
    authorized_project(&gw, &auth, &id, "project.write").await?;
    let b = body.into_inner();
    let cmd = ProjectCommand::Update {
        name: b.name,
        assert_roles: b.assert_roles,
    };
    let w = gw
        .bus
        .change_project(&auth.caller, &auth.instance, &id, cmd, auth.if_match)
        .await?;
    Ok(written(None, w, false))
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
    authorized_project(&gw, &auth, &id, "project.delete").await?;
    let w = gw
        .bus
        .remove_project(&auth.caller, &auth.instance, &id, auth.if_match)
        .await?;
    Ok(written(None, w, false))
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

#[derive(Serialize, ToSchema)]
struct RoleView {
    key: String,
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
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
    authorized_project(&gw, &auth, &id, "project.role.write").await?;
    let b = body.into_inner();
    let cmd = ProjectCommand::AddRole {
        key: b.key,
        display_name: b.display_name,
        group: b.group,
    };
    let w = gw
        .bus
        .change_project(&auth.caller, &auth.instance, &id, cmd, None)
        .await?;
    Ok(written(None, w, true))
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
    authorized_project(&gw, &auth, &id, "project.role.read").await?;
    let (instance, project) = (auth.instance.clone(), id.into_inner());
    let roles = read(&gw, move |m| m.project_roles(&instance, &project)).await?;
    Ok(HttpResponse::Ok().json(PageView::paged(
        roles
            .into_iter()
            .map(|r| RoleView {
                key: r.key,
                display_name: r.display_name,
                group: r.group,
            })
            .collect(),
        &q,
        |r| r.key.clone(),
    )?))
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
    authorized_project(&gw, &auth, &id, "project.role.delete").await?;
    let w = gw
        .bus
        .remove_project_role(&auth.caller, &auth.instance, &id, &key, auth.if_match)
        .await?;
    Ok(written(None, w, false))
}
