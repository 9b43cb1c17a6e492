//! Portcullis as the client of a customer's OpenID Connect provider, with the `openidconnect`
//! crate: discovery (kept five minutes per issuer, with the provider's keys), the
//! authorization URL (code flow, PKCE S256, a nonce), and the code exchanged for an ID token
//! whose signature, issuer, audience, expiry and nonce are verified. And of a generic OAuth 2
//! provider: the code exchanged for an access token, the user read from its userinfo
//! endpoint. Every call goes through the limits of calls to admin-configured endpoints (https
//! at public addresses unless the operator allows private hosts).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use domain::idp::{OAuthIdp, OidcIdp};
use domain::{Code, Error};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use crate::Gateway;

/// How long a provider's discovery (and keys) are used before they are read again.
const FRESH: Duration = Duration::from_secs(300);
/// The largest answer read from a provider.
const MAX_ANSWER: u64 = 256 * 1024;
/// The most providers a gateway keeps.
const MAX_PROVIDERS: usize = 10_000;

/// Providers' discovery by issuer.
#[derive(Default)]
pub struct Providers(Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>);

/// What a provider vouched for about its user.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
}

fn unreachable_idp(why: impl std::fmt::Display) -> Error {
    Error::new(
        Code::IdpLoginFailed,
        format!("the identity provider did not answer as it should: {why}"),
    )
}

#[derive(Debug)]
struct CallFailed(String);

impl std::fmt::Display for CallFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CallFailed {}

/// The HTTP client the crate calls the provider with.
fn http(
    private_hosts: bool,
) -> impl Fn(
    openidconnect::HttpRequest,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<openidconnect::HttpResponse, CallFailed>>>,
> {
    move |request| {
        Box::pin(async move {
            notify::web::send(request, MAX_ANSWER, private_hosts, "identity providers")
                .await
                .map_err(CallFailed)
        })
    }
}

/// The provider's discovery, read now unless read in the last five minutes.
async fn metadata(gw: &Gateway, issuer: &str) -> Result<CoreProviderMetadata, Error> {
    if let Some((at, m)) = gw.providers.0.lock().expect("providers").get(issuer) {
        if at.elapsed() < FRESH {
            return Ok(m.clone());
        }
    }
    let url = IssuerUrl::new(issuer.to_string()).map_err(unreachable_idp)?;
    let client = http(gw.bus.allows_private_hosts());
    let found = CoreProviderMetadata::discover_async(url, &client)
        .await
        .map_err(unreachable_idp)?;
    let mut providers = gw.providers.0.lock().expect("providers");
    if providers.len() >= MAX_PROVIDERS {
        providers.clear();
    }
    providers.insert(issuer.to_string(), (Instant::now(), found.clone()));
    Ok(found)
}

/// The provider's authorization URL for a login whose `state` we sealed, answering at
/// `redirect_uri`, with the login's nonce and PKCE verifier.
pub async fn authorization_url(
    gw: &Gateway,
    idp: &OidcIdp,
    redirect_uri: &str,
    state: String,
    (nonce, verifier): (&str, &str),
) -> Result<String, Error> {
    let client = CoreClient::from_provider_metadata(
        metadata(gw, &idp.issuer).await?,
        ClientId::new(idp.client_id.clone()),
        None,
    )
    .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(unreachable_idp)?);
    let verifier = PkceCodeVerifier::new(verifier.to_string());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let nonce = nonce.to_string();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        )
        .set_pkce_challenge(challenge);
    for scope in &idp.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    Ok(request.url().0.to_string())
}

/// The code of a login at the provider exchanged (with the client secret and the PKCE
/// verifier) for an ID token, verified: its user.
pub async fn identity(
    gw: &Gateway,
    idp: &OidcIdp,
    secret: String,
    redirect_uri: &str,
    code: &str,
    (nonce, verifier): (&str, &str),
) -> Result<Identity, Error> {
    let client = CoreClient::from_provider_metadata(
        metadata(gw, &idp.issuer).await?,
        ClientId::new(idp.client_id.clone()),
        Some(ClientSecret::new(secret)),
    )
    .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(unreachable_idp)?);
    let http = http(gw.bus.allows_private_hosts());
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(unreachable_idp)?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
        .request_async(&http)
        .await
        .map_err(unreachable_idp)?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| unreachable_idp("it sent no ID token"))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_string()))
        .map_err(|e| {
            Error::new(
                Code::IdpLoginFailed,
                format!("the identity provider's ID token does not hold: {e}"),
            )
        })?;
    Ok(Identity {
        subject: claims.subject().to_string(),
        email: claims.email().map(|e| e.to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
        given_name: claims
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string()),
        family_name: claims
            .family_name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string()),
        preferred_username: claims.preferred_username().map(|u| u.to_string()),
    })
}

/// A generic OAuth 2 provider's authorization URL (code flow, PKCE S256) for a login whose
/// `state` we sealed.
pub fn oauth_authorization_url(
    idp: &OAuthIdp,
    redirect_uri: &str,
    state: &str,
    verifier: &str,
) -> String {
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.to_string()));
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &idp.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256");
    if !idp.scopes.is_empty() {
        query.append_pair("scope", &idp.scopes.join(" "));
    }
    let separator = if idp.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    format!(
        "{}{separator}{}",
        idp.authorization_endpoint,
        query.finish()
    )
}

/// A JSON answer of the provider, or why there is none.
async fn json_of(
    gw: &Gateway,
    request: openidconnect::HttpRequest,
) -> Result<serde_json::Value, Error> {
    let answer = notify::web::send(
        request,
        MAX_ANSWER,
        gw.bus.allows_private_hosts(),
        "identity providers",
    )
    .await
    .map_err(unreachable_idp)?;
    if !answer.status().is_success() {
        return Err(unreachable_idp(format!("it answered {}", answer.status())));
    }
    serde_json::from_slice(answer.body()).map_err(|_| unreachable_idp("its answer is not JSON"))
}

/// The code of a login at a generic OAuth 2 provider exchanged (client secret, PKCE) for an
/// access token, and the provider's userinfo read with it: its user, identified by the
/// configured `id_attribute`.
pub async fn oauth_identity(
    gw: &Gateway,
    idp: &OAuthIdp,
    secret: &str,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
) -> Result<Identity, Error> {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        form_urlencoded::byte_serialize(idp.client_id.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()
    ));
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_verifier", verifier)
        .finish();
    let token_request = openidconnect::http::Request::post(&idp.token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("authorization", format!("Basic {basic}"))
        .body(form.into_bytes())
        .map_err(unreachable_idp)?;
    let tokens = json_of(gw, token_request).await?;
    let access_token = tokens["access_token"]
        .as_str()
        .ok_or_else(|| unreachable_idp("it sent no access token"))?;
    let userinfo_request = openidconnect::http::Request::get(&idp.userinfo_endpoint)
        .header("accept", "application/json")
        .header("authorization", format!("Bearer {access_token}"))
        .body(Vec::new())
        .map_err(unreachable_idp)?;
    let user = json_of(gw, userinfo_request).await?;
    let text = |name: &str| user[name].as_str().map(String::from);
    let subject = match &user[idp.id_attribute.as_str()] {
        serde_json::Value::String(s) if !s.is_empty() => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => {
            return Err(unreachable_idp(format!(
                "its user has no {:?}",
                idp.id_attribute
            )))
        }
    };
    Ok(Identity {
        subject,
        email: text("email"),
        email_verified: user["email_verified"].as_bool().unwrap_or(false),
        given_name: text("given_name"),
        family_name: text("family_name"),
        preferred_username: text("preferred_username")
            .or_else(|| text("login"))
            .or_else(|| text("username")),
    })
}
