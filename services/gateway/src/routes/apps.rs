//! OIDC applications of a project, with client-secret rotation.

use actix_web::{web, HttpResponse};
use domain::app::{AccessTokenType, AuthMethod, GrantType, OidcConfig, ResponseType, Signing};
use domain::project::ProjectCommand;
use domain::{Code, Error};
use readmodel::AppRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::projects::authorized_project;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::reads::read;
use crate::views::{written, ErrorBody, ListParams, PageView, WriteReply};
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

/// Parses a list of names into their enum, naming the field and the value that is wrong.
fn parse<T: serde::de::DeserializeOwned>(
    field: &str,
    values: &[String],
) -> std::result::Result<Vec<T>, Error> {
    values
        .iter()
        .map(|v| {
            serde_json::from_value(serde_json::Value::String(v.clone())).map_err(|_| {
                Error::new(
                    Code::InvalidAppConfig,
                    format!("{v:?} is not a valid {field} value"),
                )
                .with("field", field)
            })
        })
        .collect()
}

fn one<T: serde::de::DeserializeOwned>(field: &str, value: &str) -> std::result::Result<T, Error> {
    Ok(parse::<T>(field, &[value.to_string()])?.remove(0))
}

fn names<T: Serialize>(values: &[T]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| serde_json::to_value(v).ok()?.as_str().map(str::to_string))
        .collect()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AppBody {
    name: String,
    /// Matched exactly at the authorization endpoint; https (http only on localhost).
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    /// `authorization_code` (required) and `refresh_token`; default `[authorization_code]`.
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    /// `code`; default `[code]`.
    #[serde(default)]
    response_types: Option<Vec<String>>,
    /// `client_secret_basic`, `client_secret_post`, `private_key_jwt` or `none` (public
    /// client, PKCE required).
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
}

impl AppBody {
    /// The signing choice, validated (before anything is written).
    fn signing(&self) -> std::result::Result<Signing, Error> {
        let d = Signing::default();
        domain::app::signing(&Signing {
            id_token_alg: self.id_token_signing_alg.clone().unwrap_or(d.id_token_alg),
            access_token_alg: self
                .access_token_signing_alg
                .clone()
                .unwrap_or(d.access_token_alg),
        })
    }

    fn config(self) -> std::result::Result<OidcConfig, Error> {
        Ok(OidcConfig {
            name: self.name,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            grant_types: match self.grant_types {
                Some(g) => parse::<GrantType>("grant_types", &g)?,
                None => vec![GrantType::AuthorizationCode],
            },
            response_types: match self.response_types {
                Some(r) => parse::<ResponseType>("response_types", &r)?,
                None => vec![ResponseType::Code],
            },
            auth_method: one::<AuthMethod>("auth_method", &self.auth_method)?,
            access_token_type: match self.access_token_type {
                Some(t) => one::<AccessTokenType>("access_token_type", &t)?,
                None => AccessTokenType::Jwt,
            },
        })
    }
}

#[derive(Serialize, ToSchema)]
struct AppView {
    id: String,
    client_id: String,
    name: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    response_types: Vec<String>,
    auth_method: String,
    access_token_type: String,
    id_token_signing_alg: String,
    access_token_signing_alg: String,
    has_secret: bool,
}

impl From<AppRow> for AppView {
    fn from(a: AppRow) -> Self {
        let c = a.config;
        AppView {
            id: a.id,
            client_id: a.client_id,
            grant_types: names(&c.grant_types),
            response_types: names(&c.response_types),
            auth_method: names(&[c.auth_method]).remove(0),
            access_token_type: names(&[c.access_token_type]).remove(0),
            name: c.name,
            redirect_uris: c.redirect_uris,
            post_logout_redirect_uris: c.post_logout_redirect_uris,
            id_token_signing_alg: a.signing.id_token_alg,
            access_token_signing_alg: a.signing.access_token_alg,
            has_secret: a.has_secret,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct CreatedApp {
    id: String,
    client_id: String,
    /// Shown once (secret-based auth methods only), stored as a hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    sequence: u64,
    position: String,
}

/// Adds an OIDC app. `project.app.write` on the project.
#[utoipa::path(post, path = "/v1/projects/{id}/apps/oidc", tag = "apps", params(("id" = String, Path)),
    request_body = AppBody,
    responses((status = 201, body = CreatedApp), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.write"))))]
async fn create_app(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<AppBody>,
) -> Result<HttpResponse> {
    authorized_project(&gw, &auth, &id, "project.app.write").await?;
    let body = body.into_inner();
    let signing = body.signing()?;
    let config = body.config()?;
    let mut app = gw
        .bus
        .add_app(&auth.caller, &auth.instance, &id, config)
        .await?;
    if signing != Signing::default() {
        let cmd = ProjectCommand::SetAppSigning {
            app_id: app.app_id.clone(),
            signing,
        };
        app.written = gw
            .bus
            .change_project(&auth.caller, &auth.instance, &id, cmd, None)
            .await?;
    }
    Ok(HttpResponse::Created().json(CreatedApp {
        id: app.app_id,
        client_id: app.client_id,
        client_secret: app.client_secret,
        sequence: app.written.sequence,
        position: app.written.position.to_string(),
    }))
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
    authorized_project(&gw, &auth, &id, "project.app.read").await?;
    let (instance, project) = (auth.instance.clone(), id.into_inner());
    let apps = read(&gw, move |m| m.apps(&instance, &project)).await?;
    Ok(HttpResponse::Ok().json(PageView::paged(
        apps.into_iter().map(AppView::from).collect(),
        &q,
        |a| a.id.clone(),
    )?))
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
    authorized_project(&gw, &auth, &id, "project.app.read").await?;
    let (instance, a) = (auth.instance.clone(), app_id.clone());
    let app = read(&gw, move |m| m.app(&instance, &id, &a))
        .await?
        .ok_or_else(|| {
            Error::new(Code::AppNotFound, format!("no app {app_id}"))
                .with("app_id", app_id.as_str())
        })?;
    Ok(HttpResponse::Ok().json(AppView::from(app)))
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
    authorized_project(&gw, &auth, &id, "project.app.write").await?;
    let body = body.into_inner();
    let signing = body.signing()?;
    let cmd = ProjectCommand::UpdateApp {
        app_id: app_id.clone(),
        config: body.config()?,
    };
    let mut w = gw
        .bus
        .change_project(&auth.caller, &auth.instance, &id, cmd, auth.if_match)
        .await?;
    let cmd = ProjectCommand::SetAppSigning { app_id, signing };
    w = gw
        .bus
        .change_project(&auth.caller, &auth.instance, &id, cmd, None)
        .await?
        .max_of(&w);
    Ok(written(None, w, false))
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
    authorized_project(&gw, &auth, &id, "project.app.delete").await?;
    let w = gw
        .bus
        .change_project(
            &auth.caller,
            &auth.instance,
            &id,
            ProjectCommand::RemoveApp { app_id },
            None,
        )
        .await?;
    Ok(written(None, w, false))
}

/// A new client secret for the app; the old one stops working. `project.app.write` on the
/// project.
#[utoipa::path(post, path = "/v1/projects/{id}/apps/{app_id}/secret", tag = "apps",
    params(("id" = String, Path), ("app_id" = String, Path)),
    responses((status = 201, body = CreatedApp), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    extensions(("x-permission" = json!("project.app.write"))))]
async fn rotate_secret(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, app_id) = path.into_inner();
    authorized_project(&gw, &auth, &id, "project.app.write").await?;
    let app = gw
        .bus
        .rotate_app_secret(&auth.caller, &auth.instance, &id, &app_id)
        .await?;
    Ok(HttpResponse::Created().json(CreatedApp {
        id: app.app_id,
        client_id: app.client_id,
        client_secret: app.client_secret,
        sequence: app.written.sequence,
        position: app.written.position.to_string(),
    }))
}
