//! An org's domains: added, verified (by HTTP or DNS), removed (`org.write` on the org) and
//! read (`org.read`).

use authz::Permission;
use domain::org_domain::{held_name, Method};
use domain::{Code, Error};

use super::orgs::org_target;
use super::require;
use crate::auth::Authenticated;
use crate::views::org_domains::OrgDomainView;
use crate::views::{ListParams, PageView};
use crate::Gateway;

fn check(gw: &Gateway, auth: &Authenticated, org_id: &str, p: Permission) -> Result<(), Error> {
    require(gw, auth, p, org_target(auth, org_id))
}

/// The view of an org's domain as it is after `written`.
async fn written_view(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: &str,
    domain: &str,
    written: command::Written,
) -> Result<OrgDomainView, Error> {
    let (domains, _) = gw.bus.org_domains(&auth.instance, org_id).await?;
    let d = domains.get(domain).ok_or_else(|| not_found(domain))?;
    let mut view = OrgDomainView::of(domain, d);
    view.sequence = Some(written.sequence);
    view.position = Some(written.position.to_string());
    Ok(view)
}

fn not_found(domain: &str) -> Error {
    Error::new(
        Code::OrgDomainNotFound,
        format!("the org has no domain {domain}"),
    )
    .with("domain", domain)
}

/// Adds a domain to an org; the answer says how to verify it.
pub async fn add(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: &str,
    domain: &str,
) -> Result<OrgDomainView, Error> {
    check(gw, auth, org_id, Permission::ORG_WRITE)?;
    let (written, domain) = gw
        .bus
        .add_org_domain(&auth.caller, &auth.instance, org_id, domain)
        .await?;
    written_view(gw, auth, org_id, &domain, written).await
}

/// `http` or `dns`.
fn method(value: &str) -> Result<Method, Error> {
    match value {
        "http" => Ok(Method::Http),
        "dns" => Ok(Method::Dns),
        _ => Err(Error::new(
            Code::MalformedBody,
            format!("method {value:?} is not one of http, dns"),
        )
        .with("field", "method")),
    }
}

/// Verifies an org's domain by `method` (`http` or `dns`).
pub async fn verify(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: &str,
    domain: &str,
    method: &str,
) -> Result<OrgDomainView, Error> {
    check(gw, auth, org_id, Permission::ORG_WRITE)?;
    let method = self::method(method)?;
    let domain = held_name(domain);
    let written = gw
        .bus
        .verify_org_domain(&auth.caller, &auth.instance, org_id, &domain, method)
        .await?;
    written_view(gw, auth, org_id, &domain, written).await
}

pub async fn remove(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: &str,
    domain: &str,
) -> Result<command::Written, Error> {
    check(gw, auth, org_id, Permission::ORG_WRITE)?;
    gw.bus
        .remove_org_domain(&auth.caller, &auth.instance, org_id, domain)
        .await
}

pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    org_id: &str,
    q: ListParams,
) -> Result<PageView<OrgDomainView>, Error> {
    check(gw, auth, org_id, Permission::ORG_READ)?;
    let (domains, _) = gw.bus.org_domains(&auth.instance, org_id).await?;
    let items = domains
        .iter()
        .map(|(name, d)| OrgDomainView::of(name, d))
        .collect();
    PageView::paged(items, &q, |v| v.domain.clone())
}
