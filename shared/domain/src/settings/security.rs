//! The `security` kind: whether managers may impersonate users (token exchange, RFC 8693).
//! Off by default; on only where the instance turns it on and the user's org has not turned it
//! off.

use serde::{Deserialize, Serialize};

use crate::error::Result;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Holders of the `*_IMPERSONATOR` roles may get tokens as users of their scope.
    pub impersonation: bool,
}

impl SecuritySettings {
    pub(super) fn validated(self) -> Result<SecuritySettings> {
        Ok(self)
    }
}
