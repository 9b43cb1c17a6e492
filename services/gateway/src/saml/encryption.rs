//! Encrypted assertions (XML Encryption): the signed assertion encrypted with a new AES-256-GCM
//! key (GCM, not CBC: CBC's padding made XML Encryption decryptable by oracle), the key
//! encrypted to the SP's certificate with RSA-OAEP.

use askama::Template;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::Error;
use openssl::rsa::Padding;
use openssl::symm::{encrypt_aead, Cipher};
use openssl::x509::X509;

#[derive(Template)]
#[template(path = "saml/encrypted_assertion.xml")]
struct EncryptedAssertionXml<'a> {
    key: &'a str,
    data: &'a str,
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("cannot encrypt the assertion: {e}"))
}

/// `assertion` (signed XML) encrypted to `certificate` (base64 DER): an `EncryptedAssertion`.
pub fn encrypted(assertion: &str, certificate: &str) -> Result<String, Error> {
    let der = STANDARD.decode(certificate).map_err(failed)?;
    let rsa = X509::from_der(&der)
        .and_then(|c| c.public_key())
        .and_then(|k| k.rsa())
        .map_err(|e| {
            failed(format!(
                "the SP's encryption key is not an RSA certificate: {e}"
            ))
        })?;
    let mut key = [0u8; 32];
    let mut iv = [0u8; 12];
    openssl::rand::rand_bytes(&mut key).map_err(failed)?;
    openssl::rand::rand_bytes(&mut iv).map_err(failed)?;
    let mut tag = [0u8; 16];
    let sealed = encrypt_aead(
        Cipher::aes_256_gcm(),
        &key,
        Some(&iv),
        &[],
        assertion.as_bytes(),
        &mut tag,
    )
    .map_err(failed)?;
    let mut data = iv.to_vec();
    data.extend_from_slice(&sealed);
    data.extend_from_slice(&tag);
    let mut wrapped = vec![0u8; rsa.size() as usize];
    let n = rsa
        .public_encrypt(&key, &mut wrapped, Padding::PKCS1_OAEP)
        .map_err(failed)?;
    wrapped.truncate(n);
    EncryptedAssertionXml {
        key: &STANDARD.encode(wrapped),
        data: &STANDARD.encode(data),
    }
    .render()
    .map(|s| s.trim_end().to_string())
    .map_err(failed)
}
