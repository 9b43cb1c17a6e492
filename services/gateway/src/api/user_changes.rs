//! Changes of a user: profile, email, phone, password, state, metadata, machine secret. Each
//! is a `UserChange` whose `UserOp` says the permission and the self-management rule.

use authz::UserOp;
use command::PasswordChange;
use domain::user::UserChange;
use domain::{Code, Error};

use super::reply;
use super::users::authorized_user;
use crate::auth::Authenticated;
use crate::limits::Subject;
use crate::reads::read;
use crate::views::{ListParams, PageView, SecretView, WriteReply};
use crate::Gateway;

/// The gateway's cheap check of the change, then the change (the actor checks again).
pub async fn change(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    change: UserChange,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, change.op()).await?;
    let w = gw
        .bus
        .change_user(&auth.caller, &auth.instance, id, change, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

/// Sets a human's password. `user.credential.write`; a user may change their own with the
/// current password.
pub async fn change_password(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    change: PasswordChange,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::ChangePassword).await?;
    // A current password is a credential check: one who holds a stolen token must not guess
    // it at leisure.
    let account = format!("user-id:{id}");
    let who = Subject {
        ip: auth.client_ip,
        instance: &auth.instance,
        account: Some(&account),
    };
    let checks_current = change.current_password.is_some();
    if checks_current {
        gw.limits.check(&who)?;
    }
    let w = gw
        .bus
        .change_password(&auth.caller, &auth.instance, id, change, auth.if_match)
        .await
        .inspect_err(|e| {
            if checks_current && e.code == Code::CurrentPasswordMismatch {
                gw.limits.failed(&who);
            }
        })?;
    Ok(reply(None, w))
}

/// One metadata entry.
pub struct MetadataEntry {
    pub key: String,
    pub value: Vec<u8>,
}

/// A user's metadata, by key. `user.read` on the user's org, also on oneself.
pub async fn list_metadata(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    q: ListParams,
) -> Result<PageView<MetadataEntry>, Error> {
    authorized_user(gw, auth, id, UserOp::ReadMetadata).await?;
    let (instance, user) = (auth.instance.clone(), id.to_string());
    let items = read(gw, move |m| m.metadata(&instance, &user)).await?;
    PageView::paged(
        items
            .into_iter()
            .map(|(key, value)| MetadataEntry { key, value })
            .collect(),
        &q,
        |m| m.key.clone(),
    )
}

/// Gives a machine user a new client secret, replacing the old one. `user.write`, never on
/// oneself.
pub async fn new_secret(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<SecretView, Error> {
    authorized_user(gw, auth, id, UserOp::ManagePersonalAccessTokens).await?;
    let s = gw
        .bus
        .new_machine_secret(&auth.caller, &auth.instance, id)
        .await?;
    Ok(SecretView {
        client_id: s.client_id,
        client_secret: s.client_secret,
        sequence: s.written.sequence,
        position: s.written.position.to_string(),
    })
}
