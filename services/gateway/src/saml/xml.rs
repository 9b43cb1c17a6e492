//! XML signatures, by xmlsec1 (through samael): enveloped, exclusive canonicalization,
//! RSA-SHA256 over SHA-256 digests. What Portcullis signs it writes itself from templates;
//! what it reads is refused at once when it carries a DTD (no entities, external or not).

use askama::Template;
use domain::{Code, Error};
use samael::crypto::{CertificateDer, Crypto, CryptoProvider};

/// The most bytes of a SAML message Portcullis reads (decoded and inflated).
pub const MAX_MESSAGE: usize = 128 * 1024;

#[derive(Template)]
#[template(path = "saml/signature.xml")]
pub struct SignatureTemplate<'a> {
    /// The ID of the element signed.
    pub id: &'a str,
    pub certificate: &'a str,
}

/// The signature template for the element `id`, to be filled by [`sign`].
pub fn signature_template(id: &str, certificate: &str) -> Result<String, Error> {
    SignatureTemplate { id, certificate }
        .render()
        .map(|s| s.trim_end().to_string())
        .map_err(|e| Error::internal(format!("cannot render a signature: {e}")))
}

/// Signs the first signature template of `xml` with `private_der` (PKCS#1): the document,
/// without its XML declaration.
pub fn sign(xml: &str, private_der: &[u8]) -> Result<String, Error> {
    let signed = Crypto::sign_xml(xml, private_der)
        .map_err(|e| Error::internal(format!("cannot sign a SAML message: {e}")))?;
    let body = match signed.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |(_, b)| b),
        None => &signed,
    };
    Ok(body.trim().to_string())
}

/// Whether an enveloped signature of `xml` verifies with one of `certificates` (base64 DER).
pub fn verifies(xml: &str, certificates: &[String]) -> bool {
    use base64::Engine;
    certificates.iter().any(|c| {
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(c) else {
            return false;
        };
        Crypto::verify_signed_xml(xml.as_bytes(), &CertificateDer::from(der), Some("ID")).is_ok()
    })
}

/// A message refused: its code and what was wrong with it.
pub fn refused(why: impl Into<String>) -> Error {
    Error::new(Code::SamlRequestRefused, why)
}

/// Refuses what no SAML message needs and attacks use: a document type (with it, entities
/// and external references), processing instructions but the declaration, and anything over
/// [`MAX_MESSAGE`].
pub fn plain_xml(xml: &str) -> Result<(), Error> {
    if xml.len() > MAX_MESSAGE {
        return Err(refused(format!(
            "the message is longer than {MAX_MESSAGE} bytes"
        )));
    }
    let lower = xml.to_ascii_lowercase();
    if lower.contains("<!doctype") || lower.contains("<!entity") {
        return Err(refused("the message has a document type declaration"));
    }
    let body = lower
        .trim_start()
        .strip_prefix("<?xml")
        .map_or(lower.as_str(), |r| {
            r.split_once("?>").map_or("", |(_, b)| b)
        });
    if body.contains("<?") {
        return Err(refused("the message has a processing instruction"));
    }
    Ok(())
}

/// A new message ID: `_` and 32 hex digits (an NCName; 74 of its bits are random).
pub fn new_id() -> String {
    format!("_{}", uuid::Uuid::now_v7().simple())
}

/// A SAML timestamp (UTC, seconds).
pub fn instant(unix_ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_types_and_instructions_are_refused() {
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        assert_eq!(plain_xml(xxe).unwrap_err().code, Code::SamlRequestRefused);
        assert!(plain_xml("<?xml version=\"1.0\"?><r><?pi x?></r>").is_err());
        assert!(plain_xml(&format!("<r>{}</r>", "a".repeat(MAX_MESSAGE))).is_err());
        assert!(plain_xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?><r/>").is_ok());
    }

    #[test]
    fn instants_are_utc_seconds() {
        assert_eq!(instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(instant(1_765_000_000_999), "2025-12-06T05:46:40Z");
    }
}
