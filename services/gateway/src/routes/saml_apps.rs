//! SAML apps of a project (SPs registered by their metadata).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::saml_apps::{self, SamlAppSettings};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::saml_apps::{CreatedSamlAppView, SamlAppView};
use crate::views::{respond, ErrorBody, ListParams, PageView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{id}/apps/saml", web::post().to(create_saml_app))
        .route("/projects/{id}/apps/saml", web::get().to(list_saml_apps))
        .route(
            "/projects/{id}/apps/saml/{app_id}",
            web::get().to(get_saml_app),
        )
        .route(
            "/projects/{id}/apps/saml/{app_id}",
            web::put().to(update_saml_app),
        );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SamlAppBody {
    name: String,
    /// The SP's metadata (an `EntityDescriptor` with an `SPSSODescriptor`).
    #[serde(default)]
    metadata_xml: Option<String>,
    /// Where the SP publishes its metadata (https), read now; instead of `metadata_xml`.
    #[serde(default)]
    metadata_url: Option<String>,
    /// Whether a login may start at Portcullis (`/saml/v2/init?sp=<entity id>`). Default
    /// false.
    #[serde(default)]
    idp_initiated: bool,
    /// Whether the assertions are encrypted to the SP's encryption key (from its metadata:
    /// a key for encryption, or without a use). Default false.
    #[serde(default)]
    encrypt_assertions: bool,
    /// `persistent` (the user's id), `email` or `unspecified` (the login name); default: the
    /// first of these the metadata names, else `persistent`.
    #[serde(default)]
    #[schema(pattern = "^(persistent|email|unspecified)$")]
    name_id_format: Option<String>,
}

impl From<SamlAppBody> for SamlAppSettings {
    fn from(b: SamlAppBody) -> Self {
        SamlAppSettings {
            name: b.name,
            metadata_xml: b.metadata_xml,
            metadata_url: b.metadata_url,
            idp_initiated: b.idp_initiated,
            encrypt_assertions: b.encrypt_assertions,
            name_id_format: b.name_id_format,
        }
    }
}

/// Adds a SAML app: an SP, by its metadata. Its entity id is unique in the instance.
/// `project.app.write` on the project.
#[utoipa::path(post, path = "/v1/projects/{id}/apps/saml", tag = "apps", params(("id" = String, Path)),
    request_body = SamlAppBody,
    responses((status = 201, body = CreatedSamlAppView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.write"))))]
async fn create_saml_app(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<SamlAppBody>,
) -> Result<HttpResponse> {
    let app = saml_apps::create(&gw, &auth, &id, body.into_inner().into()).await?;
    Ok(HttpResponse::Created().json(app))
}

/// The project's SAML apps. `project.app.read` on the project.
#[utoipa::path(get, path = "/v1/projects/{id}/apps/saml", tag = "apps", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<SamlAppView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.read"))))]
async fn list_saml_apps(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(saml_apps::list(&gw, &auth, &id, q.into_inner()).await?))
}

/// A SAML app. `project.app.read` on the project.
#[utoipa::path(get, path = "/v1/projects/{id}/apps/saml/{app_id}", tag = "apps",
    params(("id" = String, Path), ("app_id" = String, Path)),
    responses((status = 200, body = SamlAppView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.read"))))]
async fn get_saml_app(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, app_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(saml_apps::get(&gw, &auth, &id, &app_id).await?))
}

/// New metadata for a SAML app (its entity id stays). `project.app.write` on the project.
#[utoipa::path(put, path = "/v1/projects/{id}/apps/saml/{app_id}", tag = "apps",
    params(("id" = String, Path), ("app_id" = String, Path)), request_body = SamlAppBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.write"))))]
async fn update_saml_app(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<SamlAppBody>,
) -> Result<HttpResponse> {
    let (id, app_id) = path.into_inner();
    let reply = saml_apps::update(&gw, &auth, &id, &app_id, body.into_inner().into()).await?;
    Ok(respond(reply, false))
}
