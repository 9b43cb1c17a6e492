//! The master key and what it seals. Each purpose (signing keys, opaque tokens, pending
//! authorization requests) seals with its own key, derived from the master key with
//! HKDF-SHA256, and binds what it seals to its instance as associated data: a value sealed for
//! one purpose or one instance does not open for another, and the master key itself seals
//! nothing. The master key can be rotated: the previous keys are kept for reading only, and
//! everything new is sealed with the current one.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use domain::{Code, Error};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hkdf::{Salt, HKDF_SHA256};
use ring::rand::{SecureRandom, SystemRandom};

/// What a sealed value is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The private key of one of the instance's signing keys (kept in the log).
    SigningKey,
    /// The claims of an opaque access token.
    OpaqueToken,
    /// An authorization request waiting for its login (carried by the browser).
    AuthRequest,
    /// The password of the instance's SMTP server.
    SmtpPassword,
    /// A one-time code on its way to its user, in the outbox.
    MessageCode,
    /// The key that signs the calls to an HTTP endpoint of the instance (its SMS provider).
    CallSigningKey,
    /// A user's TOTP secret (the authenticator app's key).
    TotpSecret,
    /// A passkey login's challenge, carried by the login page until the key answers.
    PasskeyChallenge,
    /// A `client_secret_jwt` app's client secret (the key of its assertions' HMAC).
    ClientSecret,
    /// A pushed authorization request (PAR), carried by its `request_uri`.
    PushedRequest,
    /// A logged-in user's pending answer to a device, carried by the consent page.
    DeviceConsent,
    /// A DPoP nonce: the time window it was handed out in.
    DpopNonce,
    /// A form_post answer on its way to the browser, from a login UI of one's own.
    FormPostAnswer,
    /// An external identity provider's client secret.
    IdpSecret,
    /// A login at an external identity provider on its way (the `state` it sends back).
    IdpLoginState,
    /// An IdP's identity waiting for the owner of an existing account to link it.
    IdpPendingLink,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::SigningKey => b"portcullis/seal/signing-key/v1",
            Purpose::OpaqueToken => b"portcullis/seal/opaque-token/v1",
            Purpose::AuthRequest => b"portcullis/seal/auth-request/v1",
            Purpose::SmtpPassword => b"portcullis/seal/smtp-password/v1",
            Purpose::MessageCode => b"portcullis/seal/message-code/v1",
            Purpose::CallSigningKey => b"portcullis/seal/call-signing-key/v1",
            Purpose::TotpSecret => b"portcullis/seal/totp-secret/v1",
            Purpose::PasskeyChallenge => b"portcullis/seal/passkey-challenge/v1",
            Purpose::ClientSecret => b"portcullis/seal/client-secret/v1",
            Purpose::PushedRequest => b"portcullis/seal/pushed-request/v1",
            Purpose::DeviceConsent => b"portcullis/seal/device-consent/v1",
            Purpose::DpopNonce => b"portcullis/seal/dpop-nonce/v1",
            Purpose::FormPostAnswer => b"portcullis/seal/form-post-answer/v1",
            Purpose::IdpSecret => b"portcullis/seal/idp-secret/v1",
            Purpose::IdpLoginState => b"portcullis/seal/idp-login-state/v1",
            Purpose::IdpPendingLink => b"portcullis/seal/idp-pending-link/v1",
        }
    }
}

/// A sealed value did not open: altered, made up, of another purpose or instance, or sealed
/// with a master key this node does not have.
#[derive(Debug, PartialEq, Eq)]
pub struct NotOpened;

impl From<NotOpened> for Error {
    fn from(_: NotOpened) -> Error {
        Error::new(
            Code::Internal,
            "a sealed value does not open with this master key: is PORTCULLIS_MASTERKEY the one it was sealed with (or among PORTCULLIS_MASTERKEY_PREVIOUS)?",
        )
    }
}

/// The key that seals private keys and recoverable secrets at rest: the current one, and the
/// previous ones still read.
#[derive(Clone)]
pub struct MasterKey {
    current: [u8; 32],
    previous: Vec<[u8; 32]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

fn decode_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|e| format!("the master key is not base64: {e}"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("the master key must be 32 bytes, not {}", b.len()))
}

fn aead(key: &[u8; 32], purpose: Purpose) -> LessSafeKey {
    let prk = Salt::new(HKDF_SHA256, b"portcullis").extract(key);
    let info = [purpose.label()];
    let okm = prk
        .expand(&info, &AES_256_GCM)
        .expect("an AES-256 key is a valid HKDF length");
    LessSafeKey::new(UnboundKey::from(okm))
}

/// nonce || ciphertext || tag
fn seal(key: &LessSafeKey, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .expect("the system random source works");
    let mut data = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut data,
    )
    .expect("sealing does not fail");
    let mut out = nonce.to_vec();
    out.extend(data);
    out
}

fn open(key: &LessSafeKey, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, data) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut data = data.to_vec();
    let plain = key.open_in_place(nonce, Aad::from(aad), &mut data).ok()?;
    Some(plain.to_vec())
}

impl MasterKey {
    pub fn generate() -> MasterKey {
        let mut k = [0u8; 32];
        SystemRandom::new()
            .fill(&mut k)
            .expect("the system random source works");
        MasterKey {
            current: k,
            previous: Vec::new(),
        }
    }

    /// A key as `PORTCULLIS_MASTERKEY` holds it: 32 bytes in base64.
    pub fn from_base64(text: &str) -> Result<MasterKey, String> {
        Ok(MasterKey {
            current: decode_key(text)?,
            previous: Vec::new(),
        })
    }

    /// The same key, still reading what the previous keys sealed (base64, as
    /// `PORTCULLIS_MASTERKEY_PREVIOUS` lists them).
    pub fn with_previous<'a>(
        mut self,
        previous: impl IntoIterator<Item = &'a str>,
    ) -> Result<MasterKey, String> {
        for text in previous {
            self.previous
                .push(decode_key(text).map_err(|e| format!("a previous master key: {e}"))?);
        }
        Ok(self)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.current)
    }

    /// A secret for one purpose (`label`), derived with HMAC-SHA256 so that the master key
    /// itself never leaves the process (the cluster's internal API token).
    pub fn derive(&self, label: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.derive_bytes(label))
    }

    /// [`Self::derive`] as bytes.
    pub fn derive_bytes(&self, label: &str) -> [u8; 32] {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.current);
        let mut out = [0u8; 32];
        out.copy_from_slice(ring::hmac::sign(&key, label.as_bytes()).as_ref());
        out
    }

    /// Seals `plain` for `purpose` in `instance`, with the current key.
    pub fn seal_for(&self, purpose: Purpose, instance: &str, plain: &[u8]) -> Vec<u8> {
        seal(&aead(&self.current, purpose), instance.as_bytes(), plain)
    }

    /// What [`Self::seal_for`] sealed for this purpose and instance, with the current key or
    /// a previous one. What release 0.1 sealed with the master key itself, for no purpose
    /// (signing keys in the log, opaque tokens of the hour before an upgrade), is read too.
    pub fn unseal_for(
        &self,
        purpose: Purpose,
        instance: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, NotOpened> {
        let keys = std::iter::once(&self.current).chain(&self.previous);
        for key in keys.clone() {
            if let Some(plain) = open(&aead(key, purpose), instance.as_bytes(), sealed) {
                return Ok(plain);
            }
        }
        if matches!(purpose, Purpose::SigningKey | Purpose::OpaqueToken) {
            for key in keys {
                let legacy =
                    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key"));
                if let Some(plain) = open(&legacy, b"", sealed) {
                    return Ok(plain);
                }
            }
        }
        Err(NotOpened)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_purpose_instance_and_key() {
        let key = MasterKey::generate();
        let sealed = key.seal_for(Purpose::AuthRequest, "i1", b"hello");
        assert_ne!(&sealed[NONCE_LEN..NONCE_LEN + 5], b"hello");
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
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(
            key.unseal_for(Purpose::AuthRequest, "i1", &altered),
            Err(NotOpened)
        );
        let again = MasterKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(
            again.unseal_for(Purpose::AuthRequest, "i1", &sealed),
            Ok(b"hello".to_vec())
        );
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn a_rotated_master_key_reads_what_the_previous_one_sealed_and_seals_anew() {
        let old = MasterKey::generate();
        let sealed_before = old.seal_for(Purpose::SigningKey, "i1", b"private");
        let new = MasterKey::generate()
            .with_previous([old.to_base64().as_str()])
            .unwrap();
        assert_eq!(
            new.unseal_for(Purpose::SigningKey, "i1", &sealed_before),
            Ok(b"private".to_vec())
        );
        let sealed_after = new.seal_for(Purpose::SigningKey, "i1", b"private");
        assert_eq!(
            old.unseal_for(Purpose::SigningKey, "i1", &sealed_after),
            Err(NotOpened),
            "new values are sealed with the new key"
        );
        assert!(MasterKey::generate().with_previous(["nope"]).is_err());
    }

    #[test]
    fn what_release_0_1_sealed_still_opens() {
        let key = MasterKey::generate();
        let legacy = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key.current).unwrap());
        let sealed = seal(&legacy, b"", b"private");
        assert_eq!(
            key.unseal_for(Purpose::SigningKey, "i1", &sealed),
            Ok(b"private".to_vec())
        );
        assert_eq!(
            key.unseal_for(Purpose::AuthRequest, "i1", &sealed),
            Err(NotOpened),
            "auth requests were never sealed that way"
        );
    }
}
