//! `SettingsService`: settings of the instance and of its orgs (REST `/v1/instance/settings`
//! and `/v1/orgs/{org_id}/settings`).

use domain::settings::{
    BrandingSettings, LockoutSettings, PasswordComplexitySettings, SessionSettings, Settings,
};

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

#[tonic::async_trait]
impl pb::settings_service_server::SettingsService for Api {
    rpc!(instance get_instance_settings(pb::GetInstanceSettingsRequest) -> pb::Settings,
        |gw, auth, r| settings::get(&gw, &auth, None, &r.kind).await);

    rpc!(instance set_instance_settings(pb::SetInstanceSettingsRequest) -> pb::WriteReply,
    |gw, auth, r| {
        use pb::set_instance_settings_request::Value;
        let value = r.value.map(|v| match v {
            Value::Session(s) => session(s),
            Value::Lockout(s) => lockout(s),
            Value::PasswordComplexity(s) => password_complexity(s),
            Value::Branding(s) => branding(s),
        });
        let value = required(value, "value")?;
        settings::put(&gw, &auth, None, value).await
    });

    rpc!(instance get_org_settings(pb::GetOrgSettingsRequest) -> pb::Settings,
        |gw, auth, r| settings::get(&gw, &auth, Some(&r.org_id), &r.kind).await);

    rpc!(instance set_org_settings(pb::SetOrgSettingsRequest) -> pb::WriteReply,
    |gw, auth, r| {
        use pb::set_org_settings_request::Value;
        let value = r.value.map(|v| match v {
            Value::Session(s) => session(s),
            Value::Lockout(s) => lockout(s),
            Value::PasswordComplexity(s) => password_complexity(s),
            Value::Branding(s) => branding(s),
        });
        let value = required(value, "value")?;
        settings::put(&gw, &auth, Some(&r.org_id), value).await
    });

    rpc!(instance reset_org_settings(pb::ResetOrgSettingsRequest) -> pb::WriteReply,
        |gw, auth, r| settings::reset(&gw, &auth, &r.org_id, &r.kind).await);
}
