//! The instance's SMS provider: an HTTP endpoint that text messages (phone verification, a
//! reset by SMS) are POSTed to as `{to, text}`, each call signed with the instance's key.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::notifications;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{ErrorBody, SmsSetView, SmsView};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/instance/sms", web::put().to(set_sms))
        .route("/instance/sms", web::get().to(get_sms));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct HttpProvider {
    /// Where `{to, text}` is POSTed: `https` at a public address.
    endpoint: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SmsBody {
    http: HttpProvider,
}

/// Sets the instance's SMS provider and makes a new signing key for its calls, answered this
/// once (`Portcullis-Signature: t=<unix>,v1=<hex HMAC-SHA256(signing_key, "<t>.<body>")>`;
/// refuse a `t` more than a few minutes from your clock). `iam.write`; `SMS-0002` for an
/// endpoint that is not `https` at a public address.
#[utoipa::path(put, path = "/v1/instance/sms", tag = "notifications", request_body = SmsBody,
    responses((status = 200, body = SmsSetView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.write"))))]
async fn set_sms(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<SmsBody>,
) -> Result<HttpResponse> {
    let set = notifications::set_sms(&gw, &auth, &body.http.endpoint).await?;
    Ok(HttpResponse::Ok().json(set))
}

/// The instance's SMS provider, without its key. `iam.read`; `SMS-0001` when none is set.
#[utoipa::path(get, path = "/v1/instance/sms", tag = "notifications",
    responses((status = 200, body = SmsView), (status = 403, body = ErrorBody), (status = 412, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.read"))))]
async fn get_sms(gw: web::Data<Gateway>, auth: Authenticated) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(notifications::get_sms(&gw, &auth).await?))
}
