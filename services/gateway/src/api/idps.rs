//! External identity providers of the instance (`iam.idp.read` / `.write` / `.delete`) and of
//! an org (`org.idp.*` on it). The client secret is write-only: sealed before it is written,
//! never answered. A SAML IdP is given by its metadata (read here, from a URL where given).

use authz::Permission;
use command::IdpOwner;
use domain::idp::{
    AutoLink, Idp, IdpCommand, IdpKind, IdpOptions, LdapAttributes, LdapIdp, OAuthIdp, OidcIdp,
    SamlIdp,
};
use domain::saml::Binding;
use domain::{Code, Error};

use super::settings::check;
use super::{new_id, reply};
use crate::auth::Authenticated;
use crate::views::idps::IdpView;
use crate::views::{ListParams, PageView, WriteReply};
use crate::Gateway;

/// An IdP as a manager sends it: the client secret in clear (empty: keep the one held).
pub struct IdpInput {
    pub name: String,
    /// `oidc`, `oauth`, `ldap` or `saml`.
    pub kind: String,
    pub options: Option<OptionsInput>,
    pub oidc: Option<OidcInput>,
    pub oauth: Option<OAuthInput>,
    pub ldap: Option<LdapInput>,
    pub saml: Option<SamlInput>,
}

/// A SAML IdP as sent: its metadata (the XML, or the URL it is read from), the binding
/// requests go by (`redirect` or `post`; default: what the metadata offers, Redirect first)
/// and whether Portcullis signs them.
pub struct SamlInput {
    pub metadata_xml: Option<String>,
    pub metadata_url: Option<String>,
    pub binding: Option<String>,
    pub signed_requests: bool,
}

#[derive(Default)]
pub struct OptionsInput {
    pub auto_create: Option<bool>,
    pub auto_update: Option<bool>,
    pub auto_link: Option<String>,
    pub linking_allowed: Option<bool>,
    pub creation_allowed: Option<bool>,
}

pub struct OidcInput {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
}

pub struct OAuthInput {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    pub id_attribute: Option<String>,
}

pub struct LdapInput {
    pub servers: Vec<String>,
    pub start_tls: bool,
    pub root_ca: String,
    pub base_dn: String,
    pub bind_dn: String,
    pub bind_password: String,
    pub user_filters: Vec<String>,
    /// Each attribute's name, by what it says (`id`, `email`, ...); missing: the default.
    pub attributes: LdapAttributesInput,
    pub timeout_s: Option<u64>,
}

#[derive(Default)]
pub struct LdapAttributesInput {
    pub id: Option<String>,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email_verified: Option<String>,
}

/// The directory attributes `a` names, the defaults for the rest.
fn attributes(a: LdapAttributesInput) -> LdapAttributes {
    let d = LdapAttributes::default();
    let or = |v: Option<String>, d: String| v.filter(|v| !v.is_empty()).unwrap_or(d);
    LdapAttributes {
        id: or(a.id, d.id),
        preferred_username: or(a.preferred_username, d.preferred_username),
        email: or(a.email, d.email),
        given_name: or(a.given_name, d.given_name),
        family_name: or(a.family_name, d.family_name),
        email_verified: a.email_verified.filter(|v| !v.is_empty()),
    }
}

/// How long each step with a directory may take by default.
const LDAP_TIMEOUT_S: u64 = 10;

fn invalid(field: &str, why: &str) -> Error {
    Error::new(Code::InvalidIdp, format!("{field} {why}")).with("field", field)
}

fn options(input: Option<OptionsInput>) -> Result<IdpOptions, Error> {
    let d = IdpOptions::default();
    let o = input.unwrap_or_default();
    let auto_link = match o.auto_link.as_deref() {
        None | Some("none") => AutoLink::None,
        Some("email") => AutoLink::Email,
        Some("username") => AutoLink::Username,
        Some(_) => {
            return Err(invalid(
                "options.auto_link",
                "must be none, email or username",
            ))
        }
    };
    Ok(IdpOptions {
        auto_create: o.auto_create.unwrap_or(d.auto_create),
        auto_update: o.auto_update.unwrap_or(d.auto_update),
        auto_link,
        linking_allowed: o.linking_allowed.unwrap_or(d.linking_allowed),
        creation_allowed: o.creation_allowed.unwrap_or(d.creation_allowed),
    })
}

/// The SAML IdP `s` describes (its metadata read).
async fn saml(gw: &Gateway, s: SamlInput) -> Result<SamlIdp, Error> {
    let binding = match s.binding.as_deref() {
        None => None,
        Some("redirect") => Some(Binding::Redirect),
        Some("post") => Some(Binding::Post),
        Some(_) => return Err(invalid("saml.binding", "must be redirect or post")),
    };
    let xml = match (s.metadata_xml, &s.metadata_url) {
        (Some(xml), None) => xml,
        (None, Some(url)) => crate::saml::fetch::metadata(gw, url)
            .await
            .map_err(|why| invalid("saml.metadata_url", &why))?,
        _ => {
            return Err(invalid(
                "saml.metadata_xml",
                "or saml.metadata_url: give the IdP's metadata as one of them",
            ))
        }
    };
    crate::saml::upstream::idp_settings(&xml, binding, s.signed_requests, s.metadata_url)
}

/// The IdP `input` describes, its secret sealed for the instance (a SAML IdP's metadata read).
async fn idp_of(gw: &Gateway, instance: &str, input: IdpInput) -> Result<Idp, Error> {
    let seal = |secret: &str| gw.bus.seal_idp_secret(instance, secret);
    let settings = (input.oidc, input.oauth, input.ldap, input.saml);
    let kind = match (input.kind.as_str(), settings) {
        ("oidc", (Some(o), None, None, None)) => IdpKind::Oidc(OidcIdp {
            issuer: o.issuer,
            client_id: o.client_id,
            sealed_secret: seal(&o.client_secret)?,
            scopes: o.scopes,
        }),
        ("oauth", (None, Some(o), None, None)) => IdpKind::Oauth(OAuthIdp {
            authorization_endpoint: o.authorization_endpoint,
            token_endpoint: o.token_endpoint,
            userinfo_endpoint: o.userinfo_endpoint,
            client_id: o.client_id,
            sealed_secret: seal(&o.client_secret)?,
            scopes: o.scopes,
            id_attribute: o.id_attribute.unwrap_or_else(|| "sub".into()),
        }),
        ("ldap", (None, None, Some(l), None)) => IdpKind::Ldap(Box::new(LdapIdp {
            servers: l.servers,
            start_tls: l.start_tls,
            root_ca: l.root_ca,
            base_dn: l.base_dn,
            bind_dn: l.bind_dn,
            sealed_secret: seal(&l.bind_password)?,
            user_filters: l.user_filters,
            attributes: attributes(l.attributes),
            timeout_s: l.timeout_s.unwrap_or(LDAP_TIMEOUT_S),
        })),
        ("saml", (None, None, None, Some(s))) => IdpKind::Saml(Box::new(saml(gw, s).await?)),
        ("oidc" | "oauth" | "ldap" | "saml", _) => {
            return Err(invalid(
                "type",
                "needs its own settings object (oidc, oauth, ldap or saml) and no other",
            ))
        }
        _ => return Err(invalid("type", "must be oidc, oauth, ldap or saml")),
    };
    Ok(Idp {
        name: input.name,
        kind,
        options: options(input.options)?,
    })
}

fn org_of(owner: IdpOwner<'_>) -> Option<&str> {
    match owner {
        IdpOwner::Instance => None,
        IdpOwner::Org(org) => Some(org),
    }
}

/// Writes `cmd` to the IdPs of `owner` (the gateway's check made by the caller; the actor
/// checks again against the owner).
async fn write(
    gw: &Gateway,
    auth: &Authenticated,
    owner: IdpOwner<'_>,
    cmd: IdpCommand,
) -> Result<command::Written, Error> {
    gw.bus
        .change_idps(&auth.caller, &auth.instance, owner, cmd, auth.if_match)
        .await
}

/// The gateway's check of a write: `on_org` on the org, or `on_instance` on the instance.
fn write_check(
    gw: &Gateway,
    auth: &Authenticated,
    owner: IdpOwner<'_>,
    (on_org, on_instance): (Permission, Permission),
) -> Result<(), Error> {
    check(gw, auth, org_of(owner), on_org, on_instance)
}

const WRITE: (Permission, Permission) = (Permission::ORG_IDP_WRITE, Permission::IAM_IDP_WRITE);

/// Adds an IdP; answers its id. Checked before its secret is sealed.
pub async fn add(
    gw: &Gateway,
    auth: &Authenticated,
    owner: IdpOwner<'_>,
    input: IdpInput,
) -> Result<WriteReply, Error> {
    write_check(gw, auth, owner, WRITE)?;
    let id = new_id();
    let idp = idp_of(gw, &auth.instance, input).await?;
    let cmd = IdpCommand::Add {
        id: id.clone(),
        idp,
    };
    Ok(reply(Some(id), write(gw, auth, owner, cmd).await?))
}

/// Changes an IdP (an empty `client_secret` keeps the one held).
pub async fn change(
    gw: &Gateway,
    auth: &Authenticated,
    owner: IdpOwner<'_>,
    id: &str,
    input: IdpInput,
) -> Result<WriteReply, Error> {
    write_check(gw, auth, owner, WRITE)?;
    let idp = idp_of(gw, &auth.instance, input).await?;
    let cmd = IdpCommand::Change { id: id.into(), idp };
    Ok(reply(None, write(gw, auth, owner, cmd).await?))
}

pub async fn remove(
    gw: &Gateway,
    auth: &Authenticated,
    owner: IdpOwner<'_>,
    id: &str,
) -> Result<WriteReply, Error> {
    let delete = (Permission::ORG_IDP_DELETE, Permission::IAM_IDP_DELETE);
    write_check(gw, auth, owner, delete)?;
    let cmd = IdpCommand::Remove { id: id.into() };
    Ok(reply(None, write(gw, auth, owner, cmd).await?))
}

fn read_check(gw: &Gateway, auth: &Authenticated, owner: IdpOwner<'_>) -> Result<(), Error> {
    check(
        gw,
        auth,
        org_of(owner),
        Permission::ORG_IDP_READ,
        Permission::IAM_IDP_READ,
    )
}

/// The IdPs of `owner`; `issuer` is the instance's URL the caller reached (each IdP's answer
/// names the callback to register at the IdP there).
pub async fn list(
    gw: &Gateway,
    auth: &Authenticated,
    owner: IdpOwner<'_>,
    issuer: &str,
    q: ListParams,
) -> Result<PageView<IdpView>, Error> {
    read_check(gw, auth, owner)?;
    let (idps, _) = gw.bus.idps(&auth.instance, owner).await?;
    let items = idps
        .iter()
        .map(|(id, idp)| IdpView::of(id, idp, issuer))
        .collect();
    PageView::paged(items, &q, |v| v.id.clone())
}

pub async fn get(
    gw: &Gateway,
    auth: &Authenticated,
    owner: IdpOwner<'_>,
    id: &str,
    issuer: &str,
) -> Result<IdpView, Error> {
    read_check(gw, auth, owner)?;
    let (idps, _) = gw.bus.idps(&auth.instance, owner).await?;
    let idp = idps.get(id).ok_or_else(|| {
        Error::new(Code::IdpNotFound, format!("no identity provider {id}")).with("idp_id", id)
    })?;
    Ok(IdpView::of(id, idp, issuer))
}
