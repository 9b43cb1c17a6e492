//! Settings of the instance (`iam.policy.read` / `.write`) and of an org (`policy.read` /
//! `.write` / `.delete` on it), kind by kind. A read answers the value in force and where it
//! comes from; an org's value overrides the instance's until it is deleted.

use authz::{Permission, Target};
use domain::settings::{
    self, BrandingSettings, LockoutSettings, LoginSettings, PasswordComplexitySettings,
    PasswordExpirySettings, SecuritySettings, SessionSettings, Settings, SettingsKind, Source,
};
use domain::{Code, Error};

use super::orgs::org_target;
use super::{reply, require};
use crate::auth::Authenticated;
use crate::views::{
    BrandingSettingsView, LockoutSettingsView, LoginSettingsView, PasswordComplexitySettingsView,
    PasswordExpirySettingsView, SecuritySettingsView, SessionSettingsView, SettingsView,
    WriteReply,
};
use crate::Gateway;

/// The gateway's check: `on_org` on the org, or `on_instance` on the instance.
pub(super) fn check(
    gw: &Gateway,
    auth: &Authenticated,
    org: Option<&str>,
    on_org: Permission,
    on_instance: Permission,
) -> Result<(), Error> {
    match org {
        Some(id) => require(gw, auth, on_org, org_target(auth, id)),
        None => {
            let instance = Target::Instance {
                instance: &auth.instance,
            };
            require(gw, auth, on_instance, instance)
        }
    }
}

/// A kind's value in force, for the instance (`org` absent) or an org.
pub async fn get(
    gw: &Gateway,
    auth: &Authenticated,
    org: Option<&str>,
    kind: &str,
) -> Result<SettingsView, Error> {
    let kind = SettingsKind::parse(kind)?;
    check(
        gw,
        auth,
        org,
        Permission::POLICY_READ,
        Permission::IAM_POLICY_READ,
    )?;
    let (own, org) = gw.bus.settings_maps(&auth.instance, org).await?;
    let (value, source) = settings::in_force(kind, org.as_ref(), &own);
    Ok(view(value, source))
}

/// Sets a kind's value of the instance (`org` absent) or of an org.
pub async fn put(
    gw: &Gateway,
    auth: &Authenticated,
    org: Option<&str>,
    value: Settings,
) -> Result<WriteReply, Error> {
    check(
        gw,
        auth,
        org,
        Permission::POLICY_WRITE,
        Permission::IAM_POLICY_WRITE,
    )?;
    let (caller, instance) = (&auth.caller, &auth.instance);
    let w = match org {
        Some(id) => {
            let kind = value.kind();
            gw.bus
                .set_org_settings(caller, instance, id, kind, Some(value), auth.if_match)
                .await?
        }
        None => {
            gw.bus
                .set_instance_settings(caller, instance, value, auth.if_match)
                .await?
        }
    };
    Ok(reply(None, w))
}

/// Returns an org's value of a kind to the instance's.
pub async fn reset(
    gw: &Gateway,
    auth: &Authenticated,
    org: &str,
    kind: &str,
) -> Result<WriteReply, Error> {
    let kind = SettingsKind::parse(kind)?;
    check(
        gw,
        auth,
        Some(org),
        Permission::POLICY_DELETE,
        Permission::IAM_POLICY_DELETE,
    )?;
    let w = gw
        .bus
        .set_org_settings(&auth.caller, &auth.instance, org, kind, None, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

/// A kind's fields as JSON; `source`, as a read answers it, may be sent back and is ignored.
pub fn parse(kind: &str, body: &[u8]) -> Result<Settings, Error> {
    let kind = SettingsKind::parse(kind)?;
    let malformed = |e: serde_json::Error| {
        Error::new(
            Code::MalformedBody,
            format!("the settings are not valid JSON of their kind: {e}"),
        )
    };
    let mut fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(malformed)?;
    fields.remove("source");
    let fields = serde_json::Value::Object(fields);
    Ok(match kind {
        SettingsKind::Session => {
            Settings::Session(serde_json::from_value::<SessionSettings>(fields).map_err(malformed)?)
        }
        SettingsKind::Lockout => {
            Settings::Lockout(serde_json::from_value::<LockoutSettings>(fields).map_err(malformed)?)
        }
        SettingsKind::PasswordComplexity => Settings::PasswordComplexity(
            serde_json::from_value::<PasswordComplexitySettings>(fields).map_err(malformed)?,
        ),
        SettingsKind::Branding => Settings::Branding(
            serde_json::from_value::<BrandingSettings>(fields).map_err(malformed)?,
        ),
        SettingsKind::Login => {
            Settings::Login(serde_json::from_value::<LoginSettings>(fields).map_err(malformed)?)
        }
        SettingsKind::PasswordExpiry => Settings::PasswordExpiry(
            serde_json::from_value::<PasswordExpirySettings>(fields).map_err(malformed)?,
        ),
        SettingsKind::Security => Settings::Security(
            serde_json::from_value::<SecuritySettings>(fields).map_err(malformed)?,
        ),
    })
}

/// The view of a value in force.
fn view(value: Settings, source: Source) -> SettingsView {
    let source = source.name().to_string();
    match value {
        Settings::Session(s) => SettingsView::Session(SessionSettingsView {
            idle_lifetime_s: s.idle_lifetime_s,
            absolute_lifetime_s: s.absolute_lifetime_s,
            source,
        }),
        Settings::Lockout(s) => SettingsView::Lockout(LockoutSettingsView {
            max_password_attempts: s.max_password_attempts,
            max_otp_attempts: s.max_otp_attempts,
            lock_seconds: s.lock_seconds,
            source,
        }),
        Settings::PasswordComplexity(s) => {
            SettingsView::PasswordComplexity(PasswordComplexitySettingsView {
                min_length: s.min_length,
                has_uppercase: s.has_uppercase,
                has_lowercase: s.has_lowercase,
                has_number: s.has_number,
                has_symbol: s.has_symbol,
                source,
            })
        }
        Settings::Branding(s) => SettingsView::Branding(BrandingSettingsView {
            primary_color: s.primary_color,
            background_color: s.background_color,
            font_color: s.font_color,
            warn_color: s.warn_color,
            logo_url: s.logo_url,
            icon_url: s.icon_url,
            hide_login_name_suffix: s.hide_login_name_suffix,
            source,
        }),
        Settings::Login(s) => SettingsView::Login(login_view(s, source)),
        Settings::PasswordExpiry(s) => SettingsView::PasswordExpiry(PasswordExpirySettingsView {
            max_age_days: s.max_age_days,
            source,
        }),
        Settings::Security(s) => SettingsView::Security(SecuritySettingsView {
            impersonation: s.impersonation,
            source,
        }),
    }
}

/// A name as the settings' JSON spells it.
fn spelled<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn login_view(s: LoginSettings, source: String) -> LoginSettingsView {
    LoginSettingsView {
        allow_username_password: s.allow_username_password,
        allow_register: s.allow_register,
        allow_external_idp: s.allow_external_idp,
        passkeys: spelled(s.passkeys),
        force_mfa: s.force_mfa,
        second_factors: s.second_factors.into_iter().map(spelled).collect(),
        domain_discovery: s.domain_discovery,
        hide_password_reset: s.hide_password_reset,
        ignore_unknown_usernames: s.ignore_unknown_usernames,
        password_check_lifetime_s: s.password_check_lifetime_s,
        second_factor_check_lifetime_s: s.second_factor_check_lifetime_s,
        source,
    }
}
