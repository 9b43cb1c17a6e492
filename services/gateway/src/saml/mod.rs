//! The SAML 2.0 identity provider of each instance (its entity id is
//! `<issuer>/saml/v2/metadata`): signed metadata, single sign-on by the HTTP-Redirect and
//! HTTP-POST bindings and IdP-initiated, signed responses and assertions posted to the SP,
//! single logout. And the service provider Portcullis is to SAML identity providers
//! upstream (IdPs of type `saml`): its metadata, its requests, their responses read.
//! SAML logins are the hosted login's sessions like any other: second factors, IdPs and the
//! browser's open sessions apply.

mod authn_request;
mod encryption;
pub mod fetch;
mod idp_metadata;
pub mod keys;
mod redirect_binding;
pub mod response;
pub mod same_site;
mod slo;
pub mod sp_metadata;
mod sso;
pub mod upstream;
mod xml;

use actix_web::web;

pub const SSO: &str = "/saml/v2/SSO";
pub const METADATA: &str = "/saml/v2/metadata";
pub const INIT: &str = "/saml/v2/init";
pub const SLO: &str = "/saml/v2/SLO";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(METADATA, web::get().to(idp_metadata::metadata))
        .route(SSO, web::get().to(sso::redirect))
        .route(SSO, web::post().to(sso::post))
        .route(INIT, web::get().to(sso::idp_initiated))
        .route(SLO, web::get().to(slo::redirect))
        .route(SLO, web::post().to(slo::post))
        .route(
            &format!("{}/{{idp_id}}", upstream::SP),
            web::get().to(upstream::sp_metadata),
        );
}
