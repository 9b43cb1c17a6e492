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

/// A machine user of the tenant with a client secret: its login name (the client id), id and
/// secret.
fn machine(t: &testkit::Tenant) -> (String, String, String) {
    let org = super::default_org(t);
    let name = format!("bot-{}", uuid::Uuid::now_v7().simple());
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": name, "name": "Bot"}),
    );
    let id = bot.str("id");
    let secret = t
        .client
        .post(&format!("/v1/users/{id}/secret"), json!({}))
        .str("client_secret");
    let _ = t.client.get("/v1/users/me");
    (name, id, secret)
}

/// A `call` target at `url` on the `preaccesstoken` function.
fn token_hook(t: &testkit::Tenant, url: &str, interrupt: bool) -> String {
    let added = t.client.post(
        "/v1/actions/targets",
        json!({"name": "Claims", "endpoint": url, "type": "call", "timeout_ms": 1000,
               "interrupt_on_error": interrupt}),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let set = t.client.put(
        "/v1/actions/executions",
        json!({"condition": {"function": "preaccesstoken"}, "targets": [added.str("id")]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    added.str("signing_key")
}

#[test]
fn a_preaccesstoken_hook_appends_claims_to_the_token_authlib_receives() {
    let t = server().tenant();
    let sink = HttpSink::start(0);
    sink.serve(
        &json!({"append_claims": [
            {"key": "department", "value": "Engines"},
            {"key": "sub", "value": "someone-else"}],
          "append_log_claims": ["checked by the hook"]})
        .to_string(),
    );
    let key = token_hook(&t, &sink.url("/claims"), false);
    let (name, id, secret) = machine(&t);
    let seen = super::oidc_clients::run(
        &super::oidc_clients::venv_python(),
        &["authlib_hook.py"],
        &[
            ("DOMAIN", &t.domain),
            ("PORT", &server().addr.port().to_string()),
            ("MACHINE_ID", &name),
            ("MACHINE_SECRET", &secret),
        ],
    );
    let claims = &seen["claims"];
    assert_eq!(claims["department"], "Engines", "{seen}");
    assert_eq!(
        claims["sub"],
        id.as_str(),
        "a claim the token has is never replaced"
    );
    assert_eq!(
        claims["urn:portcullis:action:log"],
        json!(["checked by the hook"])
    );
    let call = sink.wait_for_calls("/claims", 1).remove(0);
    assert!(call.signed_with(&key));
    let sent = call.json();
    assert_eq!(
        (sent["function"].clone(), sent["user_id"].clone()),
        (json!("preaccesstoken"), json!(id))
    );
    assert_eq!(sent["claims"]["sub"], id.as_str());
}

/// The status of a client-credentials token request, once it is `wanted` (the gateway reads
/// the actions it caches again a moment after they change), or the last one after 10 s.
fn token_status(t: &testkit::Tenant, name: &str, secret: &str, wanted: u16) -> (u16, Value) {
    let anonymous = testkit::Client::new(&server().base(), Some(&t.domain));
    let body = format!("grant_type=client_credentials&client_id={name}&client_secret={secret}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = anonymous.send(
            "POST",
            "/oauth/v2/token",
            Some(body.clone().into_bytes()),
            &[("content-type", "application/x-www-form-urlencoded")],
        );
        if r.status == wanted || std::time::Instant::now() > deadline {
            return (r.status, r.body);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_failing_token_hook_is_skipped_or_stops_the_token_as_set() {
    let t = server().tenant();
    let (name, _, secret) = machine(&t);
    // A target that answers 503: skipped, the token is made without its claims.
    let down = HttpSink::start(u32::MAX);
    token_hook(&t, &down.url("/claims"), false);
    let (status, body) = token_status(&t, &name, &secret, 200);
    assert_eq!(status, 200, "{body}");
    assert!(!down.wait_for_calls("/claims", 1).is_empty());
    // The same with interrupt_on_error: no token.
    let id = t.client.get("/v1/actions/targets").body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let strict = t.client.patch(
        &format!("/v1/actions/targets/{id}"),
        json!({"interrupt_on_error": true}),
    );
    assert_eq!(strict.status, 200, "{}", strict.body);
    let (status, body) = token_status(&t, &name, &secret, 503);
    assert_eq!(
        (status, body["error"].clone()),
        (503, json!("temporarily_unavailable")),
        "{body}"
    );
    // A target nobody answers at, likewise.
    let nobody = format!("http://127.0.0.1:{}/claims", super::federation::free_port());
    let moved = t.client.patch(
        &format!("/v1/actions/targets/{id}"),
        json!({"endpoint": nobody}),
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let calls = down.calls("/claims").len();
    let (status, _) = token_status(&t, &name, &secret, 503);
    assert_eq!(status, 503);
    assert_eq!(
        down.calls("/claims").len(),
        calls,
        "the old endpoint is called no more"
    );
}

#[test]
fn events_acknowledged_before_a_kill_9_reach_the_receiver_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let allow = [("PORTCULLIS_ALLOW_PRIVATE_HOSTS", "true")];
    let running = super::start(&data, &allow);
    let api = testkit::Client::new(&running.base, Some("localhost"))
        .token(&super::read(&data, "admin.pat"));
    // The receiver is down: nothing listens on its port yet.
    let port = super::free_port();
    let added = api.post(
        "/v1/actions/targets",
        json!({"name": "Receiver", "endpoint": format!("http://127.0.0.1:{port}/events"),
               "type": "webhook", "timeout_ms": 1000}),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let set = api.put(
        "/v1/actions/executions",
        json!({"condition": {"event": {"type": "org.added"}}, "targets": [added.str("id")]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let orgs: Vec<String> = ["Initech", "Umbrella"]
        .iter()
        .map(|name| api.post("/v1/orgs", json!({"name": name})).str("id"))
        .collect();
    // Acknowledged, then the process dies at once.
    super::signal(&running.child, "-KILL");
    let mut child = running.child;
    child.wait().unwrap();
    let sink = HttpSink::on(port, 0);
    let restarted = super::start(&data, &allow);
    let calls = sink.wait_for_calls("/events", 2);
    let delivered: Vec<Value> = calls
        .iter()
        .map(|c| c.json()["aggregate_id"].clone())
        .collect();
    for org in &orgs {
        assert!(delivered.contains(&json!(org)), "{org} in {delivered:?}");
    }
    restarted.stop();
}
