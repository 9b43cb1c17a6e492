//! SAML apps as the API shows them.

use domain::saml::{Binding, Endpoint, NameIdFormat, SamlConfig};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SamlEndpointView {
    /// `post` or `redirect`.
    pub binding: String,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u16>,
    pub is_default: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SamlAppView {
    pub id: String,
    pub name: String,
    /// The SP's entity id: the issuer of its requests, the audience of the assertions.
    pub entity_id: String,
    pub assertion_consumer_services: Vec<SamlEndpointView>,
    pub single_logout_services: Vec<SamlEndpointView>,
    /// `persistent` (the user's id), `email` or `unspecified` (the login name).
    pub name_id_format: String,
    /// Whether the SP signs its requests (then unsigned ones are refused).
    pub requests_signed: bool,
    /// How many signing certificates the SP's metadata has.
    pub certificates: usize,
    pub idp_initiated: bool,
    /// Whether the assertions are encrypted to the SP's key.
    pub encrypt_assertions: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_url: Option<String>,
}

fn endpoint(e: Endpoint) -> SamlEndpointView {
    SamlEndpointView {
        binding: match e.binding {
            Binding::Post => "post",
            Binding::Redirect => "redirect",
        }
        .into(),
        location: e.location,
        index: e.index,
        is_default: e.is_default,
    }
}

pub fn name_id_format(f: NameIdFormat) -> &'static str {
    match f {
        NameIdFormat::Persistent => "persistent",
        NameIdFormat::Email => "email",
        NameIdFormat::Unspecified => "unspecified",
    }
}

impl SamlAppView {
    pub fn new(id: String, c: SamlConfig) -> Self {
        SamlAppView {
            id,
            name: c.name,
            entity_id: c.entity_id,
            assertion_consumer_services: c.acs.into_iter().map(endpoint).collect(),
            single_logout_services: c.slo.into_iter().map(endpoint).collect(),
            name_id_format: name_id_format(c.name_id_format).into(),
            requests_signed: c.requests_signed,
            certificates: c.certificates.len(),
            idp_initiated: c.idp_initiated,
            encrypt_assertions: c.encrypt_to.is_some(),
            metadata_url: c.metadata_url,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = CreatedSamlApp)]
pub struct CreatedSamlAppView {
    pub id: String,
    pub entity_id: String,
    pub sequence: u64,
    /// Send it back as `X-Portcullis-Position` to read this write.
    pub position: String,
}
