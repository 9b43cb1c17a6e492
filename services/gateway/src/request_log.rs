//! One `tracing` span per request (`http.request`: method, route, instance, caller) and one
//! log line when it is answered, with status and duration. A W3C `traceparent` header makes
//! the span a child of the caller's (when traces are exported; see `portcullis::traces`).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing::field::Empty;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

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
    continue_trace(&span, req.headers());
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

/// Makes `span` a child of the remote span in `traceparent`, through the global propagator
/// (a no-op one unless trace export is on).
fn continue_trace(span: &tracing::Span, headers: &actix_web::http::header::HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    // Fails only when no OpenTelemetry layer is installed: then there is nothing to continue.
    let _ = span.set_parent(parent);
}

struct Headers<'a>(&'a actix_web::http::header::HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Names the request's instance and caller on its span (called once they are known).
pub fn record_caller(instance: &str, caller: &str) {
    let span = tracing::Span::current();
    span.record("instance", instance);
    span.record("caller", caller);
}
