//! Users: create (human, machine), read, list, `me`, delete.

use actix_web::{web, HttpResponse};
use command::HumanInput;
use domain::user::{Email, Profile};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::users;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, ErrorBody, PageView, UserView, WriteReply};
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

/// The caller themself. Any authenticated caller.
#[utoipa::path(get, path = "/v1/users/me", tag = "users",
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)),
    extensions(("x-permission" = json!("authenticated"))))]
async fn me(gw: web::Data<Gateway>, auth: Authenticated) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(users::me(&gw, &auth).await?))
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
    Ok(HttpResponse::Ok().json(users::get(&gw, &auth, &id).await?))
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
    /// Users whose login name starts with this (case-insensitive, 1 to 200 characters), of
    /// the orgs the caller may read, in login-name order. Not with `username`.
    username_prefix: Option<String>,
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
    let q = q.into_inner();
    let query = users::ListUsers {
        filter: readmodel::UserFilter {
            org_id: q.org_id,
            username: q.username,
            username_prefix: q.username_prefix,
        },
        limit: q.limit,
        cursor: q.cursor,
    };
    Ok(HttpResponse::Ok().json(users::list(&gw, &auth, query).await?))
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
    Ok(respond(users::delete(&gw, &auth, &id).await?, false))
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
    /// 12 to 200 characters; without it the user cannot log in with a password yet.
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
        then: vec![],
    };
    Ok(respond(users::create_human(&gw, &auth, input).await?, true))
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
    let b = body.into_inner();
    let input = users::NewMachine {
        org_id: org_id.into_inner(),
        username: b.username,
        name: b.name,
        description: b.description,
    };
    Ok(respond(
        users::create_machine(&gw, &auth, input).await?,
        true,
    ))
}
