//! What the key routes answer: a generated key's file once, and the list of keys (never a
//! private key).

use serde::Serialize;
use utoipa::ToSchema;

/// A generated key, as the client keeps it: its private key (PKCS#8 PEM) is shown once.
/// `type` is `serviceaccount` for a machine user's key, `application` for an app's.
#[derive(Serialize, ToSchema)]
#[schema(as = KeyFile)]
pub struct KeyFileView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub key_id: String,
    /// The private key, PEM.
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// A key added.
#[derive(Serialize, ToSchema)]
#[schema(as = CreatedKey)]
pub struct CreatedKeyView {
    pub id: String,
    /// Only for a key generated here (no `public_key` sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<KeyFileView>,
    pub sequence: u64,
    pub position: String,
}

/// A public key that signs assertions.
#[derive(Serialize, ToSchema)]
#[schema(as = MachineKey)]
pub struct MachineKeyView {
    pub id: String,
    /// `RS256`, `ES256` or `EdDSA`.
    pub alg: String,
    /// RFC 3339; absent for keys that do not expire.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::times::as_rfc3339_opt"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<i64>,
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

impl MachineKeyView {
    pub fn of(id: &str, key: &domain::machine_keys::MachineKey) -> MachineKeyView {
        MachineKeyView {
            id: id.into(),
            alg: key.jwk.alg.clone(),
            expires_at: key.expires_at,
            created_at: key.added_at,
        }
    }
}
