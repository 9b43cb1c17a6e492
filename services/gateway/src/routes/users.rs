//! Users: create (human, machine), read, list, `me`, delete.

use actix_web::{web, HttpResponse};
use authz::{Target, UserOp};
use command::HumanInput;
use domain::user::{Email, Profile, UserCommand};
use domain::{authorize, Access, Code, Error};
use readmodel::UserRow;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::new_id;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::reads::read;
use crate::views::{limit, written, ErrorBody, PageView, UserView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/me", web::get().to(me))
        .route("/users", web::get().to(list_users))
        .route("/users/{id}", web::get().to(get_user))
        .route("/users/{id}", web::delete().to(delete_user))
        .route(
            "/orgs/{org_id}/users/human",
            web::post().to(create_human_user),
        )
        .route(
            "/orgs/{org_id}/users/machine",
            web::post().to(create_machine_user),
        );
}

fn user_not_found(id: &str) -> Error {
    Error::new(Code::UserNotFound, format!("no user {id}")).with("user_id", id)
}

/// The user `id` of the caller's instance, if the caller may do `op` on it: the cheap check
/// against the user's org as the read model knows it (the actor checks again against its own
/// state).
pub(crate) async fn authorized_user(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    op: UserOp,
) -> std::result::Result<UserRow, Error> {
    let (instance, user_id) = (auth.instance.clone(), id.to_string());
    let user = read(gw, move |m| m.user(&instance, &user_id))
        .await?
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

/// The caller themself. Any authenticated caller.
#[utoipa::path(get, path = "/v1/users/me", tag = "users",
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)),
    extensions(("x-permission" = json!("authenticated"))))]
async fn me(gw: web::Data<Gateway>, auth: Authenticated) -> Result<HttpResponse> {
    let (instance, id) = (auth.instance.clone(), auth.principal.user.clone());
    let user = read(&gw, move |m| m.user(&instance, &id))
        .await?
        .ok_or_else(|| user_not_found(&auth.principal.user))?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

/// A user. `user.read` on the user's org; a user may read themself.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.read (self)"))))]
async fn get_user(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let user = authorized_user(&gw, &auth, &id, UserOp::Read).await?;
    Ok(HttpResponse::Ok().json(UserView::from(user)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListUsers {
    /// Only users of this org.
    org_id: Option<String>,
    /// The user with exactly this login name (case-insensitive). With `user.global.read`
    /// this finds users of any org of the instance.
    username: Option<String>,
    /// 1 to 1,000; default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    cursor: Option<String>,
}

/// Users the caller may read, by id. `user.read`: the list holds only users of the orgs where
/// the caller has it (and the caller themself), filtered in the query.
#[utoipa::path(get, path = "/v1/users", tag = "users", params(ListUsers),
    responses((status = 200, body = PageView<UserView>), (status = 400, body = ErrorBody)),
    extensions(("x-permission" = json!("user.read (self)"))))]
async fn list_users(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    q: web::Query<ListUsers>,
) -> Result<HttpResponse> {
    let limit = limit(q.limit)?;
    let q = q.into_inner();
    let global = q.username.is_some()
        && gw
            .authz
            .may_find_by_login_name(&auth.caller, &auth.instance)
            .is_allowed();
    let scope = if global {
        authz::ReadScope::Instance
    } else {
        gw.authz
            .readable_scope(&auth.caller, UserOp::Read.requirement(), &auth.instance)
    };
    let instance = auth.instance.clone();
    let page = read(&gw, move |m| {
        m.list_users(
            &instance,
            &scope,
            &readmodel::UserFilter {
                org_id: q.org_id,
                username: q.username,
            },
            limit,
            q.cursor.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(PageView::of(page, UserView::from)))
}

/// Deletes a user and frees its login name. `user.delete` on the user's org; on oneself
/// `user.delete` or `user.self.delete`.
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.delete; on oneself user.delete or user.self.delete"))))]
async fn delete_user(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    authorized_user(&gw, &auth, &id, UserOp::Delete).await?;
    let w = gw
        .bus
        .remove_user(&auth.caller, &auth.instance, &id, auth.if_match)
        .await?;
    Ok(written(None, w, false))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ProfileBody {
    given_name: String,
    family_name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    preferred_language: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    address: String,
    /// Only with `user.write`; never on oneself.
    #[serde(default)]
    verified: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateHuman {
    username: String,
    profile: ProfileBody,
    email: EmailBody,
    #[serde(default)]
    phone: Option<String>,
    /// 8 to 200 characters; without it the user cannot log in with a password yet.
    #[serde(default)]
    password: Option<String>,
}

/// Creates a human user in the org. `user.write` on the org (checked before the login name is
/// claimed, then by the user's actor).
#[utoipa::path(post, path = "/v1/orgs/{org_id}/users/human", tag = "users",
    params(("org_id" = String, Path)), request_body = CreateHuman,
    responses((status = 201, body = WriteReply), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write"))))]
async fn create_human_user(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    body: Body<CreateHuman>,
) -> Result<HttpResponse> {
    let id = new_id();
    let b = body.into_inner();
    let input = HumanInput {
        org_id: org_id.into_inner(),
        username: b.username,
        profile: Profile {
            given_name: b.profile.given_name,
            family_name: b.profile.family_name,
            display_name: b.profile.display_name.unwrap_or_default(),
            preferred_language: b.profile.preferred_language,
        },
        email: Email {
            address: b.email.address,
            verified: b.email.verified,
        },
        phone: b.phone,
        password: b.password,
    };
    let w = gw
        .bus
        .create_human(&auth.caller, &auth.instance, &id, input)
        .await?;
    Ok(written(Some(id), w, true))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateMachine {
    username: String,
    name: String,
    #[serde(default)]
    description: String,
}

/// Creates a machine user in the org. `user.write` on the org.
#[utoipa::path(post, path = "/v1/orgs/{org_id}/users/machine", tag = "users",
    params(("org_id" = String, Path)), request_body = CreateMachine,
    responses((status = 201, body = WriteReply), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write"))))]
async fn create_machine_user(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    body: Body<CreateMachine>,
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
