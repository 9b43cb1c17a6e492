//! A rolling upgrade, as an operator goes through it: for a while the cluster runs command
//! nodes of two adjacent releases side by side. The node of the previous release is today's
//! node behind [`PreviousRelease`], which keeps the previous node-message version's side of
//! the wire: like that release, it refuses a message of a version it does not speak (503
//! `CLUSTER-0003`, naming its own) and takes its own. Everything a client does works
//! through the upgrade, whichever node serves it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use domain::{Code, Error};
use eventlog::kafka::broker::Broker;
use portcullis::cluster::placement::FORWARD_PATH;
use portcullis::config::Role;
use portcullis::version::NODE_MESSAGES;
use serde_json::{json, Value};
use testkit::Client;

/// The node-message version of the previous release.
const PREVIOUS: u16 = NODE_MESSAGES - 1;

/// The previous release's side of the wire, in front of a node: what it refused, what it
/// passed on, and any answer that was not in its version (which it could not have read).
#[derive(Default)]
struct PreviousRelease {
    node: OnceLock<String>,
    refused: AtomicUsize,
    relayed: AtomicUsize,
    unreadable_answers: Mutex<Vec<String>>,
}

async fn previous_release(
    wire: web::Data<PreviousRelease>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let version = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|m| m["v"].as_u64());
    if version != Some(PREVIOUS as u64) {
        // As the previous release answers a message of a version it does not speak.
        wire.refused.fetch_add(1, Ordering::SeqCst);
        let refusal = Error::new(
            Code::NodeMessagesVersion,
            format!("a node speaks node messages version {version:?}, this one version {PREVIOUS}"),
        )
        .with("version", PREVIOUS.to_string());
        return HttpResponse::Ok().json(json!({"v": PREVIOUS, "m": {"Err": refusal}}));
    }
    let node = wire.node.get().expect("the node behind started");
    let mut sent = awc::Client::default()
        .post(format!("http://{node}{FORWARD_PATH}"))
        .insert_header((
            "authorization",
            req.headers().get("authorization").cloned().unwrap(),
        ))
        .send_body(body)
        .await
        .expect("the node behind answers");
    let answer = sent.body().limit(16 << 20).await.unwrap();
    let answered_in = serde_json::from_slice::<Value>(&answer)
        .ok()
        .and_then(|m| m["v"].as_u64());
    if answered_in != Some(PREVIOUS as u64) {
        wire.unreadable_answers
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(&answer).into_owned());
    }
    wire.relayed.fetch_add(1, Ordering::SeqCst);
    HttpResponse::build(sent.status()).body(answer)
}

/// Serves [`previous_release`] on a port of its own; returns its address.
fn serve_previous_release(wire: Arc<PreviousRelease>) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let data = web::Data::from(wire);
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .app_data(web::PayloadConfig::new(16 << 20))
                    .route(FORWARD_PATH, web::post().to(previous_release))
            })
            .workers(1)
            .bind("127.0.0.1:0")
            .unwrap();
            tx.send(server.addrs()[0].to_string()).unwrap();
            server.run().await.unwrap();
        })
    });
    rx.recv().unwrap()
}

pub(super) fn node(role: Role, broker: &Broker, key: &str, dir: &std::path::Path) -> testkit::Node {
    let mut opts = testkit::options(dir.join(format!("{role:?}")));
    opts.role = role;
    opts.kafka_brokers = Some(broker.brokers());
    opts.master_key = Some(key.to_string());
    testkit::launch_node(opts)
}

/// A request as a node sends it to another: `message` in the envelope of `version`.
fn forward(node: &str, token: &str, version: u16, message: Value) -> Value {
    let mut response = ureq::post(format!("http://{node}{FORWARD_PATH}"))
        .header("Authorization", &format!("Bearer {token}"))
        .send(json!({"v": version, "m": message}).to_string())
        .unwrap();
    response.body_mut().read_json().unwrap()
}

/// The code of the error a node answered, if it refused.
fn refused(answer: &Value) -> Option<Code> {
    serde_json::from_value(answer["m"]["Err"]["code"].clone()).ok()
}

#[test]
fn a_cluster_runs_with_command_nodes_of_two_adjacent_node_message_versions() {
    let broker = Broker::with_topics(testkit::cluster::PARTITIONS);
    let key = crypto::sealing::MasterKey::generate().to_base64();
    let token = portcullis::cluster::internal_token(
        &crypto::sealing::MasterKey::from_base64(&key).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    // The node of the previous release announces its wire's address; today's node its own.
    let wire = Arc::new(PreviousRelease::default());
    let wire_address = serve_previous_release(wire.clone());
    let mut opts = testkit::options(dir.path().join("previous"));
    opts.role = Role::Command;
    opts.kafka_brokers = Some(broker.brokers());
    opts.master_key = Some(key.clone());
    opts.advertise = Some(wire_address.clone());
    let previous = testkit::launch_node(opts).http.to_string();
    wire.node.set(previous.clone()).unwrap();
    let today = node(Role::Command, &broker, &key, dir.path())
        .http
        .to_string();
    let gateway = node(Role::Gateway, &broker, &key, dir.path()).http;
    let pat = std::fs::read_to_string(dir.path().join("Gateway").join("admin.pat")).unwrap();
    let admin = Client::new(&format!("http://{gateway}"), Some("localhost")).token(pat.trim());

    // Orgs and users until the previous release's node has served some (the group gives it
    // partitions once both nodes joined), then as many more.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut made = Vec::new();
    let mut n = 0;
    while made.len() < 12 || wire.relayed.load(Ordering::SeqCst) < 8 {
        assert!(
            Instant::now() < deadline,
            "the previous release's node served nothing"
        );
        n += 1;
        let org = admin.post("/v1/orgs", json!({"name": format!("Upgrade {n}")}));
        if org.status == 503 {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        assert_eq!(org.status, 201, "{}", org.body);
        let org_id = org.str("id");
        // While the group hands partitions over, a read of the org's write may have to wait
        // longer than the gateway does (503, "retry"): tried again, as a client does.
        let after_org = |path: &str, body: Value| loop {
            let r = admin.after(&org).post(path, body.clone());
            if r.status != 503 || Instant::now() > deadline {
                return r;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let user = after_org(
            &format!("/v1/orgs/{org_id}/users/machine"),
            json!({"username": format!("svc-{n}"), "name": "Through the upgrade"}),
        );
        assert_eq!(user.status, 201, "{}", user.body);
        let project = after_org(
            &format!("/v1/orgs/{org_id}/projects"),
            json!({"name": format!("Project {n}")}),
        );
        assert_eq!(project.status, 201, "{}", project.body);
        made.push((org_id, user.str("id"), project));
    }
    // Every write reads back, with what it was given.
    for (org_id, user_id, project) in &made {
        let user = admin.after(project).get(&format!("/v1/users/{user_id}"));
        assert_eq!(user.status, 200, "{}", user.body);
        assert_eq!(user.body["name"], "Through the upgrade");
        assert_eq!(&user.str("org_id"), org_id);
    }
    // Today's gateway wrote its version first, was refused, and wrote the previous one
    // after: the previous release's node read every message it was passed, and answered each
    // in its own version.
    assert!(wire.refused.load(Ordering::SeqCst) >= 1);
    assert!(wire.relayed.load(Ordering::SeqCst) >= 8);
    assert_eq!(
        *wire.unreadable_answers.lock().unwrap(),
        Vec::<String>::new()
    );

    // As the previous release's gateway or node writes to today's node: read, and answered
    // in the previous version.
    let heads = forward(&today, &token, PREVIOUS, json!("Heads"));
    assert_eq!(heads["v"], PREVIOUS);
    assert!(heads["m"]["Ok"]["Heads"].is_array(), "{heads}");
    // A version neither speaks is refused unread, naming the versions today's node speaks.
    let next = forward(&today, &token, NODE_MESSAGES + 1, json!("Heads"));
    assert_eq!(refused(&next), Some(Code::NodeMessagesVersion), "{next}");
    assert!(next["m"]["Err"]["message"]
        .as_str()
        .unwrap()
        .contains("finish the upgrade"));
    // A command a later release added is refused before anything runs, by whichever node
    // serves the aggregate (the other answers that it does not serve it).
    let (org_id, user_id, _) = &made[0];
    let before = admin.get(&format!("/v1/users/{user_id}")).body;
    let instance = admin.get("/v1/instance").str("id");
    let unknown = json!({"Execute": {
        "key": {"instance": instance, "kind": "user", "id": user_id},
        "caller": {"Internal": {"flow": "Setup", "instance": instance}},
        "command": {"BecomeSomethingNew": {"org_id": org_id}},
        "if_match": null,
    }});
    let answers: Vec<Value> = [&today, &previous]
        .into_iter()
        .map(|node| forward(node, &token, PREVIOUS, unknown.clone()))
        .collect();
    let refusal = answers
        .iter()
        .find(|a| refused(a) == Some(Code::NodeMessagesVersion))
        .unwrap_or_else(|| panic!("{answers:?}"));
    assert!(refusal["m"]["Err"]["message"]
        .as_str()
        .unwrap()
        .contains("cannot read the user command"));
    assert_eq!(admin.get(&format!("/v1/users/{user_id}")).body, before);
}
