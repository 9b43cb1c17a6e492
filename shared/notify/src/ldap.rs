//! Logins against an LDAP directory (an IdP of kind `ldap`): the service account binds, the
//! user is searched by the IdP's filter attributes (the username escaped, RFC 4515), exactly
//! one entry must match, and a bind as that entry with the user's password decides. TLS by
//! rustls (ldaps:// or StartTLS) with the system's roots or the IdP's own CA; each step has a
//! time limit; servers are tried in order while they cannot be reached.

use std::sync::Arc;
use std::time::Duration;

use domain::idp::LdapIdp;
use ldap3::{ldap_escape, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::smtp::public_only;

/// A directory user, as the IdP's attributes map its entry.
#[derive(Debug)]
pub struct DirectoryUser {
    pub id: String,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

/// Why a directory login failed.
#[derive(Debug)]
pub enum Refused {
    /// No such user, several, or a wrong password: one answer for all.
    Wrong,
    /// The directory could not be asked (the reason, for the operator's log).
    Unavailable(String),
}

/// LDAP's answer to a bind with a wrong password (invalidCredentials).
const INVALID_CREDENTIALS: u32 = 49;

fn unavailable(e: impl std::fmt::Display) -> Refused {
    Refused::Unavailable(e.to_string())
}

/// Logs `username` in with `password` at the directory; `bind_password` is the service
/// account's.
pub async fn authenticate(
    idp: &LdapIdp,
    bind_password: &str,
    (username, password): (&str, &str),
    private_hosts: bool,
) -> Result<DirectoryUser, Refused> {
    // An empty password makes a bind "unauthenticated", which servers answer with success.
    if password.is_empty() || username.trim().is_empty() {
        return Err(Refused::Wrong);
    }
    let step = Duration::from_secs(idp.timeout_s);
    let mut why = Vec::new();
    for server in &idp.servers {
        let attempt = on_server(
            idp,
            server,
            bind_password,
            (username, password),
            private_hosts,
        );
        match tokio::time::timeout(step * 4, attempt).await {
            Ok(Err(Refused::Unavailable(e))) => why.push(format!("{server}: {e}")),
            Ok(answer) => return answer,
            Err(_) => why.push(format!("{server}: no answer within {}s", idp.timeout_s * 4)),
        }
    }
    Err(Refused::Unavailable(why.join("; ")))
}

/// The host and port of an `ldap://` or `ldaps://` URL.
fn host_and_port(server: &str) -> (String, u16) {
    let (rest, port) = match server.strip_prefix("ldaps://") {
        Some(rest) => (rest, 636),
        None => (server.trim_start_matches("ldap://"), 389),
    };
    let rest = rest.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((host, p)) if !host.ends_with(']') || rest.starts_with('[') => match p.parse() {
            Ok(p) => (host.trim_matches(['[', ']']).to_string(), p),
            Err(_) => (rest.to_string(), port),
        },
        _ => (rest.trim_matches(['[', ']']).to_string(), port),
    }
}

/// TLS that trusts the IdP's own CA besides the system's roots.
fn tls_with(root_ca: &str) -> Result<Arc<rustls::ClientConfig>, Refused> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    for cert in CertificateDer::pem_slice_iter(root_ca.as_bytes()) {
        let cert = cert.map_err(|e| unavailable(format!("the IdP's root_ca: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| unavailable(format!("the IdP's root_ca: {e}")))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(crate::web::ring())
        .with_safe_default_protocol_versions()
        .map_err(unavailable)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn on_server(
    idp: &LdapIdp,
    server: &str,
    bind_password: &str,
    (username, password): (&str, &str),
    private_hosts: bool,
) -> Result<DirectoryUser, Refused> {
    if !private_hosts {
        let (host, port) = host_and_port(server);
        public_only(&host, port, "LDAP servers")
            .await
            .map_err(Refused::Unavailable)?;
    }
    let step = Duration::from_secs(idp.timeout_s);
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(step)
        .set_starttls(idp.start_tls);
    if !idp.root_ca.is_empty() {
        settings = settings.set_config(tls_with(&idp.root_ca)?);
    }
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, server)
        .await
        .map_err(unavailable)?;
    ldap3::drive!(conn);
    ldap.with_timeout(step)
        .simple_bind(&idp.bind_dn, bind_password)
        .await
        .map_err(unavailable)?
        .success()
        .map_err(|e| unavailable(format!("the service account's bind was refused: {e}")))?;
    let value = ldap_escape(username.trim());
    let filter: String = idp
        .user_filters
        .iter()
        .map(|attribute| format!("({attribute}={value})"))
        .collect();
    let a = &idp.attributes;
    let mut wanted = vec![
        a.id.as_str(),
        &a.preferred_username,
        &a.email,
        &a.given_name,
        &a.family_name,
    ];
    wanted.extend(a.email_verified.as_deref());
    let (entries, _) = ldap
        .with_timeout(step)
        .search(
            &idp.base_dn,
            Scope::Subtree,
            &format!("(|{filter})"),
            wanted,
        )
        .await
        .map_err(unavailable)?
        .success()
        .map_err(unavailable)?;
    // None, or several (a filter that matches more than one person names nobody).
    let [entry] = <[_; 1]>::try_from(entries).map_err(|_| Refused::Wrong)?;
    let entry = SearchEntry::construct(entry);
    let bound = ldap
        .with_timeout(step)
        .simple_bind(&entry.dn, password)
        .await
        .map_err(unavailable)?;
    let _ = ldap.unbind().await;
    match bound.rc {
        0 => user_of(idp, &entry),
        INVALID_CREDENTIALS => Err(Refused::Wrong),
        rc => Err(unavailable(format!(
            "the user's bind answered {rc}: {}",
            bound.text
        ))),
    }
}

/// The first value of an attribute (names compare without regard to case).
fn first<'a>(entry: &'a SearchEntry, name: &str) -> Option<&'a String> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
}

fn user_of(idp: &LdapIdp, entry: &SearchEntry) -> Result<DirectoryUser, Refused> {
    let a = &idp.attributes;
    let text = |name: &str| first(entry, name).cloned().filter(|v| !v.is_empty());
    let id = text(&a.id)
        .ok_or_else(|| unavailable(format!("the entry {} has no {} attribute", entry.dn, a.id)))?;
    Ok(DirectoryUser {
        id,
        preferred_username: text(&a.preferred_username),
        email: text(&a.email),
        email_verified: a
            .email_verified
            .as_deref()
            .and_then(|name| first(entry, name))
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        given_name: text(&a.given_name),
        family_name: text(&a.family_name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_host_and_port_are_read_as_a_connection_would() {
        assert_eq!(
            host_and_port("ldap://dir.example"),
            ("dir.example".into(), 389)
        );
        assert_eq!(
            host_and_port("ldaps://dir.example"),
            ("dir.example".into(), 636)
        );
        assert_eq!(
            host_and_port("ldap://127.0.0.1:3890/"),
            ("127.0.0.1".into(), 3890)
        );
        assert_eq!(host_and_port("ldaps://[::1]:6360"), ("::1".into(), 6360));
    }

    #[test]
    fn a_username_cannot_change_the_filter() {
        assert_eq!(ldap_escape("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
    }
}
