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

/// A second factor of a user.
#[derive(Serialize, ToSchema)]
#[schema(as = Factor)]
pub struct FactorView {
    /// `totp`, `otp_email`, `otp_sms` or `recovery_codes`.
    #[serde(rename = "type")]
    pub kind: &'static str,
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
