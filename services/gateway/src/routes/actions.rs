//! Actions: targets (HTTP endpoints the instance calls, each with its signing key) and
//! executions (which targets an event, a function of the token flow, or an API request or
//! response calls).

use actix_web::{web, HttpResponse};
use domain::actions::TargetPatch;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::actions::{self, TargetInput};
use crate::auth::Authenticated;
use crate::body::Body;
use crate::views::actions::{
    ConditionBody, DeliveryView, ExecutionView, ItemsView, TargetAddedView, TargetView,
};
use crate::views::{respond, ErrorBody, WriteReply};
use crate::{ApiError, Gateway};

type Result<T> = std::result::Result<T, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/actions/targets", web::post().to(add_target))
        .route("/actions/targets", web::get().to(list_targets))
        .route("/actions/targets/{id}", web::get().to(get_target))
        .route("/actions/targets/{id}", web::patch().to(change_target))
        .route("/actions/targets/{id}", web::delete().to(remove_target))
        .route("/actions/executions", web::put().to(set_execution))
        .route("/actions/executions", web::get().to(list_executions))
        .route("/actions/executions", web::delete().to(remove_execution))
        .route(
            "/actions/targets/{id}/deliveries",
            web::get().to(list_deliveries),
        )
        .route(
            "/actions/targets/{id}/deliveries/{delivery_id}/replay",
            web::post().to(replay_delivery),
        );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TargetBody {
    name: String,
    /// An `https` address (plain `http` and private hosts only where the operator allows
    /// them).
    endpoint: String,
    /// `webhook` (events, retried until answered 2xx), `call` (functions, requests and
    /// responses, called inline) or `async` (events, not waited for).
    #[serde(rename = "type")]
    kind: String,
    /// 100 to 30,000; default 10,000.
    #[serde(default)]
    timeout_ms: Option<u32>,
    /// A failing `call` target stops what called it (else it is skipped).
    #[serde(default)]
    interrupt_on_error: bool,
}

/// Adds a target, with a signing key of its own answered this once: every call carries
/// `Portcullis-Signature: t=<unix>,v1=<hex HMAC-SHA256(signing_key, "<t>.<body>")>`.
/// `action.target.write`; `ACTION-0001` for a name, endpoint, type or timeout that is not
/// valid.
#[utoipa::path(post, path = "/v1/actions/targets", tag = "actions", request_body = TargetBody,
    responses((status = 201, body = TargetAddedView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("action.target.write"))))]
async fn add_target(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<TargetBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let target = TargetInput {
        name: b.name,
        endpoint: b.endpoint,
        kind: b.kind,
        timeout_ms: b.timeout_ms,
        interrupt_on_error: b.interrupt_on_error,
    };
    let added = actions::add_target(&gw, &auth, target).await?;
    Ok(HttpResponse::Created().json(added))
}

/// The instance's targets, without their signing keys. `action.target.read`.
#[utoipa::path(get, path = "/v1/actions/targets", tag = "actions",
    responses((status = 200, body = ItemsView<TargetView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("action.target.read"))))]
async fn list_targets(gw: web::Data<Gateway>, auth: Authenticated) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(actions::list_targets(&gw, &auth).await?))
}

/// A target, without its signing key. `action.target.read`; `ACTION-0002` for no such target.
#[utoipa::path(get, path = "/v1/actions/targets/{id}", tag = "actions",
    params(("id" = String, Path)),
    responses((status = 200, body = TargetView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("action.target.read"))))]
async fn get_target(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(actions::get_target(&gw, &auth, &id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TargetPatchBody {
    name: Option<String>,
    endpoint: Option<String>,
    timeout_ms: Option<u32>,
    interrupt_on_error: Option<bool>,
}

/// Changes what is sent of a target; its type and signing key stay. `action.target.write`.
#[utoipa::path(patch, path = "/v1/actions/targets/{id}", tag = "actions",
    params(("id" = String, Path)), request_body = TargetPatchBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("action.target.write"))))]
async fn change_target(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Body<TargetPatchBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    let patch = TargetPatch {
        name: b.name,
        endpoint: b.endpoint,
        timeout_ms: b.timeout_ms,
        interrupt_on_error: b.interrupt_on_error,
    };
    Ok(respond(
        actions::change_target(&gw, &auth, &id, patch).await?,
        false,
    ))
}

/// Removes a target, from every execution too. `action.target.delete`.
#[utoipa::path(delete, path = "/v1/actions/targets/{id}", tag = "actions",
    params(("id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("action.target.delete"))))]
async fn remove_target(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(respond(
        actions::remove_target(&gw, &auth, &id).await?,
        false,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ExecutionBody {
    condition: ConditionBody,
    /// Target ids, called in this order: webhook and async targets for events, call targets
    /// for functions, requests and responses.
    targets: Vec<String>,
}

/// Sets which targets a condition calls (replacing the ones it called). `action.execution.write`;
/// `ACTION-0003` for a condition that is not valid or a target of the wrong type,
/// `ACTION-0002` for no such target.
#[utoipa::path(put, path = "/v1/actions/executions", tag = "actions", request_body = ExecutionBody,
    responses((status = 200, body = WriteReply), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("action.execution.write"))))]
async fn set_execution(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<ExecutionBody>,
) -> Result<HttpResponse> {
    let b = body.into_inner();
    Ok(respond(
        actions::set_execution(&gw, &auth, b.condition, b.targets).await?,
        false,
    ))
}

/// The instance's executions. `action.execution.read`.
#[utoipa::path(get, path = "/v1/actions/executions", tag = "actions",
    responses((status = 200, body = ItemsView<ExecutionView>), (status = 403, body = ErrorBody)),
    extensions(("x-permission" = json!("action.execution.read"))))]
async fn list_executions(gw: web::Data<Gateway>, auth: Authenticated) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(actions::list_executions(&gw, &auth).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RemoveExecutionBody {
    condition: ConditionBody,
}

/// Removes a condition's execution. `action.execution.write`; `ACTION-0004` for none.
#[utoipa::path(delete, path = "/v1/actions/executions", tag = "actions",
    request_body = RemoveExecutionBody,
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("action.execution.write"))))]
async fn remove_execution(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    body: Body<RemoveExecutionBody>,
) -> Result<HttpResponse> {
    let condition = body.into_inner().condition;
    Ok(respond(
        actions::remove_execution(&gw, &auth, condition).await?,
        false,
    ))
}

/// The target's event deliveries given up after every retry (`given_up`), and those being
/// tried again (`replaying`). `action.target.read`.
#[utoipa::path(get, path = "/v1/actions/targets/{id}/deliveries", tag = "actions",
    params(("id" = String, Path)),
    responses((status = 200, body = ItemsView<DeliveryView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("action.target.read"))))]
async fn list_deliveries(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(actions::list_deliveries(&gw, &auth, &id).await?))
}

/// Tries a delivery given up again, once, ahead of the target's next events; given up again
/// if it fails. `action.target.write`; `ACTION-0006` for no such delivery.
#[utoipa::path(post, path = "/v1/actions/targets/{id}/deliveries/{delivery_id}/replay", tag = "actions",
    params(("id" = String, Path), ("delivery_id" = String, Path)),
    responses((status = 200, body = WriteReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    extensions(("x-permission" = json!("action.target.write"))))]
async fn replay_delivery(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (id, delivery_id) = path.into_inner();
    Ok(respond(
        actions::replay_delivery(&gw, &auth, &id, &delivery_id).await?,
        false,
    ))
}
