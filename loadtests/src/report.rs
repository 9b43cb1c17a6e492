//! A run's figures: throughput, latency percentiles, errors by code; as JSON and as a
//! Markdown table row.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::harness::Mode;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was loaded: `portcullis`, or the peer's name.
    pub server: String,
    pub scenario: String,
    /// `closed/<workers>` or `open/<rate>/s`.
    pub load: String,
    /// Answered requests, successful or not.
    pub requests: u64,
    pub ok: u64,
    /// By HTTP status or error code.
    pub errors: BTreeMap<String, u64>,
    pub seconds: f64,
    /// Successful requests a second.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Report {
    pub fn new(
        scenario: &str,
        mode: Mode,
        elapsed: Duration,
        latencies: &Histogram<u64>,
        errors: BTreeMap<String, u64>,
    ) -> Report {
        let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
        let ok = latencies.len();
        let seconds = elapsed.as_secs_f64();
        Report {
            server: "portcullis".into(),
            scenario: scenario.to_string(),
            load: match mode {
                Mode::Closed { workers } => format!("closed/{workers}"),
                Mode::Open { rate, .. } => format!("open/{rate}/s"),
            },
            requests: ok + errors.values().sum::<u64>(),
            ok,
            errors,
            seconds,
            throughput: if seconds > 0.0 {
                ok as f64 / seconds
            } else {
                0.0
            },
            p50_ms: ms(0.50),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
            max_ms: latencies.max() as f64 / 1000.0,
        }
    }

    pub const MARKDOWN_HEADER: &'static str = "| server | scenario | load | ok | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---:|---|---:|---:|---:|---:|---:|";

    pub fn markdown_row(&self) -> String {
        let errors = if self.errors.is_empty() {
            "0".to_string()
        } else {
            self.errors
                .iter()
                .map(|(code, n)| format!("{code}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            self.server,
            self.scenario,
            self.load,
            self.ok,
            errors,
            self.throughput,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.max_ms
        )
    }
}
