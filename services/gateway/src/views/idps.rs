//! What the IdP routes answer: an IdP's configuration without its client secret, and the
//! callback to register at the IdP.

use domain::idp::{AutoLink, Idp, IdpKind};
use domain::saml::Binding;
use serde::Serialize;
use utoipa::ToSchema;

/// The hosted login's page the IdP sends the browser back to.
pub const CALLBACK_PATH: &str = "/ui/login/idp/callback";

#[derive(Serialize, ToSchema)]
#[schema(as = IdpOptions)]
pub struct IdpOptionsView {
    pub auto_create: bool,
    pub auto_update: bool,
    /// `none`, `email` or `username`.
    pub auto_link: String,
    pub linking_allowed: bool,
    pub creation_allowed: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OidcIdp)]
pub struct OidcIdpView {
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OAuthIdp)]
pub struct OAuthIdpView {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub id_attribute: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = LdapAttributes)]
pub struct LdapAttributesView {
    pub id: String,
    pub preferred_username: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<String>,
}

/// An LDAP directory (its service account's password is never shown).
#[derive(Serialize, ToSchema)]
#[schema(as = LdapIdp)]
pub struct LdapIdpView {
    pub servers: Vec<String>,
    pub start_tls: bool,
    pub root_ca: String,
    pub base_dn: String,
    pub bind_dn: String,
    pub user_filters: Vec<String>,
    pub attributes: LdapAttributesView,
    pub timeout_s: u64,
}

/// A SAML identity provider (from its metadata), and the service provider Portcullis is to
/// it: register `sp_metadata_url` at the IdP (or its entity id and ACS).
#[derive(Serialize, ToSchema)]
#[schema(as = SamlIdp)]
pub struct SamlIdpView {
    /// The IdP's entity id.
    pub entity_id: String,
    /// Its single sign-on service, and the binding requests go there by (`redirect`, `post`).
    pub sso_url: String,
    pub binding: String,
    /// Whether Portcullis signs its requests (with the instance's SAML key).
    pub signed_requests: bool,
    /// How many signing certificates the IdP's metadata has.
    pub certificates: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_url: Option<String>,
    /// Portcullis's entity id as the IdP's service provider (its metadata is there too).
    pub sp_entity_id: String,
    /// Where the IdP posts its responses.
    pub acs_url: String,
}

/// An external identity provider (its client secret is never shown).
#[derive(Serialize, ToSchema)]
#[schema(as = Idp)]
pub struct IdpView {
    pub id: String,
    pub name: String,
    /// `oidc`, `oauth`, `ldap` or `saml`.
    #[serde(rename = "type")]
    pub kind: String,
    pub options: IdpOptionsView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcIdpView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthIdpView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ldap: Option<LdapIdpView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saml: Option<SamlIdpView>,
    /// Register this at the IdP as the redirect URI (OpenID Connect and OAuth IdPs).
    pub callback_url: String,
}

impl IdpView {
    /// The view of IdP `id`, its callback at the instance URL `issuer`.
    pub fn of(id: &str, idp: &Idp, issuer: &str) -> IdpView {
        let o = &idp.options;
        let (mut oidc, mut oauth, mut ldap, mut saml) = (None, None, None, None);
        match &idp.kind {
            IdpKind::Oidc(c) => {
                oidc = Some(OidcIdpView {
                    issuer: c.issuer.clone(),
                    client_id: c.client_id.clone(),
                    scopes: c.scopes.clone(),
                })
            }
            IdpKind::Oauth(c) => {
                oauth = Some(OAuthIdpView {
                    authorization_endpoint: c.authorization_endpoint.clone(),
                    token_endpoint: c.token_endpoint.clone(),
                    userinfo_endpoint: c.userinfo_endpoint.clone(),
                    client_id: c.client_id.clone(),
                    scopes: c.scopes.clone(),
                    id_attribute: c.id_attribute.clone(),
                })
            }
            IdpKind::Ldap(l) => {
                let a = &l.attributes;
                ldap = Some(LdapIdpView {
                    servers: l.servers.clone(),
                    start_tls: l.start_tls,
                    root_ca: l.root_ca.clone(),
                    base_dn: l.base_dn.clone(),
                    bind_dn: l.bind_dn.clone(),
                    user_filters: l.user_filters.clone(),
                    attributes: LdapAttributesView {
                        id: a.id.clone(),
                        preferred_username: a.preferred_username.clone(),
                        email: a.email.clone(),
                        given_name: a.given_name.clone(),
                        family_name: a.family_name.clone(),
                        email_verified: a.email_verified.clone(),
                    },
                    timeout_s: l.timeout_s,
                })
            }
            IdpKind::Saml(c) => {
                saml = Some(SamlIdpView {
                    entity_id: c.entity_id.clone(),
                    sso_url: c.sso_url.clone(),
                    binding: match c.binding {
                        Binding::Redirect => "redirect",
                        Binding::Post => "post",
                    }
                    .into(),
                    signed_requests: c.signed_requests,
                    certificates: c.certificates.len(),
                    metadata_url: c.metadata_url.clone(),
                    sp_entity_id: crate::saml::upstream::sp_entity_id(issuer, id),
                    acs_url: format!("{issuer}{}", crate::saml::upstream::ACS),
                })
            }
        }
        IdpView {
            id: id.into(),
            name: idp.name.clone(),
            kind: idp.kind.name().into(),
            options: IdpOptionsView {
                auto_create: o.auto_create,
                auto_update: o.auto_update,
                auto_link: match o.auto_link {
                    AutoLink::None => "none",
                    AutoLink::Email => "email",
                    AutoLink::Username => "username",
                }
                .into(),
                linking_allowed: o.linking_allowed,
                creation_allowed: o.creation_allowed,
            },
            oidc,
            oauth,
            ldap,
            saml,
            callback_url: format!("{issuer}{CALLBACK_PATH}"),
        }
    }
}

/// An external identity a user logs in as.
#[derive(Serialize, ToSchema)]
#[schema(as = IdpLink)]
pub struct IdpLinkView {
    pub idp_id: String,
    /// The IdP's id of the user.
    pub external_id: String,
    /// What the IdP calls the user (an email or a login name).
    pub display_name: String,
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub linked_at: i64,
}

impl From<&domain::user::IdpLink> for IdpLinkView {
    fn from(l: &domain::user::IdpLink) -> Self {
        IdpLinkView {
            idp_id: l.idp_id.clone(),
            external_id: l.external_id.clone(),
            display_name: l.display_name.clone(),
            linked_at: l.linked_at,
        }
    }
}
