//! Orgs: create, read, list.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::orgs;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, ErrorBody, ListParams, OrgView, PageView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs", web::post().to(create_org))
        .route("/orgs", web::get().to(list_orgs))
        .route("/orgs/{org_id}", web::get().to(get_org))
        .route("/orgs/{org_id}", web::patch().to(rename_org))
        .route("/orgs/{org_id}", web::delete().to(delete_org));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateOrg {
    /// Unique in the instance without regard to case.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
}

/// Creates an org. `org.create` on the instance (checked before the name is claimed, then by
/// the org's actor).
#[utoipa::path(post, path = "/v1/orgs", tag = "orgs", request_body = CreateOrg,
    responses((status = 201, body = WriteReply), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("org.create"))))]
async fn create_org(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<CreateOrg>,
) -> Result<HttpResponse> {
    Ok(respond(orgs::create(&gw, &auth, &body.name).await?, true))
}

/// An org. `org.read` on it.
#[utoipa::path(get, path = "/v1/orgs/{org_id}", tag = "orgs", params(("org_id" = String, Path)),
    responses((status = 200, body = OrgView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("org.read"))))]
async fn get_org(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(orgs::get(&gw, &auth, &org_id).await?))
}

/// The orgs the caller may read, by id. `org.read` (lists only orgs where the caller has it).
#[utoipa::path(get, path = "/v1/orgs", tag = "orgs", params(ListParams),
    responses((status = 200, body = PageView<OrgView>)),
    extensions(("x-permission" = json!("org.read"))))]
async fn list_orgs(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(orgs::list(&gw, &auth, q.into_inner()).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RenameOrg {
    /// Unique in the instance without regard to case.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
}

/// Renames an org (the old name is free again). `org.write` on it.
#[utoipa::path(patch, path = "/v1/orgs/{org_id}", tag = "orgs", params(("org_id" = String, Path)),
    request_body = RenameOrg,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("org.write"))))]
async fn rename_org(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
    body: Body<RenameOrg>,
) -> Result<HttpResponse> {
    Ok(respond(
        orgs::rename(&gw, &auth, &org_id, &body.name).await?,
        false,
    ))
}

/// Removes an org with its users, projects (their apps, grants and user grants) and
/// memberships; its name and its users' login names are free again. `org.delete` on it.
#[utoipa::path(delete, path = "/v1/orgs/{org_id}", tag = "orgs", params(("org_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("org.delete"))))]
async fn delete_org(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    org_id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(respond(orgs::delete(&gw, &auth, &org_id).await?, false))
}
