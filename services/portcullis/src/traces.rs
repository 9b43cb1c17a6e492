//! Traces: when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
//! set, every `tracing` span is also an OpenTelemetry span, exported in batches over OTLP/HTTP
//! (protobuf) to `<endpoint>/v1/traces`. Incoming W3C `traceparent` headers continue the
//! caller's trace (the gateway reads them with the global propagator set here). The standard
//! `OTEL_*` variables apply (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_BSP_SCHEDULE_DELAY`...). Without an endpoint nothing is exported and spans cost what
//! they cost for logs.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{SpanExporter, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;

/// The exporting tracer provider, if any; `shutdown` flushes the spans not yet sent.
pub struct Traces(Option<SdkTracerProvider>);

impl Traces {
    /// Sends what is buffered and stops the exporter (at the end of `main`).
    pub fn shutdown(self) {
        if let Some(provider) = self.0 {
            if let Err(e) = provider.shutdown() {
                eprintln!("portcullis: traces not all exported at shutdown: {e}");
            }
        }
    }
}

/// Whether the environment asks for trace export.
pub fn requested() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|v| std::env::var(v).is_ok_and(|s| !s.is_empty()))
}

/// Builds the exporting provider and its tracer (the caller wraps it in a `tracing` layer).
pub fn provider(role: &str) -> Result<(opentelemetry_sdk::trace::Tracer, Traces), String> {
    let exporter = SpanExporter::builder()
        .with_http()
        .with_http_client(BlockingClient::new())
        .build()
        .map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
    let resource = Resource::builder()
        .with_service_name(
            std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "portcullis".into()),
        )
        .with_attribute(KeyValue::new("portcullis.role", role.to_string()))
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let tracer = provider.tracer("portcullis");
    Ok((tracer, Traces(Some(provider))))
}

/// No export: `shutdown` does nothing.
pub fn none() -> Traces {
    Traces(None)
}

/// OTLP/HTTP over `ureq`. The batch span processor calls it from its own thread, so a
/// blocking request holds up no async runtime.
#[derive(Debug)]
struct BlockingClient(ureq::Agent);

impl BlockingClient {
    fn new() -> Self {
        let timeout = std::env::var("OTEL_EXPORTER_OTLP_TIMEOUT")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(Duration::from_secs(10), Duration::from_millis);
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        BlockingClient(agent)
    }
}

#[async_trait::async_trait]
impl HttpClient for BlockingClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let mut response = self
            .0
            .run(Request::from_parts(parts, body.to_vec()))
            .map_err(Box::new)?;
        let body = response
            .body_mut()
            .with_config()
            .limit(4 << 20)
            .read_to_vec()
            .map_err(Box::new)?;
        let (parts, _) = response.into_parts();
        Ok(Response::from_parts(parts, Bytes::from(body)))
    }
}
