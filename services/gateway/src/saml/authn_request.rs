//! An SP's `AuthnRequest` as it arrives: by the HTTP-Redirect binding (deflated, base64, in
//! the query, signed over the query string) or the HTTP-POST binding (base64 in a form,
//! signed inside the XML). Decoded within bounds, refused with a DTD, parsed without entity
//! expansion, and its signature checked against the SP's certificates from its metadata.

use std::io::Read;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::saml::SamlConfig;
use domain::Error;
use openssl::hash::MessageDigest;
use openssl::sign::Verifier;
use openssl::x509::X509;
use samael::schema::AuthnRequest;

use super::xml::{plain_xml, refused, verifies, MAX_MESSAGE};

/// The only signature algorithm taken (SHA-1 is refused).
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// The longest `RelayState` kept.
pub const MAX_RELAY_STATE: usize = 2048;

/// A Redirect binding's signature: over the query's parts as they were sent.
pub struct QuerySignature {
    signed: String,
    sig_alg: String,
    signature: Vec<u8>,
}

/// A SAML message as it arrived, decoded.
pub struct Received {
    pub xml: String,
    pub relay_state: Option<String>,
    query_signature: Option<QuerySignature>,
}

fn decoded(value: &str) -> String {
    form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn relay_state(value: Option<String>) -> Result<Option<String>, Error> {
    match value {
        Some(r) if r.len() > MAX_RELAY_STATE => Err(refused(format!(
            "RelayState is longer than {MAX_RELAY_STATE} bytes"
        ))),
        other => Ok(other),
    }
}

fn base64(value: &str) -> Result<Vec<u8>, Error> {
    if value.len() > MAX_MESSAGE * 4 / 3 + 4 {
        return Err(refused(format!(
            "the message is longer than {MAX_MESSAGE} bytes"
        )));
    }
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|_| refused("the message is not base64"))
}

fn utf8(bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|_| refused("the message is not UTF-8"))
}

/// `message` (`SAMLRequest` or `SAMLResponse`) by the HTTP-Redirect binding, from the raw
/// query string.
pub fn from_redirect(raw_query: &str, message: &str) -> Result<Received, Error> {
    let mut raw = std::collections::HashMap::new();
    for part in raw_query.split('&') {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        if raw.insert(k, v).is_some() {
            return Err(refused(format!("{k} is in the query twice")));
        }
    }
    let encoded = raw
        .get(message)
        .ok_or_else(|| refused(format!("the query has no {message}")))?;
    let deflated = base64(&decoded(encoded))?;
    let mut inflated = Vec::new();
    flate2::read::DeflateDecoder::new(deflated.as_slice())
        .take(MAX_MESSAGE as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|_| refused("the message is not deflated"))?;
    if inflated.len() > MAX_MESSAGE {
        return Err(refused(format!(
            "the message is longer than {MAX_MESSAGE} bytes"
        )));
    }
    let query_signature = match (raw.get("SigAlg"), raw.get("Signature")) {
        (Some(alg), Some(sig)) => {
            // SAML bindings 3.4.4.1: the parts in this order, as they were encoded.
            let signed = [message, "RelayState", "SigAlg"]
                .iter()
                .filter_map(|k| raw.get(k).map(|v| format!("{k}={v}")))
                .collect::<Vec<_>>()
                .join("&");
            Some(QuerySignature {
                signed,
                sig_alg: decoded(alg),
                signature: base64(&decoded(sig))?,
            })
        }
        (None, None) => None,
        _ => return Err(refused("SigAlg and Signature come together")),
    };
    Ok(Received {
        xml: utf8(inflated)?,
        relay_state: relay_state(raw.get("RelayState").map(|v| decoded(v)))?,
        query_signature,
    })
}

/// `message` by the HTTP-POST binding, from the form's fields.
pub fn from_post(form: &[(String, String)], message: &str) -> Result<Received, Error> {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let encoded = field(message).ok_or_else(|| refused(format!("the form has no {message}")))?;
    Ok(Received {
        xml: utf8(base64(&encoded)?)?,
        relay_state: relay_state(field("RelayState"))?,
        query_signature: None,
    })
}

/// The request, parsed (no DTD, no entities).
pub fn parse(received: &Received) -> Result<AuthnRequest, Error> {
    plain_xml(&received.xml)?;
    let request: AuthnRequest = received
        .xml
        .parse()
        .map_err(|e| refused(format!("the message is not an AuthnRequest: {e}")))?;
    if request.version != "2.0" {
        return Err(refused("only SAML 2.0 requests are taken"));
    }
    Ok(request)
}

fn query_verifies(q: &QuerySignature, certificates: &[String]) -> bool {
    certificates.iter().any(|c| {
        let key = STANDARD
            .decode(c)
            .ok()
            .and_then(|der| X509::from_der(&der).ok())
            .and_then(|x| x.public_key().ok());
        let Some(key) = key else { return false };
        Verifier::new(MessageDigest::sha256(), &key)
            .and_then(|mut v| v.verify_oneshot(&q.signature, q.signed.as_bytes()))
            .unwrap_or(false)
    })
}

/// Checks the message's signature against the SP's certificates: a signature there must
/// verify (over the query, or enveloped and referring to the message itself), and an SP that
/// signs its requests must have signed this one.
pub fn check_signature(
    received: &Received,
    id: &str,
    enveloped: Option<&samael::signature::Signature>,
    config: &SamlConfig,
) -> Result<(), Error> {
    let signed = received.query_signature.is_some() || enveloped.is_some();
    if !signed {
        return match config.requests_signed {
            true => Err(refused(
                "the SP signs its requests, and this one is not signed",
            )),
            false => Ok(()),
        };
    }
    if config.certificates.is_empty() {
        return Err(refused(
            "the message is signed, and the SP's metadata has no signing certificate",
        ));
    }
    if let Some(q) = &received.query_signature {
        if q.sig_alg != RSA_SHA256 {
            return Err(refused(format!(
                "the signature algorithm must be {RSA_SHA256}"
            )));
        }
        return match query_verifies(q, &config.certificates) {
            true => Ok(()),
            false => Err(refused("the signature does not verify")),
        };
    }
    let own = enveloped.is_some_and(|s| {
        s.signed_info.reference.len() == 1
            && s.signed_info.reference[0].uri.as_deref() == Some(&format!("#{id}"))
    });
    if !own {
        return Err(refused("the signature does not sign the message itself"));
    }
    match verifies(&received.xml, &config.certificates) {
        true => Ok(()),
        false => Err(refused("the signature does not verify")),
    }
}
