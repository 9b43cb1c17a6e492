//! OIDC applications of a project, with client-secret rotation.

use authz::Permission;
use command::NewApp;
use domain::app::{AccessTokenType, AuthMethod, GrantType, OidcConfig, ResponseType, Signing};
use domain::project::ProjectCommand;
use domain::{Code, Error};
use serde::Serialize;

use super::projects::authorized_project;
use super::reply;
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{AppView, CreatedAppView, ListParams, PageView, WriteReply};
use crate::Gateway;

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

pub(crate) fn names<T: Serialize>(values: &[T]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| serde_json::to_value(v).ok()?.as_str().map(str::to_string))
        .collect()
}

/// An app's settings as a client sends them: names, checked here.
pub struct AppSettings {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Default `[authorization_code]`.
    pub grant_types: Option<Vec<String>>,
    /// Default `[code]`.
    pub response_types: Option<Vec<String>>,
    pub auth_method: String,
    /// Default `jwt`.
    pub access_token_type: Option<String>,
    pub id_token_signing_alg: Option<String>,
    pub access_token_signing_alg: Option<String>,
    /// Authorization requests only by PAR; default false.
    pub require_pushed_authorization_requests: bool,
    pub jwks_uri: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
}

impl AppSettings {
    /// The signing choice, validated (before anything is written).
    fn signing(&self) -> Result<Signing, Error> {
        let d = Signing::default();
        domain::app::signing(&Signing {
            id_token_alg: self.id_token_signing_alg.clone().unwrap_or(d.id_token_alg),
            access_token_alg: self
                .access_token_signing_alg
                .clone()
                .unwrap_or(d.access_token_alg),
        })
    }

    fn config(self) -> Result<OidcConfig, Error> {
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
            require_par: self.require_pushed_authorization_requests,
            jwks_uri: self.jwks_uri,
            backchannel_logout_uri: self.backchannel_logout_uri,
            backchannel_logout_session_required: self.backchannel_logout_session_required,
        })
    }
}

/// What a new app (or a new secret) answers: the secret is shown once.
fn created(app: NewApp) -> CreatedAppView {
    CreatedAppView {
        id: app.app_id,
        client_id: app.client_id,
        client_secret: app.client_secret,
        sequence: app.written.sequence,
        position: app.written.position.to_string(),
    }
}

/// Adds an OIDC app. `project.app.write` on the project.
pub async fn create(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    body: AppSettings,
) -> Result<CreatedAppView, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_WRITE).await?;
    let signing = body.signing()?;
    let config = body.config()?;
    let mut app = gw
        .bus
        .add_app(&auth.caller, &auth.instance, id, config)
        .await?;
    if signing != Signing::default() {
        let cmd = ProjectCommand::SetAppSigning {
            app_id: app.app_id.clone(),
            signing,
        };
        app.written = gw
            .bus
            .change_project(&auth.caller, &auth.instance, id, cmd, None)
            .await?;
    }
    Ok(created(app))
}

/// The project's apps, by id. `project.app.read` on the project.
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    q: ListParams,
) -> Result<PageView<AppView>, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_READ).await?;
    let (instance, project) = (auth.instance.clone(), id.to_string());
    let apps = read(gw, move |m| m.apps(&instance, &project)).await?;
    PageView::paged(apps.into_iter().map(AppView::from).collect(), &q, |a| {
        a.id.clone()
    })
}

/// An app. `project.app.read` on the project.
pub async fn get(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    app_id: &str,
) -> Result<AppView, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_READ).await?;
    let (instance, project, a) = (auth.instance.clone(), id.to_string(), app_id.to_string());
    let app = read(gw, move |m| m.app(&instance, &project, &a))
        .await?
        .ok_or_else(|| {
            Error::new(Code::AppNotFound, format!("no app {app_id}")).with("app_id", app_id)
        })?;
    Ok(AppView::from(app))
}

/// Replaces an app's configuration. `project.app.write` on the project.
pub async fn update(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    app_id: &str,
    body: AppSettings,
) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_WRITE).await?;
    let signing = body.signing()?;
    let cmd = ProjectCommand::UpdateApp {
        app_id: app_id.to_string(),
        config: body.config()?,
    };
    let mut w = gw
        .bus
        .change_project(&auth.caller, &auth.instance, id, cmd, auth.if_match)
        .await?;
    let cmd = ProjectCommand::SetAppSigning {
        app_id: app_id.to_string(),
        signing,
    };
    w = gw
        .bus
        .change_project(&auth.caller, &auth.instance, id, cmd, None)
        .await?
        .max_of(&w);
    Ok(reply(None, w))
}

/// Removes an app. `project.app.delete` on the project.
pub async fn delete(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    app_id: &str,
) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_DELETE).await?;
    let w = gw
        .bus
        .remove_app(&auth.caller, &auth.instance, id, app_id)
        .await?;
    Ok(reply(None, w))
}

/// A new client secret for the app; the old one stops working. `project.app.write`.
pub async fn rotate_secret(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    app_id: &str,
) -> Result<CreatedAppView, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_WRITE).await?;
    let app = gw
        .bus
        .rotate_app_secret(&auth.caller, &auth.instance, id, app_id)
        .await?;
    Ok(created(app))
}
