//! Users: create (human, machine), read, list, `me`, delete.

use authz::{Target, UserOp};
use command::HumanInput;
use domain::user::UserCommand;
use domain::{authorize, Access, Code, Error};
use readmodel::{UserFilter, UserRow};

use super::{new_id, reply};
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{limit, PageView, UserView, WriteReply};
use crate::Gateway;

fn user_not_found(id: &str) -> Error {
    Error::new(Code::UserNotFound, format!("no user {id}")).with("user_id", id)
}

/// The user `id` of the caller's instance, if the caller may do `op` on it: the cheap check
/// against the user's org as the read model knows it (the actor checks again against its own
/// state).
pub(crate) async fn authorized_user(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    op: UserOp,
) -> Result<UserRow, Error> {
    let (instance, user_id) = (auth.instance.clone(), id.to_string());
    let user = read(gw, move |m| m.user(&instance, &user_id))
        .await?
        .ok_or_else(|| user_not_found(id))?;
    let target = Target::User {
        instance: &auth.instance,
        org: &user.org_id,
        user: &user.id,
    };
    authorize(
        &gw.authz,
        &auth.caller,
        Access::Check(op.requirement(), target),
    )?;
    Ok(user)
}

/// The caller themself. Any authenticated caller.
pub async fn me(gw: &Gateway, auth: &Authenticated) -> Result<UserView, Error> {
    let (instance, id) = (auth.instance.clone(), auth.principal.user.clone());
    let user = read(gw, move |m| m.user(&instance, &id))
        .await?
        .ok_or_else(|| user_not_found(&auth.principal.user))?;
    Ok(UserView::from(user))
}

/// A user. `user.read` on the user's org; a user may read themself.
pub async fn get(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<UserView, Error> {
    Ok(UserView::from(
        authorized_user(gw, auth, id, UserOp::Read).await?,
    ))
}

/// What a list of users asks for.
pub struct ListUsers {
    pub filter: UserFilter,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// Users the caller may read, by id: only users of the orgs where the caller has `user.read`
/// (and the caller themself), filtered in the query. A login name with `user.global.read`
/// finds users of any org; the start of a login name searches only the orgs the caller may
/// read (nobody browses other orgs' users), in login-name order.
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    q: ListUsers,
) -> Result<PageView<UserView>, Error> {
    let limit = limit(q.limit)?;
    if let Some(prefix) = &q.filter.username_prefix {
        let bad = |why: &str| {
            Error::new(Code::InvalidQuery, format!("username_prefix {why}"))
                .with("field", "username_prefix")
        };
        if q.filter.username.is_some() {
            return Err(bad("and username do not go together: send one"));
        }
        if prefix.is_empty() || prefix.chars().count() > domain::validate::MAX_NAME {
            return Err(bad("must be 1 to 200 characters"));
        }
    }
    let global = q.filter.username.is_some()
        && gw
            .authz
            .may_find_by_login_name(&auth.caller, &auth.instance)
            .is_allowed();
    let scope = if global {
        authz::ReadScope::Instance
    } else {
        gw.authz
            .readable_scope(&auth.caller, UserOp::Read.requirement(), &auth.instance)
    };
    let instance = auth.instance.clone();
    let page = read(gw, move |m| {
        m.list_users(&instance, &scope, &q.filter, limit, q.cursor.as_deref())
    })
    .await?;
    Ok(PageView::of(page, UserView::from))
}

/// Deletes a user and frees its login name. `user.delete` on the user's org; on oneself
/// `user.delete` or `user.self.delete`.
pub async fn delete(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::Delete).await?;
    let w = gw
        .bus
        .remove_user(&auth.caller, &auth.instance, id, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

/// Creates a human user. `user.write` on the org (checked before the login name is claimed,
/// then by the user's actor).
pub async fn create_human(
    gw: &Gateway,
    auth: &Authenticated,
    input: HumanInput,
) -> Result<WriteReply, Error> {
    let id = new_id();
    let w = gw
        .bus
        .create_human(&auth.caller, &auth.instance, &id, input)
        .await?;
    Ok(reply(Some(id), w))
}

/// What a machine user is created with.
pub struct NewMachine {
    pub org_id: String,
    pub username: String,
    pub name: String,
    pub description: String,
}

/// Creates a machine user. `user.write` on the org.
pub async fn create_machine(
    gw: &Gateway,
    auth: &Authenticated,
    m: NewMachine,
) -> Result<WriteReply, Error> {
    let id = new_id();
    let cmd = UserCommand::AddMachine {
        org_id: m.org_id,
        username: m.username,
        name: m.name,
        description: m.description,
    };
    let w = gw
        .bus
        .create_user(&auth.caller, &auth.instance, &id, cmd)
        .await?;
    Ok(reply(Some(id), w))
}
