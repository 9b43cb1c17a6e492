//! OIDC applications of a project: their configuration and its rules (exact redirect URIs,
//! which grant and response types go together, which client authentication needs a secret).

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};
use crate::validate;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    /// The app itself, with its client secret (machine to machine).
    ClientCredentials,
    /// Device authorization (RFC 8628): a device without a browser, its user on another.
    DeviceCode,
    /// Token exchange (RFC 8693): delegation and impersonation (confidential clients).
    TokenExchange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseType {
    Code,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// An assertion signed with one of the app's keys (RFC 7523).
    PrivateKeyJwt,
    /// A public client: no secret, PKCE required.
    None,
    /// An assertion signed with the client secret (HS256, RFC 7523).
    ClientSecretJwt,
}

impl AuthMethod {
    /// Whether the client authenticates with a client secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic
                | AuthMethod::ClientSecretPost
                | AuthMethod::ClientSecretJwt
        )
    }

    /// Whether the client proves who it is (a secret or a key): not a public client.
    pub fn is_confidential(self) -> bool {
        self != AuthMethod::None
    }

    /// Whether the server keeps the secret itself (sealed), not only its hash: it must, to
    /// check an HMAC made with it.
    pub fn keeps_secret(self) -> bool {
        self == AuthMethod::ClientSecretJwt
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessTokenType {
    Jwt,
    Opaque,
}

/// What an OIDC application is configured with (as asked for, and as stored once valid).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcConfig {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub auth_method: AuthMethod,
    pub access_token_type: AccessTokenType,
    /// Authorization requests only by PAR (RFC 9126): pushed first, then named by their
    /// `request_uri` at the authorization endpoint.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_par: bool,
    /// Where the app's keys are published (a JWKS), for `private_key_jwt`: read when an
    /// assertion comes, beside the keys added through the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Where the app takes logout tokens (OpenID Connect Back-Channel Logout) when a session
    /// it logged in through ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// Whether the app needs the session's `sid` in its logout tokens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backchannel_logout_session_required: bool,
}

fn invalid(code: Code, field: &str, message: String) -> Error {
    Error::new(code, message).with("field", field)
}

/// A redirect URI is matched exactly, so it must be absolute and fragment-free; plain http only
/// on loopback (a developer's machine), any other scheme only for native apps (`com.app:/cb`).
pub fn redirect_uri(value: &str, field: &str) -> Result<String> {
    let bad = |why: &str| invalid(Code::InvalidRedirectUri, field, format!("{value:?} {why}"));
    if value.len() > 2000 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must be at most 2000 characters without spaces"));
    }
    if value.contains('#') {
        return Err(bad("must not have a fragment"));
    }
    let Some((scheme, rest)) = value.split_once(':') else {
        return Err(bad("is not an absolute URI"));
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() {
        return Err(bad("is not an absolute URI"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" | "http" => {
            let host = rest
                .strip_prefix("//")
                .map(|r| r.split(['/', '?']).next().unwrap_or(""))
                .unwrap_or("");
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            let name = if host.starts_with('[') {
                host.split(']')
                    .next()
                    .map(|h| format!("{h}]"))
                    .unwrap_or_default()
            } else {
                host.split(':').next().unwrap_or("").to_string()
            };
            if name.is_empty() {
                return Err(bad("has no host"));
            }
            let loopback = matches!(name.as_str(), "localhost" | "127.0.0.1" | "[::1]");
            if scheme.eq_ignore_ascii_case("http") && !loopback {
                return Err(bad("must use https (plain http only on localhost)"));
            }
        }
        "javascript" | "data" | "file" => return Err(bad("uses a forbidden scheme")),
        _ => {}
    }
    Ok(value.to_string())
}

/// An address the service calls (a JWKS, a logout endpoint): http(s), absolute, without a
/// fragment, plain http only on loopback.
pub fn web_uri(value: &str, field: &str) -> Result<String> {
    let refused = |why: String| invalid(Code::InvalidAppConfig, field, why);
    let checked = redirect_uri(value, field).map_err(|e| refused(e.message))?;
    let web = checked
        .split_once(':')
        .is_some_and(|(s, _)| s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("http"));
    match web {
        true => Ok(checked),
        false => Err(refused(format!("{value:?} must be an https address"))),
    }
}

/// The most redirect URIs (and post-logout ones) of an app.
const MAX_URIS: usize = 100;

/// The list without repeats, in its order, in linear time.
fn dedup<T: Eq + std::hash::Hash + Clone>(list: &[T]) -> Vec<T> {
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    list.iter().filter(|x| seen.insert(*x)).cloned().collect()
}

/// Validates an application's configuration.
pub fn oidc_config(c: &OidcConfig) -> Result<OidcConfig> {
    let name = validate::name(&c.name, Code::InvalidAppConfig, "name")?;
    // Counted before any other work: a huge list is refused at once.
    if c.redirect_uris.len() > MAX_URIS || c.post_logout_redirect_uris.len() > MAX_URIS {
        return Err(invalid(
            Code::InvalidRedirectUri,
            "redirect_uris",
            format!("at most {MAX_URIS} redirect URIs"),
        ));
    }
    let mut redirect_uris = Vec::new();
    for u in dedup(&c.redirect_uris) {
        redirect_uris.push(redirect_uri(&u, "redirect_uris")?);
    }
    let mut post_logout = Vec::new();
    for u in dedup(&c.post_logout_redirect_uris) {
        post_logout.push(redirect_uri(&u, "post_logout_redirect_uris")?);
    }
    let grant_types = dedup(&c.grant_types);
    let response_types = dedup(&c.response_types);
    let code_flow = grant_types.contains(&GrantType::AuthorizationCode);
    let machine = grant_types.contains(&GrantType::ClientCredentials);
    let device = grant_types.contains(&GrantType::DeviceCode);
    if !code_flow && !machine && !device {
        return Err(invalid(
            Code::InvalidAppConfig,
            "grant_types",
            "an OIDC app needs the authorization_code, client_credentials or device_code grant type"
                .into(),
        ));
    }
    if machine && !c.auth_method.is_confidential() {
        return Err(invalid(
            Code::InvalidAppConfig,
            "grant_types",
            "client_credentials needs a confidential client (a client secret or private_key_jwt)"
                .into(),
        ));
    }
    if code_flow && !response_types.contains(&ResponseType::Code) {
        return Err(invalid(
            Code::InvalidAppConfig,
            "response_types",
            "the authorization_code grant needs the response type code".into(),
        ));
    }
    if code_flow && redirect_uris.is_empty() {
        return Err(invalid(
            Code::InvalidRedirectUri,
            "redirect_uris",
            "the authorization_code grant needs at least one redirect URI".into(),
        ));
    }
    let web = |v: &Option<String>, field: &str| v.as_deref().map(|u| web_uri(u, field)).transpose();
    let jwks_uri = web(&c.jwks_uri, "jwks_uri")?;
    if jwks_uri.is_some() && c.auth_method != AuthMethod::PrivateKeyJwt {
        return Err(invalid(
            Code::InvalidAppConfig,
            "jwks_uri",
            "jwks_uri is for apps that authenticate with private_key_jwt".into(),
        ));
    }
    let backchannel_logout_uri = web(&c.backchannel_logout_uri, "backchannel_logout_uri")?;
    Ok(OidcConfig {
        name,
        redirect_uris,
        post_logout_redirect_uris: post_logout,
        grant_types,
        response_types,
        auth_method: c.auth_method,
        access_token_type: c.access_token_type,
        require_par: c.require_par,
        jwks_uri,
        backchannel_logout_session_required: c.backchannel_logout_session_required
            && backchannel_logout_uri.is_some(),
        backchannel_logout_uri,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris() {
        for ok in [
            "https://app.example.com/cb",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb?x=1",
            "http://[::1]:8080/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert_eq!(redirect_uri(ok, "r").unwrap(), ok);
        }
        for bad in [
            "",
            "/relative",
            "https://app.example.com/cb#frag",
            "http://app.example.com/cb",
            "https:///nohost",
            "javascript:alert(1)",
            "https://a.example.com/ cb",
        ] {
            assert_eq!(
                redirect_uri(bad, "r").unwrap_err().code,
                Code::InvalidRedirectUri,
                "{bad}"
            );
        }
    }
}

/// Which keys sign an app's tokens (`RS256`, `ES256` or `EdDSA`). ID tokens default to RS256,
/// which every client supports; JWT access tokens to ES256, which signs an order of magnitude
/// faster than RSA-2048.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signing {
    pub id_token_alg: String,
    pub access_token_alg: String,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            id_token_alg: "RS256".into(),
            access_token_alg: "ES256".into(),
        }
    }
}

/// Validates a signing choice.
pub fn signing(s: &Signing) -> Result<Signing> {
    for (field, alg) in [
        ("id_token_signing_alg", &s.id_token_alg),
        ("access_token_signing_alg", &s.access_token_alg),
    ] {
        if !crate::signing_keys::ALGORITHMS.contains(&alg.as_str()) {
            return Err(invalid(
                Code::InvalidAppConfig,
                field,
                format!("{alg:?} is not RS256, ES256 or EdDSA"),
            ));
        }
    }
    Ok(s.clone())
}
