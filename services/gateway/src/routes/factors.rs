//! A user's second factors: an authenticator app (TOTP), login codes by email or SMS, recovery
//! codes. The user themself, or a caller with `user.write` on the user's org who holds every
//! permission the user's memberships give (`AUTHZ-0002` otherwise).

use actix_web::{web, HttpRequest, HttpResponse};
use command::{KeyAnswer, RegisterPublicKeyCredential};
use domain::user::{Channel, KeyKind};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::factors;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::factors::{
    FactorsView, NewKeyView, NewTotpView, PasskeyLinkView, RecoveryCodesView,
};
use crate::views::{optional_json, respond, ErrorBody, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/totp", web::post().to(add_totp))
        .route("/users/{id}/totp/verify", web::post().to(verify_totp))
        .route("/users/{id}/totp", web::delete().to(remove_totp))
        .route("/users/{id}/otp_email", web::post().to(add_otp_email))
        .route("/users/{id}/otp_email", web::delete().to(remove_otp_email))
        .route("/users/{id}/otp_sms", web::post().to(add_otp_sms))
        .route("/users/{id}/otp_sms", web::delete().to(remove_otp_sms))
        .route("/users/{id}/recovery_codes", web::post().to(recovery_codes))
        .route("/users/{id}/u2f", web::post().to(add_u2f))
        .route(
            "/users/{id}/u2f/{key_id}/verify",
            web::post().to(verify_u2f),
        )
        .route("/users/{id}/u2f/{key_id}", web::delete().to(remove_u2f))
        .route("/users/{id}/passkeys", web::post().to(add_passkey))
        .route(
            "/users/{id}/passkeys/registration_link",
            web::post().to(passkey_link),
        )
        .route(
            "/users/{id}/passkeys/{key_id}/verify",
            web::post().to(verify_passkey),
        )
        .route(
            "/users/{id}/passkeys/{key_id}",
            web::delete().to(remove_passkey),
        )
        .route("/users/{id}/factors", web::get().to(list_factors));
}

/// Starts setting up an authenticator app: answers its secret and `otpauth://` URI; the app
/// is a factor once its first code is verified. `MFA-0002` when one is set up already,
/// `MFA-0003` when the login settings do not allow `totp`. `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/totp", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = NewTotpView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn add_totp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(factors::add_totp(&gw, &auth, &id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    /// The app's current six-digit code.
    code: String,
}

/// Verifies a new authenticator app with its current code. `USER-0017` for a wrong code.
/// `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/totp/verify", tag = "factors", params(("id" = String, Path)),
    request_body = CodeBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn verify_totp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<CodeBody>,
) -> Result<HttpResponse> {
    let reply = factors::verify_totp(&gw, &auth, &id, &body.code).await?;
    Ok(respond(reply, false))
}

/// Removes the authenticator app. `MFA-0001` when there is none. `user.write` (self).
#[utoipa::path(delete, path = "/v1/users/{id}/totp", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn remove_totp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(respond(factors::remove_totp(&gw, &auth, &id).await?, false))
}

/// Turns on login codes by email (to the verified address: `MFA-0004` otherwise).
/// `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/otp_email", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn add_otp_email(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let reply = factors::set_otp(&gw, &auth, &id, Channel::Email, true).await?;
    Ok(respond(reply, false))
}

/// Turns login codes by email off. `user.write` (self).
#[utoipa::path(delete, path = "/v1/users/{id}/otp_email", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn remove_otp_email(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let reply = factors::set_otp(&gw, &auth, &id, Channel::Email, false).await?;
    Ok(respond(reply, false))
}

/// Turns on login codes by SMS (to the verified phone: `MFA-0004` otherwise).
/// `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/otp_sms", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn add_otp_sms(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let reply = factors::set_otp(&gw, &auth, &id, Channel::Sms, true).await?;
    Ok(respond(reply, false))
}

/// Turns login codes by SMS off. `user.write` (self).
#[utoipa::path(delete, path = "/v1/users/{id}/otp_sms", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn remove_otp_sms(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let reply = factors::set_otp(&gw, &auth, &id, Channel::Sms, false).await?;
    Ok(respond(reply, false))
}

/// Ten new recovery codes, replacing the old; shown once, each good for one login in place
/// of a second factor. Needs a second factor (`MFA-0001`). `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/recovery_codes", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = RecoveryCodesView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn recovery_codes(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(factors::recovery_codes(&gw, &auth, &id).await?))
}

/// The user's second factors (never a secret). `user.write` (self).
#[utoipa::path(get, path = "/v1/users/{id}/factors", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = FactorsView), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn list_factors(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(factors::list(&gw, &auth, &id).await?))
}

async fn start_key(
    gw: &Gateway,
    req: &HttpRequest,
    auth: &Authenticated,
    id: &str,
    kind: KeyKind,
) -> Result<HttpResponse> {
    let origin = crate::oidc::issuer(gw, req)?;
    Ok(HttpResponse::Ok().json(factors::start_key(gw, auth, id, kind, &origin).await?))
}

/// Begins registering a security key (a second factor): answers the key's id and the options
/// for `navigator.credentials.create()`. `MFA-0003` when the login settings do not allow
/// `u2f`. `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/u2f", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = NewKeyView), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn add_u2f(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    start_key(&gw, &req, &auth, &id, KeyKind::U2f).await
}

/// Begins registering a passkey (a login without a password; discoverable, user-verifying):
/// answers the key's id and the options for `navigator.credentials.create()`. `MFA-0003`
/// when the login settings disable passkeys. `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/passkeys", tag = "factors", params(("id" = String, Path)),
    responses((status = 200, body = NewKeyView), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn add_passkey(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    start_key(&gw, &req, &auth, &id, KeyKind::Passkey).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct KeyBody {
    /// What `navigator.credentials.create()` answered (`PublicKeyCredential.toJSON()`).
    #[schema(value_type = Object)]
    public_key_credential: RegisterPublicKeyCredential,
    /// A name for the key, 1 to 100 characters.
    name: String,
}

async fn verify_key(
    gw: &Gateway,
    req: &HttpRequest,
    auth: &Authenticated,
    path: (String, String),
    body: KeyBody,
) -> Result<HttpResponse> {
    let (id, key_id) = path;
    let origin = crate::oidc::issuer(gw, req)?;
    let answer = KeyAnswer {
        key_id: &key_id,
        credential: &body.public_key_credential,
        name: &body.name,
    };
    let reply = factors::finish_key(gw, auth, &id, answer, &origin).await?;
    Ok(respond(reply, false))
}

/// Registers the security key with the authenticator's answer. `MFA-0005` when the answer
/// does not verify (another site's, another challenge's), `MFA-0001` when no registration of
/// the key waits. `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/u2f/{key_id}/verify", tag = "factors",
    params(("id" = String, Path), ("key_id" = String, Path)), request_body = KeyBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn verify_u2f(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<KeyBody>,
) -> Result<HttpResponse> {
    verify_key(&gw, &req, &auth, path.into_inner(), body.into_inner()).await
}

/// Registers the passkey with the authenticator's answer. `MFA-0005` when the answer does not
/// verify, `MFA-0001` when no registration of the key waits. `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/passkeys/{key_id}/verify", tag = "factors",
    params(("id" = String, Path), ("key_id" = String, Path)), request_body = KeyBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn verify_passkey(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<KeyBody>,
) -> Result<HttpResponse> {
    verify_key(&gw, &req, &auth, path.into_inner(), body.into_inner()).await
}

/// Removes a security key. `MFA-0001` when the user has no such key. `user.write` (self).
#[utoipa::path(delete, path = "/v1/users/{id}/u2f/{key_id}", tag = "factors",
    params(("id" = String, Path), ("key_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn remove_u2f(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, key_id) = path.into_inner();
    let reply = factors::remove_key(&gw, &auth, &id, KeyKind::U2f, &key_id).await?;
    Ok(respond(reply, false))
}

/// Removes a passkey. `MFA-0001` when the user has no such passkey. `user.write` (self).
#[utoipa::path(delete, path = "/v1/users/{id}/passkeys/{key_id}", tag = "factors",
    params(("id" = String, Path), ("key_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn remove_passkey(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, key_id) = path.into_inner();
    let reply = factors::remove_key(&gw, &auth, &id, KeyKind::Passkey, &key_id).await?;
    Ok(respond(reply, false))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    /// `email` (default: to the user's address) or `return` (the link in the answer).
    send: Option<String>,
}

/// A link that registers a passkey without the password (good for 60 minutes, for one
/// passkey): sent by email, or returned with `send: return` (`user.write`, never on oneself).
/// `MFA-0003` when the login settings disable passkeys. `user.write` (self).
#[utoipa::path(post, path = "/v1/users/{id}/passkeys/registration_link", tag = "factors",
    params(("id" = String, Path)), request_body(content = LinkBody, description = "optional"),
    responses((status = 200, body = PasskeyLinkView), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn passkey_link(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let send = optional_json::<LinkBody>(&body)?.send;
    let delivery = factors::link_delivery(send.as_deref())?;
    let base_url = crate::oidc::issuer(&gw, &req)?;
    let view = factors::passkey_link(&gw, &auth, &id, delivery, base_url).await?;
    Ok(HttpResponse::Ok().json(view))
}
