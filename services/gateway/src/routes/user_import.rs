//! `POST /v1/orgs/{org_id}/users/import`: users brought along from another system with their
//! password hashes, as a JSON array or as NDJSON (`Content-Type: application/x-ndjson`, read
//! and imported as it arrives), up to 100,000 a request, each answered on its own.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::user_import::{self, ImportReply, ImportedHuman};
use crate::auth::Authenticated;
use crate::views::ErrorBody;
use crate::{ApiError, Gateway};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/orgs/{org_id}/users/import")
            // Up to 100,000 users: far more than the 1 MiB of other bodies.
            .app_data(web::PayloadConfig::default().limit(128 << 20))
            .route(web::post().to(import_users)),
    );
}

/// Imports users with their password hashes into the org: each item is created (its `id`) or
/// answers its error (`USER-0019` for a hash that is malformed, of a kind not taken, or of a
/// cost a login cannot afford; `USER-0002` for a login name in use; ...). Hashes are verified
/// at each user's first login, then replaced by argon2id ones. At most 100,000 users
/// (`REQ-0002` beyond). A JSON array with an item that is not a user is refused whole
/// (`REQ-0001`, `details.index`); an NDJSON line that is not one is that item's error.
/// `user.write` on the org.
#[utoipa::path(post, path = "/v1/orgs/{org_id}/users/import", tag = "users",
    params(("org_id" = String, Path)),
    request_body(content = Vec<ImportedHuman>, description = "A JSON array, or NDJSON (one user a line, `application/x-ndjson`)"),
    responses((status = 200, body = ImportReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)),
    extensions(("x-permission" = json!("user.write"))))]
async fn import_users(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    req: HttpRequest,
    org_id: web::Path<String>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ndjson = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-ndjson"));
    let reply = user_import::import(&gw, &auth, &org_id, ndjson, body).await?;
    Ok(HttpResponse::Ok().json(reply))
}
