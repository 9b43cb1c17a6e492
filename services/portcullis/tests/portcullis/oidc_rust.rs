//! The Rust `openidconnect` crate, unchanged, against a tenant: discovery, the code flow with
//! PKCE and nonce, the ID token verified against the JWKS, refresh, userinfo; and the client
//! the self-service tests end their flows with (registration, a reset), in tokens.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use testkit::{server, Tenant};

use super::oidc_support::{app, human, issuer, param, send, App, UserAgent, REDIRECT};

fn http(
    req: openidconnect::http::Request<Vec<u8>>,
) -> Result<openidconnect::http::Response<Vec<u8>>, std::convert::Infallible> {
    Ok(send(req))
}

#[test]
fn the_openidconnect_crate_logs_a_user_in_refreshes_and_reads_userinfo() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let user_id = human(&t, "grace", "a long password");

    let metadata = CoreProviderMetadata::discover(&IssuerUrl::new(issuer(&t)).unwrap(), &http)
        .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(app.client_id.clone()),
        app.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let mut browser = UserAgent::default();
    let back = browser.log_in(&t, url.as_str(), "grace", "a long password");
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(param(&back, "iss"), Some(issuer(&t)));
    let code = param(&back, "code").unwrap();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request(&http)
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the ID token verifies against the JWKS");
    assert_eq!(claims.subject().as_str(), user_id);
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("grace")
    );
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("grace@example.com")
    );
    assert!(claims.auth_time().is_some());

    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request(&http)
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), user_id);
    assert_eq!(info.email_verified(), Some(true));

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().expect("a refresh token"))
        .unwrap()
        .request(&http)
        .expect("refresh");
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        tokens.refresh_token().unwrap().secret(),
        "refresh tokens rotate"
    );
    // The rotated token used again: the family is revoked, the new token too.
    assert!(client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request(&http)
        .is_err());
    assert!(client
        .exchange_refresh_token(refreshed.refresh_token().unwrap())
        .unwrap()
        .request(&http)
        .is_err());
    // The code was single use.
    assert!(client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request(&http)
        .is_err());
}

/// What a client saw at the end of a flow: the ID token's subject and email, and userinfo's
/// `email_verified`.
pub(super) struct Seen {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
}

/// The crate's client of `app`: an authorization URL (PKCE, nonce, state) for a browser to
/// walk, and what exchanges the code it comes back with (checking the state, the ID token
/// against the JWKS and its nonce) and reads userinfo.
pub(super) fn rust_client(t: &Tenant, app: &App) -> (String, impl FnOnce(&str) -> Seen) {
    let metadata = CoreProviderMetadata::discover(&IssuerUrl::new(issuer(t)).unwrap(), &http)
        .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(app.client_id.clone()),
        app.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let finish = move |back: &str| {
        assert!(back.starts_with(REDIRECT), "{back}");
        assert_eq!(
            param(back, "state").as_deref(),
            Some(state.secret().as_str())
        );
        let code = param(back, "code").expect("a code");
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request(&http)
            .expect("code exchange");
        let claims = tokens
            .id_token()
            .expect("an ID token")
            .claims(&client.id_token_verifier(), &nonce)
            .expect("the ID token verifies against the JWKS")
            .clone();
        let info: CoreUserInfoClaims = client
            .user_info(tokens.access_token().clone(), None)
            .unwrap()
            .request(&http)
            .expect("userinfo");
        assert_eq!(info.subject(), claims.subject());
        Seen {
            sub: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: info.email_verified(),
        }
    };
    (url.to_string(), finish)
}
