//! A user's browser sessions: listed and ended by the user themself or by a caller with
//! `user.write` on the user's org (ending them takes over the user: no-escalation applies).

use authz::UserOp;
use domain::Error;

use super::reply;
use super::users::authorized_user;
use crate::auth::Authenticated;
use crate::views::{ListParams, PageView, SessionView, WriteReply};
use crate::Gateway;

/// The user's live sessions, oldest first.
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    q: ListParams,
) -> Result<PageView<SessionView>, Error> {
    authorized_user(gw, auth, id, UserOp::ManageSessions).await?;
    let sessions = gw.bus.sessions_of(&auth.instance, id).await?;
    PageView::paged(
        sessions.into_iter().map(SessionView::from).collect(),
        &q,
        |s| s.id.clone(),
    )
}

/// Ends one session (`only`) or all of them, with the refresh tokens issued in them.
pub async fn end(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    only: Option<&str>,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::ManageSessions).await?;
    let w = gw
        .bus
        .end_sessions(&auth.caller, &auth.instance, id, only, auth.if_match)
        .await?;
    Ok(reply(None, w))
}
