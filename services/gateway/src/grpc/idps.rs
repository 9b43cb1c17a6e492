//! `IdpService`: external identity providers of the instance and of its orgs (REST
//! `/v1/instance/idps` and `/v1/orgs/{org_id}/idps`).

use command::IdpOwner;

use super::call::{list_params, required, Api};
use super::pb;
use crate::api::idps::{
    self, IdpInput, LdapAttributesInput, LdapInput, OAuthInput, OidcInput, OptionsInput, SamlInput,
};
use crate::auth::Authenticated;
use crate::views::idps::{IdpLinkView, IdpView};
use crate::Gateway;

impl From<IdpView> for pb::Idp {
    fn from(v: IdpView) -> Self {
        let o = v.options;
        let config = match (v.oidc, v.oauth, v.ldap, v.saml) {
            (Some(c), ..) => Some(pb::idp::Config::Oidc(pb::OidcIdp {
                issuer: c.issuer,
                client_id: c.client_id,
                client_secret: String::new(),
                scopes: c.scopes,
            })),
            (None, Some(c), ..) => Some(pb::idp::Config::Oauth(pb::OAuthIdp {
                authorization_endpoint: c.authorization_endpoint,
                token_endpoint: c.token_endpoint,
                userinfo_endpoint: c.userinfo_endpoint,
                client_id: c.client_id,
                client_secret: String::new(),
                scopes: c.scopes,
                id_attribute: Some(c.id_attribute),
            })),
            (None, None, Some(l), _) => {
                let a = l.attributes;
                Some(pb::idp::Config::Ldap(pb::LdapIdp {
                    servers: l.servers,
                    start_tls: l.start_tls,
                    root_ca: l.root_ca,
                    base_dn: l.base_dn,
                    bind_dn: l.bind_dn,
                    bind_password: String::new(),
                    user_filters: l.user_filters,
                    attributes: Some(pb::LdapAttributes {
                        id: a.id,
                        preferred_username: a.preferred_username,
                        email: a.email,
                        given_name: a.given_name,
                        family_name: a.family_name,
                        email_verified: a.email_verified.unwrap_or_default(),
                    }),
                    timeout_s: l.timeout_s as u32,
                }))
            }
            (None, None, None, Some(s)) => Some(pb::idp::Config::Saml(pb::SamlIdp {
                metadata_xml: String::new(),
                metadata_url: s.metadata_url.unwrap_or_default(),
                binding: s.binding,
                signed_requests: s.signed_requests,
                entity_id: s.entity_id,
                sso_url: s.sso_url,
                certificates: s.certificates as u32,
                sp_entity_id: s.sp_entity_id,
                acs_url: s.acs_url,
            })),
            (None, None, None, None) => None,
        };
        pb::Idp {
            id: v.id,
            name: v.name,
            r#type: v.kind,
            options: Some(pb::IdpOptions {
                auto_create: Some(o.auto_create),
                auto_update: Some(o.auto_update),
                auto_link: Some(o.auto_link),
                linking_allowed: Some(o.linking_allowed),
                creation_allowed: Some(o.creation_allowed),
            }),
            config,
            callback_url: v.callback_url,
        }
    }
}

impl From<IdpLinkView> for pb::IdpLink {
    fn from(l: IdpLinkView) -> Self {
        pb::IdpLink {
            idp_id: l.idp_id,
            external_id: l.external_id,
            display_name: l.display_name,
            linked_at: Some(crate::times::timestamp(l.linked_at)),
        }
    }
}

page!(IdpLinkView => pb::ListIdpLinksResponse);
page!(IdpView => pb::ListInstanceIdpsResponse);
page!(IdpView => pb::ListOrgIdpsResponse);

/// An IdP's settings as sent.
fn input(s: Option<pb::IdpSettings>) -> Result<IdpInput, domain::Error> {
    let s = required(s, "settings")?;
    let options = s.options.map(|o| OptionsInput {
        auto_create: o.auto_create,
        auto_update: o.auto_update,
        auto_link: o.auto_link,
        linking_allowed: o.linking_allowed,
        creation_allowed: o.creation_allowed,
    });
    let named = |v: String| Some(v).filter(|v| !v.is_empty());
    let (kind, oidc, oauth, ldap, saml) = match required(s.config, "config")? {
        pb::idp_settings::Config::Oidc(c) => (
            "oidc",
            Some(OidcInput {
                issuer: c.issuer,
                client_id: c.client_id,
                client_secret: c.client_secret,
                scopes: c.scopes,
            }),
            None,
            None,
            None,
        ),
        pb::idp_settings::Config::Oauth(c) => (
            "oauth",
            None,
            Some(OAuthInput {
                authorization_endpoint: c.authorization_endpoint,
                token_endpoint: c.token_endpoint,
                userinfo_endpoint: c.userinfo_endpoint,
                client_id: c.client_id,
                client_secret: c.client_secret,
                scopes: c.scopes,
                id_attribute: c.id_attribute,
            }),
            None,
            None,
        ),
        pb::idp_settings::Config::Ldap(c) => {
            let a = c.attributes.unwrap_or_default();
            let ldap = LdapInput {
                servers: c.servers,
                start_tls: c.start_tls,
                root_ca: c.root_ca,
                base_dn: c.base_dn,
                bind_dn: c.bind_dn,
                bind_password: c.bind_password,
                user_filters: c.user_filters,
                attributes: LdapAttributesInput {
                    id: named(a.id),
                    preferred_username: named(a.preferred_username),
                    email: named(a.email),
                    given_name: named(a.given_name),
                    family_name: named(a.family_name),
                    email_verified: named(a.email_verified),
                },
                timeout_s: Some(u64::from(c.timeout_s)).filter(|t| *t > 0),
            };
            ("ldap", None, None, Some(ldap), None)
        }
        pb::idp_settings::Config::Saml(c) => {
            let saml = SamlInput {
                metadata_xml: named(c.metadata_xml),
                metadata_url: named(c.metadata_url),
                binding: named(c.binding),
                signed_requests: c.signed_requests,
            };
            ("saml", None, None, None, Some(saml))
        }
    };
    Ok(IdpInput {
        name: s.name,
        kind: kind.into(),
        options,
        oidc,
        oauth,
        ldap,
        saml,
    })
}

/// The instance's URL at the host the call reached (gRPC names no HTTP port: the configured
/// external one, else the scheme's).
fn issuer(gw: &Gateway, auth: &Authenticated) -> String {
    let host = crate::edge::host_name(&auth.host).unwrap_or_default();
    gw.edge.external_url_of(&host)
}

#[tonic::async_trait]
impl pb::idp_service_server::IdpService for Api {
    rpc!(instance add_instance_idp(pb::AddInstanceIdpRequest) -> pb::WriteReply,
        |gw, auth, r| idps::add(&gw, &auth, IdpOwner::Instance, input(r.settings)?).await);

    rpc!(instance list_instance_idps(pb::ListInstanceIdpsRequest) -> pb::ListInstanceIdpsResponse,
    |gw, auth, r| {
        let iss = issuer(&gw, &auth);
        idps::list(&gw, &auth, IdpOwner::Instance, &iss, list_params(r.limit, r.cursor)).await
    });

    rpc!(instance get_instance_idp(pb::GetInstanceIdpRequest) -> pb::Idp,
        |gw, auth, r| idps::get(&gw, &auth, IdpOwner::Instance, &r.id, &issuer(&gw, &auth)).await);

    rpc!(instance change_instance_idp(pb::ChangeInstanceIdpRequest) -> pb::WriteReply,
        |gw, auth, r| idps::change(&gw, &auth, IdpOwner::Instance, &r.id, input(r.settings)?).await);

    rpc!(instance remove_instance_idp(pb::RemoveInstanceIdpRequest) -> pb::WriteReply,
        |gw, auth, r| idps::remove(&gw, &auth, IdpOwner::Instance, &r.id).await);

    rpc!(instance add_org_idp(pb::AddOrgIdpRequest) -> pb::WriteReply,
        |gw, auth, r| idps::add(&gw, &auth, IdpOwner::Org(&r.org_id), input(r.settings)?).await);

    rpc!(instance list_org_idps(pb::ListOrgIdpsRequest) -> pb::ListOrgIdpsResponse,
    |gw, auth, r| {
        let iss = issuer(&gw, &auth);
        let owner = IdpOwner::Org(&r.org_id);
        idps::list(&gw, &auth, owner, &iss, list_params(r.limit, r.cursor)).await
    });

    rpc!(instance get_org_idp(pb::GetOrgIdpRequest) -> pb::Idp,
    |gw, auth, r| {
        let iss = issuer(&gw, &auth);
        idps::get(&gw, &auth, IdpOwner::Org(&r.org_id), &r.id, &iss).await
    });

    rpc!(instance change_org_idp(pb::ChangeOrgIdpRequest) -> pb::WriteReply,
    |gw, auth, r| {
        let owner = IdpOwner::Org(&r.org_id);
        idps::change(&gw, &auth, owner, &r.id, input(r.settings)?).await
    });

    rpc!(instance remove_org_idp(pb::RemoveOrgIdpRequest) -> pb::WriteReply,
        |gw, auth, r| idps::remove(&gw, &auth, IdpOwner::Org(&r.org_id), &r.id).await);
}
