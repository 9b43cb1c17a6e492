//! The system API: instances (tenants). Only system memberships (SYSTEM_*) reach it.

use authz::{Permission, Requirement, Target};
use command::CreateInstance;
use domain::{authorize, Access, Code, Error};

use super::reply;
use crate::auth::SystemCaller;
use crate::reads::read;
use crate::views::{
    limit, CreatedInstanceView, InstanceView, ListParams, PageView, RotatedView, WriteReply,
};
use crate::Gateway;

fn check(gw: &Gateway, who: &SystemCaller, perm: Permission) -> Result<(), Error> {
    authorize(
        &gw.authz,
        &who.caller,
        Access::Check(Requirement::plain(perm), Target::System),
    )
}

fn not_found(id: &str) -> Error {
    Error::new(Code::InstanceNotFound, format!("no instance {id}")).with("instance_id", id)
}

/// Creates an instance with its org `Default` and its admins. `system.instance.write`.
pub async fn create_instance(
    gw: &Gateway,
    who: &SystemCaller,
    input: CreateInstance,
) -> Result<CreatedInstanceView, Error> {
    check(gw, who, Permission::SYSTEM_INSTANCE_WRITE)?;
    let created = gw.bus.create_instance(&who.caller, input).await?;
    Ok(CreatedInstanceView {
        id: created.instance_id,
        admin_user_id: created.admin_user_id,
        admin_pat: created.admin_pat,
        sequence: created.written.sequence,
        position: created.written.position.to_string(),
    })
}

/// Every instance, by id. `system.instance.read`.
pub async fn list_instances(
    gw: &Gateway,
    who: &SystemCaller,
    q: ListParams,
) -> Result<PageView<InstanceView>, Error> {
    check(gw, who, Permission::SYSTEM_INSTANCE_READ)?;
    let limit = limit(q.limit)?;
    let page = read(gw, move |m| m.list_instances(limit, q.cursor.as_deref())).await?;
    Ok(PageView::of(page, InstanceView::from))
}

/// An instance. `system.instance.read`.
pub async fn get_instance(
    gw: &Gateway,
    who: &SystemCaller,
    id: &str,
) -> Result<InstanceView, Error> {
    check(gw, who, Permission::SYSTEM_INSTANCE_READ)?;
    let i = id.to_string();
    let instance = read(gw, move |m| m.instance(&i))
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(InstanceView::from(instance))
}

/// Removes an instance and frees its domains. `system.instance.delete`.
pub async fn delete_instance(
    gw: &Gateway,
    who: &SystemCaller,
    id: &str,
) -> Result<WriteReply, Error> {
    check(gw, who, Permission::SYSTEM_INSTANCE_DELETE)?;
    let w = gw.bus.remove_instance(&who.caller, id).await?;
    Ok(reply(None, w))
}

/// One step of a signing-key rotation. `system.instance.write`.
pub async fn rotate_keys(
    gw: &Gateway,
    who: &SystemCaller,
    id: &str,
    alg: Option<&str>,
) -> Result<RotatedView, Error> {
    check(gw, who, Permission::SYSTEM_INSTANCE_WRITE)?;
    let i = id.to_string();
    if read(gw, move |m| m.instance(&i)).await?.is_none() {
        return Err(not_found(id));
    }
    // Retired keys stay published as long as an ID token they signed may live.
    let keep = crate::oidc::tokens::ID_TTL_SECS * 1000;
    let position = gw
        .bus
        .rotate_signing_key(id, alg.unwrap_or("RS256"), keep)
        .await?;
    Ok(RotatedView {
        position: position.to_string(),
    })
}
