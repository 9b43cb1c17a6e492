//! Personal access tokens of a user. `user.write` on the user's org, never on oneself.

use authz::UserOp;
use domain::Error;

use super::reply;
use super::users::authorized_user;
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{CreatedPatView, ListParams, PageView, PatView, WriteReply};
use crate::Gateway;

/// Creates a token (expiring at `expires_at`, unix ms, if given).
pub async fn create(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    expires_at: Option<i64>,
) -> Result<CreatedPatView, Error> {
    authorized_user(gw, auth, id, UserOp::ManagePersonalAccessTokens).await?;
    let pat = gw
        .bus
        .add_pat(&auth.caller, &auth.instance, id, expires_at)
        .await?;
    Ok(CreatedPatView {
        id: pat.pat_id,
        token: pat.token,
        sequence: pat.written.sequence,
        position: pat.written.position.to_string(),
    })
}

/// A user's tokens (ids and expiry, never the tokens).
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    q: ListParams,
) -> Result<PageView<PatView>, Error> {
    authorized_user(gw, auth, id, UserOp::ManagePersonalAccessTokens).await?;
    let (instance, user) = (auth.instance.clone(), id.to_string());
    let pats = read(gw, move |m| m.pats(&instance, &user)).await?;
    PageView::paged(
        pats.into_iter()
            .map(|(id, expires_at)| PatView { id, expires_at })
            .collect(),
        &q,
        |p| p.id.clone(),
    )
}

/// Revokes a token.
pub async fn revoke(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    pat_id: &str,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::ManagePersonalAccessTokens).await?;
    let w = gw
        .bus
        .remove_pat(&auth.caller, &auth.instance, id, pat_id, auth.if_match)
        .await?;
    Ok(reply(None, w))
}
