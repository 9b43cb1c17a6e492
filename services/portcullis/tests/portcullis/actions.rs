//! Actions: targets with their signing keys, executions by condition, and what an attacker or
//! a careless admin sends.

use serde_json::{json, Value};
use testkit::server;

use super::http_sink::HttpSink;
use super::login_sessions::caller;

fn target(kind: &str) -> Value {
    json!({"name": "SIEM", "endpoint": "http://127.0.0.1:9/events", "type": kind})
}

#[test]
fn targets_and_executions_are_managed_and_a_signing_key_is_shown_once() {
    let t = server().tenant();
    let added = t.client.post("/v1/actions/targets", target("webhook"));
    assert_eq!(added.status, 201, "{}", added.body);
    let id = added.str("id");
    let key = added.str("signing_key");
    assert!(key.len() >= 43, "256 bits");
    let call = t.client.post("/v1/actions/targets", target("call"));
    let call_id = call.str("id");

    let listed = t.client.get("/v1/actions/targets");
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
    assert!(!listed.body.to_string().contains(&key), "never shown again");
    let one = t.client.get(&format!("/v1/actions/targets/{id}"));
    assert_eq!(
        (one.body["type"].clone(), one.body["timeout_ms"].clone()),
        (json!("webhook"), json!(10_000))
    );

    let set = t.client.put(
        "/v1/actions/executions",
        json!({"condition": {"event": {"group": "user"}}, "targets": [id]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let hook = t.client.put(
        "/v1/actions/executions",
        json!({"condition": {"function": "preaccesstoken"}, "targets": [call_id]}),
    );
    assert_eq!(hook.status, 200, "{}", hook.body);
    let executions = t.client.get("/v1/actions/executions");
    let items = executions.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{}", executions.body);
    assert!(items.contains(&json!({"condition": {"event": {"group": "user"}}, "targets": [id]})));

    let changed = t.client.patch(
        &format!("/v1/actions/targets/{id}"),
        json!({"timeout_ms": 2000, "name": "Audit"}),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    let one = t.client.get(&format!("/v1/actions/targets/{id}"));
    assert_eq!(
        (one.body["timeout_ms"].clone(), one.body["name"].clone()),
        (json!(2000), json!("Audit"))
    );

    // Removed, the target leaves its executions: the group's is gone with it.
    let removed = t.client.delete(&format!("/v1/actions/targets/{id}"));
    assert_eq!(removed.status, 200, "{}", removed.body);
    let executions = t.client.get("/v1/actions/executions");
    assert_eq!(
        executions.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        executions.body
    );
    let gone = t.client.delete(&format!("/v1/actions/targets/{id}"));
    assert_eq!(gone.error(), (404, "ACTION-0002"));
    let removed = t.client.send(
        "DELETE",
        "/v1/actions/executions",
        Some(
            json!({"condition": {"function": "preaccesstoken"}})
                .to_string()
                .into_bytes(),
        ),
        &[],
    );
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(
        t.client.get("/v1/actions/executions").body["items"],
        json!([])
    );
    // The key is nowhere in the audit trail either.
    let trail = t.client.get("/v1/events?limit=1000");
    assert!(trail
        .body
        .to_string()
        .contains("instance.action.target.added"));
    assert!(!trail.body.to_string().contains(&key));
}

#[test]
fn bad_targets_and_executions_are_refused_with_their_codes() {
    let t = server().tenant();
    let bad_targets = [
        json!({"name": "T", "endpoint": "ftp://hooks.example.com/", "type": "webhook"}),
        json!({"name": "T", "endpoint": "javascript:alert(1)", "type": "webhook"}),
        json!({"name": "T", "endpoint": "https://user:pw@hooks.example.com/", "type": "webhook"}),
        json!({"name": "T", "endpoint": "https://hooks.example.com/", "type": "smtp"}),
        json!({"name": "T", "endpoint": "https://hooks.example.com/", "type": "call", "timeout_ms": 0}),
        json!({"name": "T", "endpoint": "https://hooks.example.com/", "type": "call", "timeout_ms": 600000}),
        json!({"name": "", "endpoint": "https://hooks.example.com/", "type": "call"}),
    ];
    for body in bad_targets {
        let r = t.client.post("/v1/actions/targets", body.clone());
        assert_eq!(r.error(), (400, "ACTION-0001"), "{body}");
    }
    let hook = t
        .client
        .post("/v1/actions/targets", target("webhook"))
        .str("id");
    let call = t
        .client
        .post("/v1/actions/targets", target("call"))
        .str("id");
    let bad_executions = [
        (
            json!({"event": {"all": true}}),
            json!([call]),
            "ACTION-0003",
        ),
        (
            json!({"function": "preuserinfo"}),
            json!([hook]),
            "ACTION-0003",
        ),
        (
            json!({"event": {"all": true}}),
            json!(["no-such-target"]),
            "ACTION-0002",
        ),
        (json!({"event": {"all": true}}), json!([]), "ACTION-0003"),
        (
            json!({"event": {"all": true}}),
            json!([hook, hook]),
            "ACTION-0003",
        ),
        (
            json!({"event": {"all": true}, "function": "preuserinfo"}),
            json!([hook]),
            "ACTION-0003",
        ),
        (json!({}), json!([hook]), "ACTION-0003"),
        (
            json!({"event": {"type": "User Added"}}),
            json!([hook]),
            "ACTION-0003",
        ),
        (
            json!({"event": {"all": false}}),
            json!([hook]),
            "ACTION-0003",
        ),
        (
            json!({"request": {"method": "GetUser"}}),
            json!([call]),
            "ACTION-0003",
        ),
    ];
    for (condition, targets, code) in bad_executions {
        let r = t.client.put(
            "/v1/actions/executions",
            json!({"condition": condition, "targets": targets}),
        );
        assert_eq!(r.error().1, code, "{condition} {targets}: {}", r.body);
    }
    assert_eq!(
        t.client.get("/v1/actions/executions").body["items"],
        json!([])
    );
}

#[test]
fn only_who_has_the_action_permissions_manages_actions() {
    let t = server().tenant();
    let org_owner = caller(&t, "owner", &["ORG_OWNER"], false);
    let r = org_owner.post("/v1/actions/targets", target("webhook"));
    assert_eq!(r.error(), (403, "AUTHZ-0001"));
    assert_eq!(org_owner.get("/v1/actions/targets").error().0, 403);
    assert_eq!(org_owner.get("/v1/actions/executions").error().0, 403);
    // Another instance's admin sees nothing of this one's.
    t.client.post("/v1/actions/targets", target("webhook"));
    let other = server().tenant();
    assert_eq!(
        other.client.get("/v1/actions/targets").body["items"],
        json!([])
    );
}

/// A webhook target at `url` for events meeting `condition`: its id and signing key.
fn webhook(t: &testkit::Tenant, url: &str, condition: Value) -> (String, String) {
    let added = t.client.post(
        "/v1/actions/targets",
        json!({"name": "Receiver", "endpoint": url, "type": "webhook", "timeout_ms": 2000}),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let id = added.str("id");
    let set = t.client.put(
        "/v1/actions/executions",
        json!({"condition": condition, "targets": [id]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    (id, added.str("signing_key"))
}

#[test]
fn events_reach_a_webhook_signed_and_in_order_per_aggregate() {
    let t = server().tenant();
    let sink = HttpSink::start(0);
    let (_, key) = webhook(&t, &sink.url("/events"), json!({"event": {"group": "org"}}));
    let org = t.client.post("/v1/orgs", json!({"name": "Acme"})).str("id");
    for name in ["Acme 2", "Acme 3", "Acme 4"] {
        let r = t
            .client
            .patch(&format!("/v1/orgs/{org}"), json!({"name": name}));
        assert_eq!(r.status, 200, "{}", r.body);
    }
    t.client.post("/v1/orgs", json!({"name": "Globex"}));
    let calls = sink.wait_for_calls("/events", 5);
    assert!(
        calls.iter().all(|c| c.signed_with(&key)),
        "every call signed"
    );
    let events: Vec<Value> = calls.iter().map(|c| c.json()).collect();
    assert!(events
        .iter()
        .all(|e| e["type"].as_str().unwrap().starts_with("org.")));
    // The public event shape, in log order per aggregate.
    let acme: Vec<(u64, &str)> = events
        .iter()
        .filter(|e| e["aggregate_id"] == org.as_str())
        .map(|e| (e["sequence"].as_u64().unwrap(), e["type"].as_str().unwrap()))
        .collect();
    assert_eq!(acme.len(), 4, "{events:?}");
    assert!(acme.windows(2).all(|w| w[0].0 < w[1].0), "{acme:?}");
    assert_eq!(acme[0].1, "org.added");
    assert_eq!(events[0]["instance_id"], t.instance_id.as_str());
    // The receiver answered every call: nothing given up, nothing sent twice.
    let deliveries = t.client.get(&format!(
        "/v1/actions/targets/{}/deliveries",
        t.client.get("/v1/actions/targets").body["items"][0]["id"]
            .as_str()
            .unwrap()
    ));
    assert_eq!(deliveries.body["items"], json!([]), "{}", deliveries.body);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(sink.calls("/events").len(), 5, "each event once");
}

#[test]
fn a_receiver_down_for_a_while_gets_the_event_when_it_is_back() {
    let t = server().tenant();
    // Down for three calls, then back.
    let sink = HttpSink::start(3);
    webhook(
        &t,
        &sink.url("/events"),
        json!({"event": {"type": "org.added"}}),
    );
    t.client.post("/v1/orgs", json!({"name": "Acme"}));
    let calls = sink.wait_for_calls("/events", 4);
    let positions: Vec<Value> = calls.iter().map(|c| c.json()["position"].clone()).collect();
    assert!(
        positions.windows(2).all(|w| w[0] == w[1]),
        "the same event, tried again"
    );
    assert_eq!(calls[3].json()["type"], "org.added");
}

#[test]
fn a_delivery_given_up_is_listed_and_replayed_to_the_mended_receiver() {
    let t = server().tenant();
    let nobody = format!("http://127.0.0.1:{}/events", super::federation::free_port());
    let (id, key) = webhook(&t, &nobody, json!({"event": {"type": "org.added"}}));
    let org = t.client.post("/v1/orgs", json!({"name": "Acme"}));
    assert_eq!(org.status, 201);
    let path = format!("/v1/actions/targets/{id}/deliveries");
    // Given up after its retries (about 8 s).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let listed = loop {
        let r = t.client.get(&path);
        if r.body["items"].as_array().is_some_and(|i| !i.is_empty())
            || std::time::Instant::now() > deadline
        {
            break r;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let given_up = listed.body["items"][0].clone();
    assert_eq!(given_up["state"], "given_up", "{}", listed.body);
    assert_eq!(given_up["type"], "org.added");
    assert!(given_up["attempts"].as_u64().unwrap() > 1);
    assert!(
        given_up["error"].as_str().unwrap().contains("127.0.0.1"),
        "{given_up}"
    );

    let sink = HttpSink::start(0);
    let mended = t.client.patch(
        &format!("/v1/actions/targets/{id}"),
        json!({"endpoint": sink.url("/events")}),
    );
    assert_eq!(mended.status, 200, "{}", mended.body);
    let replay = t.client.post(
        &format!("{path}/{}/replay", given_up["id"].as_str().unwrap()),
        json!({}),
    );
    assert_eq!(replay.status, 200, "{}", replay.body);
    let calls = sink.wait_for_calls("/events", 1);
    assert!(calls[0].signed_with(&key));
    assert_eq!(calls[0].json()["position"], given_up["position"]);
    let listed = t.client.get_until(&path, |r| r.body["items"] == json!([]));
    assert_eq!(listed.body["items"], json!([]));
    let again = t.client.post(&format!("{path}/nope/replay"), json!({}));
    assert_eq!(again.error(), (404, "ACTION-0006"));
}
