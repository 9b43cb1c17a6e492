//! Projects and their roles.

use authz::{Permission, Requirement, Target};
use domain::project::ProjectCommand;
use domain::{Code, Error};
use readmodel::ProjectRow;

use super::{new_id, reply, require};
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{limit, ListParams, PageView, ProjectView, RoleView, WriteReply};
use crate::Gateway;

/// The project `id` of the caller's instance, if the caller has `permission` on it (checked
/// against its org as the read model knows it; the actor checks again).
pub(crate) async fn authorized_project(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    permission: Permission,
) -> Result<ProjectRow, Error> {
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
    require(gw, auth, permission, target)?;
    Ok(project)
}

/// Creates a project in the org. `project.create` on the org.
pub async fn create(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: &str,
    name: &str,
    assert_roles: bool,
) -> Result<WriteReply, Error> {
    let id = new_id();
    let w = gw
        .bus
        .create_project(
            &auth.caller,
            &auth.instance,
            &id,
            org_id,
            name,
            assert_roles,
        )
        .await?;
    Ok(reply(Some(id), w))
}

/// The projects the caller may read, of one org or all. `project.read` (filtered in the
/// query to the orgs and projects where the caller has it).
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: Option<String>,
    q: ListParams,
) -> Result<PageView<ProjectView>, Error> {
    let limit = limit(q.limit)?;
    let scope = gw.authz.readable_scope(
        &auth.caller,
        Requirement::plain(Permission::PROJECT_READ),
        &auth.instance,
    );
    let instance = auth.instance.clone();
    let page = read(gw, move |m| {
        m.list_projects(
            &instance,
            &scope,
            org_id.as_deref(),
            limit,
            q.cursor.as_deref(),
        )
    })
    .await?;
    Ok(PageView::of(page, ProjectView::from))
}

/// A project. `project.read` on it.
pub async fn get(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<ProjectView, Error> {
    Ok(ProjectView::from(
        authorized_project(gw, auth, id, Permission::PROJECT_READ).await?,
    ))
}

/// Renames a project or changes whether tokens carry its roles. `project.write` on it.
pub async fn update(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    name: Option<String>,
    assert_roles: Option<bool>,
) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_WRITE).await?;
    let cmd = ProjectCommand::Update { name, assert_roles };
    let w = gw
        .bus
        .change_project(&auth.caller, &auth.instance, id, cmd, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

/// Removes a project with everything in it. `project.delete` on it.
pub async fn delete(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_DELETE).await?;
    let w = gw
        .bus
        .remove_project(&auth.caller, &auth.instance, id, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

/// Adds a role to the project. `project.role.write` on it.
pub async fn add_role(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    role: RoleView,
) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_ROLE_WRITE).await?;
    let cmd = ProjectCommand::AddRole {
        key: role.key,
        display_name: role.display_name,
        group: role.group,
    };
    let w = gw
        .bus
        .change_project(&auth.caller, &auth.instance, id, cmd, None)
        .await?;
    Ok(reply(None, w))
}

/// The project's roles, by key. `project.role.read` on it.
pub async fn list_roles(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    q: ListParams,
) -> Result<PageView<RoleView>, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_ROLE_READ).await?;
    let (instance, project) = (auth.instance.clone(), id.to_string());
    let roles = read(gw, move |m| m.project_roles(&instance, &project)).await?;
    PageView::paged(
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
    )
}

/// Removes a role; its grants and the user grants holding it lose it. `project.role.delete`.
pub async fn remove_role(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    key: &str,
) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_ROLE_DELETE).await?;
    let w = gw
        .bus
        .remove_project_role(&auth.caller, &auth.instance, id, key, auth.if_match)
        .await?;
    Ok(reply(None, w))
}
