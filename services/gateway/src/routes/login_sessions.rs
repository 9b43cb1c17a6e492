//! The Sessions API, for login UIs of one's own: sessions that gather checks (the user, the
//! password), and the finalize that completes an authorization request with one.
//! `session.write` / `session.read` (e.g. the `IAM_LOGIN_CLIENT` role).

use actix_web::{web, HttpRequest, HttpResponse};
use command::PublicKeyCredential;
use domain::user::{Channel, Factor};
use domain::{Code, Error};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::login_sessions::{self, key_kind, Challenges, Checks, SecondCheck, UserCheck};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{
    CallbackView, CreatedSessionView, ErrorBody, IdpIntentStartView, LoginSessionView,
};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sessions", web::post().to(create_session))
        .route("/sessions/{id}", web::patch().to(set_session))
        .route("/sessions/{id}", web::get().to(get_session))
        .route(
            "/auth_requests/{id}/finalize",
            web::post().to(finalize_auth_request),
        )
        .route("/idp_intents", web::post().to(start_idp_intent));
}

/// A login at an identity provider a login UI of one's own begins.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct IdpIntentBody {
    idp_id: String,
    /// The org the login is for: the IdP is its own or the instance's, its `login` settings
    /// allow external IdPs, and new users from the IdP join it (an org IdP's users join that
    /// org).
    org_id: String,
    /// Where the browser comes back with `id` and `token` (https; http only on localhost).
    success_url: String,
    /// Where the browser comes back with `error` (`IDP-0004`: the IdP refused or its answer
    /// did not hold; `IDP-0005`: no user may log in with that identity).
    failure_url: String,
}

/// An IdP intent's check: what came back to the success URL.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct IdpIntentCheckBody {
    id: String,
    token: String,
}

/// Starts a login at an identity provider for a login UI of one's own: answers the IdP's
/// URL to send the browser to. Back at `success_url?id=...&token=...`, the login UI makes the
/// `idp_intent` check. `session.write`.
#[utoipa::path(post, path = "/v1/idp_intents", tag = "sessions", request_body = IdpIntentBody,
    responses((status = 200, body = IdpIntentStartView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("session.write"))))]
async fn start_idp_intent(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    body: Body<IdpIntentBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let iss = crate::oidc::issuer(&gw, &req)?;
    let urls = crate::oidc::idp_login::IntentUrls {
        org: b.org_id,
        success_url: b.success_url,
        failure_url: b.failure_url,
    };
    let started = login_sessions::start_idp_intent(&gw, &auth, &iss, &b.idp_id, urls).await?;
    Ok(HttpResponse::Ok().json(started))
}

/// Who the session is for: exactly one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UserCheckBody {
    /// A login name (the username).
    login_name: Option<String>,
    user_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordCheckBody {
    password: String,
}

/// A second factor's code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeCheckBody {
    code: String,
}

/// The checks to make; at most one second factor at a time.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ChecksBody {
    /// Required to create a session; in a PATCH, the session's own user or nothing.
    user: Option<UserCheckBody>,
    password: Option<PasswordCheckBody>,
    /// The authenticator app's current code.
    totp: Option<CodeCheckBody>,
    /// The login code sent by email (see `challenges`).
    otp_email: Option<CodeCheckBody>,
    /// The login code sent by SMS (see `challenges`).
    otp_sms: Option<CodeCheckBody>,
    /// One of the user's recovery codes, in place of a second factor.
    recovery_code: Option<CodeCheckBody>,
    /// A security key's or passkey's answer to the challenge (see `challenges`).
    webauthn: Option<WebAuthnCheckBody>,
    /// A login at an identity provider that came back (`POST /v1/idp_intents`): it names
    /// the user, and stands for the password.
    idp_intent: Option<IdpIntentCheckBody>,
}

/// Nothing to say: present to ask for it.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct Ask {}

/// A WebAuthn challenge to make.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WebAuthnAsk {
    /// `u2f` or `passkey`; absent: passkeys if the user has any, else security keys.
    kind: Option<String>,
    /// The login UI's origin the key signs for (default: the instance's external URL).
    origin: Option<String>,
}

/// What to send for a check in a later request.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct ChallengesBody {
    /// A code by email, to the user's verified address (the `otp_email` factor).
    otp_email: Option<Ask>,
    /// A code by SMS, to the user's verified phone (the `otp_sms` factor).
    otp_sms: Option<Ask>,
    /// A challenge for the user's security keys or passkeys: the answer's
    /// `challenges.webauthn` holds the options for `navigator.credentials.get()`.
    webauthn: Option<WebAuthnAsk>,
}

/// A key's answer to the session's WebAuthn challenge.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WebAuthnCheckBody {
    /// What `navigator.credentials.get()` answered (`PublicKeyCredential.toJSON()`).
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SessionBody {
    checks: ChecksBody,
    #[serde(default)]
    challenges: ChallengesBody,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FinalizeBody {
    session_id: String,
    session_token: String,
}

impl SessionBody {
    /// The checks asked for; `origin` is the instance's external URL, the WebAuthn origin
    /// unless the body names another.
    fn checks(self, origin: String) -> std::result::Result<Checks, Error> {
        let (b, asked) = (self.checks, self.challenges);
        let user = match b.user {
            None => None,
            Some(UserCheckBody {
                login_name: Some(name),
                user_id: None,
            }) => Some(UserCheck::LoginName(name)),
            Some(UserCheckBody {
                login_name: None,
                user_id: Some(id),
            }) => Some(UserCheck::UserId(id)),
            Some(_) => {
                return Err(Error::new(
                    Code::MalformedBody,
                    "checks.user needs a login_name or a user_id, not both",
                )
                .with("field", "checks.user"))
            }
        };
        let mut seconds: Vec<SecondCheck> = [
            (Factor::Totp, b.totp),
            (Factor::OtpEmail, b.otp_email),
            (Factor::OtpSms, b.otp_sms),
            (Factor::RecoveryCode, b.recovery_code),
        ]
        .into_iter()
        .filter_map(|(f, c)| c.map(|c| SecondCheck::Code(f, c.code)))
        .collect();
        seconds.extend(b.webauthn.map(|w| SecondCheck::Key(Box::new(w.credential))));
        let codes = [
            (Channel::Email, asked.otp_email),
            (Channel::Sms, asked.otp_sms),
        ]
        .into_iter()
        .filter_map(|(channel, ask)| ask.map(|_| channel))
        .collect();
        let key = match asked.webauthn {
            None => None,
            Some(ask) => Some((key_kind(ask.kind.as_deref())?, ask.origin.unwrap_or(origin))),
        };
        let password = b.password.map(|p| p.password);
        let intent = b.idp_intent.map(|i| (i.id, i.token));
        Ok(
            Checks::bounded(user, password, seconds, Challenges { codes, key })?
                .with_idp_intent(intent),
        )
    }
}

/// Creates a session with checks: the user (by login name or id) and, if given, the
/// password and a second factor; `challenges` sends login codes for a later check. The token
/// is shown once. `session.write`.
#[utoipa::path(post, path = "/v1/sessions", tag = "sessions",
    request_body = SessionBody,
    responses((status = 201, body = CreatedSessionView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)),
    extensions(("x-permission" = json!("session.write"))))]
async fn create_session(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    body: Body<SessionBody>,
) -> Result<HttpResponse> {
    let checks = body.into_inner().checks(crate::oidc::issuer(&gw, &req)?)?;
    Ok(HttpResponse::Created().json(login_sessions::create(&gw, &auth, checks).await?))
}

/// Adds checks to a session: the password, a second factor (`totp`, `otp_email`, `otp_sms`,
/// `recovery_code`; a wrong code is `USER-0017` and counts against the lockout's
/// `max_otp_attempts`); `challenges` sends login codes. `session.write`.
#[utoipa::path(patch, path = "/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path)), request_body = SessionBody,
    responses((status = 200, body = LoginSessionView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)),
    extensions(("x-permission" = json!("session.write"))))]
async fn set_session(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<SessionBody>,
) -> Result<HttpResponse> {
    let checks = body.into_inner().checks(crate::oidc::issuer(&gw, &req)?)?;
    Ok(HttpResponse::Ok().json(login_sessions::set(&gw, &auth, &id, checks).await?))
}

/// A live session: its user and its checks, each with when it passed. `session.read` on the
/// user's org.
#[utoipa::path(get, path = "/v1/sessions/{id}", tag = "sessions",
    params(("id" = String, Path)),
    responses((status = 200, body = LoginSessionView), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("session.read"))))]
async fn get_session(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(login_sessions::get(&gw, &auth, &id).await?))
}

/// Completes an authorization request (the `authRequest` the authorization endpoint sent the
/// browser to the login with) with a session whose checks the login settings find fresh:
/// answers the client's redirect URI with the code. `SESSION-0003` names a check to make
/// again; `SESSION-0004`: the password has expired. `session.write`.
#[utoipa::path(post, path = "/v1/auth_requests/{id}/finalize", tag = "sessions",
    params(("id" = String, Path)), request_body = FinalizeBody,
    responses((status = 200, body = CallbackView), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("session.write"))))]
async fn finalize_auth_request(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<FinalizeBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let done = login_sessions::finalize(&gw, &auth, &id, &b.session_id, &b.session_token).await?;
    Ok(HttpResponse::Ok().json(done))
}
