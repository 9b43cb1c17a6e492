//! The HTTP-Redirect binding's way out: a message deflated into a URL's query, the query
//! signed (SAML bindings 3.4.4.1: the message, `RelayState` and `SigAlg`, as they are sent).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::Error;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::sign::Signer;

use super::authn_request::RSA_SHA256;

/// `location` with the message (`SAMLRequest` or `SAMLResponse`, and its XML) in its query,
/// with `relay_state`, signed with `private_der` (PKCS#1) where one is given.
pub fn url(
    location: &str,
    (name, xml): (&str, &str),
    relay_state: Option<&str>,
    private_der: Option<&[u8]>,
) -> Result<String, Error> {
    use std::io::Write;
    let failed =
        |e: &dyn std::fmt::Display| Error::internal(format!("cannot make a SAML redirect: {e}"));
    let mut deflater =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater.write_all(xml.as_bytes()).map_err(|e| failed(&e))?;
    let deflated = deflater.finish().map_err(|e| failed(&e))?;
    let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let mut query = format!("{name}={}", enc(&STANDARD.encode(deflated)));
    if let Some(r) = relay_state {
        query.push_str(&format!("&RelayState={}", enc(r)));
    }
    if let Some(der) = private_der {
        query.push_str(&format!("&SigAlg={}", enc(RSA_SHA256)));
        let key = Rsa::private_key_from_der(der)
            .and_then(PKey::from_rsa)
            .map_err(|e| failed(&e))?;
        let signature = Signer::new(MessageDigest::sha256(), &key)
            .and_then(|mut s| s.sign_oneshot_to_vec(query.as_bytes()))
            .map_err(|e| failed(&e))?;
        query.push_str(&format!("&Signature={}", enc(&STANDARD.encode(signature))));
    }
    let join = if location.contains('?') { '&' } else { '?' };
    Ok(format!("{location}{join}{query}"))
}
