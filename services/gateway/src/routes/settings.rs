//! Settings of the instance and of orgs, by kind (`session`: the lifetimes of browser
//! sessions and refresh tokens; `lockout`: when wrong passwords lock a user out;
//! `password_complexity`: what every password set must hold; `branding`: how the hosted login
//! looks; `login`: which ways of logging in are offered and how long checks stay fresh;
//! `password_expiry`: when a password must be changed). An org's value overrides the instance's; deleting it returns the org to the
//! instance's.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::settings;
use crate::auth::Authenticated;
use crate::views::{respond, ErrorBody, SettingsView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/instance/settings/{kind}",
        web::get().to(get_instance_settings),
    )
    .route(
        "/instance/settings/{kind}",
        web::put().to(set_instance_settings),
    )
    .route(
        "/orgs/{org_id}/settings/{kind}",
        web::get().to(get_org_settings),
    )
    .route(
        "/orgs/{org_id}/settings/{kind}",
        web::put().to(set_org_settings),
    )
    .route(
        "/orgs/{org_id}/settings/{kind}",
        web::delete().to(reset_org_settings),
    );
}

/// The `session` kind: how long browser sessions and refresh tokens live. `source`, as a read
/// answers it, may be sent back and is ignored.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; the operation parses it by kind
struct SessionSettingsBody {
    /// Seconds unused after which a session or refresh token ends (1 s to 10 years, at most
    /// the absolute lifetime). Default 86400 (24 h).
    idle_lifetime_s: u64,
    /// Seconds after the login after which they end however used. Default 2592000 (30 days).
    absolute_lifetime_s: u64,
}

/// The `lockout` kind: when wrong passwords lock a user out. While locked out, a login gets
/// the answer of a wrong password; a right one after the lock resets the count.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; the operation parses it by kind
struct LockoutSettingsBody {
    /// Wrong passwords in a row that lock the user (0: never; at most 1000). Default 10.
    max_password_attempts: u32,
    /// Wrong one-time codes in a row that lock the user (0: never; at most 1000). Default 5.
    max_otp_attempts: u32,
    /// Seconds a lock lasts (0: until a manager unlocks the user; at most 10 years).
    /// Default 300.
    lock_seconds: u64,
}

/// The `password_complexity` kind: what every password set must hold (by its user, a
/// manager, an invitation or a reset; passwords set before keep working). A password breaking
/// it is refused with `USER-0009`, `details.rule` naming the rule.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; the operation parses it by kind
struct PasswordComplexitySettingsBody {
    /// The fewest characters (8 to 200; a password has at most 200). Default 12.
    min_length: u32,
    /// Whether a password needs an uppercase letter. Default false.
    has_uppercase: bool,
    /// Whether a password needs a lowercase letter. Default false.
    has_lowercase: bool,
    /// Whether a password needs a number. Default false.
    has_number: bool,
    /// Whether a password needs a symbol (neither a letter, a number nor white space).
    /// Default false.
    has_symbol: bool,
}

/// The `branding` kind: how the hosted login looks for the instance, or for the apps of an
/// org's projects.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; the operation parses it by kind
struct BrandingSettingsBody {
    /// The buttons' colour, as `#rgb` or `#rrggbb` (their label is black or white, whichever
    /// contrasts more). Default `#2f5bd3`.
    primary_color: String,
    /// The page's colour. Default `#f6f7f9`.
    background_color: String,
    /// The text's colour: it must contrast with the background by at least 4.5 to 1 (WCAG
    /// AA). Default `#1d1f23`.
    font_color: String,
    /// The colour of warnings, with the same contrast. Default `#b3261e`.
    warn_color: String,
    /// A logo shown above the form: an `https` address.
    logo_url: Option<String>,
    /// The page's icon: an `https` address.
    icon_url: Option<String>,
    /// Whether login names are shown without the instance's domain. Default false.
    hide_login_name_suffix: Option<bool>,
}

/// The `login` kind: which ways of logging in the hosted login and the Sessions API offer,
/// and how long a check stays fresh. Fields left out take their defaults.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; the operation parses it by kind
struct LoginSettingsBody {
    /// Whether users may log in with a username and a password. Default true.
    allow_username_password: Option<bool>,
    /// Whether the hosted login offers registration. Default false.
    allow_register: Option<bool>,
    /// Whether the hosted login offers external identity providers. Default false.
    allow_external_idp: Option<bool>,
    /// `allowed` (the default) or `disabled`.
    passkeys: Option<String>,
    /// Whether every login needs a second factor. Default false; true is refused while no
    /// second factor can be set up.
    force_mfa: Option<bool>,
    /// The second factors users may use, each once: `totp`, `otp_email`, `otp_sms`, `u2f`.
    /// Default `["totp", "u2f"]`.
    second_factors: Option<Vec<String>>,
    /// Whether the login name's domain may choose the org. Default false.
    domain_discovery: Option<bool>,
    /// Whether the hosted login hides "Forgot password?". Default false.
    hide_password_reset: Option<bool>,
    /// Whether the Sessions API answers an unknown login name as it answers a wrong
    /// password. Default false (the hosted login never tells either way).
    ignore_unknown_usernames: Option<bool>,
    /// Seconds a password check stays fresh for a login (1 s to 10 years). Default 864000.
    password_check_lifetime_s: Option<u64>,
    /// Seconds a second factor's check stays fresh (1 s to 10 years). Default 64800.
    second_factor_check_lifetime_s: Option<u64>,
}

/// The `password_expiry` kind: a password older than this must be changed at the next login.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; the operation parses it by kind
struct PasswordExpirySettingsBody {
    /// Days a password stays valid (0: forever, the default; at most 3660). A password whose
    /// age is not known (set before this release) counts as expired.
    max_age_days: u32,
}

/// A kind's fields.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // documents the body; the operation parses it by kind
enum SettingsBody {
    Session(SessionSettingsBody),
    Lockout(LockoutSettingsBody),
    PasswordComplexity(PasswordComplexitySettingsBody),
    Branding(BrandingSettingsBody),
    Login(LoginSettingsBody),
    PasswordExpiry(PasswordExpirySettingsBody),
    Security(SecuritySettingsBody),
}

/// The `security` kind: whether holders of the `*_IMPERSONATOR` roles may get tokens as users
/// of their scope (token exchange). Impersonation needs it on for the instance, and not off for
/// the user's org.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; the operation parses it by kind
struct SecuritySettingsBody {
    /// Default false.
    impersonation: bool,
}

/// The instance's settings of a kind in force. `iam.policy.read`.
#[utoipa::path(get, path = "/v1/instance/settings/{kind}", tag = "settings",
    params(("kind" = String, Path, description = "session, lockout, password_complexity, branding, login, password_expiry or security")),
    responses((status = 200, body = SettingsView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.policy.read"))))]
async fn get_instance_settings(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    kind: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(settings::get(&gw, &auth, None, &kind).await?))
}

/// Sets the instance's settings of a kind. `iam.policy.write`.
#[utoipa::path(put, path = "/v1/instance/settings/{kind}", tag = "settings",
    params(("kind" = String, Path, description = "session, lockout, password_complexity, branding, login, password_expiry or security")),
    request_body = SettingsBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.policy.write"))))]
async fn set_instance_settings(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    kind: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let value = settings::parse(&kind, &body)?;
    Ok(respond(
        settings::put(&gw, &auth, None, value).await?,
        false,
    ))
}

/// An org's settings of a kind in force (its own, else the instance's). `policy.read`.
#[utoipa::path(get, path = "/v1/orgs/{org_id}/settings/{kind}", tag = "settings",
    params(("org_id" = String, Path), ("kind" = String, Path, description = "session, lockout, password_complexity, branding, login, password_expiry or security")),
    responses((status = 200, body = SettingsView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("policy.read"))))]
async fn get_org_settings(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org, kind) = path.into_inner();
    Ok(HttpResponse::Ok().json(settings::get(&gw, &auth, Some(&org), &kind).await?))
}

/// Sets an org's own settings of a kind. `policy.write`.
#[utoipa::path(put, path = "/v1/orgs/{org_id}/settings/{kind}", tag = "settings",
    params(("org_id" = String, Path), ("kind" = String, Path, description = "session, lockout, password_complexity, branding, login, password_expiry or security")),
    request_body = SettingsBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody)),
    extensions(("x-permission" = json!("policy.write"))))]
async fn set_org_settings(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let (org, kind) = path.into_inner();
    let value = settings::parse(&kind, &body)?;
    Ok(respond(
        settings::put(&gw, &auth, Some(&org), value).await?,
        false,
    ))
}

/// Returns an org to the instance's settings of a kind. `policy.delete`.
#[utoipa::path(delete, path = "/v1/orgs/{org_id}/settings/{kind}", tag = "settings",
    params(("org_id" = String, Path), ("kind" = String, Path, description = "session, lockout, password_complexity, branding, login, password_expiry or security")),
    responses((status = 200, body = WriteReply), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("policy.delete"))))]
async fn reset_org_settings(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (org, kind) = path.into_inner();
    Ok(respond(
        settings::reset(&gw, &auth, &org, &kind).await?,
        false,
    ))
}
