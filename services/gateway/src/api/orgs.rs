//! The caller's instance and its orgs: create, read, list, rename, delete.

use authz::{Permission, Requirement, Target};
use domain::{Code, Error};

use super::{new_id, reply, require};
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{limit, InstanceView, ListParams, OrgView, PageView, WriteReply};
use crate::Gateway;

pub(crate) fn org_target<'a>(auth: &'a Authenticated, org_id: &'a str) -> Target<'a> {
    Target::Org {
        instance: &auth.instance,
        org: org_id,
    }
}

fn org_not_found(org_id: &str) -> Error {
    Error::new(Code::OrgNotFound, format!("no org {org_id}")).with("org_id", org_id)
}

/// The caller's instance. `iam.read`.
pub async fn my_instance(gw: &Gateway, auth: &Authenticated) -> Result<InstanceView, Error> {
    let target = Target::Instance {
        instance: &auth.instance,
    };
    require(gw, auth, Permission::IAM_READ, target)?;
    let id = auth.instance.clone();
    let instance = read(gw, move |m| m.instance(&id))
        .await?
        .ok_or_else(|| Error::new(Code::InstanceNotFound, "the instance was removed"))?;
    Ok(InstanceView::from(instance))
}

/// Creates an org. `org.create` on the instance (checked before the name is claimed, then by
/// the org's actor).
pub async fn create(gw: &Gateway, auth: &Authenticated, name: &str) -> Result<WriteReply, Error> {
    let id = new_id();
    let w = gw
        .bus
        .create_org(&auth.caller, &auth.instance, &id, name)
        .await?;
    Ok(reply(Some(id), w))
}

/// An org. `org.read` on it.
pub async fn get(gw: &Gateway, auth: &Authenticated, org_id: &str) -> Result<OrgView, Error> {
    require(gw, auth, Permission::ORG_READ, org_target(auth, org_id))?;
    let (instance, id) = (auth.instance.clone(), org_id.to_string());
    let org = read(gw, move |m| m.org(&instance, &id))
        .await?
        .ok_or_else(|| org_not_found(org_id))?;
    Ok(OrgView::from(org))
}

/// Not found unless the org exists (lists of an org's sub-resources).
pub async fn exists(gw: &Gateway, auth: &Authenticated, org_id: &str) -> Result<(), Error> {
    let (instance, id) = (auth.instance.clone(), org_id.to_string());
    match read(gw, move |m| m.org(&instance, &id)).await? {
        Some(_) => Ok(()),
        None => Err(org_not_found(org_id)),
    }
}

/// The orgs the caller may read, by id. `org.read` (only orgs where the caller has it).
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    q: ListParams,
) -> Result<PageView<OrgView>, Error> {
    let limit = limit(q.limit)?;
    let scope = gw.authz.readable_scope(
        &auth.caller,
        Requirement::plain(Permission::ORG_READ),
        &auth.instance,
    );
    let instance = auth.instance.clone();
    let page = read(gw, move |m| {
        m.list_orgs(&instance, &scope, limit, q.cursor.as_deref())
    })
    .await?;
    Ok(PageView::of(page, OrgView::from))
}

/// Renames an org (the old name is free again). `org.write` on it.
pub async fn rename(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: &str,
    name: &str,
) -> Result<WriteReply, Error> {
    require(gw, auth, Permission::ORG_WRITE, org_target(auth, org_id))?;
    let w = gw
        .bus
        .rename_org(&auth.caller, &auth.instance, org_id, name, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

/// Removes an org with everything in it. `org.delete` on it.
pub async fn delete(gw: &Gateway, auth: &Authenticated, org_id: &str) -> Result<WriteReply, Error> {
    require(gw, auth, Permission::ORG_DELETE, org_target(auth, org_id))?;
    let w = gw
        .bus
        .remove_org(&auth.caller, &auth.instance, org_id, auth.if_match)
        .await?;
    Ok(reply(None, w))
}
