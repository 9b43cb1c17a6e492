//! The system API: instances (tenants). Not bound to an instance's host; only system
//! memberships (SYSTEM_*) reach it.

use actix_web::{web, HttpResponse};
use command::CreateInstance;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::system;
use crate::auth::SystemCaller;
use crate::body::Body;
use crate::views::{
    respond, CreatedInstanceView, ErrorBody, InstanceView, ListParams, PageView, RotatedView,
    WriteReply,
};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/instances", web::post().to(create_instance))
        .route("/instances", web::get().to(list_instances))
        .route("/instances/{id}", web::get().to(get_instance))
        .route("/instances/{id}", web::delete().to(delete_instance))
        .route("/instances/{id}/keys/rotate", web::post().to(rotate_keys));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AdminBody {
    #[schema(pattern = "^[^\\s]{1,200}$")]
    username: String,
    /// With a password a human admin is created; the machine admin `<username>-bot` always is.
    #[serde(default)]
    #[schema(min_length = 12, max_length = 200)]
    password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateInstanceBody {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// Host names the instance is reached at; unique across the system.
    #[schema(min_items = 1)]
    domains: Vec<String>,
    admin: AdminBody,
}

/// Creates an instance with its org `Default` and its admins (IAM_OWNER), in one durable step.
/// `system.instance.write`.
#[utoipa::path(post, path = "/v1/system/instances", tag = "system", request_body = CreateInstanceBody,
    responses((status = 201, body = CreatedInstanceView), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("system.instance.write"))))]
async fn create_instance(
    gw: web::Data<Gateway>,
    who: SystemCaller,
    body: Body<CreateInstanceBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let input = CreateInstance {
        name: b.name,
        domains: b.domains,
        admin_username: b.admin.username,
        admin_password: b.admin.password,
    };
    Ok(HttpResponse::Created().json(system::create_instance(&gw, &who, input).await?))
}

/// Every instance, by id. `system.instance.read`.
#[utoipa::path(get, path = "/v1/system/instances", tag = "system", params(ListParams),
    responses((status = 200, body = PageView<InstanceView>)),
    extensions(("x-permission" = json!("system.instance.read"))))]
async fn list_instances(
    gw: web::Data<Gateway>,
    who: SystemCaller,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(system::list_instances(&gw, &who, q.into_inner()).await?))
}

/// An instance. `system.instance.read`.
#[utoipa::path(get, path = "/v1/system/instances/{id}", tag = "system", params(("id" = String, Path)),
    responses((status = 200, body = InstanceView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("system.instance.read"))))]
async fn get_instance(
    gw: web::Data<Gateway>,
    who: SystemCaller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(system::get_instance(&gw, &who, &id).await?))
}

/// Removes an instance and frees its domains. `system.instance.delete`.
#[utoipa::path(delete, path = "/v1/system/instances/{id}", tag = "system", params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("system.instance.delete"))))]
async fn delete_instance(
    gw: web::Data<Gateway>,
    who: SystemCaller,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(respond(
        system::delete_instance(&gw, &who, &id).await?,
        false,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RotateQuery {
    /// `RS256` (ID tokens, the default), `ES256` (JWT access tokens) or `EdDSA`.
    #[param(pattern = "^(RS256|ES256|EdDSA)$")]
    alg: Option<String>,
}

/// One step of a signing-key rotation: publishes a new key if none is waiting, else makes the
/// waiting one sign (the old one stays published until its tokens expire). Call it twice, an
/// hour apart, so that clients see a key before it signs. `system.instance.write`.
#[utoipa::path(post, path = "/v1/system/instances/{id}/keys/rotate", tag = "system",
    params(("id" = String, Path), RotateQuery),
    responses((status = 200, body = RotatedView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("system.instance.write"))))]
async fn rotate_keys(
    gw: web::Data<Gateway>,
    who: SystemCaller,
    id: web::Path<String>,
    q: web::Query<RotateQuery>,
) -> Result<HttpResponse> {
    let rotated = system::rotate_keys(&gw, &who, &id, q.alg.as_deref()).await?;
    Ok(HttpResponse::Ok().json(rotated))
}
