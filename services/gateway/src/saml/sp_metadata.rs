//! An SP's metadata (an `EntityDescriptor` with an `SPSSODescriptor`), read into the
//! configuration of its SAML app: entity id, assertion consumer services, logout services,
//! signing certificates, whether it signs its requests, the NameID format it wants, and the
//! key its assertions are encrypted to.

use domain::saml::{Binding, Endpoint, NameIdFormat, SamlConfig};
use domain::{Code, Error};
use samael::metadata::{EntityDescriptor, KeyDescriptor};

fn invalid(why: impl Into<String>) -> Error {
    Error::new(Code::InvalidSamlConfig, why).with("field", "metadata_xml")
}

/// The SAML app an SP's metadata describes (checked further by the project's actor); with
/// `encrypt`, its assertions are encrypted to the metadata's encryption key.
pub fn config_of(
    name: &str,
    xml: &str,
    metadata_url: Option<String>,
    encrypt: bool,
) -> Result<SamlConfig, Error> {
    let (entity_id, entity) = entity(xml).map_err(invalid)?;
    let sp = entity
        .sp_sso_descriptors
        .and_then(|d| d.into_iter().next())
        .ok_or_else(|| invalid("the metadata describes no service provider (SPSSODescriptor)"))?;
    let acs = sp
        .assertion_consumer_services
        .iter()
        .filter_map(|e| {
            Some(Endpoint {
                binding: Binding::of_urn(&e.binding)?,
                location: e.location.clone(),
                index: u16::try_from(e.index).ok(),
                is_default: e.is_default.unwrap_or(false),
            })
        })
        .collect();
    let slo = sp
        .single_logout_services
        .iter()
        .flatten()
        .filter_map(|e| {
            Some(Endpoint {
                binding: Binding::of_urn(&e.binding)?,
                location: e.location.clone(),
                index: None,
                is_default: false,
            })
        })
        .collect();
    let keys = sp.key_descriptors.as_deref().unwrap_or_default();
    let certificates = certificates_for(keys, "signing");
    let encrypt_to = certificates_for(keys, "encryption").into_iter().next();
    let encrypt_to = match (encrypt, encrypt_to) {
        (false, _) => None,
        (true, Some(c)) => Some(c),
        (true, None) => {
            return Err(invalid(
                "the SP's metadata has no encryption key to encrypt its assertions to",
            ))
        }
    };
    let name_id_format = sp
        .name_id_formats
        .iter()
        .flatten()
        .find_map(|f| NameIdFormat::of_urn(f.trim()))
        .unwrap_or_default();
    Ok(SamlConfig {
        name: name.to_string(),
        entity_id,
        acs,
        slo,
        certificates,
        requests_signed: sp.authn_requests_signed.unwrap_or(false),
        name_id_format,
        idp_initiated: false,
        encrypt_to,
        metadata_url,
    })
}

/// A metadata document (no DTD, no processing instructions, bounded) read: its entity id and
/// its descriptor; or why it is not one.
pub fn entity(xml: &str) -> Result<(String, EntityDescriptor), String> {
    super::xml::plain_xml(xml).map_err(|e| e.message)?;
    let entity: EntityDescriptor = xml
        .parse()
        .map_err(|e| format!("the metadata is not a SAML EntityDescriptor: {e}"))?;
    let entity_id = entity
        .entity_id
        .clone()
        .ok_or("the metadata has no entityID")?;
    Ok((entity_id, entity))
}

/// The certificates (base64 DER) of the keys for `key_use` ("signing" or "encryption"): the
/// keys marked so and those without a use, which serve both.
pub fn certificates_for(keys: &[KeyDescriptor], key_use: &str) -> Vec<String> {
    keys.iter()
        .filter(|k| k.key_use.as_deref().is_none_or(|u| u == key_use))
        .filter_map(|k| k.key_info.x509_data.as_ref())
        .flat_map(|d| d.certificates.iter())
        .map(|c| c.chars().filter(|c| !c.is_whitespace()).collect())
        .collect()
}
