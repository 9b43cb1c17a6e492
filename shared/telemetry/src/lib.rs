//! Metrics in the Prometheus text format: counters, gauges and histograms with labels, kept in
//! atomics (a hot path takes one lock per labelled family lookup, none for unlabelled ones).
//! One `Metrics` is made per process and handed to the parts that record into it.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Upper bounds of latency buckets, in seconds.
const LATENCY: [f64; 14] = [
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Upper bounds of size buckets (events per batch).
const SIZES: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0];

#[derive(Default)]
struct Histogram {
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    /// Sum in microunits (microseconds for latencies), to stay in an integer atomic.
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new(bounds: usize) -> Histogram {
        Histogram {
            buckets: (0..bounds).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, bounds: &[f64], value: f64) {
        for (i, b) in bounds.iter().enumerate() {
            if value <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((value * 1e6) as u64, Ordering::Relaxed);
    }
}

type Labels = Vec<(&'static str, String)>;

struct Family<T> {
    help: &'static str,
    series: Mutex<BTreeMap<Labels, Arc<T>>>,
}

impl<T: Default> Family<T> {
    fn new(help: &'static str) -> Family<T> {
        Family {
            help,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    fn get(&self, labels: Labels, make: impl FnOnce() -> T) -> Arc<T> {
        let mut s = self.series.lock().expect("metrics lock");
        s.entry(labels).or_insert_with(|| Arc::new(make())).clone()
    }
}

/// Every metric of a node.
pub struct Metrics {
    requests: Family<AtomicU64>,
    request_seconds: Family<Histogram>,
    command_seconds: Family<Histogram>,
    append_seconds: Histogram,
    append_batch: Histogram,
    cache: Family<AtomicU64>,
    action_calls: Family<AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Family::new("HTTP requests answered, by route and status"),
            request_seconds: Family::new("HTTP request latency, by route"),
            command_seconds: Family::new("Command latency in the aggregate actors (decide, durable append, apply), by aggregate type"),
            append_seconds: Histogram::new(LATENCY.len()),
            append_batch: Histogram::new(SIZES.len()),
            cache: Family::new("Principal cache lookups, by result"),
            action_calls: Family::new(
                "Calls of action targets, by what called them and outcome (delivered, refused, unreachable; circuit_open and busy: not called)",
            ),
        }
    }
}

fn label_text(labels: &Labels) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn with(labels: &Labels, extra: (&str, String)) -> String {
    let mut l: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    l.push((extra.0.to_string(), extra.1));
    let inner: Vec<String> = l.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(","))
}

fn write_histogram(out: &mut String, name: &str, labels: &Labels, bounds: &[f64], h: &Histogram) {
    for (i, b) in bounds.iter().enumerate() {
        let _ = writeln!(
            out,
            "{name}_bucket{} {}",
            with(labels, ("le", b.to_string())),
            h.buckets[i].load(Ordering::Relaxed)
        );
    }
    let count = h.count.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "{name}_bucket{} {count}",
        with(labels, ("le", "+Inf".into()))
    );
    let sum = h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
    let _ = writeln!(out, "{name}_sum{} {sum}", label_text(labels));
    let _ = writeln!(out, "{name}_count{} {count}", label_text(labels));
}

/// What the text exposition asks of the node at scrape time (values that live elsewhere).
pub struct Scrape {
    pub live_actors: u64,
    pub log_head: u64,
    pub applied_position: u64,
    /// Seconds since the read models last caught up with the log's head (0 when they are).
    pub projection_lag_seconds: f64,
    pub password_queue: u64,
    /// Bytes the gateway's caches hold, as weighed when their entries were put.
    pub cache_bytes: u64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    pub fn request(&self, route: &str, status: u16, took: Duration) {
        let labels = vec![("route", route.to_string()), ("status", status.to_string())];
        self.requests
            .get(labels, AtomicU64::default)
            .fetch_add(1, Ordering::Relaxed);
        let h = self
            .request_seconds
            .get(vec![("route", route.to_string())], || {
                Histogram::new(LATENCY.len())
            });
        h.observe(&LATENCY, took.as_secs_f64());
    }

    pub fn command(&self, aggregate: &'static str, took: Duration) {
        let h = self
            .command_seconds
            .get(vec![("aggregate", aggregate.to_string())], || {
                Histogram::new(LATENCY.len())
            });
        h.observe(&LATENCY, took.as_secs_f64());
    }

    /// One durable commit of the event log: how long, and how many appends it carried.
    pub fn append(&self, took: Duration, appends: usize) {
        self.append_seconds.observe(&LATENCY, took.as_secs_f64());
        self.append_batch.observe(&SIZES, appends as f64);
    }

    pub fn cache(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.cache
            .get(vec![("result", result.into())], AtomicU64::default)
            .fetch_add(1, Ordering::Relaxed);
    }

    /// A call of an action target: for what (`event`), and what came of it.
    pub fn action_call(&self, called_for: &str, outcome: &str) {
        let labels = vec![("for", called_for.into()), ("outcome", outcome.into())];
        self.action_calls
            .get(labels, AtomicU64::default)
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self, now: &Scrape) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP portcullis_http_requests_total {}",
            self.requests.help
        );
        let _ = writeln!(out, "# TYPE portcullis_http_requests_total counter");
        for (l, c) in self.requests.series.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "portcullis_http_requests_total{} {}",
                label_text(l),
                c.load(Ordering::Relaxed)
            );
        }
        for (name, family) in [
            (
                "portcullis_http_request_duration_seconds",
                &self.request_seconds,
            ),
            ("portcullis_command_duration_seconds", &self.command_seconds),
        ] {
            let _ = writeln!(out, "# HELP {name} {}", family.help);
            let _ = writeln!(out, "# TYPE {name} histogram");
            for (l, h) in family.series.lock().expect("metrics lock").iter() {
                write_histogram(&mut out, name, l, &LATENCY, h);
            }
        }
        let _ = writeln!(out, "# HELP portcullis_eventlog_append_duration_seconds Durable commits of the event log (one fsync each)");
        let _ = writeln!(
            out,
            "# TYPE portcullis_eventlog_append_duration_seconds histogram"
        );
        write_histogram(
            &mut out,
            "portcullis_eventlog_append_duration_seconds",
            &vec![],
            &LATENCY,
            &self.append_seconds,
        );
        let _ = writeln!(
            out,
            "# HELP portcullis_eventlog_batch_appends Appends per durable commit (group commit)"
        );
        let _ = writeln!(out, "# TYPE portcullis_eventlog_batch_appends histogram");
        write_histogram(
            &mut out,
            "portcullis_eventlog_batch_appends",
            &vec![],
            &SIZES,
            &self.append_batch,
        );
        let _ = writeln!(
            out,
            "# HELP portcullis_principal_cache_lookups_total {}",
            self.cache.help
        );
        let _ = writeln!(
            out,
            "# TYPE portcullis_principal_cache_lookups_total counter"
        );
        for (l, c) in self.cache.series.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "portcullis_principal_cache_lookups_total{} {}",
                label_text(l),
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP portcullis_action_calls_total {}",
            self.action_calls.help
        );
        let _ = writeln!(out, "# TYPE portcullis_action_calls_total counter");
        for (l, c) in self
            .action_calls
            .series
            .lock()
            .expect("metrics lock")
            .iter()
        {
            let _ = writeln!(
                out,
                "portcullis_action_calls_total{} {}",
                label_text(l),
                c.load(Ordering::Relaxed)
            );
        }
        let lag = now.log_head.saturating_sub(now.applied_position);
        for (name, help, value) in [
            (
                "portcullis_actors_live",
                "Aggregate actors in memory",
                now.live_actors as f64,
            ),
            (
                "portcullis_eventlog_head_position",
                "The log's last durable position",
                now.log_head as f64,
            ),
            (
                "portcullis_projection_lag_positions",
                "Log positions the read models have not applied yet",
                lag as f64,
            ),
            (
                "portcullis_projection_lag_seconds",
                "How long the read models have been behind the log",
                now.projection_lag_seconds,
            ),
            (
                "portcullis_password_hash_queue",
                "Password hashes and checks waiting for the bounded pool",
                now.password_queue as f64,
            ),
            (
                "portcullis_gateway_cache_bytes",
                "Bytes the gateway's caches hold (principals, clients, verified tokens, revocations, discovery documents)",
                now.cache_bytes as f64,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_count_into_every_bucket_at_or_above_the_value() {
        let m = Metrics::new();
        m.request("/v1/users", 200, Duration::from_millis(3));
        m.request("/v1/users", 200, Duration::from_millis(30));
        let text = m.render(&Scrape {
            live_actors: 1,
            log_head: 10,
            applied_position: 7,
            projection_lag_seconds: 0.5,
            password_queue: 0,
            cache_bytes: 0,
        });
        assert!(
            text.contains("portcullis_http_requests_total{route=\"/v1/users\",status=\"200\"} 2")
        );
        assert!(text.contains(
            "portcullis_http_request_duration_seconds_bucket{route=\"/v1/users\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "portcullis_http_request_duration_seconds_bucket{route=\"/v1/users\",le=\"0.05\"} 2"
        ));
        assert!(
            text.contains("portcullis_http_request_duration_seconds_count{route=\"/v1/users\"} 2")
        );
        assert!(text.contains("portcullis_projection_lag_positions 3"));
    }
}
