//! The external identities a user logs in as: listed (`user.read`, or the user themself) and
//! unlinked (`user.write`, or the user themself).

use authz::UserOp;
use domain::Error;

use super::users::authorized_user;
use crate::auth::Authenticated;
use crate::views::idps::IdpLinkView;
use crate::views::{ListParams, PageView, WriteReply};
use crate::Gateway;

pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    user_id: &str,
    q: ListParams,
) -> Result<PageView<IdpLinkView>, Error> {
    authorized_user(gw, auth, user_id, UserOp::Read).await?;
    let user = gw.bus.user(&auth.instance, user_id).await?;
    let items = user.idp_links.values().map(IdpLinkView::from).collect();
    PageView::paged(items, &q, |l| format!("{}/{}", l.idp_id, l.external_id))
}

pub async fn unlink(
    gw: &Gateway,
    auth: &Authenticated,
    user_id: &str,
    idp_id: &str,
    external_id: &str,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, user_id, UserOp::ManageIdpLinks).await?;
    let w = gw
        .bus
        .unlink_idp(&auth.caller, &auth.instance, user_id, idp_id, external_id)
        .await?;
    Ok(super::reply(None, w))
}
