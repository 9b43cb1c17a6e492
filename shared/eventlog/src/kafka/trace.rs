//! Trace context through the log: an event record carries the W3C `traceparent` of the span
//! that appended it (a Kafka header), and a follower continues that trace when its reader
//! counts the event. Without trace export the propagator is a no-op and nothing is written.

use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub const HEADER: &str = "traceparent";

/// The current span's `traceparent`, if traces are exported.
pub fn current() -> Option<String> {
    struct One(Option<String>);
    impl Injector for One {
        fn set(&mut self, key: &str, value: String) {
            if key == HEADER {
                self.0 = Some(value);
            }
        }
    }
    let context = tracing::Span::current().context();
    let mut one = One(None);
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, &mut one));
    one.0
}

/// A `projection.apply` span continuing the trace of `traceparent`.
pub fn applying(traceparent: &str, position: u64) -> tracing::Span {
    struct One<'a>(&'a str);
    impl Extractor for One<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            (key == HEADER).then_some(self.0)
        }
        fn keys(&self) -> Vec<&str> {
            vec![HEADER]
        }
    }
    let span = tracing::info_span!("projection.apply", position);
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&One(traceparent)));
    // Fails only without an OpenTelemetry layer: then there is no trace to continue.
    let _ = span.set_parent(parent);
    span
}
