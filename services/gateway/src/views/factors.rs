//! What the second-factor routes answer: a new app's secret and recovery codes once, and the
//! list of a user's factors (never a secret).

use serde::Serialize;
use utoipa::ToSchema;

/// A new authenticator app, waiting for its first code.
#[derive(Serialize, ToSchema)]
#[schema(as = NewTotp)]
pub struct NewTotpView {
    /// The `otpauth://` URI an app reads (as a QR code or pasted).
    pub uri: String,
    /// The secret in base 32, to type into an app: shown once.
    pub secret: String,
    pub sequence: u64,
    pub position: String,
}

/// New recovery codes: shown once, each good for one login.
#[derive(Serialize, ToSchema)]
#[schema(as = RecoveryCodes)]
pub struct RecoveryCodesView {
    pub codes: Vec<String>,
    pub sequence: u64,
    pub position: String,
}

/// A key's registration begun.
#[derive(Serialize, ToSchema)]
#[schema(as = NewKey)]
pub struct NewKeyView {
    /// The key's id: verify the authenticator's answer under it.
    pub id: String,
    /// What `navigator.credentials.create()` takes (`PublicKeyCredential.parseCreationOptionsFromJSON`).
    #[schema(value_type = Object)]
    pub public_key_credential_creation_options: serde_json::Value,
    pub sequence: u64,
    pub position: String,
}

/// A second factor of a user.
#[derive(Serialize, ToSchema)]
#[schema(as = Factor)]
pub struct FactorView {
    /// `totp`, `otp_email`, `otp_sms`, `u2f`, `passkey` or `recovery_codes`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A key's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A key's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether it may be used (an app is verified by its first code).
    pub verified: bool,
    /// Recovery codes not yet used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
}

impl FactorView {
    pub fn of(kind: &'static str, verified: bool, remaining: Option<u32>) -> FactorView {
        FactorView {
            kind,
            id: None,
            name: None,
            verified,
            remaining,
        }
    }
}

/// A user's second factors.
#[derive(Serialize, ToSchema)]
#[schema(as = Factors)]
pub struct FactorsView {
    pub items: Vec<FactorView>,
}

/// A passkey registration link, when it was asked to be returned.
#[derive(Serialize, ToSchema)]
#[schema(as = PasskeyLink)]
pub struct PasskeyLinkView {
    /// The link (`send: return`); absent when it went by email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub sequence: u64,
    pub position: String,
}
