//! Project grants: some of a project's roles granted to another org, and the grant's members.

use actix_web::{web, HttpResponse};
use authz::{Permission, Target};
use domain::members::MemberCommand;
use domain::project::GrantCommand;
use domain::{Code, Error};
use readmodel::{MemberLevel, ProjectGrantRow, ProjectRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::projects::authorized_project;
use super::{new_id, require};
use crate::api::members::same_user;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::reads::read;
use crate::views::{limit, written, ErrorBody, ListParams, MemberView, PageView, WriteReply};
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

#[derive(Serialize, ToSchema)]
struct GrantView {
    id: String,
    project_id: String,
    granted_org_id: String,
    role_keys: Vec<String>,
}

impl From<ProjectGrantRow> for GrantView {
    fn from(g: ProjectGrantRow) -> Self {
        GrantView {
            id: g.id,
            project_id: g.project_id,
            granted_org_id: g.granted_org_id,
            role_keys: g.roles,
        }
    }
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

async fn grant_command(
    gw: &Gateway,
    auth: &Authenticated,
    project_id: &str,
    cmd: GrantCommand,
    created: Option<String>,
) -> Result<HttpResponse> {
    let w = gw
        .bus
        .change_project_grant(&auth.caller, &auth.instance, project_id, cmd, auth.if_match)
        .await?;
    let is_new = created.is_some();
    Ok(written(created, w, is_new))
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
    authorized_project(&gw, &auth, &id, "project.grant.write").await?;
    let grant_id = new_id();
    let b = body.into_inner();
    let cmd = GrantCommand::Add {
        grant_id: grant_id.clone(),
        granted_org_id: b.granted_org_id,
        role_keys: b.role_keys,
    };
    grant_command(&gw, &auth, &id, cmd, Some(grant_id)).await
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
    authorized_project(&gw, &auth, &id, "project.grant.read").await?;
    let (instance, project) = (auth.instance.clone(), id.into_inner());
    let grants = read(&gw, move |m| m.project_grants(&instance, &project)).await?;
    Ok(HttpResponse::Ok().json(PageView::paged(
        grants.into_iter().map(GrantView::from).collect(),
        &q,
        |g| g.id.clone(),
    )?))
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
    authorized_project(&gw, &auth, &id, "project.grant.write").await?;
    let cmd = GrantCommand::Change {
        grant_id,
        role_keys: body.into_inner().role_keys,
    };
    grant_command(&gw, &auth, &id, cmd, None).await
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
    authorized_project(&gw, &auth, &id, "project.grant.delete").await?;
    grant_command(&gw, &auth, &id, GrantCommand::Remove { grant_id }, None).await
}

/// The grant of the path, and the project it belongs to (404s otherwise).
async fn grant(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
) -> std::result::Result<(ProjectRow, ProjectGrantRow), Error> {
    let (instance, p, g) = (auth.instance.clone(), id.to_string(), grant_id.to_string());
    let (project, grant) = read(gw, move |m| {
        Ok((
            m.project(&instance, &p)?,
            m.project_grant(&instance, &p, &g)?,
        ))
    })
    .await?;
    let project = project.ok_or_else(|| {
        Error::new(Code::ProjectNotFound, format!("no project {id}")).with("project_id", id)
    })?;
    let grant = grant.ok_or_else(|| {
        Error::new(
            Code::GrantNotFound,
            format!("the project has no grant {grant_id}"),
        )
        .with("grant_id", grant_id)
    })?;
    Ok((project, grant))
}

/// The grant's check: on the grant, as part of its project.
async fn check_grant(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
    permission: Permission,
) -> std::result::Result<(), Error> {
    let (project, grant) = grant(gw, auth, id, grant_id).await?;
    let target = Target::ProjectGrant {
        instance: &auth.instance,
        org: &project.org_id,
        project: &project.id,
        grant: &grant.id,
    };
    require(gw, auth, permission, target)
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

async fn member(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
    cmd: MemberCommand,
    created: bool,
) -> Result<HttpResponse> {
    check_grant(
        gw,
        auth,
        id,
        grant_id,
        cmd.permission("project.grant.member"),
    )
    .await?;
    let cmd = GrantCommand::Member {
        grant_id: grant_id.into(),
        cmd,
    };
    let w = gw
        .bus
        .change_project_grant(&auth.caller, &auth.instance, id, cmd, auth.if_match)
        .await?;
    Ok(written(None, w, created))
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
    member(&gw, &auth, &id, &grant_id, cmd, true).await
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
    let limit = limit(q.limit)?;
    let read_perm = Permission::named("project.grant.member.read");
    check_grant(&gw, &auth, &id, &grant_id, read_perm).await?;
    let (instance, cursor) = (auth.instance.clone(), q.into_inner().cursor);
    let page = read(&gw, move |m| {
        m.members(
            &instance,
            MemberLevel::ProjectGrant,
            &grant_id,
            limit,
            cursor.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(PageView::of(page, MemberView::from)))
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
    member(&gw, &auth, &id, &grant_id, cmd, false).await
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
    member(
        &gw,
        &auth,
        &id,
        &grant_id,
        MemberCommand::Remove { user_id },
        false,
    )
    .await
}
