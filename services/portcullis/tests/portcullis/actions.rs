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
        (
            json!({"request": {"method": "portcullis.v1.UserService/Nope"}}),
            json!([call]),
            "ACTION-0003",
        ),
        // The system API has no actions around it.
        (
            json!({"response": {"method": "portcullis.v1.SystemService/CreateInstance"}}),
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
fn an_async_target_is_called_once_for_each_event_and_never_given_up() {
    let t = server().tenant();
    // Down for its first call only.
    let sink = HttpSink::start(1);
    let added = t.client.post(
        "/v1/actions/targets",
        json!({"name": "SIEM", "endpoint": sink.url("/ndjson"), "type": "async", "timeout_ms": 2000}),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let id = added.str("id");
    let set = t.client.put(
        "/v1/actions/executions",
        json!({"condition": {"event": {"group": "org"}}, "targets": [id]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    t.client.post("/v1/orgs", json!({"name": "Acme"}));
    let first = sink.wait_for_calls("/ndjson", 1);
    t.client.post("/v1/orgs", json!({"name": "Globex"}));
    let calls = sink.wait_for_calls("/ndjson", 2);
    // The call that met the 503 is not made again, and nothing is given up.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(sink.calls("/ndjson").len(), 2, "each event once");
    let names: Vec<Value> = calls
        .iter()
        .map(|c| c.json()["payload"]["name"].clone())
        .collect();
    assert!(
        names.contains(&json!("Acme")) && names.contains(&json!("Globex")),
        "{names:?}"
    );
    assert_eq!(first[0].json()["type"], json!("org.added"));
    let deliveries = t
        .client
        .get(&format!("/v1/actions/targets/{id}/deliveries"));
    assert_eq!(deliveries.status, 200, "{}", deliveries.body);
    assert_eq!(deliveries.body["items"], json!([]), "{}", deliveries.body);
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
fn a_receiver_unreachable_for_longer_than_its_attempts_gets_the_event_when_it_is_back() {
    let t = server().tenant();
    let port = super::free_port();
    let (id, key) = webhook(
        &t,
        &format!("http://127.0.0.1:{port}/events"),
        json!({"event": {"type": "org.added"}}),
    );
    let org = t.client.post("/v1/orgs", json!({"name": "Acme"})).str("id");
    // Six attempts would have been spent by now (about 9 s), had the circuit not opened.
    std::thread::sleep(std::time::Duration::from_secs(12));
    let sink = HttpSink::on(port, 0);
    let call = sink.wait_for_calls("/events", 1).remove(0);
    assert!(call.signed_with(&key));
    assert_eq!(call.json()["aggregate_id"], org.as_str());
    let deliveries = t
        .client
        .get(&format!("/v1/actions/targets/{id}/deliveries"));
    assert_eq!(deliveries.body["items"], json!([]), "nothing given up");
}

#[test]
fn a_delivery_given_up_is_listed_and_replayed_to_the_mended_receiver() {
    let t = server().tenant();
    // A receiver that answers, but never 2xx (one that cannot be reached is waited for).
    let refusing = HttpSink::start(u32::MAX);
    let (id, key) = webhook(
        &t,
        &refusing.url("/events"),
        json!({"event": {"type": "org.added"}}),
    );
    let org = t.client.post("/v1/orgs", json!({"name": "Acme"}));
    assert_eq!(org.status, 201);
    let path = format!("/v1/actions/targets/{id}/deliveries");
    // Given up after its retries (about 9 s: the circuit opens after the fifth).
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
    assert_eq!(given_up["attempts"], 6, "{given_up}");
    assert_eq!(refusing.calls("/events").len(), 6, "one call an attempt");
    assert!(
        given_up["error"]
            .as_str()
            .unwrap()
            .ends_with("answered 503"),
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
    call_hook(t, url, json!({"function": "preaccesstoken"}), interrupt)
}

#[test]
fn preaccesstoken_and_preuserinfo_hooks_append_claims_that_authlib_receives() {
    let t = server().tenant();
    let sink = HttpSink::start(0);
    sink.serve(
        &json!({"append_claims": [
            {"key": "department", "value": "Engines"},
            {"key": "sub", "value": "someone-else"}],
          "append_log_claims": ["checked by the hook"]})
        .to_string(),
    );
    let added = t.client.post(
        "/v1/actions/targets",
        json!({"name": "Claims", "endpoint": sink.url("/claims"), "type": "call"}),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    // preuserinfo first: once the gateway calls the preaccesstoken hook, it has both.
    for function in ["preuserinfo", "preaccesstoken"] {
        let set = t.client.put(
            "/v1/actions/executions",
            json!({"condition": {"function": function}, "targets": [added.str("id")]}),
        );
        assert_eq!(set.status, 200, "{}", set.body);
    }
    let (name, id, secret) = machine(&t);
    tokens_until_hooked(&t, &name, &secret, &sink);
    let before = sink.calls("/claims").len();
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
    let userinfo = &seen["userinfo"];
    assert_eq!(userinfo["department"], "Engines", "{seen}");
    assert_eq!(userinfo["sub"], id.as_str());
    assert_eq!(
        userinfo["urn:portcullis:action:log"],
        json!(["checked by the hook"])
    );
    let calls = sink.wait_for_calls("/claims", before + 2).split_off(before);
    assert!(calls
        .iter()
        .all(|c| c.signed_with(&added.str("signing_key"))));
    let sent: Vec<Value> = calls.iter().map(|c| c.json()).collect();
    assert_eq!(
        (sent[0]["function"].clone(), sent[0]["user_id"].clone()),
        (json!("preaccesstoken"), json!(id))
    );
    assert_eq!(sent[0]["claims"]["sub"], id.as_str());
    assert_eq!(
        (
            sent[1]["function"].clone(),
            sent[1]["claims"]["sub"].clone()
        ),
        (json!("preuserinfo"), json!(id))
    );
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

/// Tokens until the hook at `sink` is called (the gateway reads changed actions a moment
/// later), each made though the hook fails.
fn tokens_until_hooked(t: &testkit::Tenant, name: &str, secret: &str, sink: &HttpSink) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sink.calls("/claims").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the hook is never called"
        );
        let (status, body) = token_status(t, name, secret, 200);
        assert_eq!(status, 200, "a failing hook is skipped: {body}");
    }
}

#[test]
fn a_failing_token_hook_is_skipped_or_stops_the_token_as_set() {
    let t = server().tenant();
    let (name, _, secret) = machine(&t);
    // A target that answers 503: skipped, the token is made without its claims.
    let down = HttpSink::start(u32::MAX);
    token_hook(&t, &down.url("/claims"), false);
    tokens_until_hooked(&t, &name, &secret, &down);
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
    // Once the gateway has the change (a moment later), the old endpoint is called no more.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for settled in 0..3 {
        loop {
            let calls = down.calls("/claims").len();
            let (status, body) = token_status(&t, &name, &secret, 503);
            assert_eq!(status, 503, "{body}");
            if down.calls("/claims").len() == calls {
                break;
            }
            assert!(
                settled == 0 && std::time::Instant::now() < deadline,
                "the old endpoint is still called"
            );
        }
    }
}

#[test]
fn a_hook_that_answers_more_than_64_kib_has_failed() {
    let t = server().tenant();
    let (name, _, secret) = machine(&t);
    let sink = HttpSink::start(0);
    let big = "x".repeat(70 << 10);
    sink.serve(&json!({"append_claims": [{"key": "big", "value": big}]}).to_string());
    token_hook(&t, &sink.url("/claims"), true);
    let (status, body) = token_status(&t, &name, &secret, 503);
    assert_eq!(
        (status, body["error"].clone()),
        (503, json!("temporarily_unavailable")),
        "{body}"
    );
    assert!(!sink.calls("/claims").is_empty());
}

#[test]
fn a_token_hook_that_keeps_failing_is_not_called_while_its_circuit_is_open() {
    let t = server().tenant();
    let (name, _, secret) = machine(&t);
    let down = HttpSink::start(u32::MAX);
    token_hook(&t, &down.url("/claims"), false);
    tokens_until_hooked(&t, &name, &secret, &down);
    let before = down.calls("/claims").len();
    let tokens = 10;
    for _ in 0..tokens {
        let (status, body) = token_status(&t, &name, &secret, 200);
        assert_eq!(status, 200, "a failing hook is skipped: {body}");
    }
    let called = down.calls("/claims").len() - before;
    // Five failures in a row open the circuit: the tokens after them do not wait on the hook.
    assert!(
        called < tokens && before + called >= 5,
        "{called} calls for {tokens} tokens"
    );
}

#[test]
fn a_token_hook_that_asks_for_a_token_itself_is_a_loop_that_ends() {
    let t = server().tenant();
    let (name, _, secret) = machine(&t);
    // The hook asks for a token of the same machine, which calls the hook, which asks...
    let (domain, form) = (
        t.domain.clone(),
        format!("grant_type=client_credentials&client_id={name}&client_secret={secret}"),
    );
    let (url, calls) = super::http_sink::answering("/claims", move || {
        let again = testkit::Client::new(&server().base(), Some(&domain));
        again.send(
            "POST",
            "/oauth/v2/token",
            Some(form.clone().into_bytes()),
            &[("content-type", "application/x-www-form-urlencoded")],
        );
        "{}".into()
    });
    token_hook(&t, &url, false);
    let count = || calls.load(std::sync::atomic::Ordering::SeqCst);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count() == 0 && std::time::Instant::now() < deadline {
        let (status, body) = token_status(&t, &name, &secret, 200);
        assert_eq!(
            status, 200,
            "the token is made, the looping hook skipped: {body}"
        );
    }
    // The loop ends: at most 32 calls wait on the hook at once, and their timeouts open its
    // circuit. The count settles.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut last = count();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3));
        let now = count();
        if now == last {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the loop goes on: {now} calls"
        );
        last = now;
    }
    assert!((1..=64).contains(&last), "{last} calls");
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

/// A `call` target at `url` on `condition`: its signing key.
pub(super) fn call_hook(
    t: &testkit::Tenant,
    url: &str,
    condition: Value,
    interrupt: bool,
) -> String {
    let added = t.client.post(
        "/v1/actions/targets",
        json!({"name": "Around", "endpoint": url, "type": "call", "timeout_ms": 1000,
               "interrupt_on_error": interrupt}),
    );
    assert_eq!(added.status, 201, "{}", added.body);
    let set = t.client.put(
        "/v1/actions/executions",
        json!({"condition": condition, "targets": [added.str("id")]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    added.str("signing_key")
}

/// Creates orgs (`Acme 0`, `Acme 1`...) until one reaches the hook at `path` (the gateway
/// reads changed actions a moment later): the last answer.
fn create_orgs_until_hooked(t: &testkit::Tenant, sink: &HttpSink, path: &str) -> testkit::Reply {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for n in 0.. {
        let r = t
            .client
            .post("/v1/orgs", json!({"name": format!("Acme {n}")}));
        if !sink.calls(path).is_empty() || std::time::Instant::now() > deadline {
            return r;
        }
    }
    unreachable!()
}

fn org_names(t: &testkit::Tenant) -> Vec<Value> {
    let listed = t.client.get("/v1/orgs?limit=1000");
    listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].clone())
        .collect()
}

#[test]
fn request_and_response_hooks_change_calls_over_rest_and_grpc_alike() {
    use super::grpc::{block, call, channel};
    use gateway::grpc::pb;
    let t = server().tenant();
    let sink = HttpSink::start(0);
    sink.serve_at(
        "/request",
        &json!({"request": {"name": "Renamed by the hook"}}).to_string(),
    );
    sink.serve_at(
        "/response",
        &json!({"response": {"id": "hidden", "name": "Seen through the hook"}}).to_string(),
    );
    // The response hook first: once the request hook is called, the gateway has both.
    call_hook(
        &t,
        &sink.url("/response"),
        json!({"response": {"method": "portcullis.v1.OrgService/GetOrg"}}),
        false,
    );
    let key = call_hook(
        &t,
        &sink.url("/request"),
        json!({"request": {"method": "portcullis.v1.OrgService/CreateOrg"}}),
        false,
    );

    // REST: the org is created with the name the hook answered.
    let created = create_orgs_until_hooked(&t, &sink, "/request");
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.str("id");
    assert!(org_names(&t).contains(&json!("Renamed by the hook")));
    let sent = sink.calls("/request").remove(0);
    assert!(sent.signed_with(&key));
    let sent = sent.json();
    assert_eq!(
        (sent["method"].clone(), sent["transport"].clone()),
        (json!("portcullis.v1.OrgService/CreateOrg"), json!("rest"))
    );
    assert!(sent["request"]["name"]
        .as_str()
        .unwrap()
        .starts_with("Acme "));
    assert_eq!(sent["instance_id"], t.instance_id.as_str());
    // The answer of GET /v1/orgs/{id}, as the response hook changed it.
    let read = t.client.get(&format!("/v1/orgs/{id}"));
    assert_eq!(
        read.body,
        json!({"id": "hidden", "name": "Seen through the hook"})
    );
    let seen = sink.wait_for_calls("/response", 1).remove(0).json();
    assert_eq!(seen["response"]["name"], "Renamed by the hook", "{seen}");

    // gRPC: the same executions, the message in proto3 JSON.
    sink.serve_at(
        "/request",
        &json!({"request": {"name": "Renamed over gRPC"}}).to_string(),
    );
    let pat = t.admin_pat.clone();
    let org = block(async {
        let ch = channel(&t.domain).await;
        let mut orgs = pb::org_service_client::OrgServiceClient::new(ch);
        let written = orgs
            .create_org(call(
                pb::CreateOrgRequest {
                    name: "Grpc".into(),
                },
                &pat,
                None,
            ))
            .await
            .expect("CreateOrg")
            .into_inner();
        orgs.get_org(call(
            pb::GetOrgRequest {
                org_id: written.id.clone(),
            },
            &pat,
            Some(&written.position),
        ))
        .await
        .expect("GetOrg")
        .into_inner()
    });
    assert_eq!(
        (org.id.as_str(), org.name.as_str()),
        ("hidden", "Seen through the hook")
    );
    assert!(org_names(&t).contains(&json!("Renamed over gRPC")));
    let sent = sink.calls("/request").pop().unwrap().json();
    assert_eq!(
        (sent["transport"].clone(), sent["request"].clone()),
        (json!("grpc"), json!({"name": "Grpc"}))
    );
}

#[test]
fn a_failing_request_hook_set_to_interrupt_stops_the_call_before_anything_is_written() {
    use super::grpc::{block, call, channel, failure};
    use gateway::grpc::pb;
    let t = server().tenant();
    let refusing = HttpSink::start(u32::MAX);
    call_hook(
        &t,
        &refusing.url("/request"),
        json!({"request": {"method": "portcullis.v1.OrgService/CreateOrg"}}),
        true,
    );
    let stopped = create_orgs_until_hooked(&t, &refusing, "/request");
    assert_eq!(stopped.error(), (503, "ACTION-0007"), "{}", stopped.body);
    let name = refusing.calls("/request")[0].json()["request"]["name"].clone();
    assert!(!org_names(&t).contains(&name), "{name} was not created");
    let pat = t.admin_pat.clone();
    let refused = block(async {
        let ch = channel(&t.domain).await;
        let mut orgs = pb::org_service_client::OrgServiceClient::new(ch);
        orgs.create_org(call(
            pb::CreateOrgRequest {
                name: "Grpc".into(),
            },
            &pat,
            None,
        ))
        .await
        .expect_err("refused")
    });
    let (code, reason, _) = failure(refused);
    assert_eq!(
        (code, reason.as_str()),
        (tonic::Code::Unavailable, "ACTION-0007")
    );
    assert!(!org_names(&t).contains(&json!("Grpc")));
    // A caller without a token calls no hook: 401 before anything reads the request.
    let calls = refusing.calls("/request").len();
    let anonymous = testkit::Client::new(&server().base(), Some(&t.domain));
    let r = anonymous.post("/v1/orgs", json!({"name": "Anonymous"}));
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(refusing.calls("/request").len(), calls);
}

#[test]
fn a_hook_answer_that_does_not_fit_the_grpc_message_stops_the_call() {
    use super::grpc::{block, call, channel, failure};
    use gateway::grpc::pb;
    let t = server().tenant();
    let sink = HttpSink::start(0);
    // A name that is not a string: no CreateOrgRequest reads it.
    sink.serve_at(
        "/request",
        &json!({"request": {"name": {"nested": 1}}}).to_string(),
    );
    call_hook(
        &t,
        &sink.url("/request"),
        json!({"request": {"method": "portcullis.v1.OrgService/CreateOrg"}}),
        false,
    );
    let pat = t.admin_pat.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // Until the read models have the execution, creates go through: each under a new name.
    let mut attempt = 0;
    let refused = loop {
        attempt += 1;
        let name = format!("Grpc {attempt}");
        let answer = block(async {
            let ch = channel(&t.domain).await;
            let mut orgs = pb::org_service_client::OrgServiceClient::new(ch);
            orgs.create_org(call(pb::CreateOrgRequest { name }, &pat, None))
                .await
        });
        match answer {
            Err(status) => break status,
            Ok(_) => assert!(
                std::time::Instant::now() < deadline,
                "the hook is never called"
            ),
        }
    };
    let (code, reason, _) = failure(refused);
    assert_eq!(
        (code, reason.as_str()),
        (tonic::Code::Unavailable, "ACTION-0007")
    );
    assert!(!sink.calls("/request").is_empty());
}

#[test]
fn a_token_hook_slower_than_its_timeout_is_skipped_or_stops_the_token_as_set() {
    let t = server().tenant();
    let (name, _, secret) = machine(&t);
    // A receiver that answers claims, but only after 3 s: past the target's 1 s.
    let (url, calls) = super::http_sink::answering("/claims", || {
        std::thread::sleep(std::time::Duration::from_secs(3));
        r#"{"append_claims": [{"key": "department", "value": "Late"}]}"#.into()
    });
    token_hook(&t, &url, false);
    let id = t.client.get("/v1/actions/targets").body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let count = || calls.load(std::sync::atomic::Ordering::SeqCst);
    // Skipped: the token is made without the late claims.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let token = loop {
        let before = count();
        let (status, body) = token_status(&t, &name, &secret, 200);
        assert_eq!(status, 200, "a slow hook is skipped: {body}");
        if count() > before {
            break body["access_token"].as_str().unwrap().to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the hook is never called"
        );
    };
    let claims = super::oidc_behaviours::claims(&token);
    assert!(claims["sub"].is_string(), "{claims}");
    assert!(claims.get("department").is_none(), "{claims}");
    // With interrupt_on_error, the slow hook stops the token.
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
}
