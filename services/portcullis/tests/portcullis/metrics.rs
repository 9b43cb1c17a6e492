//! `/metrics` is Prometheus text (parsed by prometheus_client's own parser) and moves with
//! traffic.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use testkit::server;

/// Every node's samples (the gateway's; in a cluster also the command nodes').
fn scrape() -> Vec<Value> {
    server()
        .nodes()
        .iter()
        .flat_map(|node| parse(&format!("http://{node}/metrics")))
        .collect()
}

fn parse(url: &str) -> Vec<Value> {
    let raw = ureq::get(url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let venv = std::env::var("PORTCULLIS_VENV").unwrap_or_else(|_| {
        format!(
            "{}/.cache/portcullis-venv-3.12",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let mut child = Command::new(format!("{venv}/bin/python"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/parse_metrics.py"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python with prometheus_client: run `bash scripts/test`");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(raw.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the exposition does not parse:\n{raw}"
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn value(samples: &[Value], name: &str, labels: Value) -> f64 {
    samples
        .iter()
        .filter(|s| s["name"] == name)
        .filter(|s| {
            labels
                .as_object()
                .unwrap()
                .iter()
                .all(|(k, v)| s["labels"][k] == *v)
        })
        .map(|s| s["value"].as_f64().unwrap())
        .sum()
}

#[test]
fn metrics_parse_and_move_with_traffic() {
    let t = server().tenant();
    let before = scrape();
    let route = json!({"route": "/v1/users/me", "status": "200"});
    for _ in 0..3 {
        assert_eq!(t.client.get("/v1/users/me").status, 200);
    }
    let org = super::default_org(&t);
    let made = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "counted", "name": "C"}),
    );
    assert_eq!(made.status, 201);
    let after = scrape();
    let grew = |name: &str, labels: Value| {
        value(&after, name, labels.clone()) - value(&before, name, labels)
    };
    assert!(grew("portcullis_http_requests_total", route.clone()) >= 3.0);
    assert!(
        grew(
            "portcullis_http_request_duration_seconds_count",
            json!({"route": "/v1/users/me"})
        ) >= 3.0
    );
    assert!(
        grew(
            "portcullis_command_duration_seconds_count",
            json!({"aggregate": "user"})
        ) >= 1.0
    );
    assert!(
        grew(
            "portcullis_eventlog_append_duration_seconds_count",
            json!({})
        ) >= 1.0
    );
    assert!(
        grew(
            "portcullis_principal_cache_lookups_total",
            json!({"result": "hit"})
        ) >= 1.0
    );
    assert!(value(&after, "portcullis_actors_live", json!({})) >= 1.0);
    assert!(value(&after, "portcullis_eventlog_head_position", json!({})) > 0.0);
    for gauge in [
        "portcullis_projection_lag_positions",
        "portcullis_projection_lag_seconds",
        "portcullis_password_hash_queue",
    ] {
        assert!(
            after.iter().any(|s| s["name"] == gauge),
            "{gauge} is missing"
        );
    }
}
