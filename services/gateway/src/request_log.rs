//! One `tracing` span per request (`http.request`: method, route, instance, caller) and one
//! log line when it is answered, with status and duration.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing::field::Empty;
use tracing::Instrument;

/// Middleware for the whole app (`App::wrap(from_fn(trace_requests))`).
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let span = tracing::info_span!(
        "http.request",
        method = %req.method(),
        path = %req.path(),
        route = Empty,
        instance = Empty,
        caller = Empty,
    );
    let started = Instant::now();
    let metrics = req
        .app_data::<actix_web::web::Data<crate::Gateway>>()
        .map(|gw| gw.metrics.clone());
    let result = next.call(req).instrument(span.clone()).await;
    let _entered = span.enter();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(res) => {
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".into());
            span.record("route", route.as_str());
            let status = res.status().as_u16();
            if let Some(m) = &metrics {
                m.request(&route, status, started.elapsed());
            }
            if status >= 500 {
                tracing::warn!(status, ms, "request failed");
            } else {
                tracing::info!(status, ms, "request");
            }
        }
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16();
            tracing::info!(status, ms, error = %e, "request refused");
        }
    }
    result
}

/// Names the request's instance and caller on its span (called once they are known).
pub fn record_caller(instance: &str, caller: &str) {
    let span = tracing::Span::current();
    span.record("instance", instance);
    span.record("caller", caller);
}
