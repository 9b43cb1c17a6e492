//! Keys of machine users (`user.write`, never on oneself, no escalation) and of
//! `private_key_jwt` apps (`project.app.write`; read with `project.app.read`). A key generated
//! here comes back once as a key file; the list shows public facts only.

use authz::{Permission, UserOp};
use command::NewMachineKey;
use domain::{Code, Error};

use super::projects::authorized_project;
use super::users::authorized_user;
use crate::auth::Authenticated;
use crate::views::machine_keys::{CreatedKeyView, KeyFileView, MachineKeyView};
use crate::views::{ListParams, PageView};
use crate::Gateway;

/// What a new key is: its expiry (unix ms) and the PEM public key, if uploaded.
pub struct KeyInput<'a> {
    pub expires_at: Option<i64>,
    pub public_key: Option<&'a str>,
}

fn created(new: NewMachineKey, file: impl FnOnce(String, String) -> KeyFileView) -> CreatedKeyView {
    CreatedKeyView {
        id: new.key_id.clone(),
        key_file: new.private_key.map(|key| file(new.key_id, key)),
        sequence: new.written.sequence,
        position: new.written.position.to_string(),
    }
}

fn page(
    keys: &domain::machine_keys::MachineKeys,
    q: &ListParams,
) -> Result<PageView<MachineKeyView>, Error> {
    let items = keys
        .iter()
        .map(|(id, k)| MachineKeyView::of(id, k))
        .collect();
    PageView::paged(items, q, |k| k.id.clone())
}

pub async fn add_user_key(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    input: KeyInput<'_>,
) -> Result<CreatedKeyView, Error> {
    authorized_user(gw, auth, id, UserOp::ManagePersonalAccessTokens).await?;
    let new = gw
        .bus
        .add_machine_key(
            &auth.caller,
            &auth.instance,
            id,
            input.expires_at,
            input.public_key,
        )
        .await?;
    Ok(created(new, |key_id, key| KeyFileView {
        kind: "serviceaccount",
        key_id,
        key,
        user_id: Some(id.into()),
        app_id: None,
        client_id: None,
    }))
}

pub async fn list_user_keys(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    q: ListParams,
) -> Result<PageView<MachineKeyView>, Error> {
    authorized_user(gw, auth, id, UserOp::ManagePersonalAccessTokens).await?;
    page(&gw.bus.user(&auth.instance, id).await?.machine_keys, &q)
}

pub async fn remove_user_key(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    key_id: &str,
) -> Result<crate::views::WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::ManagePersonalAccessTokens).await?;
    let w = gw
        .bus
        .remove_machine_key(&auth.caller, &auth.instance, id, key_id)
        .await?;
    Ok(super::reply(None, w))
}

pub async fn add_app_key(
    gw: &Gateway,
    auth: &Authenticated,
    project_id: &str,
    app_id: &str,
    input: KeyInput<'_>,
) -> Result<CreatedKeyView, Error> {
    authorized_project(gw, auth, project_id, Permission::PROJECT_APP_WRITE).await?;
    let new = gw
        .bus
        .add_app_key(
            &auth.caller,
            &auth.instance,
            project_id,
            app_id,
            input.expires_at,
            input.public_key,
        )
        .await?;
    let project = gw.bus.project(&auth.instance, project_id).await?;
    let client_id = project.apps.get(app_id).map(|a| a.client_id.clone());
    Ok(created(new, |key_id, key| KeyFileView {
        kind: "application",
        key_id,
        key,
        user_id: None,
        app_id: Some(app_id.into()),
        client_id,
    }))
}

pub async fn list_app_keys(
    gw: &Gateway,
    auth: &Authenticated,
    project_id: &str,
    app_id: &str,
    q: ListParams,
) -> Result<PageView<MachineKeyView>, Error> {
    authorized_project(gw, auth, project_id, Permission::PROJECT_APP_READ).await?;
    let project = gw.bus.project(&auth.instance, project_id).await?;
    let app = project.apps.get(app_id).ok_or_else(|| {
        Error::new(Code::AppNotFound, format!("no app {app_id}")).with("app_id", app_id)
    })?;
    page(&app.keys, &q)
}

pub async fn remove_app_key(
    gw: &Gateway,
    auth: &Authenticated,
    project_id: &str,
    app_id: &str,
    key_id: &str,
) -> Result<crate::views::WriteReply, Error> {
    authorized_project(gw, auth, project_id, Permission::PROJECT_APP_WRITE).await?;
    let w = gw
        .bus
        .remove_app_key(&auth.caller, &auth.instance, project_id, app_id, key_id)
        .await?;
    Ok(super::reply(None, w))
}
