//! Memberships (manager roles) on the instance, orgs and projects: `{user_id, roles[]}` at
//! every level. Add (already-exists if a member already), set, remove, list.

use authz::{MemberPermissions, Target};
use command::MemberOf;
use domain::members::MemberCommand;
use domain::{Code, Error};
use readmodel::{MemberLevel, ProjectRow};

use super::{reply, require};
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{limit, ListParams, MemberView, PageView, WriteReply};
use crate::Gateway;

/// A membership resource: where it is held, its target for the check, its read-model level.
pub struct At<'a> {
    of: MemberOf,
    target: Target<'a>,
    level: MemberLevel,
    resource: &'a str,
    /// The level's member permissions.
    permissions: MemberPermissions,
}

/// The instance's memberships.
pub fn instance_at(auth: &Authenticated) -> At<'_> {
    At {
        of: MemberOf::Instance,
        target: Target::Instance {
            instance: &auth.instance,
        },
        level: MemberLevel::Instance,
        resource: "",
        permissions: MemberPermissions::IAM,
    }
}

/// An org's memberships.
pub fn org_at<'a>(auth: &'a Authenticated, org_id: &'a str) -> At<'a> {
    At {
        of: MemberOf::Org(org_id.to_string()),
        target: Target::Org {
            instance: &auth.instance,
            org: org_id,
        },
        level: MemberLevel::Org,
        resource: org_id,
        permissions: MemberPermissions::ORG,
    }
}

/// A project's memberships (the project as read, see [`project`]).
pub fn project_at<'a>(auth: &'a Authenticated, project: &'a ProjectRow) -> At<'a> {
    At {
        of: MemberOf::Project(project.id.clone()),
        target: Target::Project {
            instance: &auth.instance,
            org: &project.org_id,
            project: &project.id,
        },
        level: MemberLevel::Project,
        resource: &project.id,
        permissions: MemberPermissions::PROJECT,
    }
}

/// The project `id` (not found if there is none); its org is the owner the check is made on.
pub async fn project(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<ProjectRow, Error> {
    let (instance, project_id) = (auth.instance.clone(), id.to_string());
    read(gw, move |m| m.project(&instance, &project_id))
        .await?
        .ok_or_else(|| {
            Error::new(Code::ProjectNotFound, format!("no project {id}")).with("project_id", id)
        })
}

/// A write's user may be repeated in its body, and must then name the same one.
pub(crate) fn same_user(body: Option<&str>, path: &str) -> Result<(), Error> {
    if body.is_some_and(|u| u != path) {
        return Err(Error::new(
            Code::MalformedBody,
            "user_id in the body is not the user of the path",
        )
        .with("field", "user_id"));
    }
    Ok(())
}

/// The gateway's cheap check (the resource's actor checks again against its own state), then
/// the command.
async fn change(
    gw: &Gateway,
    auth: &Authenticated,
    at: At<'_>,
    cmd: MemberCommand,
) -> Result<WriteReply, Error> {
    require(gw, auth, cmd.permission(&at.permissions), at.target)?;
    let w = gw
        .bus
        .change_member(&auth.caller, &auth.instance, at.of, cmd, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

/// Adds a member. the level's member write permission.
pub async fn add(
    gw: &Gateway,
    auth: &Authenticated,
    at: At<'_>,
    user_id: String,
    roles: Vec<String>,
) -> Result<WriteReply, Error> {
    change(gw, auth, at, MemberCommand::Add { user_id, roles }).await
}

/// Sets a member's roles. the level's member write permission.
pub async fn set(
    gw: &Gateway,
    auth: &Authenticated,
    at: At<'_>,
    user_id: &str,
    roles: Vec<String>,
) -> Result<WriteReply, Error> {
    let cmd = MemberCommand::Set {
        user_id: user_id.into(),
        roles,
    };
    change(gw, auth, at, cmd).await
}

/// Removes a member. the level's member delete permission.
pub async fn remove(
    gw: &Gateway,
    auth: &Authenticated,
    at: At<'_>,
    user_id: &str,
) -> Result<WriteReply, Error> {
    let cmd = MemberCommand::Remove {
        user_id: user_id.into(),
    };
    change(gw, auth, at, cmd).await
}

/// The members, by user id. the level's member read permission.
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    at: At<'_>,
    q: ListParams,
) -> Result<PageView<MemberView>, Error> {
    require(gw, auth, at.permissions.read, at.target)?;
    let limit = limit(q.limit)?;
    let (instance, level, resource) = (auth.instance.clone(), at.level, at.resource.to_string());
    let page = read(gw, move |m| {
        m.members(&instance, level, &resource, limit, q.cursor.as_deref())
    })
    .await?;
    Ok(PageView::of(page, MemberView::from))
}
