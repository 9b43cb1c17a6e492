//! The REST routes. Each one states its permission; each handler validates, checks, dispatches
//! or queries, and maps the result.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use authz::{Target, UserOp};
use command::Written;
use domain::user::UserCommand;
use domain::{authorize, Access, Code, Error};
use readmodel::UserRow;
use serde::{Deserialize, Serialize};

use crate::auth::Authenticated;
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/users/me", web::get().to(me))
        .route("/v1/users", web::get().to(list_users))
        .route("/v1/users/{id}", web::get().to(get_user))
        .route("/v1/users/{id}", web::delete().to(delete_user))
        .route("/v1/orgs", web::post().to(create_org))
        .route(
            "/v1/orgs/{org_id}/users/machine",
            web::post().to(create_machine_user),
        );
}

const WAIT: Duration = Duration::from_secs(5);

/// Read-your-writes: waits (bounded) for the position a client sends back.
async fn consistent(gw: &Gateway, req: &HttpRequest) -> Result<()> {
    let Some(value) = req.headers().get("x-portcullis-position") else {
        return Ok(());
    };
    let position = value
        .to_str()
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| {
            Error::new(
                Code::InvalidQuery,
                "X-Portcullis-Position is not a position this server gave out",
            )
        })?;
    Ok(gw.model.wait_for(position, WAIT).await?)
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[derive(Serialize)]
struct WriteReply {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    sequence: u64,
    position: String,
}

fn written(id: Option<String>, w: Written, created: bool) -> HttpResponse {
    let body = WriteReply {
        id,
        sequence: w.sequence,
        position: w.position.to_string(),
    };
    if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

#[derive(Serialize)]
struct UserView {
    id: String,
    org_id: String,
    username: String,
    #[serde(rename = "type")]
    kind: String,
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        UserView {
            id: u.id,
            org_id: u.org_id,
            username: u.username,
            kind: u.kind,
            display_name: u.display_name,
            email: u.email,
        }
    }
}

fn user_not_found(id: &str) -> ApiError {
    ApiError(Error::new(Code::UserNotFound, format!("no user {id}")).with("user_id", id))
}

/// The user `id` of the caller's instance, if the caller may do `op` on it (checked against
/// the user's org as the read model knows it; the actor checks again against its own state).
fn authorized_user(gw: &Gateway, auth: &Authenticated, id: &str, op: UserOp) -> Result<UserRow> {
    let user = gw
        .model
        .user(&auth.instance, id)?
        .ok_or_else(|| user_not_found(id))?;
    let target = Target::User {
        instance: &auth.instance,
        org: &user.org_id,
        user: &user.id,
    };
    authorize(
        &gw.authz,
        &auth.caller,
        Access::Check(op.requirement(), target),
    )?;
    Ok(user)
}

/// `GET /v1/users/me` — any authenticated caller.
async fn me(gw: web::Data<Gateway>, auth: Authenticated) -> Result<HttpResponse> {
    let user = gw
        .model
        .user(&auth.instance, &auth.principal.user)?
        .ok_or_else(|| user_not_found(&auth.principal.user))?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

/// `GET /v1/users/{id}` — `user.read` on the user's org (self allowed).
async fn get_user(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    consistent(&gw, &req).await?;
    let user = authorized_user(&gw, &auth, &id, UserOp::Read)?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListUsers {
    org_id: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Serialize)]
struct PageView<T> {
    items: Vec<T>,
    next_cursor: Option<String>,
}

/// `GET /v1/users?org_id=&limit=&cursor=` — `user.read`; lists only the users the caller may
/// read (filtered in the query by the caller's readable scope).
async fn list_users(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    req: HttpRequest,
    q: web::Query<ListUsers>,
) -> Result<HttpResponse> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Error::new(Code::InvalidQuery, "limit is 1 to 1000")
            .with("field", "limit")
            .into());
    }
    consistent(&gw, &req).await?;
    let scope = gw
        .authz
        .readable_scope(&auth.caller, UserOp::Read.requirement(), &auth.instance);
    let page = gw.model.list_users(
        &auth.instance,
        &scope,
        q.org_id.as_deref(),
        limit,
        q.cursor.as_deref(),
    )?;
    Ok(HttpResponse::Ok().json(PageView {
        items: page
            .items
            .into_iter()
            .map(UserView::from)
            .collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    }))
}

/// `DELETE /v1/users/{id}` — `user.delete`; on oneself `user.delete` or `user.self.delete`.
async fn delete_user(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    authorized_user(&gw, &auth, &id, UserOp::Delete)?;
    let w = gw
        .bus
        .remove_user(&auth.caller, &auth.instance, &id, None)
        .await?;
    Ok(written(None, w, false))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateOrg {
    name: String,
}

/// `POST /v1/orgs` `{name}` — `org.create` on the instance. For creations the cheap check is
/// the service's precheck, made before any name is claimed; the actor checks again.
async fn create_org(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: web::Json<CreateOrg>,
) -> Result<HttpResponse> {
    let id = new_id();
    let w = gw
        .bus
        .create_org(&auth.caller, &auth.instance, &id, &body.name)
        .await?;
    Ok(written(Some(id), w, true))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateMachine {
    username: String,
    name: String,
    #[serde(default)]
    description: String,
}

/// `POST /v1/orgs/{org_id}/users/machine` `{username, name, description?}` — `user.write` on
/// the org (checked by the service before the login name is claimed, then by the actor).
async fn create_machine_user(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    body: web::Json<CreateMachine>,
) -> Result<HttpResponse> {
    let id = new_id();
    let body = body.into_inner();
    let cmd = UserCommand::AddMachine {
        org_id: org_id.into_inner(),
        username: body.username,
        name: body.name,
        description: body.description,
    };
    let w = gw
        .bus
        .create_user(&auth.caller, &auth.instance, &id, cmd)
        .await?;
    Ok(written(Some(id), w, true))
}
