//! What a user may do: their memberships, and the decision of a check with its reason.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::permissions::{self, CheckQuery};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::{CheckView, ErrorBody, ListParams, MembershipView, PageView};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/memberships", web::get().to(memberships))
        .route("/permissions/check", web::post().to(check));
}

/// A user's memberships (manager roles) at every level. `user.membership.read` on the user's
/// org; a user may read their own.
#[utoipa::path(get, path = "/v1/users/{id}/memberships", tag = "users", params(("id" = String, Path), ListParams),
    responses((status = 200, body = PageView<MembershipView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("user.membership.read (self)"))))]
async fn memberships(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let page = permissions::memberships(&gw, &auth, &id, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResourceBody {
    /// `instance`, `org`, `user` or `project`.
    #[serde(rename = "type")]
    kind: String,
    /// The resource's id (ignored for `instance`).
    #[serde(default)]
    id: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    user_id: String,
    /// A permission name such as `user.write`.
    permission: String,
    resource: ResourceBody,
}

/// Would this user be allowed this permission on this resource? The decision with its reason.
/// `iam.read` on the instance.
#[utoipa::path(post, path = "/v1/permissions/check", tag = "permissions", request_body = CheckBody,
    responses((status = 200, body = CheckView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("iam.read"))))]
async fn check(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<CheckBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let query = CheckQuery {
        user_id: b.user_id,
        permission: b.permission,
        kind: b.resource.kind,
        id: b.resource.id,
    };
    Ok(HttpResponse::Ok().json(permissions::check(&gw, &auth, query).await?))
}
