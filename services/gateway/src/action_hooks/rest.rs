//! The hooks around a REST call: a middleware inside the authenticated `/v1` scope. A call
//! whose route has no hooks in its instance passes untouched (one cached lookup); otherwise
//! its JSON body goes to the request targets, and its successful JSON answer to the response
//! targets. A body that is not JSON (an NDJSON import) is sent as `null` and kept as it is.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::HttpMessage;
use domain::Error;
use serde_json::Value;

use super::api::{self, ApiCall, Hooks};
use super::methods;
use crate::auth::Authenticated;
use crate::{ApiError, Gateway};

/// The call's hooks, when its route and instance have any.
async fn hooks_of(req: &ServiceRequest) -> Result<Option<(Data<Gateway>, Hooks)>, Error> {
    // Only the instance for the look most calls end at; the caller once they have hooks.
    let Some(instance) = req
        .extensions()
        .get::<Authenticated>()
        .map(|a| a.instance.clone())
    else {
        return Ok(None);
    };
    let Some(gw) = req.app_data::<Data<Gateway>>().cloned() else {
        return Ok(None);
    };
    if !api::any(&gw, &instance).await? {
        return Ok(None);
    }
    let Some(method) = req
        .match_pattern()
        .and_then(|route| methods::of_route(req.method().as_str(), &route))
    else {
        return Ok(None);
    };
    let Some(user_id) = req
        .extensions()
        .get::<Authenticated>()
        .map(|a| a.principal.user.clone())
    else {
        return Ok(None);
    };
    let call = ApiCall {
        instance,
        user_id,
        method: method.to_string(),
        transport: "rest",
    };
    Ok(Hooks::of(&gw, call).await?.map(|h| (gw, h)))
}

pub async fn around(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some((gw, hooks)) = hooks_of(&req).await.map_err(ApiError)? else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let mut body = req.extract::<Bytes>().await?;
    let json = match body.is_empty() {
        true => Some(Value::Null),
        false => serde_json::from_slice::<Value>(&body).ok(),
    };
    let request = match json {
        Some(sent) => {
            let request = hooks.request(&gw, sent.clone()).await.map_err(ApiError)?;
            if request != sent {
                body = Bytes::from(request.to_string());
            }
            request
        }
        None => hooks
            .request(&gw, Value::Null)
            .await
            .map(|_| Value::Null)
            .map_err(ApiError)?,
    };
    req.set_payload(Payload::from(body));
    let answered = next.call(req).await?;
    if !hooks.on_response() || !answered.status().is_success() {
        return Ok(answered.map_into_boxed_body());
    }
    let (http, res) = answered.into_parts();
    let (res, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.map_err(|e| {
        let e: Box<dyn std::error::Error> = e.into();
        ApiError(Error::internal(format!("the answer cannot be read: {e}")))
    })?;
    let bytes = match serde_json::from_slice::<Value>(&bytes) {
        Ok(sent) => {
            let answer = hooks
                .response(&gw, &request, sent.clone())
                .await
                .map_err(ApiError)?;
            match answer == sent {
                true => bytes,
                false => Bytes::from(answer.to_string()),
            }
        }
        Err(_) => bytes,
    };
    Ok(ServiceResponse::new(http, res.set_body(bytes)).map_into_boxed_body())
}
