//! The instance's SMTP server, and the codes of a user: email and phone verification,
//! password reset, invitation. Codes are sent by email or SMS through the outbox (at least
//! once, retried with backoff, each attempt in the audit trail), or returned to a manager who
//! asks for them.

use actix_web::{web, HttpRequest, HttpResponse};
use command::{Delivery, SmtpInput};
use domain::smtp::SmtpTls;
use domain::user::CodeKind;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::notifications;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, CodeView, ErrorBody, SmtpView, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/instance/smtp", web::put().to(set_smtp))
        .route("/instance/smtp", web::get().to(get_smtp))
        .route("/instance/smtp/test", web::post().to(test_smtp))
        .route(
            "/users/{id}/email/send_code",
            web::post().to(send_email_code),
        )
        .route("/users/{id}/email/verify", web::post().to(verify_email))
        .route(
            "/users/{id}/phone/send_code",
            web::post().to(send_phone_code),
        )
        .route("/users/{id}/phone/verify", web::post().to(verify_phone))
        .route("/users/{id}/password/reset", web::post().to(reset_password))
        .route("/users/{id}/invite", web::post().to(invite));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SmtpBody {
    /// The server's DNS name or IPv4 address.
    host: String,
    port: u16,
    /// `starttls` (default; a server that does not offer it fails, never falls back to plain
    /// text), `tls` (from the first byte, usually port 465) or `none`.
    #[serde(default)]
    #[schema(value_type = String)]
    tls: SmtpTls,
    user: Option<String>,
    /// Sealed with the master key; never shown again. Absent: the stored one stays (for the
    /// same user); empty: none.
    password: Option<String>,
    sender_address: String,
    sender_name: String,
}

/// Sets the instance's SMTP server. `iam.write`.
#[utoipa::path(put, path = "/v1/instance/smtp", tag = "notifications", request_body = SmtpBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.write"))))]
async fn set_smtp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<SmtpBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let input = SmtpInput {
        host: b.host,
        port: b.port,
        tls: b.tls,
        user: b.user,
        password: b.password,
        sender_address: b.sender_address,
        sender_name: b.sender_name,
    };
    Ok(respond(
        notifications::set_smtp(&gw, &auth, input).await?,
        false,
    ))
}

/// The instance's SMTP server, without its password. `iam.read`; `SMTP-0001` when none is set.
#[utoipa::path(get, path = "/v1/instance/smtp", tag = "notifications",
    responses((status = 200, body = SmtpView), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.read"))))]
async fn get_smtp(gw: web::Data<Gateway>, auth: Authenticated) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(notifications::get_smtp(&gw, &auth).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TestMailBody {
    /// Where the test message goes.
    to: String,
}

/// Sends a test message now over the instance's SMTP server. `iam.write`; 204 when the server
/// took it, `SMTP-0002` with what it answered when not.
#[utoipa::path(post, path = "/v1/instance/smtp/test", tag = "notifications", request_body = TestMailBody,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.write"))))]
async fn test_smtp(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<TestMailBody>,
) -> Result<HttpResponse> {
    notifications::test_smtp(&gw, &auth, &body.to).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Where a code goes.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Send {
    /// By email to the user's address (the default, but for a phone's code).
    Email,
    /// By SMS to the user's phone (the default for a phone's code; a reset only to a
    /// verified phone).
    Sms,
    /// Back in the answer: only for a caller with `user.write` on another user.
    Return,
}

impl From<Send> for Delivery {
    fn from(s: Send) -> Delivery {
        match s {
            Send::Email => Delivery::Email,
            Send::Sms => Delivery::Sms,
            Send::Return => Delivery::Return,
        }
    }
}

#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SendBody {
    send: Option<Send>,
}

/// An optional body: none at all is the default; one that is there must be valid.
type OptionalBody = std::result::Result<Body<SendBody>, ApiError>;

/// Where the caller asked the code to go, or where a code of `kind` goes by default.
fn send_of(req: &HttpRequest, body: OptionalBody, kind: CodeKind) -> Result<Send> {
    use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
    let headers = req.headers();
    let empty = !headers.contains_key(TRANSFER_ENCODING)
        && headers
            .get(CONTENT_LENGTH)
            .is_none_or(|v| v.as_bytes() == b"0");
    let default = match kind {
        CodeKind::VerifyPhone | CodeKind::OtpSms => Send::Sms,
        CodeKind::VerifyEmail
        | CodeKind::PasswordReset
        | CodeKind::Init
        | CodeKind::OtpEmail
        | CodeKind::PasskeyRegistration => Send::Email,
    };
    match body {
        Ok(b) => Ok(b.into_inner().send.unwrap_or(default)),
        Err(_) if empty => Ok(default),
        Err(e) => Err(e),
    }
}

async fn code(
    gw: &Gateway,
    req: &HttpRequest,
    auth: &Authenticated,
    id: &str,
    kind: CodeKind,
    body: OptionalBody,
) -> Result<HttpResponse> {
    let send = send_of(req, body, kind)?;
    let base_url = crate::oidc::issuer(gw, req)?;
    let view = notifications::add_code(gw, auth, id, kind, send.into(), base_url).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Sends a code to the user's email address to verify it (valid 60 minutes; a new one replaces
/// it). `user.write` (self); `send: return` answers the code instead (`user.write`, never on
/// oneself). `USER-0018` when the address is verified already.
#[utoipa::path(post, path = "/v1/users/{id}/email/send_code", tag = "users", params(("id" = String, Path)),
    request_body(content = SendBody, description = "optional"),
    responses((status = 200, body = CodeView), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn send_email_code(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    id: web::Path<String>,
    body: OptionalBody,
) -> Result<HttpResponse> {
    code(&gw, &req, &auth, &id, CodeKind::VerifyEmail, body).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    code: String,
}

/// Verifies the user's email address with the code sent to it. `user.write` (self);
/// `USER-0017` when the code is wrong, used or expired (wrong ones count: at the lockout's
/// `max_otp_attempts` the code is void).
#[utoipa::path(post, path = "/v1/users/{id}/email/verify", tag = "users", params(("id" = String, Path)),
    request_body = VerifyBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn verify_email(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<VerifyBody>,
) -> Result<HttpResponse> {
    let reply = notifications::verify(&gw, &auth, &id, CodeKind::VerifyEmail, &body.code).await?;
    Ok(respond(reply, false))
}

/// Sends a code by SMS to the user's phone number to verify it (valid 60 minutes; a new one
/// replaces it). `user.write` (self); `send: return` answers the code instead (`user.write`,
/// never on oneself). `USER-0013` when the user has no phone number, `USER-0018` when it is
/// verified already.
#[utoipa::path(post, path = "/v1/users/{id}/phone/send_code", tag = "users", params(("id" = String, Path)),
    request_body(content = SendBody, description = "optional"),
    responses((status = 200, body = CodeView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn send_phone_code(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    id: web::Path<String>,
    body: OptionalBody,
) -> Result<HttpResponse> {
    code(&gw, &req, &auth, &id, CodeKind::VerifyPhone, body).await
}

/// Verifies the user's phone number with the code sent to it. `user.write` (self);
/// `USER-0017` when the code is wrong, used or expired (wrong ones count: at the lockout's
/// `max_otp_attempts` the code is void).
#[utoipa::path(post, path = "/v1/users/{id}/phone/verify", tag = "users", params(("id" = String, Path)),
    request_body = VerifyBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write (self)"))))]
async fn verify_phone(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<VerifyBody>,
) -> Result<HttpResponse> {
    let reply = notifications::verify(&gw, &auth, &id, CodeKind::VerifyPhone, &body.code).await?;
    Ok(respond(reply, false))
}

/// Starts a password reset: a code (valid 30 minutes) sent to the user's email address, by
/// SMS to their verified phone (`send: sms`), or returned (`send: return`). Set the password
/// with `PUT /v1/users/{id}/password` `{code, new_password}`. `user.write`, never on oneself.
#[utoipa::path(post, path = "/v1/users/{id}/password/reset", tag = "users", params(("id" = String, Path)),
    request_body(content = SendBody, description = "optional"),
    responses((status = 200, body = CodeView), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write"))))]
async fn reset_password(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    id: web::Path<String>,
    body: OptionalBody,
) -> Result<HttpResponse> {
    code(&gw, &req, &auth, &id, CodeKind::PasswordReset, body).await
}

/// Invites a user: an `init` message with a code (valid 3 days) and a link to choose a
/// password, which also verifies the email address. `user.write`, never on oneself.
#[utoipa::path(post, path = "/v1/users/{id}/invite", tag = "users", params(("id" = String, Path)),
    request_body(content = SendBody, description = "optional"),
    responses((status = 200, body = CodeView), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write"))))]
async fn invite(
    gw: web::Data<Gateway>,
    req: HttpRequest,
    auth: Authenticated,
    id: web::Path<String>,
    body: OptionalBody,
) -> Result<HttpResponse> {
    code(&gw, &req, &auth, &id, CodeKind::Init, body).await
}
