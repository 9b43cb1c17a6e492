//! SAML apps of a project: an SP registered by its metadata (the XML, or a URL it is read
//! from through the limits of calls to admin-configured endpoints), listed, changed (new
//! metadata for the same entity id) and removed like the OIDC apps.

use authz::Permission;
use domain::saml::{NameIdFormat, SamlConfig};
use domain::{Code, Error};

use super::projects::authorized_project;
use super::reply;
use crate::auth::Authenticated;
use crate::saml::sp_metadata::config_of;
use crate::views::saml_apps::{CreatedSamlAppView, SamlAppView};
use crate::views::{ListParams, PageView, WriteReply};
use crate::Gateway;

/// A SAML app as a client sends it.
pub struct SamlAppSettings {
    pub name: String,
    pub metadata_xml: Option<String>,
    pub metadata_url: Option<String>,
    pub idp_initiated: bool,
    /// Encrypt the assertions to the SP's encryption key (from its metadata).
    pub encrypt_assertions: bool,
    /// `persistent`, `email` or `unspecified`; default: what the metadata asks for, else
    /// `persistent`.
    pub name_id_format: Option<String>,
}

fn invalid(field: &str, why: impl Into<String>) -> Error {
    Error::new(Code::InvalidSamlConfig, why).with("field", field)
}

impl SamlAppSettings {
    /// The configuration the settings describe (the metadata read and parsed).
    async fn config(self, gw: &Gateway) -> Result<SamlConfig, Error> {
        let xml = match (self.metadata_xml, &self.metadata_url) {
            (Some(xml), None) => xml,
            (None, Some(url)) => crate::saml::fetch::metadata(gw, url)
                .await
                .map_err(|why| invalid("metadata_url", why))?,
            _ => {
                return Err(invalid(
                    "metadata_xml",
                    "give the SP's metadata as metadata_xml or metadata_url (one of them)",
                ))
            }
        };
        let mut config = config_of(&self.name, &xml, self.metadata_url, self.encrypt_assertions)?;
        config.idp_initiated = self.idp_initiated;
        if let Some(f) = self.name_id_format {
            config.name_id_format = match f.as_str() {
                "persistent" => NameIdFormat::Persistent,
                "email" => NameIdFormat::Email,
                "unspecified" => NameIdFormat::Unspecified,
                _ => {
                    return Err(invalid(
                        "name_id_format",
                        format!("{f:?} is not persistent, email or unspecified"),
                    ))
                }
            };
        }
        Ok(config)
    }
}

/// Adds a SAML app. `project.app.write` on the project.
pub async fn create(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    settings: SamlAppSettings,
) -> Result<CreatedSamlAppView, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_WRITE).await?;
    let config = settings.config(gw).await?;
    let entity_id = config.entity_id.clone();
    let (w, app_id) = gw
        .bus
        .add_saml_app(&auth.caller, &auth.instance, id, config)
        .await?;
    Ok(CreatedSamlAppView {
        id: app_id,
        entity_id,
        sequence: w.sequence,
        position: w.position.to_string(),
    })
}

/// The project's SAML apps, by id. `project.app.read` on the project.
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    params: ListParams,
) -> Result<PageView<SamlAppView>, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_READ).await?;
    let apps = gw.bus.saml_apps(&auth.instance, id).await?;
    let views = apps
        .into_iter()
        .map(|(id, c)| SamlAppView::new(id, c))
        .collect();
    PageView::paged(views, &params, |a| a.id.clone())
}

/// A SAML app. `project.app.read` on the project.
pub async fn get(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    app_id: &str,
) -> Result<SamlAppView, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_READ).await?;
    let mut apps = gw.bus.saml_apps(&auth.instance, id).await?;
    let config = apps.remove(app_id).ok_or_else(|| {
        Error::new(
            Code::AppNotFound,
            format!("the project has no SAML app {app_id}"),
        )
        .with("app_id", app_id)
    })?;
    Ok(SamlAppView::new(app_id.to_string(), config))
}

/// New metadata for a SAML app (the same entity id). `project.app.write` on the project.
pub async fn update(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    app_id: &str,
    settings: SamlAppSettings,
) -> Result<WriteReply, Error> {
    authorized_project(gw, auth, id, Permission::PROJECT_APP_WRITE).await?;
    let config = settings.config(gw).await?;
    let cmd = domain::project::ProjectCommand::UpdateSamlApp {
        app_id: app_id.to_string(),
        config,
    };
    let w = gw
        .bus
        .change_project(&auth.caller, &auth.instance, id, cmd, None)
        .await?;
    Ok(reply(None, w))
}
