//! Trace export: the binary with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an OTLP/HTTP
//! receiver in this test (the protobuf types of `opentelemetry-proto`). One request gives one
//! trace: the gateway's span continues the caller's `traceparent`, the command spans are its
//! descendants, and the log append is a child of a command span. In a cluster the trace goes
//! on in the command node the gateway forwarded to, and through the event's Kafka record to
//! the follower that applies it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use prost::Message;

/// A span as the receiver got it.
#[derive(Debug, Clone)]
struct Received {
    name: String,
    trace: String,
    id: String,
    parent: String,
    attributes: HashMap<String, String>,
    service: String,
    /// The resource's `portcullis.role`.
    role: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn strings(attributes: &[KeyValue]) -> HashMap<String, String> {
    attributes
        .iter()
        .filter_map(|kv| {
            let value = match kv.value.as_ref()?.value.as_ref()? {
                Value::StringValue(s) => s.clone(),
                Value::IntValue(i) => i.to_string(),
                Value::BoolValue(b) => b.to_string(),
                other => format!("{other:?}"),
            };
            Some((kv.key.clone(), value))
        })
        .collect()
}

/// Answers OTLP/HTTP export requests (`POST /v1/traces`, protobuf) with 200 and sends every
/// span received to the channel.
fn receiver() -> (u16, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || serve(stream, tx));
        }
    });
    (port, rx)
}

fn serve(stream: std::net::TcpStream, tx: mpsc::Sender<Received>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        assert!(
            request_line.starts_with("POST /v1/traces "),
            "unexpected export request: {request_line}"
        );
        let export = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
        for resource_spans in export.resource_spans {
            let resource = resource_spans
                .resource
                .map(|r| strings(&r.attributes))
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    let _ = tx.send(Received {
                        name: span.name,
                        trace: hex(&span.trace_id),
                        id: hex(&span.span_id),
                        parent: hex(&span.parent_span_id),
                        attributes: strings(&span.attributes),
                        service: resource.get("service.name").cloned().unwrap_or_default(),
                        role: resource.get("portcullis.role").cloned().unwrap_or_default(),
                    });
                }
            }
        }
        out.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
        )
        .unwrap();
    }
}

/// Spans of `trace` until one named each of `names` has come (then what else is buffered).
fn collect(spans: &mpsc::Receiver<Received>, trace: &str, names: &[(&str, &str)]) -> Vec<Received> {
    let mut received: Vec<Received> = Vec::new();
    let complete = |received: &[Received]| {
        names.iter().all(|(name, role)| {
            received.iter().any(|s| {
                s.trace == trace && s.name == *name && (role.is_empty() || s.role == *role)
            })
        })
    };
    while let Ok(span) = spans.recv_timeout(Duration::from_secs(5)) {
        received.push(span);
        if complete(&received) {
            while let Ok(span) = spans.recv_timeout(Duration::from_millis(200)) {
                received.push(span);
            }
            break;
        }
    }
    received.retain(|s| s.trace == trace);
    received
}

/// Whether `span` descends from `ancestor` through the spans of `all`.
fn descends(all: &[Received], span: &Received, ancestor: &Received) -> bool {
    let by_id: HashMap<&str, &Received> = all.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut parent = span.parent.as_str();
    while let Some(p) = by_id.get(parent) {
        if p.id == ancestor.id {
            return true;
        }
        parent = p.parent.as_str();
    }
    false
}

#[test]
fn a_command_forwarded_to_its_owner_is_one_trace_across_the_nodes() {
    use eventlog::kafka::broker::Broker;
    let (port, spans) = receiver();
    let endpoint = format!("http://127.0.0.1:{port}");
    let broker = Broker::with_topics(2);
    let key = crypto::sealing::MasterKey::generate().to_base64();
    let dir = tempfile::tempdir().unwrap();
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let node = super::cluster_faults::command_node(&broker.brokers(), &key, dir.path(), 0, &otel);
    let brokers = broker.brokers();
    let mut env = vec![
        ("PORTCULLIS_ROLE", "gateway"),
        ("PORTCULLIS_KAFKA_BROKERS", brokers.as_str()),
        ("PORTCULLIS_MASTERKEY", key.as_str()),
    ];
    env.extend(otel);
    let gateway_dir = dir.path().join("gateway");
    let gateway = super::start(&gateway_dir, &env);
    let pat = super::read(&gateway_dir, "admin.pat");
    let (trace, caller_span) = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
    let created = ureq::post(&format!("{}/v1/orgs", gateway.base))
        .header("Authorization", format!("Bearer {}", pat.trim()))
        .header("traceparent", format!("00-{trace}-{caller_span}-01"))
        .send_json(serde_json::json!({"name": "Traced across nodes"}))
        .unwrap();
    assert_eq!(created.status(), 201);
    let org: serde_json::Value =
        serde_json::from_reader(created.into_body().into_reader()).unwrap();
    // Read it back at its position: the gateway's follower has applied the org's event. (A
    // read waits 5 s for a position; on a loaded machine, it is asked again.)
    let read_back = || {
        ureq::get(&format!(
            "{}/v1/orgs/{}",
            gateway.base,
            org["id"].as_str().unwrap()
        ))
        .header("Authorization", format!("Bearer {}", pat.trim()))
        .header("X-Portcullis-Position", org["position"].as_str().unwrap())
        .call()
    };
    let mut read = read_back();
    for _ in 0..6 {
        match read {
            Err(ureq::Error::StatusCode(503)) => read = read_back(),
            _ => break,
        }
    }
    assert_eq!(read.unwrap().status(), 200);
    assert_eq!(gateway.stop().code(), Some(0));
    assert_eq!(node.stop().code(), Some(0));

    let ours = collect(
        &spans,
        trace,
        &[
            ("http.request", "gateway"),
            ("eventlog.append", "command"),
            ("projection.apply", "gateway"),
        ],
    );
    let names: Vec<(&str, &str)> = ours
        .iter()
        .map(|s| (s.name.as_str(), s.role.as_str()))
        .collect();
    let request = ours
        .iter()
        .find(|s| s.name == "http.request" && s.role == "gateway")
        .unwrap_or_else(|| panic!("no gateway request in the caller's trace: {names:?}"));
    assert_eq!(request.parent, caller_span);
    // The org's command runs on its owner, under the request the gateway forwarded there,
    // which continues the gateway's trace.
    let command = ours
        .iter()
        .find(|s| {
            s.name == "command"
                && s.role == "command"
                && s.attributes.get("aggregate").map(String::as_str) == Some("org")
        })
        .unwrap_or_else(|| panic!("no org command on the command node: {names:?}"));
    let forwarded = ours
        .iter()
        .find(|s| s.name == "http.request" && s.role == "command" && descends(&ours, command, s))
        .unwrap_or_else(|| panic!("the org command is under no forwarded request: {names:?}"));
    assert_eq!(forwarded.attributes["route"], "/internal/v1/forward");
    assert!(descends(&ours, forwarded, request), "{names:?}");
    let append = ours
        .iter()
        .find(|s| s.name == "eventlog.append" && s.role == "command" && s.parent == command.id)
        .unwrap_or_else(|| panic!("no append under the org command: {names:?}"));
    // The event's record carried the append's trace through Kafka: the gateway's follower
    // applied it in that trace.
    assert!(
        ours.iter()
            .any(|s| s.name == "projection.apply" && s.role == "gateway" && s.parent == append.id),
        "{names:?}"
    );
}

#[test]
fn one_request_is_one_trace_from_the_gateway_to_the_log() {
    let (port, spans) = receiver();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let server = super::start(
        dir.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    );
    let pat = super::read(dir.path(), "admin.pat");
    let (trace, caller_span) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let created = ureq::post(&format!("{}/v1/orgs", server.base))
        .header("Authorization", format!("Bearer {}", pat.trim()))
        .header("traceparent", format!("00-{trace}-{caller_span}-01"))
        .send_json(serde_json::json!({"name": "Traced"}))
        .unwrap();
    assert_eq!(created.status(), 201);
    // A clean stop flushes what the batch exporter still holds.
    assert_eq!(server.stop().code(), Some(0));

    let mut received: Vec<Received> = Vec::new();
    while let Ok(span) = spans.recv_timeout(Duration::from_secs(5)) {
        received.push(span);
        if received
            .iter()
            .any(|s| s.trace == trace && s.name == "eventlog.append")
            && received
                .iter()
                .any(|s| s.trace == trace && s.name == "http.request")
        {
            // The rest of the batch is already in the channel.
            while let Ok(span) = spans.recv_timeout(Duration::from_millis(200)) {
                received.push(span);
            }
            break;
        }
    }
    let ours: Vec<&Received> = received.iter().filter(|s| s.trace == trace).collect();
    let by_id: HashMap<&str, &Received> = ours.iter().map(|s| (s.id.as_str(), *s)).collect();
    let names: Vec<&str> = ours.iter().map(|s| s.name.as_str()).collect();

    let request = ours
        .iter()
        .find(|s| s.name == "http.request")
        .unwrap_or_else(|| panic!("no http.request span in the caller's trace: {names:?}"));
    assert_eq!(
        request.parent, caller_span,
        "the gateway continues the caller's span"
    );
    assert_eq!(request.attributes["route"], "/v1/orgs");
    assert_eq!(request.service, "portcullis");

    let descends_from_request = |span: &Received| {
        let mut parent = span.parent.as_str();
        while let Some(p) = by_id.get(parent) {
            if p.id == request.id {
                return true;
            }
            parent = p.parent.as_str();
        }
        false
    };
    let org_command = ours
        .iter()
        .find(|s| {
            s.name == "command" && s.attributes.get("aggregate").map(String::as_str) == Some("org")
        })
        .unwrap_or_else(|| panic!("no command span on the org: {names:?}"));
    assert!(descends_from_request(org_command), "{names:?}");
    let append = ours
        .iter()
        .find(|s| s.name == "eventlog.append" && s.parent == org_command.id)
        .unwrap_or_else(|| panic!("no log append under the org's command: {names:?}"));
    assert_eq!(append.attributes["events"], "1");
}

#[test]
fn an_action_call_is_a_span_of_the_request_that_made_it_with_its_target_and_outcome() {
    let (port, spans) = receiver();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let server = super::start(
        dir.path(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("PORTCULLIS_ALLOW_PRIVATE_HOSTS", "true"),
        ],
    );
    let pat = super::read(dir.path(), "admin.pat");
    let api = testkit::Client::new(&server.base, Some("localhost")).token(pat.trim());
    let sink = super::http_sink::HttpSink::start(0);
    sink.serve_at("/request", "{}");
    let target = api.post(
        "/v1/actions/targets",
        serde_json::json!({"name": "Around", "endpoint": sink.url("/request"), "type": "call"}),
    );
    assert_eq!(target.status, 201, "{}", target.body);
    let set = api.put(
        "/v1/actions/executions",
        serde_json::json!({"condition": {"request": {"method": "portcullis.v1.OrgService/CreateOrg"}},
                           "targets": [target.str("id")]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    // Orgs, each in a trace of its own, until one reaches the hook (the gateway reads changed
    // actions a moment later).
    let mut trace = String::new();
    for n in 1..=100u32 {
        trace = format!("{n:032x}");
        let created = ureq::post(&format!("{}/v1/orgs", server.base))
            .header("Authorization", format!("Bearer {}", pat.trim()))
            .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
            .send_json(serde_json::json!({"name": format!("Traced {n}")}))
            .unwrap();
        assert_eq!(created.status(), 201);
        if !sink.calls("/request").is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.stop().code(), Some(0));
    let ours = collect(&spans, &trace, &[("http.request", ""), ("action.call", "")]);
    let names: Vec<&str> = ours.iter().map(|s| s.name.as_str()).collect();
    let request = ours
        .iter()
        .find(|s| s.name == "http.request")
        .unwrap_or_else(|| panic!("no request span: {names:?}"));
    let call = ours
        .iter()
        .find(|s| s.name == "action.call")
        .unwrap_or_else(|| panic!("no action.call span: {names:?}"));
    assert!(descends(&ours, call, request), "{call:?}");
    let attribute = |k: &str| call.attributes.get(k).map(String::as_str);
    assert_eq!(attribute("target_id"), Some(target.str("id").as_str()));
    assert_eq!(attribute("called_for"), Some("request"));
    assert_eq!(attribute("outcome"), Some("delivered"));
    assert_eq!(attribute("endpoint"), Some(sink.url("/request").as_str()));
}
