//! What the API answers: write receipts, pages, and the resources as JSON.

pub mod actions;
pub mod factors;
pub mod idps;
mod login_sessions;
pub mod machine_keys;
mod notifications;
pub mod org_domains;
pub mod saml_apps;

pub use login_sessions::{
    CallbackView, ChallengesView, CheckedView, CreatedSessionView, FactorsView, IdpIntentStartView,
    LoginSessionView,
};
pub use notifications::{CodeView, SmsSetView, SmsView, SmtpView};

use actix_web::HttpResponse;
use domain::{Code, Error};
use readmodel::{EventRow, InstanceRow, MemberRow, OrgRow, Page, ProjectRow, UserRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every write answers the aggregate's new version and the log position (API.md "Consistency").
#[derive(Serialize, ToSchema)]
pub struct WriteReply {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub sequence: u64,
    /// Send it back as `X-Portcullis-Position` to read this write.
    pub position: String,
}

/// A write's answer: 201 for a create, else 200.
pub fn respond(body: WriteReply, created: bool) -> HttpResponse {
    if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// A new instance: its admin's token is shown once.
#[derive(Serialize, ToSchema)]
pub struct CreatedInstanceView {
    pub id: String,
    pub admin_user_id: String,
    /// The machine admin's personal access token: shown once, stored only as a hash.
    pub admin_pat: String,
    pub sequence: u64,
    pub position: String,
}

/// Where a signing-key rotation step left the log.
#[derive(Serialize, ToSchema)]
pub struct RotatedView {
    pub position: String,
}

/// A membership of a user, at any level.
#[derive(Serialize, ToSchema)]
pub struct MembershipView {
    /// `system`, `instance`, `org`, `project` or `project_grant`.
    pub level: String,
    /// The org, project or grant; empty for the instance and the system.
    pub resource_id: String,
    pub roles: Vec<String>,
}

/// The decision of a permission check.
#[derive(Serialize, ToSchema)]
pub struct CheckView {
    pub allowed: bool,
    /// Why: the role and the resource of the membership that grants it, or what is missing.
    pub because: String,
}

/// A machine user's new client secret: shown once.
#[derive(Serialize, ToSchema)]
pub struct SecretView {
    pub client_id: String,
    /// Shown once, stored only as a hash.
    pub client_secret: String,
    pub sequence: u64,
    pub position: String,
}

/// A new personal access token: shown once.
#[derive(Serialize, ToSchema)]
#[schema(as = CreatedPat)]
pub struct CreatedPatView {
    pub id: String,
    /// The token: shown once, stored only as a hash.
    pub token: String,
    pub sequence: u64,
    pub position: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectView {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// Whether tokens carry the user's roles of this project.
    pub assert_roles: bool,
}

impl From<ProjectRow> for ProjectView {
    fn from(p: ProjectRow) -> Self {
        ProjectView {
            id: p.id,
            org_id: p.org_id,
            name: p.name,
            assert_roles: p.assert_roles,
        }
    }
}

/// A role of a project.
#[derive(Serialize, ToSchema)]
pub struct RoleView {
    pub key: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AppView {
    pub id: String,
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub auth_method: String,
    pub access_token_type: String,
    pub id_token_signing_alg: String,
    pub access_token_signing_alg: String,
    pub has_secret: bool,
    pub require_pushed_authorization_requests: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
}

impl From<readmodel::AppRow> for AppView {
    fn from(a: readmodel::AppRow) -> Self {
        let c = a.config;
        AppView {
            id: a.id,
            client_id: a.client_id,
            grant_types: crate::api::apps::names(&c.grant_types),
            response_types: crate::api::apps::names(&c.response_types),
            auth_method: crate::api::apps::names(&[c.auth_method]).remove(0),
            access_token_type: crate::api::apps::names(&[c.access_token_type]).remove(0),
            name: c.name,
            redirect_uris: c.redirect_uris,
            post_logout_redirect_uris: c.post_logout_redirect_uris,
            id_token_signing_alg: a.signing.id_token_alg,
            access_token_signing_alg: a.signing.access_token_alg,
            has_secret: a.has_secret,
            require_pushed_authorization_requests: c.require_par,
            jwks_uri: c.jwks_uri,
            backchannel_logout_uri: c.backchannel_logout_uri,
            backchannel_logout_session_required: c.backchannel_logout_session_required,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CreatedApp)]
pub struct CreatedAppView {
    pub id: String,
    pub client_id: String,
    /// Shown once (secret-based auth methods only), stored as a hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub sequence: u64,
    pub position: String,
}

/// A project grant.
#[derive(Serialize, ToSchema)]
pub struct GrantView {
    pub id: String,
    pub project_id: String,
    pub granted_org_id: String,
    pub role_keys: Vec<String>,
}

impl From<readmodel::ProjectGrantRow> for GrantView {
    fn from(g: readmodel::ProjectGrantRow) -> Self {
        GrantView {
            id: g.id,
            project_id: g.project_id,
            granted_org_id: g.granted_org_id,
            role_keys: g.roles,
        }
    }
}

/// A user grant.
#[derive(Serialize, ToSchema)]
pub struct UserGrantView {
    pub id: String,
    pub user_id: String,
    pub project_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_grant_id: Option<String>,
    pub role_keys: Vec<String>,
}

impl From<readmodel::UserGrantRow> for UserGrantView {
    fn from(g: readmodel::UserGrantRow) -> Self {
        UserGrantView {
            id: g.id,
            user_id: g.user_id,
            project_id: g.project_id,
            project_grant_id: g.project_grant_id,
            role_keys: g.roles,
        }
    }
}

/// A JSON body that may be left out (an empty body is the default value); otherwise as
/// [`crate::body::parse`].
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    crate::body::parse(body)
}

/// `{code, message, details}` (API.md "Errors").
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub details: std::collections::BTreeMap<String, String>,
}

/// `?limit=&cursor=` of every list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1 to 1,000; default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub fn limit(limit: Option<usize>) -> Result<usize, Error> {
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Error::new(Code::InvalidQuery, "limit is 1 to 1000").with("field", "limit"));
    }
    Ok(limit)
}

#[derive(Serialize, ToSchema)]
pub struct PageView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> PageView<T> {
    /// A page of a list already read whole and sorted by `key` (a resource's small
    /// sub-collections): the items after the cursor, at most `limit`.
    pub fn paged(
        items: Vec<T>,
        params: &ListParams,
        key: impl Fn(&T) -> String,
    ) -> Result<PageView<T>, Error> {
        let limit = limit(params.limit)?;
        let mut rest: Vec<T> = items
            .into_iter()
            .filter(|i| params.cursor.as_ref().is_none_or(|c| key(i) > *c))
            .collect();
        let next_cursor = (rest.len() > limit).then(|| key(&rest[limit - 1]));
        rest.truncate(limit);
        Ok(PageView {
            items: rest,
            next_cursor,
        })
    }

    pub fn of<R>(page: Page<R>, f: impl FnMut(R) -> T) -> PageView<T> {
        PageView {
            items: page.items.into_iter().map(f).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EmailView {
    pub address: String,
    pub verified: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PhoneView {
    pub number: String,
    pub verified: bool,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub org_id: String,
    pub username: String,
    /// `human` or `machine`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `active`, `inactive` or `locked`.
    pub state: String,
    pub display_name: String,
    /// Humans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneView>,
    /// Machine users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Machine users: whether a client secret is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_secret: Option<bool>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        let human = u.kind == "human";
        UserView {
            profile: human.then(|| ProfileView {
                given_name: u.given_name.clone().unwrap_or_default(),
                family_name: u.family_name.clone().unwrap_or_default(),
                display_name: u.display_name.clone(),
                preferred_language: u.preferred_language.clone(),
            }),
            email: u.email.map(|address| EmailView {
                address,
                verified: u.email_verified,
            }),
            phone: u.phone.map(|number| PhoneView {
                number,
                verified: u.phone_verified,
            }),
            name: (!human).then(|| u.display_name.clone()),
            description: if human { None } else { u.description },
            has_secret: (!human).then_some(u.has_secret),
            id: u.id,
            org_id: u.org_id,
            username: u.username,
            kind: u.kind,
            state: u.state,
            display_name: u.display_name,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InstanceView {
    pub id: String,
    pub name: String,
    pub domains: Vec<String>,
    /// RFC 3339.
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

impl From<InstanceRow> for InstanceView {
    fn from(i: InstanceRow) -> Self {
        InstanceView {
            id: i.id,
            name: i.name,
            domains: i.domains,
            created_at: i.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrgView {
    pub id: String,
    pub name: String,
}

impl From<OrgRow> for OrgView {
    fn from(o: OrgRow) -> Self {
        OrgView {
            id: o.id,
            name: o.name,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub roles: Vec<String>,
}

impl From<MemberRow> for MemberView {
    fn from(m: MemberRow) -> Self {
        MemberView {
            user_id: m.user_id,
            roles: m.roles,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PatView {
    pub id: String,
    /// RFC 3339; absent for tokens that do not expire.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::times::as_rfc3339_opt"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<i64>,
}

/// One long poll of the audit trail: its events, and where to resume after them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchView {
    pub items: Vec<EventView>,
    /// Send back as `after_position`: one position per log partition, separated by commas.
    pub resume_after: String,
}

/// An event of the audit trail. `portcullis export` writes events in this shape, unredacted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventView {
    pub position: String,
    pub instance_id: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
    /// Dotted lower-case, such as `user.human.added`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The user (or `internal:<flow>`) that caused it.
    pub creator: String,
    /// RFC 3339.
    #[serde(
        serialize_with = "crate::times::as_rfc3339",
        deserialize_with = "crate::times::from_rfc3339"
    )]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    /// The event's fields; password, token and secret hashes are redacted.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl From<EventRow> for EventView {
    fn from(e: EventRow) -> Self {
        EventView {
            position: e.position.to_string(),
            instance_id: e.instance_id,
            aggregate_type: e.aggregate_type,
            aggregate_id: e.aggregate_id,
            sequence: e.sequence,
            event_type: e.event_type,
            creator: e.creator,
            created_at: e.created_at,
            payload: e.payload,
        }
    }
}

/// A live browser session of a user (times in RFC 3339).
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: i64,
    /// When the user last authenticated in it.
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub auth_time: i64,
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_used: i64,
    /// When it ends unless used before (the `session` settings' idle and absolute lifetimes).
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: i64,
}

impl From<command::LiveSession> for SessionView {
    fn from(s: command::LiveSession) -> Self {
        SessionView {
            id: s.id,
            started_at: s.started_at,
            auth_time: s.auth_time,
            last_used: s.last_used,
            expires_at: s.expires_at,
        }
    }
}

/// The session lifetimes in force, and where they come from (`default`, `instance`, `org`).
#[derive(Serialize, ToSchema)]
pub struct SessionSettingsView {
    pub idle_lifetime_s: u64,
    pub absolute_lifetime_s: u64,
    pub source: String,
}

/// The lockout in force, and where it comes from (`default`, `instance`, `org`).
#[derive(Serialize, ToSchema)]
pub struct LockoutSettingsView {
    pub max_password_attempts: u32,
    pub max_otp_attempts: u32,
    pub lock_seconds: u64,
    pub source: String,
}

/// The password rules in force, and where they come from (`default`, `instance`, `org`).
#[derive(Serialize, ToSchema)]
pub struct PasswordComplexitySettingsView {
    pub min_length: u32,
    pub has_uppercase: bool,
    pub has_lowercase: bool,
    pub has_number: bool,
    pub has_symbol: bool,
    pub source: String,
}

/// The branding of the hosted login in force, and where it comes from (`default`,
/// `instance`, `org`).
#[derive(Serialize, ToSchema)]
pub struct BrandingSettingsView {
    pub primary_color: String,
    pub background_color: String,
    pub font_color: String,
    pub warn_color: String,
    pub logo_url: Option<String>,
    pub icon_url: Option<String>,
    pub hide_login_name_suffix: bool,
    pub source: String,
}

/// What a login offers and needs in force, and where it comes from (`default`, `instance`,
/// `org`).
#[derive(Serialize, ToSchema)]
pub struct LoginSettingsView {
    pub allow_username_password: bool,
    pub allow_register: bool,
    pub allow_external_idp: bool,
    /// `allowed` or `disabled`.
    pub passkeys: String,
    pub force_mfa: bool,
    /// Of `totp`, `otp_email`, `otp_sms`, `u2f`.
    pub second_factors: Vec<String>,
    pub domain_discovery: bool,
    pub hide_password_reset: bool,
    pub ignore_unknown_usernames: bool,
    pub password_check_lifetime_s: u64,
    pub second_factor_check_lifetime_s: u64,
    pub source: String,
}

/// The password expiry in force, and where it comes from (`default`, `instance`, `org`).
#[derive(Serialize, ToSchema)]
pub struct PasswordExpirySettingsView {
    pub max_age_days: u32,
    pub source: String,
}

/// A kind's settings in force.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SettingsView {
    Session(SessionSettingsView),
    Lockout(LockoutSettingsView),
    PasswordComplexity(PasswordComplexitySettingsView),
    Branding(BrandingSettingsView),
    Login(LoginSettingsView),
    PasswordExpiry(PasswordExpirySettingsView),
    Security(SecuritySettingsView),
}

/// Whether impersonation is allowed, and where the value comes from.
#[derive(Serialize, ToSchema)]
pub struct SecuritySettingsView {
    pub impersonation: bool,
    pub source: String,
}
