//! Sealing for one purpose: each purpose seals with its own key, derived from the master key
//! with HKDF-SHA256, and binds what it seals to the instance as associated data. A value sealed
//! for one purpose or one instance does not open for another, and no purpose's key is the
//! master key itself.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf::{Salt, HKDF_SHA256};
use ring::rand::{SecureRandom, SystemRandom};

use crate::keys::MasterKey;

/// What a sealed value is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// An authorization request waiting for its login (carried by the browser).
    AuthRequest,
    /// The claims of an opaque access token.
    OpaqueToken,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::AuthRequest => b"portcullis/seal/auth-request/v1",
            Purpose::OpaqueToken => b"portcullis/seal/opaque-token/v1",
        }
    }
}

/// A sealed value did not open: altered, made up, of another purpose or instance, or sealed
/// with another master key.
#[derive(Debug, PartialEq, Eq)]
pub struct NotOpened;

impl MasterKey {
    fn purpose_key(&self, purpose: Purpose) -> LessSafeKey {
        let prk = Salt::new(HKDF_SHA256, b"portcullis").extract(&self.0);
        let info = [purpose.label()];
        let okm = prk
            .expand(&info, &AES_256_GCM)
            .expect("an AES-256 key is a valid HKDF length");
        LessSafeKey::new(UnboundKey::from(okm))
    }

    /// nonce || ciphertext || tag, sealed with the purpose's key for `instance`.
    pub fn seal_for(&self, purpose: Purpose, instance: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system random source works");
        let mut data = plain.to_vec();
        self.purpose_key(purpose)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(instance.as_bytes()),
                &mut data,
            )
            .expect("sealing does not fail");
        let mut out = nonce.to_vec();
        out.extend(data);
        out
    }

    /// What [`Self::seal_for`] sealed for this purpose and instance.
    pub fn unseal_for(
        &self,
        purpose: Purpose,
        instance: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, NotOpened> {
        if sealed.len() < NONCE_LEN {
            return Err(NotOpened);
        }
        let (nonce, data) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| NotOpened)?;
        let mut data = data.to_vec();
        let plain = self
            .purpose_key(purpose)
            .open_in_place(nonce, Aad::from(instance.as_bytes()), &mut data)
            .map_err(|_| NotOpened)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_purpose_instance_and_key() {
        let key = MasterKey::generate();
        let sealed = key.seal_for(Purpose::AuthRequest, "i1", b"hello");
        assert_eq!(
            key.unseal_for(Purpose::AuthRequest, "i1", &sealed),
            Ok(b"hello".to_vec())
        );
        assert_eq!(
            key.unseal_for(Purpose::AuthRequest, "i2", &sealed),
            Err(NotOpened)
        );
        assert_eq!(
            key.unseal_for(Purpose::OpaqueToken, "i1", &sealed),
            Err(NotOpened)
        );
        assert_eq!(
            MasterKey::generate().unseal_for(Purpose::AuthRequest, "i1", &sealed),
            Err(NotOpened)
        );
        assert!(
            key.unseal(&sealed).is_err(),
            "the master key itself does not open it"
        );
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(
            key.unseal_for(Purpose::AuthRequest, "i1", &altered),
            Err(NotOpened)
        );
    }
}
