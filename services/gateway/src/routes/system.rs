//! The system API: instances (tenants). Not bound to an instance's host; only system
//! memberships (SYSTEM_*) reach it.

use actix_web::{web, HttpResponse};
use authz::{Permission, Requirement, Target};
use command::CreateInstance;
use domain::{authorize, Access, Code, Error};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::SystemCaller;
use crate::body::Body;
use crate::reads::read;
use crate::views::{limit, written, ErrorBody, InstanceView, ListParams, PageView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/instances", web::post().to(create_instance))
        .route("/instances", web::get().to(list_instances))
        .route("/instances/{id}", web::get().to(get_instance))
        .route("/instances/{id}", web::delete().to(delete_instance))
        .route("/instances/{id}/keys/rotate", web::post().to(rotate_keys));
}

fn check(gw: &Gateway, who: &SystemCaller, perm: &str) -> Result<()> {
    authorize(
        &gw.authz,
        &who.caller,
        Access::Check(Requirement::plain(Permission::named(perm)), Target::System),
    )?;
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AdminBody {
    #[schema(pattern = "^[^\\s]{1,200}$")]
    username: String,
    /// With a password a human admin is created; the machine admin `<username>-bot` always is.
    #[serde(default)]
    #[schema(min_length = 8, max_length = 200)]
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

#[derive(Serialize, ToSchema)]
struct CreatedInstanceView {
    id: String,
    admin_user_id: String,
    /// The machine admin's personal access token: shown once, stored only as a hash.
    admin_pat: String,
    sequence: u64,
    position: String,
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
    check(&gw, &who, "system.instance.write")?;
    let b = body.into_inner();
    let created = gw
        .bus
        .create_instance(
            &who.caller,
            CreateInstance {
                name: b.name,
                domains: b.domains,
                admin_username: b.admin.username,
                admin_password: b.admin.password,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(CreatedInstanceView {
        id: created.instance_id,
        admin_user_id: created.admin_user_id,
        admin_pat: created.admin_pat,
        sequence: created.written.sequence,
        position: created.written.position.to_string(),
    }))
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
    check(&gw, &who, "system.instance.read")?;
    let limit = limit(q.limit)?;
    let cursor = q.into_inner().cursor;
    let page = read(&gw, move |m| m.list_instances(limit, cursor.as_deref())).await?;
    Ok(HttpResponse::Ok().json(PageView::of(page, InstanceView::from)))
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
    check(&gw, &who, "system.instance.read")?;
    let i = id.clone();
    let instance = read(&gw, move |m| m.instance(&i)).await?.ok_or_else(|| {
        Error::new(Code::InstanceNotFound, format!("no instance {id}"))
            .with("instance_id", id.as_str())
    })?;
    Ok(HttpResponse::Ok().json(InstanceView::from(instance)))
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
    check(&gw, &who, "system.instance.delete")?;
    let w = gw.bus.remove_instance(&who.caller, &id).await?;
    Ok(written(None, w, false))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RotateQuery {
    /// `RS256` (ID tokens, the default), `ES256` (JWT access tokens) or `EdDSA`.
    #[param(pattern = "^(RS256|ES256|EdDSA)$")]
    alg: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct RotatedView {
    position: String,
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
    check(&gw, &who, "system.instance.write")?;
    let i = id.clone();
    if read(&gw, move |m| m.instance(&i)).await?.is_none() {
        let e = Error::new(Code::InstanceNotFound, format!("no instance {id}"));
        return Err(e.with("instance_id", id.as_str()).into());
    }
    // Retired keys stay published as long as an ID token they signed may live.
    let keep = crate::oidc::tokens::ID_TTL_SECS * 1000;
    let alg = q.alg.as_deref().unwrap_or("RS256");
    let position = gw.bus.rotate_signing_key(&id, alg, keep).await?;
    Ok(HttpResponse::Ok().json(RotatedView {
        position: position.to_string(),
    }))
}
