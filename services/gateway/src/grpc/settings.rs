//! `SettingsService`: settings of the instance and of its orgs (REST `/v1/instance/settings`
//! and `/v1/orgs/{org_id}/settings`).

use domain::settings::{
    BrandingSettings, LockoutSettings, LoginSettings, PasswordComplexitySettings,
    PasswordExpirySettings, SecuritySettings, SessionSettings, Settings,
};
use domain::{Code, Error};

use super::call::{required, Api};
use super::pb;
use crate::api::settings;
use crate::views::SettingsView;

impl From<SettingsView> for pb::Settings {
    fn from(v: SettingsView) -> Self {
        match v {
            SettingsView::Session(v) => pb::Settings {
                source: v.source,
                value: Some(pb::settings::Value::Session(pb::SessionSettings {
                    idle_lifetime_s: v.idle_lifetime_s,
                    absolute_lifetime_s: v.absolute_lifetime_s,
                })),
            },
            SettingsView::Lockout(v) => pb::Settings {
                source: v.source,
                value: Some(pb::settings::Value::Lockout(pb::LockoutSettings {
                    max_password_attempts: v.max_password_attempts,
                    max_otp_attempts: v.max_otp_attempts,
                    lock_seconds: v.lock_seconds,
                })),
            },
            SettingsView::PasswordComplexity(v) => pb::Settings {
                source: v.source,
                value: Some(pb::settings::Value::PasswordComplexity(
                    pb::PasswordComplexitySettings {
                        min_length: v.min_length,
                        has_uppercase: v.has_uppercase,
                        has_lowercase: v.has_lowercase,
                        has_number: v.has_number,
                        has_symbol: v.has_symbol,
                    },
                )),
            },
            SettingsView::Branding(v) => pb::Settings {
                source: v.source,
                value: Some(pb::settings::Value::Branding(pb::BrandingSettings {
                    primary_color: v.primary_color,
                    background_color: v.background_color,
                    font_color: v.font_color,
                    warn_color: v.warn_color,
                    logo_url: v.logo_url,
                    icon_url: v.icon_url,
                    hide_login_name_suffix: v.hide_login_name_suffix,
                })),
            },
            SettingsView::Login(v) => pb::Settings {
                source: v.source,
                value: Some(pb::settings::Value::Login(pb::LoginSettings {
                    allow_username_password: v.allow_username_password,
                    allow_register: v.allow_register,
                    allow_external_idp: v.allow_external_idp,
                    passkeys: v.passkeys,
                    force_mfa: v.force_mfa,
                    second_factors: v.second_factors,
                    domain_discovery: v.domain_discovery,
                    hide_password_reset: v.hide_password_reset,
                    ignore_unknown_usernames: v.ignore_unknown_usernames,
                    password_check_lifetime_s: v.password_check_lifetime_s,
                    second_factor_check_lifetime_s: v.second_factor_check_lifetime_s,
                })),
            },
            SettingsView::PasswordExpiry(v) => pb::Settings {
                source: v.source,
                value: Some(pb::settings::Value::PasswordExpiry(
                    pb::PasswordExpirySettings {
                        max_age_days: v.max_age_days,
                    },
                )),
            },
            SettingsView::Security(v) => pb::Settings {
                source: v.source,
                value: Some(pb::settings::Value::Security(pb::SecuritySettings {
                    impersonation: v.impersonation,
                })),
            },
        }
    }
}

fn session(s: pb::SessionSettings) -> Settings {
    Settings::Session(SessionSettings {
        idle_lifetime_s: s.idle_lifetime_s,
        absolute_lifetime_s: s.absolute_lifetime_s,
    })
}

fn lockout(s: pb::LockoutSettings) -> Settings {
    Settings::Lockout(LockoutSettings {
        max_password_attempts: s.max_password_attempts,
        max_otp_attempts: s.max_otp_attempts,
        lock_seconds: s.lock_seconds,
    })
}

fn password_complexity(s: pb::PasswordComplexitySettings) -> Settings {
    Settings::PasswordComplexity(PasswordComplexitySettings {
        min_length: s.min_length,
        has_uppercase: s.has_uppercase,
        has_lowercase: s.has_lowercase,
        has_number: s.has_number,
        has_symbol: s.has_symbol,
    })
}

fn branding(s: pb::BrandingSettings) -> Settings {
    Settings::Branding(BrandingSettings {
        primary_color: s.primary_color,
        background_color: s.background_color,
        font_color: s.font_color,
        warn_color: s.warn_color,
        logo_url: s.logo_url,
        icon_url: s.icon_url,
        hide_login_name_suffix: s.hide_login_name_suffix,
    })
}

/// A name as the settings' JSON spells it (`passkeys`, `second_factors`).
fn named<T: serde::de::DeserializeOwned>(field: &str, name: String) -> Result<T, Error> {
    serde_json::from_value(serde_json::Value::String(name.clone())).map_err(|_| {
        Error::new(
            Code::InvalidSettings,
            format!("{field} has no value {name:?}"),
        )
        .with("field", field)
    })
}

fn login(s: pb::LoginSettings) -> Result<Settings, Error> {
    let passkeys = match s.passkeys.as_str() {
        "" => Default::default(),
        _ => named("passkeys", s.passkeys)?,
    };
    let second_factors = s
        .second_factors
        .into_iter()
        .map(|f| named("second_factors", f))
        .collect::<Result<_, _>>()?;
    Ok(Settings::Login(LoginSettings {
        allow_username_password: s.allow_username_password,
        allow_register: s.allow_register,
        allow_external_idp: s.allow_external_idp,
        passkeys,
        force_mfa: s.force_mfa,
        second_factors,
        domain_discovery: s.domain_discovery,
        hide_password_reset: s.hide_password_reset,
        ignore_unknown_usernames: s.ignore_unknown_usernames,
        password_check_lifetime_s: s.password_check_lifetime_s,
        second_factor_check_lifetime_s: s.second_factor_check_lifetime_s,
    }))
}

fn password_expiry(s: pb::PasswordExpirySettings) -> Settings {
    Settings::PasswordExpiry(PasswordExpirySettings {
        max_age_days: s.max_age_days,
    })
}

fn security(s: pb::SecuritySettings) -> Settings {
    Settings::Security(SecuritySettings {
        impersonation: s.impersonation,
    })
}

#[tonic::async_trait]
impl pb::settings_service_server::SettingsService for Api {
    rpc!(instance get_instance_settings(pb::GetInstanceSettingsRequest) -> pb::Settings,
        |gw, auth, r| settings::get(&gw, &auth, None, &r.kind).await);

    rpc!(instance set_instance_settings(pb::SetInstanceSettingsRequest) -> pb::WriteReply,
    |gw, auth, r| {
        use pb::set_instance_settings_request::Value;
        let value = r.value.map(|v| match v {
            Value::Session(s) => Ok(session(s)),
            Value::Lockout(s) => Ok(lockout(s)),
            Value::PasswordComplexity(s) => Ok(password_complexity(s)),
            Value::Branding(s) => Ok(branding(s)),
            Value::Login(s) => login(s),
            Value::PasswordExpiry(s) => Ok(password_expiry(s)),
            Value::Security(s) => Ok(security(s)),
        });
        let value = required(value, "value")??;
        settings::put(&gw, &auth, None, value).await
    });

    rpc!(instance get_org_settings(pb::GetOrgSettingsRequest) -> pb::Settings,
        |gw, auth, r| settings::get(&gw, &auth, Some(&r.org_id), &r.kind).await);

    rpc!(instance set_org_settings(pb::SetOrgSettingsRequest) -> pb::WriteReply,
    |gw, auth, r| {
        use pb::set_org_settings_request::Value;
        let value = r.value.map(|v| match v {
            Value::Session(s) => Ok(session(s)),
            Value::Lockout(s) => Ok(lockout(s)),
            Value::PasswordComplexity(s) => Ok(password_complexity(s)),
            Value::Branding(s) => Ok(branding(s)),
            Value::Login(s) => login(s),
            Value::PasswordExpiry(s) => Ok(password_expiry(s)),
            Value::Security(s) => Ok(security(s)),
        });
        let value = required(value, "value")??;
        settings::put(&gw, &auth, Some(&r.org_id), value).await
    });

    rpc!(instance reset_org_settings(pb::ResetOrgSettingsRequest) -> pb::WriteReply,
        |gw, auth, r| settings::reset(&gw, &auth, &r.org_id, &r.kind).await);
}
