//! Domain discovery at the hosted login: where the login's settings ask for it, a login name
//! `x@example.com` goes to the org that verified `example.com`, whose login settings then
//! apply: its password login, or straight to its identity provider when it allows no
//! passwords.

use command::IdpOwner;
use domain::oidc::PendingAuthRequest;
use domain::org_domain::of_login_name;

use super::idp_login::START;
use super::login::org_of_login;
use crate::Gateway;

/// The org a login name's domain sends the login to, if the login's settings ask for domain
/// discovery and an org of the instance verified that domain.
pub(super) async fn discovered(
    gw: &Gateway,
    instance: &str,
    request: &PendingAuthRequest,
    login_name: &str,
) -> Option<String> {
    let domain = of_login_name(login_name)?;
    let app_org = org_of_login(gw, instance, request).await;
    let (own, org) = gw
        .bus
        .settings_maps(instance, app_org.as_deref())
        .await
        .ok()?;
    if !domain::settings::login(org.as_ref(), &own).domain_discovery {
        return None;
    }
    match gw.bus.org_of_domain(instance, &domain).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(instance, %domain, error = %e, "domain discovery could not read the domain's org");
            None
        }
    }
}

/// Where a discovered org's login goes.
pub(super) enum Route {
    /// The org allows passwords: the password is checked as usual.
    Password,
    /// The org allows no passwords: to its identity provider (the link).
    Idp(String),
    /// The org allows no passwords and has no identity provider.
    Nowhere,
}

/// Where the login of `login_name` in `org` goes, by the org's login settings.
pub(super) async fn route(
    gw: &Gateway,
    instance: &str,
    org: &str,
    auth_request: &str,
    login_name: &str,
) -> Route {
    let Ok((own, org_settings)) = gw.bus.settings_maps(instance, Some(org)).await else {
        return Route::Password;
    };
    let login = domain::settings::login(org_settings.as_ref(), &own);
    if login.allow_username_password {
        return Route::Password;
    }
    if !login.allow_external_idp {
        return Route::Nowhere;
    }
    let Ok((idps, _)) = gw.bus.idps(instance, IdpOwner::Org(org)).await else {
        return Route::Nowhere;
    };
    let Some(idp) = idps.keys().next() else {
        return Route::Nowhere;
    };
    let encode = |v: &str| -> String { form_urlencoded::byte_serialize(v.as_bytes()).collect() };
    Route::Idp(format!(
        "{START}?authRequest={}&idp={}&discovered={}",
        encode(auth_request),
        encode(idp),
        encode(login_name)
    ))
}
