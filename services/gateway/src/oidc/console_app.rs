//! The console's own OIDC app, which every instance has from its creation: a public client
//! (`console`, code + PKCE, no secret) whose one redirect URI is the console at the domain the
//! request came to (`{issuer}/ui/console/`), so it follows the instance's domains as they are
//! added and removed and never sends a code to another origin. No registered app has this
//! client id (theirs are `{id}@{project}`), and a machine user never authenticates without a
//! secret, so it shadows nothing.

use actix_web::HttpRequest;
use domain::app::{AccessTokenType, AuthMethod, GrantType, OidcConfig, ResponseType, Signing};
use domain::Error;
use readmodel::AppRow;

use crate::reads::read;
use crate::Gateway;

/// The console's client id on every instance.
pub const CLIENT_ID: &str = "console";

/// The app a client id names at the instance and domain of this request: the console's own
/// app, or the registered app with that client id (`None` when there is none).
pub async fn app_by_client_id(
    gw: &Gateway,
    req: &HttpRequest,
    instance: &str,
    client_id: &str,
) -> Result<Option<AppRow>, Error> {
    if let Some(console) = builtin(gw, req, client_id)? {
        return Ok(Some(console));
    }
    let (i, c) = (instance.to_string(), client_id.to_string());
    read(gw, move |m| Ok(m.app_by_client_id(&i, &c)?.map(|(a, _)| a))).await
}

/// The console's app when `client_id` names it, as the domain of this request has it.
pub fn builtin(gw: &Gateway, req: &HttpRequest, client_id: &str) -> Result<Option<AppRow>, Error> {
    match client_id == CLIENT_ID {
        true => Ok(Some(app(&super::issuer(gw, req)?))),
        false => Ok(None),
    }
}

/// The console app as the instance at `issuer` has it.
pub fn app(issuer: &str) -> AppRow {
    let home = format!("{issuer}/ui/console/");
    AppRow {
        id: CLIENT_ID.into(),
        project_id: CLIENT_ID.into(),
        client_id: CLIENT_ID.into(),
        config: OidcConfig {
            name: "Console".into(),
            redirect_uris: vec![home.clone()],
            post_logout_redirect_uris: vec![home],
            grant_types: vec![GrantType::AuthorizationCode],
            response_types: vec![ResponseType::Code],
            auth_method: AuthMethod::None,
            access_token_type: AccessTokenType::Jwt,
            require_par: false,
            jwks_uri: None,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
        },
        has_secret: false,
        signing: Signing::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_app_is_public_and_sends_codes_only_to_the_console_of_its_origin() {
        let app = app("https://auth.acme.example");
        assert_eq!(app.config.auth_method, AuthMethod::None);
        assert!(!app.has_secret);
        assert_eq!(
            app.config.redirect_uris,
            ["https://auth.acme.example/ui/console/"]
        );
        assert_eq!(
            app.config.post_logout_redirect_uris,
            ["https://auth.acme.example/ui/console/"]
        );
        assert_eq!(app.config.grant_types, [GrantType::AuthorizationCode]);
    }
}
