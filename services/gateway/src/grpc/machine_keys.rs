//! The key messages of `UserService` (machine users' keys) and `ProjectService` (apps' keys):
//! the same views as REST's `/v1/users/{id}/keys` and `/v1/projects/{id}/apps/{app_id}/keys`.

use super::pb;
use crate::api::machine_keys::KeyInput;
use crate::views::machine_keys::{CreatedKeyView, KeyFileView, MachineKeyView};

impl From<KeyFileView> for pb::KeyFile {
    fn from(f: KeyFileView) -> Self {
        pb::KeyFile {
            r#type: f.kind.into(),
            key_id: f.key_id,
            key: f.key,
            user_id: f.user_id.unwrap_or_default(),
            app_id: f.app_id.unwrap_or_default(),
            client_id: f.client_id.unwrap_or_default(),
        }
    }
}

impl From<MachineKeyView> for pb::MachineKey {
    fn from(k: MachineKeyView) -> Self {
        pb::MachineKey {
            id: k.id,
            alg: k.alg,
            expires_at: k.expires_at.map(crate::times::timestamp),
            created_at: Some(crate::times::timestamp(k.created_at)),
        }
    }
}

macro_rules! created {
    ($response:ty) => {
        impl From<CreatedKeyView> for $response {
            fn from(k: CreatedKeyView) -> Self {
                Self {
                    id: k.id,
                    key_file: k.key_file.map(Into::into),
                    sequence: k.sequence,
                    position: k.position,
                }
            }
        }
    };
}

created!(pb::AddMachineKeyResponse);
created!(pb::AddAppKeyResponse);
page!(MachineKeyView => pb::ListMachineKeysResponse);
page!(MachineKeyView => pb::ListAppKeysResponse);

/// A new key as asked for: its expiry, and the PEM public key if one is uploaded.
pub(super) fn key_input<'a>(
    expires_at: Option<&prost_types::Timestamp>,
    public_key: Option<&'a str>,
) -> Result<KeyInput<'a>, domain::Error> {
    Ok(KeyInput {
        expires_at: expires_at
            .map(|t| crate::times::from_timestamp(t, "expires_at"))
            .transpose()?,
        public_key,
    })
}
