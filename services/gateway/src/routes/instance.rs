//! The instance a request reaches.

use actix_web::{web, HttpResponse};
use authz::{Permission, Target};
use domain::{Code, Error};

use super::require;
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{ErrorBody, InstanceView};
use crate::{ApiError, Gateway};

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
    let target = Target::Instance {
        instance: &auth.instance,
    };
    require(&gw, &auth, Permission::named("iam.read"), target)?;
    let id = auth.instance.clone();
    let instance = read(&gw, move |m| m.instance(&id))
        .await?
        .ok_or_else(|| Error::new(Code::InstanceNotFound, "the instance was removed"))?;
    Ok(HttpResponse::Ok().json(InstanceView::from(instance)))
}
