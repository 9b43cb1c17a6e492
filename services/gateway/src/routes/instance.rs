//! The instance a request reaches.

use crate::api::orgs;
use crate::auth::Authenticated;
use crate::views::{ErrorBody, InstanceView};
use crate::{ApiError, Gateway};
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/instance", web::get().to(get_instance));
}

/// The caller's instance. `iam.read`.
#[utoipa::path(get, path = "/v1/instance", tag = "instance",
    responses((status = 200, body = InstanceView), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.read"))))]
async fn get_instance(
    gw: web::Data<Gateway>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(orgs::my_instance(&gw, &auth).await?))
}
