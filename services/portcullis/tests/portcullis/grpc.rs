//! The gRPC API with a real tonic client: the same scenario as REST gives the same answers,
//! denials and bad input give the status and the stable code of REST, and `Watch` delivers a
//! burst of events in order with no gap. (The Python `grpcio` client is in `grpc_python`.)

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use gateway::grpc::pb;
use pb::event_service_client::EventServiceClient;
use pb::org_service_client::OrgServiceClient;
use pb::system_service_client::SystemServiceClient;
use pb::user_service_client::UserServiceClient;
use serde_json::{json, Value};
use testkit::server;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request};
use tonic_types::StatusExt;

use super::default_org;
use super::oidc_clients::{run, venv_python};

/// Runs a test's async part.
pub(super) fn block<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

/// A channel to the gRPC port that names `host` as its `:authority` (the instance).
pub(super) async fn channel(host: &str) -> Channel {
    let port = server().grpc.port();
    Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("an endpoint")
        .origin(format!("http://{host}:{port}").parse().expect("an origin"))
        .connect()
        .await
        .expect("the gRPC port answers")
}

/// A request with a bearer token, reading at least `position` when one is given.
pub(super) fn call<T>(message: T, token: &str, position: Option<&str>) -> Request<T> {
    let mut r = Request::new(message);
    let m = r.metadata_mut();
    m.insert(
        "authorization",
        format!("Bearer {token}").parse().expect("metadata"),
    );
    if let Some(p) = position {
        m.insert("x-portcullis-position", p.parse().expect("metadata"));
    }
    r
}

/// A message that carries the log position of the write that answered it.
pub(super) trait Positioned {
    fn position(&self) -> &str;
}

macro_rules! positioned {
    ($($t:ty),*) => {
        $(impl Positioned for $t {
            fn position(&self) -> &str {
                &self.position
            }
        })*
    };
}

positioned!(
    pb::WriteReply,
    pb::CreateOidcAppResponse,
    pb::RotateAppSecretResponse,
    pb::CreatePersonalAccessTokenResponse,
    pb::NewMachineSecretResponse,
    pb::AddMachineKeyResponse,
    pb::CreateInstanceResponse,
    pb::RotateSigningKeyResponse
);

/// What a client has written so far: the last position of each log partition, sent with every
/// later call (read-your-writes, as REST clients send `X-Portcullis-Position`).
pub(super) struct Seen(std::cell::RefCell<BTreeMap<u64, u64>>);

impl Seen {
    pub(super) fn after(position: &str) -> Seen {
        let seen = Seen(Default::default());
        seen.add(position);
        seen
    }

    fn add(&self, positions: &str) {
        let mut map = self.0.borrow_mut();
        for p in positions
            .split(',')
            .filter_map(|p| p.trim().parse::<u64>().ok())
        {
            let last = map.entry(p >> 40).or_insert(p);
            *last = (*last).max(p);
        }
    }

    /// The positions to send.
    pub(super) fn at(&self) -> String {
        let parts: Vec<String> = self.0.borrow().values().map(u64::to_string).collect();
        parts.join(",")
    }

    /// A call with `token` that reads every write seen so far.
    pub(super) fn req<T>(&self, message: T, token: &str) -> Request<T> {
        call(message, token, Some(&self.at()))
    }

    /// Records a write's answer and hands its message on.
    pub(super) fn wrote<T: Positioned>(&self, response: tonic::Response<T>) -> T {
        let message = response.into_inner();
        self.add(message.position());
        message
    }
}

/// The gRPC status code and the stable code of a failed call.
pub(super) fn failure(s: tonic::Status) -> (Code, String, BTreeMap<String, String>) {
    let info = s
        .get_details_error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo in {s:?}"));
    assert_eq!(info.domain, "portcullis");
    (s.code(), info.reason, info.metadata.into_iter().collect())
}

/// A user as REST shows it, from its gRPC message.
pub(super) fn as_rest(u: &pb::User) -> Value {
    let mut v = json!({
        "id": u.id, "org_id": u.org_id, "username": u.username, "type": u.r#type,
        "state": u.state, "display_name": u.display_name,
    });
    if let Some(p) = &u.profile {
        v["profile"] = json!({"given_name": p.given_name, "family_name": p.family_name,
            "display_name": p.display_name});
        if let Some(l) = &p.preferred_language {
            v["profile"]["preferred_language"] = json!(l);
        }
    }
    if let Some(e) = &u.email {
        v["email"] = json!({"address": e.address, "verified": e.verified});
    }
    if let Some(p) = &u.phone {
        v["phone"] = json!({"number": p.number, "verified": p.verified});
    }
    for (field, value) in [("name", &u.name), ("description", &u.description)] {
        if let Some(x) = value {
            v[field] = json!(x);
        }
    }
    if let Some(h) = u.has_secret {
        v["has_secret"] = json!(h);
    }
    v
}

pub(super) fn human(org_id: &str, username: &str) -> pb::CreateHumanUserRequest {
    pb::CreateHumanUserRequest {
        org_id: org_id.into(),
        username: username.into(),
        profile: Some(pb::create_human_user_request::NewProfile {
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            display_name: None,
            preferred_language: Some("en".into()),
        }),
        email: Some(pb::create_human_user_request::NewEmail {
            address: format!("{username}@example.com"),
            verified: false,
        }),
        phone: None,
        password: Some("a long password".into()),
    }
}

#[test]
fn the_grpc_api_gives_the_answers_of_rest() {
    let t = server().tenant();
    let org_id = default_org(&t);
    block(async {
        let ch = channel(&t.domain).await;
        let (mut orgs, mut users) = (
            OrgServiceClient::new(ch.clone()),
            UserServiceClient::new(ch.clone()),
        );
        let pat = t.admin_pat.as_str();

        // Writes through gRPC, reads through both.
        let org = orgs
            .create_org(call(
                pb::CreateOrgRequest {
                    name: "Grpc".into(),
                },
                pat,
                None,
            ))
            .await
            .expect("CreateOrg")
            .into_inner();
        assert!(!org.id.is_empty() && org.sequence >= 1, "{org:?}");
        let created = users
            .create_human_user(call(human(&org.id, "ada"), pat, None))
            .await
            .expect("CreateHumanUser")
            .into_inner();
        let machine = users
            .create_machine_user(call(
                pb::CreateMachineUserRequest {
                    org_id: org.id.clone(),
                    username: "robot".into(),
                    name: "Robot".into(),
                    description: Some("builds".into()),
                },
                pat,
                None,
            ))
            .await
            .expect("CreateMachineUser")
            .into_inner();
        let member = orgs
            .add_org_member(call(
                pb::AddOrgMemberRequest {
                    org_id: org.id.clone(),
                    member: Some(pb::Member {
                        user_id: created.id.clone(),
                        roles: vec!["ORG_USER_MANAGER".into()],
                    }),
                },
                pat,
                None,
            ))
            .await
            .expect("AddMember")
            .into_inner();
        let at = member.position.as_str();
        let rest = t.client.clone().at(at);

        for id in [&created.id, &machine.id] {
            let by_grpc = users
                .get_user(call(pb::GetUserRequest { id: id.clone() }, pat, Some(at)))
                .await
                .expect("GetUser")
                .into_inner();
            let by_rest = rest.get(&format!("/v1/users/{id}"));
            assert_eq!(by_rest.status, 200, "{}", by_rest.body);
            assert_eq!(as_rest(&by_grpc), by_rest.body);
        }
        let listed = users
            .list_users(call(
                pb::ListUsersRequest {
                    org_id: org.id.clone(),
                    limit: 1,
                    ..Default::default()
                },
                pat,
                Some(at),
            ))
            .await
            .expect("ListUsers")
            .into_inner();
        let rest_page = rest.get(&format!("/v1/users?org_id={}&limit=1", org.id));
        assert_eq!(listed.items.len(), 1);
        assert_eq!(as_rest(&listed.items[0]), rest_page.body["items"][0]);
        assert_eq!(listed.next_cursor, rest_page.str("next_cursor"));
        let second = users
            .list_users(call(
                pb::ListUsersRequest {
                    org_id: org.id.clone(),
                    limit: 1,
                    cursor: listed.next_cursor.clone(),
                    ..Default::default()
                },
                pat,
                Some(at),
            ))
            .await
            .expect("ListUsers, page 2")
            .into_inner();
        let both: BTreeSet<String> = [&listed.items[0].id, &second.items[0].id]
            .into_iter()
            .cloned()
            .collect();
        assert_eq!(both, [created.id.clone(), machine.id.clone()].into());

        let members = orgs
            .list_org_members(call(
                pb::ListOrgMembersRequest {
                    org_id: org.id.clone(),
                    ..Default::default()
                },
                pat,
                Some(at),
            ))
            .await
            .expect("ListMembers")
            .into_inner();
        let rest_members = rest.get(&format!("/v1/orgs/{}/members", org.id));
        let as_json: Vec<Value> = members
            .items
            .iter()
            .map(|m| json!({"user_id": m.user_id, "roles": m.roles}))
            .collect();
        assert_eq!(json!(as_json), rest_members.body["items"]);

        let orgs_listed = orgs
            .list_orgs(call(pb::ListOrgsRequest::default(), pat, Some(at)))
            .await
            .expect("ListOrgs")
            .into_inner();
        let names: Vec<&str> = orgs_listed.items.iter().map(|o| o.name.as_str()).collect();
        let rest_orgs = rest.get("/v1/orgs");
        let rest_names: Vec<&str> = rest_orgs.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, rest_names);
        assert!(names.contains(&"Grpc") && orgs_listed.items.iter().any(|o| o.id == org_id));

        let renamed = orgs
            .rename_org(call(
                pb::RenameOrgRequest {
                    org_id: org.id.clone(),
                    name: "Grpc renamed".into(),
                },
                pat,
                None,
            ))
            .await
            .expect("RenameOrg")
            .into_inner();
        let after_rename = t.client.clone().at(&renamed.position);
        let by_rest = after_rename.get(&format!("/v1/orgs/{}", org.id));
        assert_eq!(by_rest.body["name"], "Grpc renamed");
        let by_grpc = orgs
            .get_org(call(
                pb::GetOrgRequest {
                    org_id: org.id.clone(),
                },
                pat,
                Some(&renamed.position),
            ))
            .await
            .expect("GetOrg")
            .into_inner();
        assert_eq!(
            json!({"id": by_grpc.id, "name": by_grpc.name}),
            by_rest.body
        );
        let removed = users
            .delete_user(call(
                pb::DeleteUserRequest {
                    id: machine.id.clone(),
                },
                pat,
                None,
            ))
            .await
            .expect("DeleteUser")
            .into_inner();
        let gone = t
            .client
            .clone()
            .at(&removed.position)
            .get(&format!("/v1/users/{}", machine.id));
        assert_eq!(gone.error(), (404, "USER-0001"));

        // The trail reads the same through both.
        let mut events = EventServiceClient::new(ch.clone());
        let trail = events
            .list_events(call(
                pb::ListEventsRequest {
                    aggregate_id: created.id.clone(),
                    ..Default::default()
                },
                pat,
                Some(&removed.position),
            ))
            .await
            .expect("ListEvents")
            .into_inner();
        let rest_trail = t
            .client
            .clone()
            .at(&removed.position)
            .get(&format!("/v1/events?aggregate_id={}", created.id));
        let rest_items = rest_trail.body["items"].as_array().unwrap();
        assert_eq!(trail.items.len(), rest_items.len());
        for (g, r) in trail.items.iter().zip(rest_items) {
            assert_eq!(g.position, r["position"].as_str().unwrap());
            assert_eq!(g.r#type, r["type"].as_str().unwrap());
            assert_eq!(g.sequence, r["sequence"].as_u64().unwrap());
            let payload = g.payload.as_ref().expect("a payload");
            assert_eq!(
                payload.fields.keys().collect::<BTreeSet<_>>(),
                r["payload"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .collect::<BTreeSet<_>>()
            );
        }
        assert_eq!(trail.items[0].r#type, "user.human.added");

        // The system API: the tenant, by the system user's token on any host.
        let mut system = SystemServiceClient::new(channel("nowhere.test").await);
        let instance = system
            .get_instance(call(
                pb::GetInstanceRequest {
                    id: t.instance_id.clone(),
                },
                &server().system_pat,
                None,
            ))
            .await
            .expect("GetInstance")
            .into_inner();
        let rest_instance = server()
            .system()
            .get(&format!("/v1/system/instances/{}", t.instance_id));
        assert_eq!(json!(instance.domains), rest_instance.body["domains"]);
        assert_eq!(instance.name, rest_instance.str("name"));
    });
}

/// A machine user of `org` without any role, and its token (the answer that made it).
fn roleless(t: &testkit::Tenant, org: &str) -> testkit::Reply {
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "nobody", "name": "Nobody"}),
    );
    assert_eq!(bot.status, 201, "{}", bot.body);
    let pat = t
        .client
        .post(&format!("/v1/users/{}/pats", bot.str("id")), json!({}));
    assert_eq!(pat.status, 201, "{}", pat.body);
    pat
}

#[test]
fn grpc_denials_and_bad_input_carry_the_codes_of_rest() {
    let t = server().tenant();
    let org_id = default_org(&t);
    let pat = roleless(&t, &org_id);
    let (token, at) = (pat.str("token"), pat.str("position"));
    block(async {
        let ch = channel(&t.domain).await;
        let mut users = UserServiceClient::new(ch.clone());
        let mut orgs = OrgServiceClient::new(ch.clone());
        let admin = t.admin_user_id.clone();

        let denied = users
            .get_user(call(
                pb::GetUserRequest { id: admin.clone() },
                &token,
                Some(&at),
            ))
            .await
            .expect_err("a user without user.read");
        let rest = t
            .as_token(&token)
            .at(&at)
            .get(&format!("/v1/users/{admin}"));
        let (code, reason, details) = failure(denied);
        assert_eq!(
            (code, reason.as_str()),
            (Code::PermissionDenied, rest.code())
        );
        assert_eq!(
            details.get("missing").map(String::as_str),
            Some("user.read")
        );
        assert_eq!(rest.body["details"]["missing"], "user.read");

        // No token, a bad token, an unknown host.
        let anonymous = users
            .get_me(Request::new(pb::GetMeRequest {}))
            .await
            .expect_err("no token");
        let (code, reason, _) = failure(anonymous);
        assert_eq!(
            (code, reason.as_str()),
            (Code::Unauthenticated, "AUTH-0001")
        );
        let bad = users
            .get_me(call(pb::GetMeRequest {}, "not-a-token", None))
            .await
            .expect_err("a bad token");
        assert_eq!(failure(bad).1, "AUTH-0001");
        let mut elsewhere = UserServiceClient::new(channel("nowhere.test").await);
        let unknown = elsewhere
            .get_me(call(pb::GetMeRequest {}, &t.admin_pat, None))
            .await
            .expect_err("an unknown host");
        let (code, reason, _) = failure(unknown);
        assert_eq!((code, reason.as_str()), (Code::NotFound, "INSTANCE-0001"));

        // Bad input: the REST route's code, the gRPC code of its status.
        let empty = orgs
            .create_org(call(
                pb::CreateOrgRequest { name: "".into() },
                &t.admin_pat,
                None,
            ))
            .await
            .expect_err("an empty name");
        let rest = t.client.post("/v1/orgs", json!({"name": ""}));
        let (code, reason, _) = failure(empty);
        assert_eq!(rest.status, 400, "{}", rest.body);
        assert_eq!(
            (code, reason.as_str()),
            (Code::InvalidArgument, rest.code())
        );
        let too_many = users
            .list_users(call(
                pb::ListUsersRequest {
                    limit: 5000,
                    ..Default::default()
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect_err("a limit over 1,000");
        let rest = t.client.get("/v1/users?limit=5000");
        let (code, reason, details) = failure(too_many);
        assert_eq!(
            (code, reason.as_str()),
            (Code::InvalidArgument, rest.code())
        );
        assert_eq!(details.get("field").map(String::as_str), Some("limit"));
        let no_member = orgs
            .add_org_member(call(
                pb::AddOrgMemberRequest {
                    org_id: org_id.clone(),
                    member: None,
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect_err("no member");
        let (code, reason, details) = failure(no_member);
        assert_eq!((code, reason.as_str()), (Code::InvalidArgument, "REQ-0001"));
        assert_eq!(details.get("field").map(String::as_str), Some("member"));
        let taken = users
            .create_machine_user(call(
                pb::CreateMachineUserRequest {
                    org_id: org_id.clone(),
                    username: "nobody".into(),
                    name: "Again".into(),
                    description: None,
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect_err("a login name taken");
        let (code, reason, _) = failure(taken);
        assert_eq!((code, reason.as_str()), (Code::AlreadyExists, "USER-0002"));

        // A stale If-Match: ABORTED, as REST's 409.
        let body = json!({"name": "Renamed once"}).to_string().into_bytes();
        let renamed = t
            .client
            .send("PATCH", &format!("/v1/orgs/{org_id}"), Some(body), &[]);
        assert_eq!(renamed.status, 200, "{}", renamed.body);
        let mut stale = call(
            pb::RenameOrgRequest {
                org_id: org_id.clone(),
                name: "Renamed twice".into(),
            },
            &t.admin_pat,
            Some(&renamed.str("position")),
        );
        stale
            .metadata_mut()
            .insert("if-match", "1".parse().unwrap());
        let (code, reason, _) = failure(orgs.rename_org(stale).await.expect_err("stale"));
        assert_eq!((code, reason.as_str()), (Code::Aborted, "CONC-0001"));
        // None of the failed calls wrote anything.
        let org = t.client.clone().at(&renamed.str("position"));
        assert_eq!(
            org.get(&format!("/v1/orgs/{org_id}")).body["name"],
            "Renamed once"
        );
        let users = org.get(&format!("/v1/users?org_id={org_id}"));
        assert_eq!(
            users.body["items"].as_array().unwrap().len(),
            3,
            "{}",
            users.body
        );
    });
}

/// Reads a watch until `count` events of `wanted` aggregates came (bounded, so that a lost
/// event fails the test instead of hanging it).
async fn collect(
    stream: &mut tonic::Streaming<pb::WatchResponse>,
    wanted: &BTreeSet<String>,
    count: usize,
) -> Vec<pb::WatchResponse> {
    let mut seen = Vec::new();
    let mut of_wanted = 0;
    while of_wanted < count {
        let next = tokio::time::timeout(Duration::from_secs(60), stream.message())
            .await
            .unwrap_or_else(|_| panic!("the watch stalled after {of_wanted} of {count} events"))
            .expect("the stream goes on")
            .expect("the stream is open");
        let event = next.event.as_ref().expect("an event");
        if wanted.contains(&event.aggregate_id) {
            of_wanted += 1;
        }
        seen.push(next);
    }
    seen
}

#[test]
fn watch_delivers_a_burst_of_a_thousand_events_in_order_with_no_gap() {
    let t = server().tenant();
    let org_id = default_org(&t);
    // Four machine users, each to get 250 metadata writes at once.
    let users: Vec<String> = (0..4)
        .map(|i| {
            let r = t.client.post(
                &format!("/v1/orgs/{org_id}/users/machine"),
                json!({"username": format!("burst-{i}"), "name": "Burst"}),
            );
            assert_eq!(r.status, 201, "{}", r.body);
            r.str("id")
        })
        .collect();
    let wanted: BTreeSet<String> = users.iter().cloned().collect();
    block(async {
        let mut events = EventServiceClient::new(channel(&t.domain).await);
        let mut stream = events
            .watch(call(
                pb::WatchRequest {
                    after_position: t.position.clone(),
                    ..Default::default()
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect("Watch")
            .into_inner();
        // The burst, from four threads while the watch is open.
        let writers: Vec<_> = users
            .iter()
            .map(|id| {
                let (client, id) = (t.client.clone(), id.clone());
                std::thread::spawn(move || {
                    for k in 0..250 {
                        let r = client.put(
                            &format!("/v1/users/{id}/metadata/k{k}"),
                            json!({"value": "dmFsdWU="}),
                        );
                        assert_eq!(r.status, 200, "{}", r.body);
                    }
                })
            })
            .collect();
        // 4 creations and 1,000 metadata writes of the four users.
        let seen = collect(&mut stream, &wanted, 1004).await;
        for w in writers {
            w.join().expect("a writer");
        }
        // Every event once, each aggregate's sequence without a gap, positions rising within
        // each log partition.
        let mut sequences: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        let mut partitions: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for r in &seen {
            let e = r.event.as_ref().unwrap();
            if wanted.contains(&e.aggregate_id) {
                let p: u64 = e.position.parse().unwrap();
                partitions.entry(p >> 40).or_default().push(p);
                sequences
                    .entry(&e.aggregate_id)
                    .or_default()
                    .push(e.sequence);
            }
        }
        for (id, s) in &sequences {
            let expected: Vec<u64> = (1..=251).collect();
            assert_eq!(s, &expected, "the events of {id}");
        }
        for positions in partitions.values() {
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        }
        // The watch saw what the trail holds, in the trail's order within each partition.
        let last = seen.last().unwrap().resume_after.clone();
        let mut trail: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        let mut cursor = String::new();
        loop {
            let page = t
                .client
                .clone()
                .at(&last)
                .get(&format!("/v1/events?limit=1000{cursor}"));
            assert_eq!(page.status, 200, "{}", page.body);
            for e in page.body["items"].as_array().unwrap() {
                if wanted.contains(e["aggregate_id"].as_str().unwrap()) {
                    let p: u64 = e["position"].as_str().unwrap().parse().unwrap();
                    trail.entry(p >> 40).or_default().push(p);
                }
            }
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = format!("&after_position={next}"),
                None => break,
            }
        }
        assert_eq!(partitions, trail);

        // A new watch from the 500th event's resume point goes on with the rest.
        let resume = seen[499].resume_after.clone();
        let mut again = events
            .watch(call(
                pb::WatchRequest {
                    after_position: resume,
                    ..Default::default()
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect("Watch, resumed")
            .into_inner();
        let rest_of_wanted = seen[500..]
            .iter()
            .filter(|r| wanted.contains(&r.event.as_ref().unwrap().aggregate_id))
            .count();
        let resumed = collect(&mut again, &wanted, rest_of_wanted).await;
        let positions = |rs: &[pb::WatchResponse]| -> BTreeSet<String> {
            rs.iter()
                .map(|r| r.event.as_ref().unwrap().position.clone())
                .collect()
        };
        assert_eq!(positions(&resumed), positions(&seen[500..]));
    });
}

#[test]
fn python_grpcio_gets_the_answers_of_rest() {
    let t = server().tenant();
    let pat = roleless(&t, &default_org(&t));
    let target = server().grpc.to_string();
    let proto_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    let seen = run(
        &venv_python(),
        &["grpc_client.py"],
        &[
            ("TARGET", &target),
            ("AUTHORITY", &t.domain),
            ("TOKEN", &t.admin_pat),
            ("DENIED_TOKEN", &pat.str("token")),
            ("AT", &pat.str("position")),
            ("PROTO_DIR", proto_dir),
        ],
    );
    let rest = t.client.clone().at(seen["position"].as_str().unwrap());
    let user_id = seen["user_id"].as_str().unwrap();
    let org = seen["org_id"].as_str().unwrap();
    assert_eq!(seen["user"], rest.get(&format!("/v1/users/{user_id}")).body);
    assert_eq!(
        seen["listed"],
        rest.get(&format!("/v1/users?org_id={org}")).body["items"]
    );
    assert_eq!(
        seen["members"],
        rest.get(&format!("/v1/orgs/{org}/members")).body["items"]
    );
    let trail = rest.get(&format!("/v1/events?aggregate_id={user_id}"));
    let expected: Vec<Value> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let mut keys: Vec<&String> = e["payload"].as_object().unwrap().keys().collect();
            keys.sort();
            json!({"position": e["position"], "type": e["type"],
                   "sequence": e["sequence"].to_string(), "payload_keys": keys})
        })
        .collect();
    assert_eq!(seen["events"], json!(expected));

    let denied = t
        .as_token(&pat.str("token"))
        .at(&pat.str("position"))
        .get(&format!("/v1/users/{user_id}"));
    assert_eq!(
        seen["denied"],
        json!({"code": "PERMISSION_DENIED", "reason": denied.code(), "domain": "portcullis",
               "metadata": denied.body["details"]})
    );
    let bad = t.client.post("/v1/orgs", json!({"name": ""}));
    assert_eq!(seen["bad_input"]["code"], "INVALID_ARGUMENT");
    assert_eq!(seen["bad_input"]["reason"], bad.code());
    assert_eq!(seen["no_token"]["code"], "UNAUTHENTICATED");
    assert_eq!(seen["no_token"]["reason"], "AUTH-0001");

    // Reflection shows every service of proto/ with its methods, as the descriptors hold them.
    let reflected = seen["reflection"].as_object().expect("the services");
    let descriptors =
        <prost_types::FileDescriptorSet as prost::Message>::decode(gateway::grpc::DESCRIPTORS)
            .expect("the descriptor set");
    let mut services = 0;
    for file in &descriptors.file {
        for service in &file.service {
            let name = format!("{}.{}", file.package(), service.name());
            let mut methods: Vec<&str> = service.method.iter().map(|m| m.name()).collect();
            methods.sort();
            assert_eq!(reflected[&name], json!(methods), "{name}");
            services += 1;
        }
    }
    assert_eq!(
        services, 12,
        "System, Instance, Org, User, Factor, Project, Authorization, Event, Settings, LoginSession, \
         Notification, Idp"
    );
    assert!(reflected.contains_key("grpc.health.v1.Health"));
    assert_eq!(
        seen["health"],
        json!({"": "SERVING", "portcullis.v1.UserService": "SERVING",
               "portcullis.v1.EventService": "SERVING"})
    );
}

#[test]
fn every_grpc_method_denies_a_caller_without_the_permission_it_documents() {
    let t = server().tenant();
    let f = super::denials::fixtures(&t);
    let before = super::event_count(&t);
    let fixtures = json!({
        "org": f.org_a, "org_b": f.org_b, "user": f.user, "pat": f.pat, "project": f.project,
        "app": f.app, "grant": f.grant, "user_grant": f.user_grant, "caller": f.caller,
        "session": f.session,
        "instance": t.instance_id, "position": f.token.str("position"),
    });
    let target = server().grpc.to_string();
    let proto_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    let seen = run(
        &venv_python(),
        &["grpc_denials.py"],
        &[
            ("TARGET", &target),
            ("AUTHORITY", &t.domain),
            ("TOKEN", &f.token.str("token")),
            ("PROTO_DIR", proto_dir),
            ("FIXTURES", &fixtures.to_string()),
        ],
    );
    assert_eq!(seen["wrong"], json!([]), "{seen}");
    // Every method of proto/, Watch included.
    let descriptors =
        <prost_types::FileDescriptorSet as prost::Message>::decode(gateway::grpc::DESCRIPTORS)
            .expect("the descriptor set");
    let methods: usize = descriptors
        .file
        .iter()
        .flat_map(|f| &f.service)
        .map(|s| s.method.len())
        .sum();
    assert_eq!(seen["checked"], methods);
    assert!(methods >= 70, "only {methods} methods");
    assert_eq!(super::event_count(&t), before, "a denied call wrote events");
}

#[test]
fn a_watch_ends_when_its_token_is_revoked() {
    let t = server().tenant();
    let org_id = default_org(&t);
    let bot = t.client.post(
        &format!("/v1/orgs/{org_id}/users/machine"),
        json!({"username": "auditor", "name": "Auditor"}),
    );
    let id = bot.str("id");
    let member = t.client.after(&bot).put(
        &format!("/v1/instance/members/{id}"),
        json!({"roles": ["IAM_OWNER_VIEWER"]}),
    );
    assert_eq!(member.status, 200, "{}", member.body);
    let pat = t
        .client
        .after(&member)
        .post(&format!("/v1/users/{id}/pats"), json!({}));
    let (token, pat_id) = (pat.str("token"), pat.str("id"));
    let marker = |name: &str| {
        let r = t.client.post(
            &format!("/v1/orgs/{org_id}/users/machine"),
            json!({"username": name, "name": "Marker"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.str("id")
    };
    block(async {
        let mut events = EventServiceClient::new(channel(&t.domain).await);
        let mut stream = events
            .watch(call(
                pb::WatchRequest {
                    after_position: pat.str("position"),
                    ..Default::default()
                },
                &token,
                Some(&pat.str("position")),
            ))
            .await
            .expect("Watch")
            .into_inner();
        let before = marker("before-revocation");
        collect(&mut stream, &BTreeSet::from([before]), 1).await;
        let revoked = t.client.delete(&format!("/v1/users/{id}/pats/{pat_id}"));
        assert_eq!(revoked.status, 200, "{}", revoked.body);
        let after = marker("after-revocation");
        // The stream ends with the caller's error, and the later event never goes out.
        loop {
            let next = tokio::time::timeout(Duration::from_secs(30), stream.message())
                .await
                .expect("the watch ends within its idle check");
            match next {
                Ok(Some(m)) => assert_ne!(
                    m.event.as_ref().map(|e| e.aggregate_id.as_str()),
                    Some(after.as_str()),
                    "an event after the revocation went out"
                ),
                Ok(None) => panic!("the stream closed without saying why"),
                Err(status) => {
                    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                    break;
                }
            }
        }
    });
}
