//! What the notification routes answer: the instance's SMTP server (never its password), its
//! SMS provider (its signing key only once, when it is made), and a code when the caller asked
//! for it back.

use domain::smtp::SmtpConfig;
use serde::Serialize;
use utoipa::ToSchema;

/// The instance's SMTP server.
#[derive(Serialize, ToSchema)]
pub struct SmtpView {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub tls: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Whether a password is stored (it is never shown).
    pub has_password: bool,
    pub sender_address: String,
    pub sender_name: String,
}

impl From<SmtpConfig> for SmtpView {
    fn from(c: SmtpConfig) -> SmtpView {
        SmtpView {
            host: c.host,
            port: c.port,
            tls: c.tls.name(),
            user: c.user,
            has_password: c.sealed_password.is_some(),
            sender_address: c.sender_address,
            sender_name: c.sender_name,
        }
    }
}

/// A new code: returned only when the caller asked for it (`send: return`).
#[derive(Serialize, ToSchema)]
pub struct CodeView {
    pub sequence: u64,
    pub position: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// The instance's SMS provider.
#[derive(Serialize, ToSchema)]
pub struct SmsView {
    pub endpoint: String,
}

/// An SMS provider set: the key its calls are signed with, shown this once.
#[derive(Serialize, ToSchema)]
pub struct SmsSetView {
    pub sequence: u64,
    pub position: String,
    /// `Portcullis-Signature: t=<unix>,v1=<hex HMAC-SHA256(signing_key, "<t>.<body>")>`.
    pub signing_key: String,
}
