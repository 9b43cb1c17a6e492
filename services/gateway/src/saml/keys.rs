//! The instance's SAML signing keys: its RSA OIDC keys, each with a self-signed X.509
//! certificate made from the key itself. The certificate is the same on every node and at
//! every start (its fields come from the key and its id, and an RSA PKCS#1 v1.5 signature is
//! deterministic), so nothing more is stored, and SAML rotates with the OIDC keys: the
//! metadata lists the certificates of every key that is not retired.

use std::sync::Arc;

use domain::Error;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::{X509Name, X509};

use crate::oidc::keyring::{rsa_keys, MAX_INSTANCES};
use crate::Gateway;

/// An RSA key and its certificate.
pub struct SamlKey {
    /// The private key, PKCS#1 DER (as xmlsec reads it).
    pub private_der: Vec<u8>,
    /// The certificate, DER.
    pub certificate: Vec<u8>,
}

impl SamlKey {
    /// The certificate as XML signatures and metadata carry it.
    pub fn certificate_base64(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&self.certificate)
    }
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("the SAML certificate cannot be made: {e}"))
}

/// Ten years from the key's creation.
const VALID_DAYS: i64 = 3653;

/// The certificate of a key: subject and issuer name the instance's issuer, the serial is the
/// key id, and its validity starts when the key was made (the time in its UUIDv7 id).
fn certificate(kid: &str, issuer: &str, pkcs8: &[u8]) -> Result<SamlKey, Error> {
    let key: PKey<Private> = PKey::private_key_from_pkcs8(pkcs8).map_err(failed)?;
    let private_der = key
        .rsa()
        .and_then(|r| r.private_key_to_der())
        .map_err(failed)?;
    let made_ms = i64::from_str_radix(kid.get(..12).unwrap_or("0"), 16).unwrap_or(0);
    let mut name = X509Name::builder().map_err(failed)?;
    let host = issuer.split("://").nth(1).unwrap_or(issuer);
    let cn: String = format!("Portcullis SAML {host}").chars().take(64).collect();
    name.append_entry_by_nid(Nid::COMMONNAME, &cn)
        .map_err(failed)?;
    let name = name.build();
    let mut b = X509::builder().map_err(failed)?;
    b.set_version(2).map_err(failed)?;
    let serial = BigNum::from_hex_str(kid)
        .and_then(|n| n.to_asn1_integer())
        .map_err(failed)?;
    b.set_serial_number(&serial).map_err(failed)?;
    b.set_subject_name(&name).map_err(failed)?;
    b.set_issuer_name(&name).map_err(failed)?;
    b.set_pubkey(&key).map_err(failed)?;
    let from = made_ms / 1000;
    let not_before = Asn1Time::from_unix(from).map_err(failed)?;
    let not_after = Asn1Time::from_unix(from + VALID_DAYS * 86_400).map_err(failed)?;
    b.set_not_before(&not_before).map_err(failed)?;
    b.set_not_after(&not_after).map_err(failed)?;
    b.sign(&key, MessageDigest::sha256()).map_err(failed)?;
    let certificate = b.build().to_der().map_err(failed)?;
    Ok(SamlKey {
        private_der,
        certificate,
    })
}

/// The instance's SAML keys, the active one first.
pub async fn keys(gw: &Gateway, instance: &str, issuer: &str) -> Result<Vec<Arc<SamlKey>>, Error> {
    let mut out = Vec::new();
    for (row, pkcs8) in rsa_keys(gw, instance).await? {
        let cache_key = format!("{instance}/{}", row.kid);
        let cached = gw
            .keys
            .saml
            .lock()
            .expect("key ring lock")
            .get(&cache_key)
            .cloned();
        let key = match cached {
            Some(k) => k,
            None => {
                let k = Arc::new(certificate(&row.kid, issuer, &pkcs8)?);
                let mut cache = gw.keys.saml.lock().expect("key ring lock");
                if cache.len() > MAX_INSTANCES {
                    cache.clear();
                }
                cache.insert(cache_key, k.clone());
                k
            }
        };
        out.push(key);
    }
    Ok(out)
}

/// The key the instance signs with now.
pub async fn signing_key(
    gw: &Gateway,
    instance: &str,
    issuer: &str,
) -> Result<Arc<SamlKey>, Error> {
    keys(gw, instance, issuer)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::internal("the instance has no active RS256 key"))
}
