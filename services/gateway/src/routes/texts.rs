//! The texts of the messages (`init`, `verify_email`, `verify_phone`, `password_reset`,
//! `otp_email`, `otp_sms`, `passkey_registration`) and of the hosted login's pages
//! (`login_page`, `register_page`, `reset_page`, `invite_page`, `verify_email_page`,
//! `verify_phone_page`, `expired_password_page`, `accounts_page`, `logout_page`, `mfa_page`,
//! `mfa_setup_page`) per language, of the instance and of orgs: what they set replaces the
//! built-in text, an org's before the instance's, field by field.

use actix_web::{web, HttpResponse};
use domain::settings::MessageTexts;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::texts;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{respond, ErrorBody, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/instance/texts/{template}/{language}",
        web::get().to(get_instance_texts),
    )
    .route(
        "/instance/texts/{template}/{language}",
        web::put().to(set_instance_texts),
    )
    .route(
        "/instance/texts/{template}/{language}",
        web::delete().to(reset_instance_texts),
    )
    .route(
        "/orgs/{org_id}/texts/{template}/{language}",
        web::get().to(get_org_texts),
    )
    .route(
        "/orgs/{org_id}/texts/{template}/{language}",
        web::put().to(set_org_texts),
    )
    .route(
        "/orgs/{org_id}/texts/{template}/{language}",
        web::delete().to(reset_org_texts),
    );
}

/// A message's texts; a field left out keeps the built-in text (or the instance's, for an
/// org). One line of at most 200 characters each; `text` up to 2000 with line breaks.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents the body; the operation parses it as MessageTexts
#[serde(deny_unknown_fields)]
struct TextsBody {
    subject: Option<String>,
    title: Option<String>,
    greeting: Option<String>,
    text: Option<String>,
    button_text: Option<String>,
}

/// The instance's texts of a message template in a language (BCP 47). `iam.policy.read`.
#[utoipa::path(get, path = "/v1/instance/texts/{template}/{language}", tag = "settings",
    params(("template" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = TextsBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.policy.read"))))]
async fn get_instance_texts(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (template, language) = path.into_inner();
    let t = texts::get(&gw, &auth, None, &template, &language).await?;
    Ok(HttpResponse::Ok().json(t))
}

/// Sets the instance's texts of a message template in a language. `iam.policy.write`.
#[utoipa::path(put, path = "/v1/instance/texts/{template}/{language}", tag = "settings",
    params(("template" = String, Path), ("language" = String, Path)), request_body = TextsBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.policy.write"))))]
async fn set_instance_texts(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<MessageTexts>,
) -> Result<HttpResponse> {
    let (template, language) = path.into_inner();
    let w = texts::set(
        &gw,
        &auth,
        None,
        &template,
        &language,
        Some(body.into_inner()),
    )
    .await?;
    Ok(respond(w, false))
}

/// Back to the built-in texts. `iam.policy.write`.
#[utoipa::path(delete, path = "/v1/instance/texts/{template}/{language}", tag = "settings",
    params(("template" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.policy.write"))))]
async fn reset_instance_texts(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (template, language) = path.into_inner();
    let w = texts::set(&gw, &auth, None, &template, &language, None).await?;
    Ok(respond(w, false))
}

/// The org's own texts of a message template in a language. `policy.read` on the org.
#[utoipa::path(get, path = "/v1/orgs/{org_id}/texts/{template}/{language}", tag = "settings",
    params(("org_id" = String, Path), ("template" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = TextsBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("policy.read"))))]
async fn get_org_texts(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (org, template, language) = path.into_inner();
    let t = texts::get(&gw, &auth, Some(&org), &template, &language).await?;
    Ok(HttpResponse::Ok().json(t))
}

/// Sets the org's texts of a message template in a language. `policy.write` on the org.
#[utoipa::path(put, path = "/v1/orgs/{org_id}/texts/{template}/{language}", tag = "settings",
    params(("org_id" = String, Path), ("template" = String, Path), ("language" = String, Path)),
    request_body = TextsBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("policy.write"))))]
async fn set_org_texts(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String, String)>,
    body: Body<MessageTexts>,
) -> Result<HttpResponse> {
    let (org, template, language) = path.into_inner();
    let texts = Some(body.into_inner());
    let w = texts::set(&gw, &auth, Some(&org), &template, &language, texts).await?;
    Ok(respond(w, false))
}

/// Back to the instance's texts. `policy.delete` on the org.
#[utoipa::path(delete, path = "/v1/orgs/{org_id}/texts/{template}/{language}", tag = "settings",
    params(("org_id" = String, Path), ("template" = String, Path), ("language" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("policy.delete"))))]
async fn reset_org_texts(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (org, template, language) = path.into_inner();
    let w = texts::set(&gw, &auth, Some(&org), &template, &language, None).await?;
    Ok(respond(w, false))
}
