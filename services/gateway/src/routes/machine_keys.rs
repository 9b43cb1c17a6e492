//! Keys that sign assertions: a machine user's (the JWT bearer grant) and a `private_key_jwt`
//! app's (client authentication). Without `public_key` a key is generated and its private key
//! returned once, in a key file.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::machine_keys::{self as keys, KeyInput};
use crate::auth::Authenticated;
use crate::views::machine_keys::{CreatedKeyView, MachineKeyView};
use crate::views::{optional_json, respond, ErrorBody, ListParams, PageView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/keys", web::post().to(add_user_key))
        .route("/users/{id}/keys", web::get().to(list_user_keys))
        .route(
            "/users/{id}/keys/{key_id}",
            web::delete().to(remove_user_key),
        )
        .route(
            "/projects/{id}/apps/{app_id}/keys",
            web::post().to(add_app_key),
        )
        .route(
            "/projects/{id}/apps/{app_id}/keys",
            web::get().to(list_app_keys),
        )
        .route(
            "/projects/{id}/apps/{app_id}/keys/{key_id}",
            web::delete().to(remove_app_key),
        );
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct AddKey {
    /// RFC 3339, in the future; without it the key does not expire.
    #[serde(default, deserialize_with = "crate::times::from_rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    expires_at: Option<i64>,
    /// A PEM public key (`-----BEGIN PUBLIC KEY-----`): RSA of 2048 to 8192 bits, EC P-256
    /// or Ed25519. Without it an RSA-2048 key is generated and returned once.
    #[serde(default)]
    public_key: Option<String>,
}

/// Adds a key to a machine user. `KEY-0002` for a public key that cannot be used, `USER-0006`
/// for a human. `user.write`, never on oneself.
#[utoipa::path(post, path = "/v1/users/{id}/keys", tag = "users", params(("id" = String, Path)),
    request_body = Option<AddKey>,
    responses((status = 201, body = CreatedKeyView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn add_user_key(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let body = optional_json::<AddKey>(&body)?;
    let input = KeyInput {
        expires_at: body.expires_at,
        public_key: body.public_key.as_deref(),
    };
    Ok(HttpResponse::Created().json(keys::add_user_key(&gw, &auth, &id, input).await?))
}

/// A machine user's keys (never a private key). `user.write`, never on oneself.
#[utoipa::path(get, path = "/v1/users/{id}/keys", tag = "users", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<MachineKeyView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn list_user_keys(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(keys::list_user_keys(&gw, &auth, &id, q.into_inner()).await?))
}

/// Removes a machine user's key: what it signs is refused from then on. `user.write`, never
/// on oneself.
#[utoipa::path(delete, path = "/v1/users/{id}/keys/{key_id}", tag = "users",
    params(("id" = String, Path), ("key_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (never self)"))))]
async fn remove_user_key(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, key_id) = path.into_inner();
    Ok(respond(
        keys::remove_user_key(&gw, &auth, &id, &key_id).await?,
        false,
    ))
}

/// Adds a key to a `private_key_jwt` app (`KEY-0004` for an app of another auth method).
/// `project.app.write` on the project.
#[utoipa::path(post, path = "/v1/projects/{id}/apps/{app_id}/keys", tag = "projects",
    params(("id" = String, Path), ("app_id" = String, Path)),
    request_body = Option<AddKey>,
    responses((status = 201, body = CreatedKeyView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.write"))))]
async fn add_app_key(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let (id, app_id) = path.into_inner();
    let body = optional_json::<AddKey>(&body)?;
    let input = KeyInput {
        expires_at: body.expires_at,
        public_key: body.public_key.as_deref(),
    };
    Ok(HttpResponse::Created().json(keys::add_app_key(&gw, &auth, &id, &app_id, input).await?))
}

/// An app's keys (never a private key). `project.app.read` on the project.
#[utoipa::path(get, path = "/v1/projects/{id}/apps/{app_id}/keys", tag = "projects",
    params(("id" = String, Path), ("app_id" = String, Path), ListParams),
    responses((status = 200, body = PageView<MachineKeyView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.read"))))]
async fn list_app_keys(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let (id, app_id) = path.into_inner();
    Ok(HttpResponse::Ok()
        .json(keys::list_app_keys(&gw, &auth, &id, &app_id, q.into_inner()).await?))
}

/// Removes an app's key. `project.app.write` on the project.
#[utoipa::path(delete, path = "/v1/projects/{id}/apps/{app_id}/keys/{key_id}", tag = "projects",
    params(("id" = String, Path), ("app_id" = String, Path), ("key_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.write"))))]
async fn remove_app_key(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (id, app_id, key_id) = path.into_inner();
    Ok(respond(
        keys::remove_app_key(&gw, &auth, &id, &app_id, &key_id).await?,
        false,
    ))
}
