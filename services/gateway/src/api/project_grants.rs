//! Project grants: some of a project's roles granted to another org, and the grant's members.

use authz::{MemberPermissions, Permission, Target};
use domain::members::MemberCommand;
use domain::project::GrantCommand;
use domain::{Code, Error};
use readmodel::{MemberLevel, ProjectGrantRow, ProjectRow};

use super::projects::authorized_project;
use super::{new_id, reply, require};
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{limit, GrantView, ListParams, MemberView, PageView, WriteReply};
use crate::Gateway;

async fn grant_command(
    gw: &Gateway,
    auth: &Authenticated,
    project_id: &str,
    cmd: GrantCommand,
    created: Option<String>,
) -> Result<WriteReply, Error> {
    let w = gw
        .bus
        .change_project_grant(&auth.caller, &auth.instance, project_id, cmd, auth.if_match)
        .await?;
    Ok(reply(created, w))
}

/// Grants roles of the project to another org. `project.grant.write` on the project.
pub async fn add(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    granted_org_id: String,
    role_keys: Vec<String>,
) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_GRANT_WRITE).await?;
    let grant_id = new_id();
    let cmd = GrantCommand::Add {
        grant_id: grant_id.clone(),
        granted_org_id,
        role_keys,
    };
    grant_command(gw, auth, id, cmd, Some(grant_id)).await
}

/// The project's grants, by id. `project.grant.read` on the project.
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    q: ListParams,
) -> Result<PageView<GrantView>, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_GRANT_READ).await?;
    let (instance, project) = (auth.instance.clone(), id.to_string());
    let grants = read(gw, move |m| m.project_grants(&instance, &project)).await?;
    PageView::paged(grants.into_iter().map(GrantView::from).collect(), &q, |g| {
        g.id.clone()
    })
}

/// Replaces the granted roles; user grants made through it lose the roles it no longer
/// holds. `project.grant.write` on the project.
pub async fn change(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
    role_keys: Vec<String>,
) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_GRANT_WRITE).await?;
    let cmd = GrantCommand::Change {
        grant_id: grant_id.to_string(),
        role_keys,
    };
    grant_command(gw, auth, id, cmd, None).await
}

/// Removes a grant with its members and the user grants made through it.
/// `project.grant.delete` on the project.
pub async fn remove(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_GRANT_DELETE).await?;
    let cmd = GrantCommand::Remove {
        grant_id: grant_id.to_string(),
    };
    grant_command(gw, auth, id, cmd, None).await
}

/// The grant, and the project it belongs to (not found otherwise).
async fn grant(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
) -> Result<(ProjectRow, ProjectGrantRow), Error> {
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
) -> Result<(), Error> {
    let (project, grant) = grant(gw, auth, id, grant_id).await?;
    let target = Target::ProjectGrant {
        instance: &auth.instance,
        org: &project.org_id,
        project: &project.id,
        grant: &grant.id,
    };
    require(gw, auth, permission, target)
}

/// A change of the grant's members: add, set or remove (PROJECT_GRANT_* roles).
/// `project.grant.member.write` (or `.delete`) on the grant.
pub async fn member(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
    cmd: MemberCommand,
) -> Result<WriteReply, Error> {
    let permission = cmd.permission(&MemberPermissions::PROJECT_GRANT);
    check_grant(gw, auth, id, grant_id, permission).await?;
    let cmd = GrantCommand::Member {
        grant_id: grant_id.into(),
        cmd,
    };
    grant_command(gw, auth, id, cmd, None).await
}

/// The grant's members, by user id. `project.grant.member.read` on the grant.
pub async fn members(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
    q: ListParams,
) -> Result<PageView<MemberView>, Error> {
    let limit = limit(q.limit)?;
    let read_perm = Permission::PROJECT_GRANT_MEMBER_READ;
    check_grant(gw, auth, id, grant_id, read_perm).await?;
    let (instance, grant) = (auth.instance.clone(), grant_id.to_string());
    let page = read(gw, move |m| {
        m.members(
            &instance,
            MemberLevel::ProjectGrant,
            &grant,
            limit,
            q.cursor.as_deref(),
        )
    })
    .await?;
    Ok(PageView::of(page, MemberView::from))
}
