//! What the Sessions API answers: a session, its user and its checks, each with the time it
//! passed; the token once, at the creation; where to send the browser after a finalize.

use domain::oidc::Session;
use domain::settings::SessionSettings;
use domain::user::{Factor, User};
use serde::Serialize;
use utoipa::ToSchema;

/// The user a session is for, and when they were checked.
#[derive(Serialize, ToSchema)]
pub struct UserFactorView {
    pub id: String,
    pub login_name: String,
    pub org_id: String,
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub checked_at: i64,
}

/// When a check passed.
#[derive(Serialize, ToSchema)]
pub struct CheckedView {
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub checked_at: i64,
}

/// A session's checks: the user always, the others once they passed.
#[derive(Serialize, ToSchema)]
pub struct FactorsView {
    pub user: UserFactorView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<CheckedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totp: Option<CheckedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otp_email: Option<CheckedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otp_sms: Option<CheckedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<CheckedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub u2f: Option<CheckedView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passkey: Option<CheckedView>,
    /// A login through an external identity provider (the `idp_intent` check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp: Option<IdpCheckedView>,
}

/// Which IdP vouched for the user in a session, and when.
#[derive(Serialize, ToSchema)]
#[schema(as = IdpChecked)]
pub struct IdpCheckedView {
    pub idp_id: String,
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub checked_at: i64,
}

/// What a request's challenges ask the login UI to do.
#[derive(Serialize, ToSchema)]
pub struct ChallengesView {
    /// What `navigator.credentials.get()` takes (`PublicKeyCredential.parseRequestOptionsFromJSON`).
    #[schema(value_type = Object)]
    pub webauthn: serde_json::Value,
}

impl ChallengesView {
    pub fn of(webauthn: serde_json::Value) -> ChallengesView {
        ChallengesView { webauthn }
    }
}

/// A session of the Sessions API.
#[derive(Serialize, ToSchema)]
pub struct LoginSessionView {
    pub id: String,
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    /// When it ends unless used before (the `session` settings' lifetimes).
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: i64,
    pub factors: FactorsView,
    /// The challenges the request asked for, once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenges: Option<ChallengesView>,
}

impl LoginSessionView {
    pub fn of(id: &str, s: &Session, user: &User, lifetimes: &SessionSettings) -> Self {
        let checked = |f: Factor| {
            s.factors_checked
                .get(&f)
                .map(|&checked_at| CheckedView { checked_at })
        };
        LoginSessionView {
            id: id.to_string(),
            created_at: s.started_at,
            expires_at: s.ends_at(lifetimes),
            factors: FactorsView {
                user: UserFactorView {
                    id: s.user_id.clone(),
                    login_name: user.username.clone(),
                    org_id: user.org.clone(),
                    checked_at: s.started_at,
                },
                password: s
                    .password_checked_at
                    .map(|checked_at| CheckedView { checked_at }),
                totp: checked(Factor::Totp),
                otp_email: checked(Factor::OtpEmail),
                otp_sms: checked(Factor::OtpSms),
                recovery_code: checked(Factor::RecoveryCode),
                u2f: checked(Factor::U2f),
                passkey: checked(Factor::Passkey),
                idp: s.idp_checked.as_ref().map(|c| IdpCheckedView {
                    idp_id: c.idp_id.clone(),
                    checked_at: c.at,
                }),
            },
            challenges: None,
        }
    }
}

/// A new session: its token is shown once (the finalize and a browser cookie need it).
#[derive(Serialize, ToSchema)]
pub struct CreatedSessionView {
    pub session_id: String,
    pub session_token: String,
    pub factors: FactorsView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenges: Option<ChallengesView>,
}

/// Where to send the browser: the client's redirect URI with the code.
#[derive(Serialize, ToSchema)]
pub struct CallbackView {
    pub callback_url: String,
}

/// Where to send the browser for a login at an identity provider.
#[derive(Serialize, ToSchema)]
#[schema(as = IdpIntentStart)]
pub struct IdpIntentStartView {
    /// The IdP's authorization URL.
    pub auth_url: String,
}
