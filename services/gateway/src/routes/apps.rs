//! OIDC applications of a project, with client-secret rotation.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::apps::{self, AppSettings};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, AppView, CreatedAppView, ErrorBody, ListParams, PageView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/projects/{id}/apps/oidc", web::post().to(create_app))
        .route("/projects/{id}/apps", web::get().to(list_apps))
        .route("/projects/{id}/apps/{app_id}", web::get().to(get_app))
        .route("/projects/{id}/apps/{app_id}", web::patch().to(update_app))
        .route("/projects/{id}/apps/{app_id}", web::delete().to(delete_app))
        .route(
            "/projects/{id}/apps/{app_id}/secret",
            web::post().to(rotate_secret),
        );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AppBody {
    name: String,
    /// Matched exactly at the authorization endpoint; https (http only on localhost).
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    /// `authorization_code`, `client_credentials` (confidential clients), `device_code` (one of
    /// those three is required) and `refresh_token`; default `[authorization_code]`.
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    /// `code`; default `[code]`.
    #[serde(default)]
    response_types: Option<Vec<String>>,
    /// `client_secret_basic`, `client_secret_post`, `client_secret_jwt`, `private_key_jwt` or
    /// `none` (public client, PKCE required).
    auth_method: String,
    /// `jwt` (default) or `opaque`.
    #[serde(default)]
    access_token_type: Option<String>,
    /// `RS256` (default: every client supports it), `ES256` or `EdDSA`.
    #[serde(default)]
    #[schema(pattern = "^(RS256|ES256|EdDSA)$")]
    id_token_signing_alg: Option<String>,
    /// `ES256` (default), `RS256` or `EdDSA`, for JWT access tokens.
    #[serde(default)]
    #[schema(pattern = "^(RS256|ES256|EdDSA)$")]
    access_token_signing_alg: Option<String>,
    /// Authorization requests only by PAR (RFC 9126): pushed to the PAR endpoint first, then
    /// named by their `request_uri`. Default false.
    #[serde(default)]
    require_pushed_authorization_requests: bool,
    /// For `private_key_jwt`: where the app publishes its keys (a JWKS, https), read when an
    /// assertion comes, beside the keys added under `/keys`.
    #[serde(default)]
    jwks_uri: Option<String>,
    /// Where the app takes logout tokens (OpenID Connect Back-Channel Logout, https) when a
    /// session it logged in through ends.
    #[serde(default)]
    backchannel_logout_uri: Option<String>,
    /// Whether the app's logout tokens must name the session (`sid`, which they always do).
    /// Default false.
    #[serde(default)]
    backchannel_logout_session_required: bool,
}

impl From<AppBody> for AppSettings {
    fn from(b: AppBody) -> Self {
        AppSettings {
            name: b.name,
            redirect_uris: b.redirect_uris,
            post_logout_redirect_uris: b.post_logout_redirect_uris,
            grant_types: b.grant_types,
            response_types: b.response_types,
            auth_method: b.auth_method,
            access_token_type: b.access_token_type,
            id_token_signing_alg: b.id_token_signing_alg,
            access_token_signing_alg: b.access_token_signing_alg,
            require_pushed_authorization_requests: b.require_pushed_authorization_requests,
            jwks_uri: b.jwks_uri,
            backchannel_logout_uri: b.backchannel_logout_uri,
            backchannel_logout_session_required: b.backchannel_logout_session_required,
        }
    }
}

/// Adds an OIDC app. `project.app.write` on the project.
#[utoipa::path(post, path = "/v1/projects/{id}/apps/oidc", tag = "apps", params(("id" = String, Path)),
    request_body = AppBody,
    responses((status = 201, body = CreatedAppView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.write"))))]
async fn create_app(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<AppBody>,
) -> Result<HttpResponse> {
    let app = apps::create(&gw, &auth, &id, body.into_inner().into()).await?;
    Ok(HttpResponse::Created().json(app))
}

/// The project's apps. `project.app.read` on the project.
#[utoipa::path(get, path = "/v1/projects/{id}/apps", tag = "apps", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<AppView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.read"))))]
async fn list_apps(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(apps::list(&gw, &auth, &id, q.into_inner()).await?))
}

/// An app. `project.app.read` on the project.
#[utoipa::path(get, path = "/v1/projects/{id}/apps/{app_id}", tag = "apps",
    params(("id" = String, Path), ("app_id" = String, Path)),
    responses((status = 200, body = AppView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.read"))))]
async fn get_app(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, app_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(apps::get(&gw, &auth, &id, &app_id).await?))
}

/// Replaces an app's configuration (the auth method stays secret-based or not).
/// `project.app.write` on the project.
#[utoipa::path(patch, path = "/v1/projects/{id}/apps/{app_id}", tag = "apps",
    params(("id" = String, Path), ("app_id" = String, Path)), request_body = AppBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.write"))))]
async fn update_app(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<AppBody>,
) -> Result<HttpResponse> {
    let (id, app_id) = path.into_inner();
    let reply = apps::update(&gw, &auth, &id, &app_id, body.into_inner().into()).await?;
    Ok(respond(reply, false))
}

/// Removes an app. `project.app.delete` on the project.
#[utoipa::path(delete, path = "/v1/projects/{id}/apps/{app_id}", tag = "apps",
    params(("id" = String, Path), ("app_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.delete"))))]
async fn delete_app(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, app_id) = path.into_inner();
    Ok(respond(
        apps::delete(&gw, &auth, &id, &app_id).await?,
        false,
    ))
}

/// A new client secret for the app; the old one stops working. `project.app.write` on the
/// project.
#[utoipa::path(post, path = "/v1/projects/{id}/apps/{app_id}/secret", tag = "apps",
    params(("id" = String, Path), ("app_id" = String, Path)),
    responses((status = 201, body = CreatedAppView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.write"))))]
async fn rotate_secret(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, app_id) = path.into_inner();
    let app = apps::rotate_secret(&gw, &auth, &id, &app_id).await?;
    Ok(HttpResponse::Created().json(app))
}
