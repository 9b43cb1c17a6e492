//! The OpenID Provider of each instance (the issuer is the instance's domain the request came
//! to): discovery and JWKS, the authorization endpoint and the hosted login, the token endpoint
//! (one file per grant), userinfo, introspection and revocation.

pub(crate) mod accounts;
pub(crate) mod app_jwks;
mod assertions;
pub(crate) mod audience;
pub(crate) mod authorize;
pub(crate) mod claims;
pub(crate) mod client_cache;
mod clients;
pub(crate) mod console_app;
mod device_authorization;
mod device_pages;
pub(crate) mod discovery;
mod domain_discovery;
pub(crate) mod dpop;
pub(crate) mod end_session;
mod expired_password;
pub(crate) mod form_post;
mod grants;
pub(crate) mod idp_client;
mod idp_link;
pub(crate) mod idp_login;
mod idp_saml;
mod introspect;
pub mod jwt;
pub mod keyring;
pub(crate) mod language;
mod ldap_login;
pub(crate) mod login;
pub(crate) mod mfa;
mod mfa_key;
mod mfa_setup;
mod page_look;
mod pages;
mod par;
mod params;
mod passkey_link;
mod passkey_login;
mod register;
mod reset_password;
pub(crate) mod revoked;
pub(crate) mod texts;
pub(crate) mod tokens;
mod userinfo;
mod verify;

use actix_web::{web, HttpRequest, HttpResponse};
use domain::{Code, Error, Kind};

pub use keyring::KeyRing;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/openid-configuration",
        web::get().to(discovery::configuration),
    )
    .route("/oauth/v2/keys", web::get().to(discovery::keys))
    .route("/oauth/v2/authorize", web::get().to(authorize::authorize))
    .route("/oauth/v2/authorize", web::post().to(authorize::authorize))
    .route(pages::STYLESHEET, web::get().to(pages::stylesheet))
    .route("/ui/login", web::get().to(login::page))
    .route("/ui/login", web::post().to(login::submit))
    .route("/ui/login/passkey", web::post().to(passkey_login::passkey))
    .route("/ui/login/passkey", web::get().to(passkey_link::page))
    .route(
        "/ui/login/passkey/register",
        web::post().to(passkey_link::start),
    )
    .route(
        "/ui/login/passkey/finish",
        web::post().to(passkey_link::finish),
    )
    .route(
        "/ui/login/password",
        web::post().to(expired_password::submit),
    )
    .route("/ui/login/register", web::get().to(register::page))
    .route("/ui/login/register", web::post().to(register::submit))
    .route(
        "/ui/login/invite",
        web::get().to(reset_password::invite_page),
    )
    .route("/ui/login/reset", web::get().to(reset_password::page))
    .route("/ui/login/reset", web::post().to(reset_password::request))
    .route(
        "/ui/login/reset/password",
        web::post().to(reset_password::set),
    )
    .route("/ui/login/mfa", web::get().to(mfa::page))
    .route("/ui/login/mfa", web::post().to(mfa::submit))
    .route("/ui/login/mfa/send", web::post().to(mfa::resend))
    .route("/ui/login/mfa/setup", web::post().to(mfa_setup::setup))
    .route("/ui/login/mfa/key", web::post().to(mfa_key::submit_key))
    .route(
        pages::WEBAUTHN_SCRIPT,
        web::get().to(pages::webauthn_script),
    )
    .route(form_post::SCRIPT, web::get().to(form_post::script))
    .route(idp_login::START, web::get().to(idp_login::start))
    .route(idp_link::PATH, web::post().to(idp_link::submit))
    .route(ldap_login::PATH, web::get().to(ldap_login::page))
    .route(ldap_login::PATH, web::post().to(ldap_login::submit))
    .route(
        crate::views::idps::CALLBACK_PATH,
        web::get().to(idp_login::callback),
    )
    .route(crate::saml::upstream::ACS, web::post().to(idp_saml::acs))
    .route(idp_saml::GO, web::get().to(idp_saml::go))
    .route(
        form_post::SEALED_PAGE,
        web::get().to(form_post::sealed_page),
    )
    .route("/ui/login/accounts", web::get().to(accounts::page))
    .route("/ui/login/accounts", web::post().to(accounts::choose))
    .route("/ui/login/verify", web::get().to(verify::email_page))
    .route("/ui/login/verify", web::post().to(verify::verify_email))
    .route("/ui/login/verify_phone", web::get().to(verify::phone_page))
    .route(
        "/ui/login/verify_phone",
        web::post().to(verify::verify_phone),
    )
    .route("/oauth/v2/token", web::post().to(grants::token))
    .route("/oauth/v2/par", web::post().to(par::push))
    .route(
        "/oauth/v2/device_authorization",
        web::post().to(device_authorization::start),
    )
    .route(device_pages::PAGE, web::get().to(device_pages::page))
    .route(device_pages::PAGE, web::post().to(device_pages::enter))
    .route(
        "/ui/device/approve",
        web::get().to(device_pages::approve_page),
    )
    .route("/ui/device/approve", web::post().to(device_pages::answer))
    .route("/oidc/v1/userinfo", web::get().to(userinfo::get))
    .route("/oidc/v1/userinfo", web::post().to(userinfo::post))
    .route(
        "/oauth/v2/introspect",
        web::post().to(introspect::introspect),
    )
    .route("/oauth/v2/revoke", web::post().to(introspect::revoke))
    .route(
        "/oidc/v1/end_session",
        web::get().to(end_session::end_session),
    )
    .route(
        "/oidc/v1/end_session",
        web::post().to(end_session::confirmed),
    );
}

/// An OAuth 2 error answer (RFC 6749 5.2): `{error, error_description}`.
#[derive(Debug)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: String,
    pub status: u16,
    /// Seconds to wait before trying again (429 and 503), sent as `Retry-After`.
    pub retry_after: Option<String>,
    /// A nonce the next DPoP proof must carry, sent as `DPoP-Nonce`.
    pub dpop_nonce: Option<String>,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        let status = match error {
            "invalid_client" => 401,
            "invalid_token" => 401,
            "server_error" => 500,
            "temporarily_unavailable" => 503,
            _ => 400,
        };
        OAuthError {
            error,
            description: description.into(),
            status,
            retry_after: None,
            dpop_nonce: None,
        }
    }

    /// The error as a resource (userinfo) answers it: a DPoP proof refused is 401 there, with
    /// a DPoP challenge (RFC 9449 7.1).
    pub fn at_resource(mut self) -> OAuthError {
        if self.error == "invalid_dpop_proof" {
            self.status = 401;
        }
        self
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl actix_web::ResponseError for OAuthError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status_code());
        r.insert_header(("Cache-Control", "no-store"));
        if let Some(seconds) = &self.retry_after {
            r.insert_header(("Retry-After", seconds.as_str()));
        }
        if self.error == "invalid_client" {
            r.insert_header(("WWW-Authenticate", "Basic realm=\"portcullis\""));
        }
        if self.error == "invalid_token" {
            r.insert_header(("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        }
        if self.error == "invalid_dpop_proof" && self.status == 401 {
            let algs = domain::oidc::dpop::ALGS.join(" ");
            let challenge = format!("DPoP error=\"invalid_dpop_proof\", algs=\"{algs}\"");
            r.insert_header(("WWW-Authenticate", challenge));
        }
        if let Some(nonce) = &self.dpop_nonce {
            r.insert_header((dpop::NONCE_HEADER, nonce.as_str()));
        }
        r.json(serde_json::json!({"error": self.error, "error_description": self.description}))
    }
}

/// Our errors as OAuth errors. What may succeed when tried again (a store or partition owner
/// not reachable now, a write that met a concurrent one and wrote nothing) is
/// `temporarily_unavailable` (503, or 429 when the caller is over a rate limit, with
/// `Retry-After`); only what should not happen is `server_error`, logged with its cause.
impl From<Error> for OAuthError {
    fn from(e: Error) -> OAuthError {
        if matches!(e.kind(), Kind::RateLimited | Kind::Unavailable) {
            let retry_after = crate::limits::retry_after(&e).map(String::from);
            let mut answer = OAuthError::new("temporarily_unavailable", e.message);
            answer.retry_after = retry_after;
            if e.code.kind() == Kind::RateLimited {
                answer.status = 429;
            }
            return answer;
        }
        let error = match e.code {
            Code::InvalidGrant | Code::AuthRequestExpired => "invalid_grant",
            Code::DeviceAuthorizationPending => "authorization_pending",
            Code::DeviceSlowDown => "slow_down",
            Code::DeviceCodeExpired => "expired_token",
            Code::DeviceAccessDenied => "access_denied",
            Code::InvalidClient => "invalid_client",
            Code::InvalidDpopProof => "invalid_dpop_proof",
            Code::UseDpopNonce => {
                let nonce = e.details.iter().find(|(k, _)| k == "nonce");
                let mut answer = OAuthError::new("use_dpop_nonce", e.message.clone());
                answer.dpop_nonce = nonce.map(|(_, v)| v.clone());
                return answer;
            }
            Code::Unauthenticated => "invalid_token",
            Code::InstanceNotFound
            | Code::InvalidAuthRequest
            | Code::MalformedBody
            | Code::InvalidHost => "invalid_request",
            _ if matches!(e.kind(), Kind::Unavailable | Kind::Conflict) => {
                "temporarily_unavailable"
            }
            _ => {
                let e = crate::http_error::public(e);
                return OAuthError::new("server_error", e.message);
            }
        };
        OAuthError::new(error, e.message)
    }
}

pub type OAuthResult<T> = Result<T, OAuthError>;

/// The issuer: the external URL of the instance's domain this request was sent to.
pub fn issuer(gw: &crate::Gateway, req: &HttpRequest) -> Result<String, Error> {
    let host = gw.edge.host(req)?;
    Ok(gw.edge.external_url(req, &host))
}

/// A space-separated `scope` parameter.
pub(crate) fn scopes(value: Option<&String>) -> Vec<String> {
    value
        .map(|s| {
            s.split(' ')
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_may_pass_when_tried_again_is_temporarily_unavailable() {
        for code in Code::ALL {
            let e = OAuthError::from(Error::new(*code, "x"));
            if matches!(code.kind(), Kind::Unavailable | Kind::Conflict) {
                assert_eq!(
                    (e.error, e.status),
                    ("temporarily_unavailable", 503),
                    "{code}"
                );
            }
            if code.kind() == Kind::Internal {
                assert_eq!((e.error, e.status), ("server_error", 500), "{code}");
            }
        }
        assert_eq!(
            OAuthError::from(Error::new(Code::NoPartitionOwner, "x")).status,
            503
        );
    }
}
