//! User grants (authorizations): a user's roles on a project, or through a project grant.
//! Managed by the project's managers, or in the granted org by the grant's managers.

use authz::{Permission, Requirement};
use command::NewUserGrant;
use domain::user_grant::UserGrant;
use domain::{Code, Error};

use super::{new_id, reply, require};
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{ListParams, PageView, UserGrantView, WriteReply};
use crate::Gateway;

/// What a new user grant holds.
pub struct NewGrant {
    pub project_id: String,
    /// Through this grant of the project (its roles only).
    pub project_grant_id: Option<String>,
    pub role_keys: Vec<String>,
}

/// Gives the user roles of a project. `user.grant.write` on the project (or, through a grant,
/// on the grant in the granted org).
pub async fn create(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    b: NewGrant,
) -> Result<WriteReply, Error> {
    // The cheap check needs the project's org (and the grant's org) from the read model.
    let (instance, p, g) = (
        auth.instance.clone(),
        b.project_id.clone(),
        b.project_grant_id.clone(),
    );
    let (project, grant) = read(gw, move |m| {
        let grant = match &g {
            Some(g) => m.project_grant(&instance, &p, g)?,
            None => None,
        };
        Ok((m.project(&instance, &p)?, grant))
    })
    .await?;
    let project = project.ok_or_else(|| {
        Error::new(
            Code::ProjectNotFound,
            format!("no project {}", b.project_id),
        )
        .with("project_id", b.project_id.as_str())
    })?;
    if b.project_grant_id.is_some() && grant.is_none() {
        return Err(
            Error::new(Code::GrantNotFound, "the project has no such grant")
                .with("project_grant_id", b.project_grant_id.unwrap_or_default()),
        );
    }
    let through = grant.map(|g| (g.id, g.granted_org_id));
    let t = UserGrant::target(&auth.instance, &project.id, &project.org_id, &through);
    require(gw, auth, Permission::USER_GRANT_WRITE, t)?;
    let grant_id = new_id();
    let w = gw
        .bus
        .create_user_grant(
            &auth.caller,
            &auth.instance,
            &grant_id,
            NewUserGrant {
                user_id: id.to_string(),
                project_id: b.project_id,
                project_grant_id: b.project_grant_id,
                role_keys: b.role_keys,
            },
        )
        .await?;
    Ok(reply(Some(grant_id), w))
}

/// The user's grants the caller may read. `user.grant.read` (on each grant's project or
/// grant; filtered in the query).
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    q: ListParams,
) -> Result<PageView<UserGrantView>, Error> {
    let scope = gw.authz.readable_scope(
        &auth.caller,
        Requirement::plain(Permission::USER_GRANT_READ),
        &auth.instance,
    );
    let (instance, user) = (auth.instance.clone(), id.to_string());
    let grants = read(gw, move |m| {
        m.user(&instance, &user)?.ok_or_else(|| {
            Error::new(Code::UserNotFound, format!("no user {user}")).with("user_id", user.as_str())
        })?;
        m.user_grants(&instance, &user, &scope)
    })
    .await?;
    PageView::paged(
        grants.into_iter().map(UserGrantView::from).collect(),
        &q,
        |g| g.id.clone(),
    )
}

/// The user grant, if the caller has `permission` on its project or grant.
async fn authorized_grant(
    gw: &Gateway,
    auth: &Authenticated,
    user_id: &str,
    grant_id: &str,
    permission: Permission,
) -> Result<(), Error> {
    let (instance, g) = (auth.instance.clone(), grant_id.to_string());
    let grant = read(gw, move |m| m.user_grant(&instance, &g))
        .await?
        .filter(|g| g.user_id == user_id)
        .ok_or_else(|| {
            Error::new(Code::UserGrantNotFound, format!("no user grant {grant_id}"))
                .with("grant_id", grant_id)
        })?;
    let through = grant
        .project_grant_id
        .clone()
        .zip(grant.granted_org.clone());
    let t = UserGrant::target(
        &auth.instance,
        &grant.project_id,
        &grant.project_org,
        &through,
    );
    require(gw, auth, permission, t)
}

/// Replaces a user grant's roles. `user.grant.write` on its project or grant.
pub async fn change(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
    role_keys: Vec<String>,
) -> Result<WriteReply, Error> {
    authorized_grant(gw, auth, id, grant_id, Permission::USER_GRANT_WRITE).await?;
    let w = gw
        .bus
        .change_user_grant(
            &auth.caller,
            &auth.instance,
            id,
            grant_id,
            role_keys,
            auth.if_match,
        )
        .await?;
    Ok(reply(None, w))
}

/// Removes a user grant. `user.grant.delete` on its project or grant.
pub async fn remove(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    grant_id: &str,
) -> Result<WriteReply, Error> {
    authorized_grant(gw, auth, id, grant_id, Permission::USER_GRANT_DELETE).await?;
    let w = gw
        .bus
        .remove_user_grant(&auth.caller, &auth.instance, id, grant_id, auth.if_match)
        .await?;
    Ok(reply(None, w))
}
