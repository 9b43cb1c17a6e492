//! External identity providers of an instance or an org: a generic OpenID Connect provider
//! (found by its issuer's discovery) or a generic OAuth 2 provider (its endpoints named, the
//! user read from its userinfo answer), each with its client credentials and the options that
//! say what a login through it may do to users. The client secret arrives sealed with the
//! master key (the service layer seals it); no read answers it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::app::web_uri;
use crate::error::{Code, Error, Result};
use crate::saml::Binding;
use crate::validate;

/// The most IdPs one instance or org holds.
pub const MAX_IDPS: usize = 50;
/// The most scopes an IdP is asked for, and their longest.
const MAX_SCOPES: usize = 20;
const MAX_SCOPE: usize = 200;

/// How a login through the IdP finds an existing user it is not linked to yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoLink {
    /// It does not: without a link, a new user (if allowed) or nothing.
    #[default]
    None,
    /// The user whose verified email is the one the IdP vouches for.
    Email,
    /// The user whose login name is the IdP's `preferred_username`.
    Username,
}

/// What a login through the IdP may do to users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpOptions {
    /// An unknown identity becomes a new user at once (else the user is asked first).
    pub auto_create: bool,
    /// A linked user's profile follows the IdP's claims at each login.
    pub auto_update: bool,
    pub auto_link: AutoLink,
    /// Existing users may link this IdP to themselves.
    pub linking_allowed: bool,
    /// Users may be created from this IdP's identities at all.
    pub creation_allowed: bool,
}

impl Default for IdpOptions {
    fn default() -> Self {
        IdpOptions {
            auto_create: true,
            auto_update: true,
            auto_link: AutoLink::None,
            linking_allowed: true,
            creation_allowed: true,
        }
    }
}

/// What a login through an IdP does with an identity that no user is linked to yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unlinked {
    /// A new user, made from the identity and linked to it.
    Create,
    /// The owner of an existing account links it by logging in to it (the account found by
    /// `auto_link`, or any account of the org where the IdP allows linking).
    Confirm,
    /// No login.
    Refuse,
}

/// The named rule for an unlinked identity: an account `auto_link` found is never taken over
/// unasked (an IdP's word on an email address or a login name is no proof of owning the
/// account): its owner confirms with its password. Without one, a new user where the IdP
/// makes users, else linking where it allows that.
pub fn on_unlinked(options: &IdpOptions, account_found: bool) -> Unlinked {
    if account_found {
        return Unlinked::Confirm;
    }
    if options.creation_allowed && options.auto_create {
        Unlinked::Create
    } else if options.linking_allowed {
        Unlinked::Confirm
    } else {
        Unlinked::Refuse
    }
}

/// A generic OpenID Connect provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcIdp {
    /// Its issuer: discovery is read from `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The client secret, sealed for this instance.
    pub sealed_secret: String,
    /// Asked for besides `openid`.
    pub scopes: Vec<String>,
}

/// A generic OAuth 2 provider: the user is its userinfo answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthIdp {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub client_id: String,
    pub sealed_secret: String,
    pub scopes: Vec<String>,
    /// The userinfo answer's member that identifies the user (`id` at GitHub, `sub` at most).
    pub id_attribute: String,
}

/// Which directory attributes say what about a user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapAttributes {
    /// The identity's stable id (`entryUUID`, `objectGUID`, `uid`).
    pub id: String,
    pub preferred_username: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    /// A boolean attribute (`TRUE`) that says the email is verified; none: it is not.
    pub email_verified: Option<String>,
}

impl Default for LdapAttributes {
    fn default() -> Self {
        LdapAttributes {
            id: "uid".into(),
            preferred_username: "uid".into(),
            email: "mail".into(),
            given_name: "givenName".into(),
            family_name: "sn".into(),
            email_verified: None,
        }
    }
}

/// An LDAP directory: the login form's username is looked up with a service account (by
/// `user_filters`, the attributes it may match), then bound as with the form's password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapIdp {
    /// `ldap://` or `ldaps://` URLs, tried in order.
    pub servers: Vec<String>,
    /// Upgrade `ldap://` connections with StartTLS.
    pub start_tls: bool,
    /// The certificate (PEM) the servers' certificates chain to, where it is not a public
    /// one; empty: the system's roots.
    pub root_ca: String,
    pub base_dn: String,
    pub bind_dn: String,
    /// The service account's password, sealed for this instance.
    pub sealed_secret: String,
    /// The attributes a username is matched against (`uid`, `mail`).
    pub user_filters: Vec<String>,
    pub attributes: LdapAttributes,
    /// How long each step (connect, bind, search) may take, in seconds.
    pub timeout_s: u64,
}

/// A SAML 2.0 identity provider, from its metadata: Portcullis logs in there as a service
/// provider (with an entity id and an assertion consumer service of its own for each IdP).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlIdp {
    /// The IdP's entity id: the issuer of its responses and assertions.
    pub entity_id: String,
    /// Its single sign-on service.
    pub sso_url: String,
    /// How the browser takes the request there.
    pub binding: Binding,
    /// Its signing certificates (base64 DER): what it answers must be signed by one of them.
    pub certificates: Vec<String>,
    /// Portcullis signs its requests (with the instance's SAML key).
    pub signed_requests: bool,
    /// Where the metadata came from, when it was fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_url: Option<String>,
}

/// The most signing certificates an IdP's metadata may name.
const MAX_SAML_CERTIFICATES: usize = 5;

fn saml(s: SamlIdp) -> Result<SamlIdp> {
    let entity_id = crate::saml::entity_id(s.entity_id.trim())
        .map_err(|e| invalid("saml.entity_id", &e.message))?;
    if s.certificates.is_empty() || s.certificates.len() > MAX_SAML_CERTIFICATES {
        return Err(invalid(
            "saml.certificates",
            "must be 1 to 5 signing certificates (the IdP's metadata names them)",
        ));
    }
    if !s
        .certificates
        .iter()
        .all(|c| crate::saml::is_certificate(c))
    {
        return Err(invalid(
            "saml.certificates",
            "must be base64 DER of at most 16 KiB each",
        ));
    }
    let metadata_url = match s.metadata_url {
        Some(u) => Some(endpoint(&u, "saml.metadata_url")?),
        None => None,
    };
    Ok(SamlIdp {
        entity_id,
        sso_url: endpoint(&s.sso_url, "saml.sso_url")?,
        binding: s.binding,
        certificates: s.certificates,
        signed_requests: s.signed_requests,
        metadata_url,
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdpKind {
    Oidc(OidcIdp),
    Oauth(OAuthIdp),
    // Boxed: a directory's settings are many times the size of the others.
    Ldap(Box<LdapIdp>),
    Saml(Box<SamlIdp>),
}

impl IdpKind {
    pub fn name(&self) -> &'static str {
        match self {
            IdpKind::Oidc(_) => "oidc",
            IdpKind::Oauth(_) => "oauth",
            IdpKind::Ldap(_) => "ldap",
            IdpKind::Saml(_) => "saml",
        }
    }

    /// The sealed secret (empty for a SAML IdP, which has none: Portcullis signs with the
    /// instance's key).
    pub fn sealed_secret(&self) -> &str {
        match self {
            IdpKind::Oidc(o) => &o.sealed_secret,
            IdpKind::Oauth(o) => &o.sealed_secret,
            IdpKind::Ldap(l) => &l.sealed_secret,
            IdpKind::Saml(_) => "",
        }
    }

    fn sealed_secret_mut(&mut self) -> Option<&mut String> {
        match self {
            IdpKind::Oidc(o) => Some(&mut o.sealed_secret),
            IdpKind::Oauth(o) => Some(&mut o.sealed_secret),
            IdpKind::Ldap(l) => Some(&mut l.sealed_secret),
            IdpKind::Saml(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Idp {
    /// What the login's button says ("Sign in with {name}").
    pub name: String,
    pub kind: IdpKind,
    pub options: IdpOptions,
}

pub type Idps = BTreeMap<String, Idp>;

/// A change to the IdPs of an instance or an org (`iam.idp.*`, `org.idp.*`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdpCommand {
    Add {
        id: String,
        idp: Idp,
    },
    /// A new configuration; an empty sealed secret keeps the one held.
    Change {
        id: String,
        idp: Idp,
    },
    Remove {
        id: String,
    },
}

/// What an IdP command decided.
pub enum IdpChange {
    Added { id: String, idp: Idp },
    Changed { id: String, idp: Idp },
    Removed { id: String },
}

fn invalid(field: &str, why: &str) -> Error {
    Error::new(Code::InvalidIdp, format!("{field} {why}")).with("field", field)
}

fn not_found(id: &str) -> Error {
    Error::new(Code::IdpNotFound, format!("no identity provider {id}")).with("idp_id", id)
}

fn text(value: &str, field: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > validate::MAX_NAME || v.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "must be 1 to 200 characters without control characters",
        ));
    }
    Ok(v.to_string())
}

fn endpoint(value: &str, field: &str) -> Result<String> {
    web_uri(value.trim(), field).map_err(|e| invalid(field, &e.message))
}

fn scopes(list: &[String]) -> Result<Vec<String>> {
    if list.len() > MAX_SCOPES {
        return Err(invalid("scopes", "may name 20 scopes at most"));
    }
    let mut out: Vec<String> = Vec::new();
    for s in list {
        let s = s.trim();
        let printable = s
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
        if s.is_empty() || s.len() > MAX_SCOPE || !printable {
            return Err(invalid(
                "scopes",
                "are words of printable characters without spaces",
            ));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// The most servers, filters and seconds an LDAP IdP names.
const MAX_SERVERS: usize = 10;
const MAX_FILTERS: usize = 10;
const MAX_TIMEOUT_S: u64 = 60;
/// The longest root certificate taken.
const MAX_ROOT_CA: usize = 20_000;

/// An attribute's name: a letter, then letters, digits and hyphens (RFC 4512), or an OID.
fn attribute(value: &str, field: &str) -> Result<String> {
    let v = value.trim();
    let named = v.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let oid = !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.');
    if v.len() > 100 || !(named || oid) {
        return Err(invalid(
            field,
            "must be an attribute's name, such as uid or mail",
        ));
    }
    Ok(v.to_string())
}

fn ldap_server(value: &str) -> Result<String> {
    let v = value.trim();
    let rest = v
        .strip_prefix("ldaps://")
        .or_else(|| v.strip_prefix("ldap://"))
        .ok_or_else(|| invalid("servers", "must be ldap:// or ldaps:// URLs"))?;
    let host = rest.trim_end_matches('/');
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
        return Err(invalid("servers", "must name a host (and port) only"));
    }
    Ok(format!("{}{host}", &v[..v.len() - rest.len()]))
}

fn ldap(l: LdapIdp) -> Result<LdapIdp> {
    if l.servers.is_empty() || l.servers.len() > MAX_SERVERS {
        return Err(invalid("servers", "must name 1 to 10 servers"));
    }
    let servers = l
        .servers
        .iter()
        .map(|s| ldap_server(s))
        .collect::<Result<Vec<_>>>()?;
    if l.start_tls && servers.iter().any(|s| s.starts_with("ldaps://")) {
        return Err(invalid(
            "start_tls",
            "is for ldap:// servers: ldaps:// is TLS already",
        ));
    }
    if l.user_filters.is_empty() || l.user_filters.len() > MAX_FILTERS {
        return Err(invalid("user_filters", "must name 1 to 10 attributes"));
    }
    let user_filters = l
        .user_filters
        .iter()
        .map(|f| attribute(f, "user_filters"))
        .collect::<Result<Vec<_>>>()?;
    let a = l.attributes;
    let attributes = LdapAttributes {
        id: attribute(&a.id, "attributes.id")?,
        preferred_username: attribute(&a.preferred_username, "attributes.preferred_username")?,
        email: attribute(&a.email, "attributes.email")?,
        given_name: attribute(&a.given_name, "attributes.given_name")?,
        family_name: attribute(&a.family_name, "attributes.family_name")?,
        email_verified: match a.email_verified {
            Some(v) => Some(attribute(&v, "attributes.email_verified")?),
            None => None,
        },
    };
    let root_ca = l.root_ca.trim().to_string();
    if root_ca.len() > MAX_ROOT_CA
        || (!root_ca.is_empty() && !root_ca.starts_with("-----BEGIN CERTIFICATE-----"))
    {
        return Err(invalid(
            "root_ca",
            "must be a PEM certificate of 20,000 bytes at most",
        ));
    }
    if !(1..=MAX_TIMEOUT_S).contains(&l.timeout_s) {
        return Err(invalid("timeout_s", "must be 1 to 60 seconds"));
    }
    Ok(LdapIdp {
        servers,
        start_tls: l.start_tls,
        root_ca,
        base_dn: text(&l.base_dn, "base_dn")?,
        bind_dn: text(&l.bind_dn, "bind_dn")?,
        sealed_secret: match l.sealed_secret.is_empty() {
            true => return Err(invalid("bind_password", "is required")),
            false => l.sealed_secret,
        },
        user_filters,
        attributes,
        timeout_s: l.timeout_s,
    })
}

impl Idp {
    /// The configuration with its fields checked and trimmed.
    pub fn validated(self) -> Result<Idp> {
        let name = validate::name(&self.name, Code::InvalidIdp, "name")?;
        let secret = |s: &str| match s.is_empty() {
            true => Err(invalid("client_secret", "is required")),
            false => Ok(s.to_string()),
        };
        let kind = match self.kind {
            IdpKind::Oidc(o) => {
                let issuer = endpoint(&o.issuer, "issuer")?;
                if issuer.contains('?') {
                    return Err(invalid("issuer", "must not have a query"));
                }
                IdpKind::Oidc(OidcIdp {
                    issuer: issuer.trim_end_matches('/').to_string(),
                    client_id: text(&o.client_id, "client_id")?,
                    sealed_secret: secret(&o.sealed_secret)?,
                    scopes: scopes(&o.scopes)?,
                })
            }
            IdpKind::Oauth(o) => IdpKind::Oauth(OAuthIdp {
                authorization_endpoint: endpoint(
                    &o.authorization_endpoint,
                    "authorization_endpoint",
                )?,
                token_endpoint: endpoint(&o.token_endpoint, "token_endpoint")?,
                userinfo_endpoint: endpoint(&o.userinfo_endpoint, "userinfo_endpoint")?,
                client_id: text(&o.client_id, "client_id")?,
                sealed_secret: secret(&o.sealed_secret)?,
                scopes: scopes(&o.scopes)?,
                id_attribute: text(&o.id_attribute, "id_attribute")?,
            }),
            IdpKind::Ldap(l) => IdpKind::Ldap(Box::new(ldap(*l)?)),
            IdpKind::Saml(s) => IdpKind::Saml(Box::new(saml(*s)?)),
        };
        Ok(Idp {
            name,
            kind,
            options: self.options,
        })
    }
}

/// Decides an IdP command against the IdPs held.
pub fn decide_idp(idps: &Idps, cmd: &IdpCommand) -> Result<Option<IdpChange>> {
    Ok(match cmd {
        IdpCommand::Add { id, idp } => {
            if idps.contains_key(id) {
                return Err(Error::internal(
                    "the identity provider id is in use already",
                ));
            }
            if idps.len() >= MAX_IDPS {
                return Err(Error::new(
                    Code::TooManyIdps,
                    format!("at most {MAX_IDPS} identity providers: remove one first"),
                ));
            }
            Some(IdpChange::Added {
                id: id.clone(),
                idp: idp.clone().validated()?,
            })
        }
        IdpCommand::Change { id, idp } => {
            let held = idps.get(id).ok_or_else(|| not_found(id))?;
            let mut idp = idp.clone();
            let held_secret = held.kind.sealed_secret().to_string();
            let same_kind = held.kind.name() == idp.kind.name();
            if let Some(secret) = idp.kind.sealed_secret_mut().filter(|s| s.is_empty()) {
                if !same_kind {
                    return Err(invalid(
                        "client_secret",
                        "is required when the type changes",
                    ));
                }
                *secret = held_secret;
            }
            let idp = idp.validated()?;
            match &idp == held {
                true => None,
                false => Some(IdpChange::Changed {
                    id: id.clone(),
                    idp,
                }),
            }
        }
        IdpCommand::Remove { id } => {
            idps.get(id).ok_or_else(|| not_found(id))?;
            Some(IdpChange::Removed { id: id.clone() })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc() -> Idp {
        Idp {
            name: "Acme SSO".into(),
            kind: IdpKind::Oidc(OidcIdp {
                issuer: "https://sso.acme.example/".into(),
                client_id: "portcullis".into(),
                sealed_secret: "sealed".into(),
                scopes: vec!["email".into(), "email".into()],
            }),
            options: IdpOptions::default(),
        }
    }

    #[test]
    fn an_idp_is_added_trimmed_and_its_secret_kept_on_a_change_without_one() {
        let added = match decide_idp(
            &Idps::new(),
            &IdpCommand::Add {
                id: "i1".into(),
                idp: oidc(),
            },
        ) {
            Ok(Some(IdpChange::Added { idp, .. })) => idp,
            _ => panic!("added"),
        };
        let IdpKind::Oidc(o) = &added.kind else {
            panic!("oidc")
        };
        assert_eq!(o.issuer, "https://sso.acme.example");
        assert_eq!(o.scopes, vec!["email".to_string()]);
        let held = Idps::from([("i1".to_string(), added.clone())]);
        let mut renamed = oidc();
        renamed.name = "Acme".into();
        let IdpKind::Oidc(o) = &mut renamed.kind else {
            panic!()
        };
        o.sealed_secret.clear();
        let changed = match decide_idp(
            &held,
            &IdpCommand::Change {
                id: "i1".into(),
                idp: renamed,
            },
        ) {
            Ok(Some(IdpChange::Changed { idp, .. })) => idp,
            _ => panic!("changed"),
        };
        assert_eq!(changed.kind.sealed_secret(), "sealed");
        // The same again changes nothing.
        let held = Idps::from([("i1".to_string(), changed.clone())]);
        let same = IdpCommand::Change {
            id: "i1".into(),
            idp: changed,
        };
        assert!(decide_idp(&held, &same).unwrap().is_none());
    }

    #[test]
    fn bad_configurations_are_refused_with_their_field() {
        let field_of = |idp: Idp| {
            let cmd = IdpCommand::Add {
                id: "i".into(),
                idp,
            };
            let e = decide_idp(&Idps::new(), &cmd).err().expect("refused");
            e.details
                .iter()
                .find(|(k, _)| k == "field")
                .map(|(_, v)| v.clone())
        };
        let with = |f: &dyn Fn(&mut OidcIdp)| {
            let mut idp = oidc();
            if let IdpKind::Oidc(o) = &mut idp.kind {
                f(o)
            }
            idp
        };
        for (idp, field) in [
            (
                with(&|o| o.issuer = "http://sso.acme.example".into()),
                "issuer",
            ),
            (with(&|o| o.issuer = "file:///etc/passwd".into()), "issuer"),
            (
                with(&|o| o.issuer = "https://sso.acme.example/?x=1".into()),
                "issuer",
            ),
            (with(&|o| o.client_id = " ".into()), "client_id"),
            (with(&|o| o.sealed_secret.clear()), "client_secret"),
            (with(&|o| o.scopes = vec!["a b".into()]), "scopes"),
            (
                Idp {
                    name: String::new(),
                    ..oidc()
                },
                "name",
            ),
        ] {
            assert_eq!(field_of(idp).as_deref(), Some(field));
        }
        let remove = IdpCommand::Remove { id: "nope".into() };
        assert_eq!(
            decide_idp(&Idps::new(), &remove).err().map(|e| e.code),
            Some(Code::IdpNotFound)
        );
    }

    fn ldap() -> Idp {
        Idp {
            name: "Directory".into(),
            kind: IdpKind::Ldap(Box::new(LdapIdp {
                servers: vec!["ldap://dir.acme.example:389/".into()],
                start_tls: true,
                root_ca: String::new(),
                base_dn: "ou=people,dc=acme,dc=example".into(),
                bind_dn: "cn=portcullis,dc=acme,dc=example".into(),
                sealed_secret: "sealed".into(),
                user_filters: vec!["uid".into(), "mail".into()],
                attributes: LdapAttributes::default(),
                timeout_s: 10,
            })),
            options: IdpOptions::default(),
        }
    }

    #[test]
    fn an_ldap_directory_is_named_by_servers_and_attributes_only() {
        let add = |idp: Idp| {
            decide_idp(
                &Idps::new(),
                &IdpCommand::Add {
                    id: "l".into(),
                    idp,
                },
            )
        };
        match add(ldap()).unwrap() {
            Some(IdpChange::Added { idp, .. }) => match idp.kind {
                IdpKind::Ldap(l) => assert_eq!(l.servers, ["ldap://dir.acme.example:389"]),
                other => panic!("{other:?}"),
            },
            _ => panic!("added"),
        }
        let with = |f: &dyn Fn(&mut LdapIdp)| {
            let mut idp = ldap();
            if let IdpKind::Ldap(l) = &mut idp.kind {
                f(l)
            }
            idp
        };
        for (idp, field) in [
            (with(&|l| l.servers = vec!["http://dir".into()]), "servers"),
            (
                with(&|l| l.servers = vec!["ldap://a@dir".into()]),
                "servers",
            ),
            (with(&|l| l.servers.clear()), "servers"),
            (
                with(&|l| l.servers = vec!["ldaps://dir".into()]),
                "start_tls",
            ),
            // A filter is an attribute's name: nothing that would change the search.
            (
                with(&|l| l.user_filters = vec!["uid)(objectClass=*".into()]),
                "user_filters",
            ),
            (with(&|l| l.user_filters.clear()), "user_filters"),
            (with(&|l| l.attributes.id = "*".into()), "attributes.id"),
            (with(&|l| l.timeout_s = 0), "timeout_s"),
            (with(&|l| l.root_ca = "not a pem".into()), "root_ca"),
            (with(&|l| l.sealed_secret.clear()), "bind_password"),
        ] {
            let e = add(idp).err().expect("refused");
            let named = e
                .details
                .iter()
                .find(|(k, _)| k == "field")
                .map(|(_, v)| v.as_str());
            assert_eq!(named, Some(field), "{e}");
        }
    }

    fn saml_idp() -> Idp {
        Idp {
            name: "Acme SAML".into(),
            kind: IdpKind::Saml(Box::new(SamlIdp {
                entity_id: " https://sso.acme.example/saml ".into(),
                sso_url: "https://sso.acme.example/saml/sso".into(),
                binding: Binding::Post,
                certificates: vec!["MIIB".into()],
                signed_requests: false,
                metadata_url: None,
            })),
            options: IdpOptions::default(),
        }
    }

    #[test]
    fn a_saml_idp_needs_a_signing_certificate_and_keeps_no_secret() {
        let add = |idp: Idp| {
            decide_idp(
                &Idps::new(),
                &IdpCommand::Add {
                    id: "s".into(),
                    idp,
                },
            )
        };
        let added = match add(saml_idp()) {
            Ok(Some(IdpChange::Added { idp, .. })) => idp,
            _ => panic!("added"),
        };
        let IdpKind::Saml(s) = &added.kind else {
            panic!("saml")
        };
        assert_eq!(s.entity_id, "https://sso.acme.example/saml");
        assert_eq!(added.kind.sealed_secret(), "");
        let with = |f: &dyn Fn(&mut SamlIdp)| {
            let mut idp = saml_idp();
            if let IdpKind::Saml(s) = &mut idp.kind {
                f(s)
            }
            idp
        };
        for (idp, field) in [
            (with(&|s| s.certificates.clear()), "saml.certificates"),
            (
                with(&|s| s.certificates = vec!["<x/>".into()]),
                "saml.certificates",
            ),
            (
                with(&|s| s.entity_id = "no scheme".into()),
                "saml.entity_id",
            ),
            (
                with(&|s| s.sso_url = "javascript:alert(1)".into()),
                "saml.sso_url",
            ),
        ] {
            let e = add(idp).err().expect("refused");
            let named = e.details.iter().find(|(k, _)| k == "field");
            assert_eq!(named.map(|(_, v)| v.as_str()), Some(field), "{e}");
        }
        // An OIDC IdP changed into a SAML one needs no secret; back again, it does.
        let held = Idps::from([("i".to_string(), oidc().validated().unwrap())]);
        let change = |idp: Idp| {
            decide_idp(
                &held,
                &IdpCommand::Change {
                    id: "i".into(),
                    idp,
                },
            )
        };
        assert!(matches!(
            change(saml_idp()),
            Ok(Some(IdpChange::Changed { .. }))
        ));
        let held = Idps::from([("i".to_string(), added)]);
        let mut back = oidc();
        if let IdpKind::Oidc(o) = &mut back.kind {
            o.sealed_secret.clear();
        }
        let e = decide_idp(
            &held,
            &IdpCommand::Change {
                id: "i".into(),
                idp: back,
            },
        )
        .err()
        .expect("a secret is needed");
        assert_eq!(e.code, Code::InvalidIdp);
    }

    #[test]
    fn an_account_found_is_linked_only_by_its_owner() {
        let o = |auto_create, creation_allowed, linking_allowed| IdpOptions {
            auto_create,
            creation_allowed,
            linking_allowed,
            ..IdpOptions::default()
        };
        assert_eq!(on_unlinked(&o(true, true, false), true), Unlinked::Confirm);
        assert_eq!(on_unlinked(&o(true, true, true), false), Unlinked::Create);
        assert_eq!(on_unlinked(&o(false, true, true), false), Unlinked::Confirm);
        assert_eq!(on_unlinked(&o(true, false, true), false), Unlinked::Confirm);
        assert_eq!(on_unlinked(&o(true, false, false), false), Unlinked::Refuse);
    }
}
