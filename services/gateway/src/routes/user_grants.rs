//! User grants (authorizations): a user's roles on a project, or through a project grant.
//! Managed by the project's managers, or in the granted org by the grant's managers.

use actix_web::{web, HttpResponse};
use authz::{Permission, Requirement};
use command::NewUserGrant;
use domain::user_grant::UserGrant;
use domain::{Code, Error};
use readmodel::UserGrantRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{new_id, require};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::reads::read;
use crate::views::{written, ErrorBody, ListParams, PageView, WriteReply};
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

#[derive(Serialize, ToSchema)]
struct UserGrantView {
    id: String,
    user_id: String,
    project_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project_grant_id: Option<String>,
    role_keys: Vec<String>,
}

impl From<UserGrantRow> for UserGrantView {
    fn from(g: UserGrantRow) -> Self {
        UserGrantView {
            id: g.id,
            user_id: g.user_id,
            project_id: g.project_id,
            project_grant_id: g.project_grant_id,
            role_keys: g.roles,
        }
    }
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
    // The cheap check needs the project's org (and the grant's org) from the read model.
    let (instance, p, g) = (
        auth.instance.clone(),
        b.project_id.clone(),
        b.project_grant_id.clone(),
    );
    let (project, grant) = read(&gw, move |m| {
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
                .with("project_grant_id", b.project_grant_id.unwrap_or_default())
                .into(),
        );
    }
    let through = grant.map(|g| (g.id, g.granted_org_id));
    let t = UserGrant::target(&auth.instance, &project.id, &project.org_id, &through);
    require(&gw, &auth, Permission::named("user.grant.write"), t)?;
    let grant_id = new_id();
    let w = gw
        .bus
        .create_user_grant(
            &auth.caller,
            &auth.instance,
            &grant_id,
            NewUserGrant {
                user_id: id.into_inner(),
                project_id: b.project_id,
                project_grant_id: b.project_grant_id,
                role_keys: b.role_keys,
            },
        )
        .await?;
    Ok(written(Some(grant_id), w, true))
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
    let scope = gw.authz.readable_scope(
        &auth.caller,
        Requirement::plain(Permission::named("user.grant.read")),
        &auth.instance,
    );
    let (instance, user) = (auth.instance.clone(), id.into_inner());
    let grants = read(&gw, move |m| {
        m.user(&instance, &user)?.ok_or_else(|| {
            Error::new(Code::UserNotFound, format!("no user {user}")).with("user_id", user.as_str())
        })?;
        m.user_grants(&instance, &user, &scope)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PageView::paged(
        grants.into_iter().map(UserGrantView::from).collect(),
        &q,
        |g| g.id.clone(),
    )?))
}

/// The user grant of the path, if the caller has `permission` on its project or grant.
async fn authorized_grant(
    gw: &Gateway,
    auth: &Authenticated,
    user_id: &str,
    grant_id: &str,
    permission: &str,
) -> std::result::Result<(), Error> {
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
    require(gw, auth, Permission::named(permission), t)
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
    authorized_grant(&gw, &auth, &id, &grant_id, "user.grant.write").await?;
    let w = gw
        .bus
        .change_user_grant(
            &auth.caller,
            &auth.instance,
            &id,
            &grant_id,
            body.into_inner().role_keys,
            auth.if_match,
        )
        .await?;
    Ok(written(None, w, false))
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
    authorized_grant(&gw, &auth, &id, &grant_id, "user.grant.delete").await?;
    let w = gw
        .bus
        .remove_user_grant(&auth.caller, &auth.instance, &id, &grant_id, auth.if_match)
        .await?;
    Ok(written(None, w, false))
}
