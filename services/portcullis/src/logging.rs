//! Logs through `tracing`: text on a terminal, JSON with `PORTCULLIS_LOG_FORMAT=json`; the
//! level from `RUST_LOG` (default `info`). The same spans go to OpenTelemetry when the
//! environment asks for it (`traces`).

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;

use crate::traces::{self, Traces};

type Base = tracing_subscriber::layer::Layered<EnvFilter, tracing_subscriber::Registry>;
type BoxedLayer = Box<dyn Layer<Base> + Send + Sync>;

/// Installs the global subscriber; the returned `Traces` must be shut down at exit.
pub fn init(role: &str) -> Result<Traces, String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let mut layers: Vec<BoxedLayer> = vec![if std::env::var("PORTCULLIS_LOG_FORMAT").as_deref()
        == Ok("json")
    {
        fmt.json().boxed()
    } else {
        fmt.boxed()
    }];
    let traces = if traces::requested() {
        let (tracer, traces) = traces::provider(role)?;
        layers.push(tracing_opentelemetry::layer().with_tracer(tracer).boxed());
        traces
    } else {
        traces::none()
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .init();
    Ok(traces)
}
