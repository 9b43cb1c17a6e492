//! A user's sessions through the API, and their lifetimes: a user lists and ends their own
//! sessions with their own token; ending one ends its refresh tokens and its single sign-on;
//! nobody ends another user's session through their own user, or lists sessions without
//! `user.write`. The `session` settings (instance, org override) end sessions and refresh
//! tokens when unused or too old.

use std::time::Duration;

use gateway::grpc::pb;
use pb::settings_service_client::SettingsServiceClient;
use pb::user_service_client::UserServiceClient;
use serde_json::{json, Value};
use testkit::{server, Client, Tenant};

use super::grpc::{block, call, channel};
use super::oidc_behaviours::{auth_url, claims, exchange, post_as, VERIFIER};
use super::oidc_support::{app, enc, human, param, App, UserAgent};
use super::{default_org, unix_ms};

const API: &str = "urn:portcullis:api:aud";

/// A login of `username` in a new browser, with the API audience: the browser and the tokens.
fn log_in(t: &Tenant, app: &App, username: &str) -> (UserAgent, Value) {
    let scope = enc(&format!("openid {API}"));
    let url = auth_url(t, app, "").replace("&scope=openid%20profile", &format!("&scope={scope}"));
    let mut browser = UserAgent::default();
    let back = browser.log_in(t, &url, username, "a long password");
    let (status, issued) = exchange(t, app, &param(&back, "code").unwrap(), VERIFIER);
    assert_eq!(status, 200, "{issued}");
    (browser, issued)
}

fn sid(issued: &Value) -> String {
    claims(issued["id_token"].as_str().unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_string()
}

fn refresh(t: &Tenant, app: &App, issued: &Value) -> (u16, Value) {
    post_as(
        t,
        app,
        "/oauth/v2/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", issued["refresh_token"].as_str().unwrap()),
        ],
    )
}

/// Whether the browser's session still answers `prompt=none` with a code.
fn has_session(t: &Tenant, app: &App, browser: &mut UserAgent) -> bool {
    let a = browser.request("GET", &auth_url(t, app, "&prompt=none"), None);
    param(&a.location.unwrap_or_default(), "code").is_some()
}

fn ids(list: &Value) -> Vec<String> {
    let items = list["items"].as_array().expect("a list");
    items
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

fn user(t: &Tenant, access: &Value) -> (Client, String) {
    let me = t.as_token(access["access_token"].as_str().unwrap());
    let r = me.get("/v1/users/me");
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.str("id");
    (me, id)
}

#[test]
fn a_user_lists_and_ends_their_own_sessions_and_their_refresh_tokens_go_with_them() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "ada", "a long password");
    human(&t, "bob", "a long password");
    let (mut laptop, on_laptop) = log_in(&t, &app, "ada");
    let (mut phone, on_phone) = log_in(&t, &app, "ada");
    let (_, bobs) = log_in(&t, &app, "bob");
    let (ada, ada_id) = user(&t, &on_laptop);

    // Ada sees her two sessions (by the `sid` her ID tokens carry), and nobody else's.
    let list = ada.get(&format!("/v1/users/{ada_id}/sessions"));
    assert_eq!(list.status, 200, "{}", list.body);
    let mut expected = vec![sid(&on_laptop), sid(&on_phone)];
    expected.sort();
    assert_eq!(ids(&list.body), expected);
    let first = &list.body["items"][0];
    assert!(unix_ms(&first["expires_at"]) > unix_ms(&first["last_used"]));
    assert!(unix_ms(&first["last_used"]) >= unix_ms(&first["started_at"]));

    // Another user's session is not found through Ada, and stays.
    let theirs = ada.delete(&format!("/v1/users/{ada_id}/sessions/{}", sid(&bobs)));
    assert_eq!(theirs.error(), (404, "SESSION-0001"));
    assert_eq!(refresh(&t, &app, &bobs).0, 200);
    // Bob may neither list nor end Ada's sessions.
    let (bob, _) = user(&t, &bobs);
    let denied = bob.get(&format!("/v1/users/{ada_id}/sessions"));
    assert_eq!(denied.error(), (403, "AUTHZ-0001"));
    let denied = bob.delete(&format!("/v1/users/{ada_id}/sessions"));
    assert_eq!(denied.error(), (403, "AUTHZ-0001"));

    // Ada ends the phone's session: its refresh token and its single sign-on end with it.
    let ended = ada.delete(&format!("/v1/users/{ada_id}/sessions/{}", sid(&on_phone)));
    assert_eq!(ended.status, 200, "{}", ended.body);
    assert_eq!(refresh(&t, &app, &on_phone).0, 400);
    assert!(!has_session(&t, &app, &mut phone));
    assert!(has_session(&t, &app, &mut laptop));
    let list = ada
        .after(&ended)
        .get(&format!("/v1/users/{ada_id}/sessions"));
    assert_eq!(ids(&list.body), vec![sid(&on_laptop)]);

    // The same list over gRPC, for the admin.
    block(async {
        let mut users = UserServiceClient::new(channel(&t.domain).await);
        let request = pb::ListSessionsRequest {
            id: ada_id.clone(),
            ..Default::default()
        };
        let listed = users
            .list_sessions(call(request, &t.admin_pat, Some(&ended.str("position"))))
            .await
            .expect("ListSessions")
            .into_inner();
        let got: Vec<String> = listed.items.into_iter().map(|s| s.id).collect();
        assert_eq!(got, vec![sid(&on_laptop)]);
    });

    // The admin ends all of Ada's sessions: her laptop's too, and the token she called with.
    let all = t.client.delete(&format!("/v1/users/{ada_id}/sessions"));
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(refresh(&t, &app, &on_laptop).0, 400);
    assert!(!has_session(&t, &app, &mut laptop));
    assert_eq!(ada.get("/v1/users/me").error(), (401, "AUTH-0001"));
    let list = t
        .client
        .after(&all)
        .get(&format!("/v1/users/{ada_id}/sessions"));
    assert_eq!(ids(&list.body), Vec::<String>::new());
    // The trail says who ended them.
    let trail = t.client.after(&all).get(&format!(
        "/v1/events?aggregate_type=user&aggregate_id={ada_id}"
    ));
    assert_eq!(trail.status, 200, "{}", trail.body);
    let ended: Vec<(Value, Value)> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "user.sessions.ended")
        .map(|e| (e["creator"].clone(), e["payload"].clone()))
        .collect();
    assert_eq!(ended.len(), 2, "{}", trail.body);
    assert_eq!(ended[0].0, ada_id.as_str());
    assert_eq!(ended[1].0, t.client.get("/v1/users/me").str("id").as_str());
}

fn session_settings(c: &Client, path: &str) -> (u64, u64, String) {
    let r = c.get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    (
        r.body["idle_lifetime_s"].as_u64().unwrap(),
        r.body["absolute_lifetime_s"].as_u64().unwrap(),
        r.str("source"),
    )
}

#[test]
fn session_settings_fall_back_from_org_to_instance_to_the_defaults() {
    let t = server().tenant();
    let org = default_org(&t);
    let c = &t.client;
    let own = "/v1/instance/settings/session";
    let orgs = format!("/v1/orgs/{org}/settings/session");
    assert_eq!(
        session_settings(c, own),
        (86_400, 2_592_000, "default".into())
    );
    let set = c.put(
        own,
        json!({"idle_lifetime_s": 3600, "absolute_lifetime_s": 86400}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let c = c.after(&set);
    assert_eq!(session_settings(&c, own), (3600, 86400, "instance".into()));
    assert_eq!(
        session_settings(&c, &orgs),
        (3600, 86400, "instance".into())
    );
    // What a read answers can be sent back as it is.
    let back = c.get(&orgs).body;
    let set = c.put(&orgs, json!({"idle_lifetime_s": 600, "absolute_lifetime_s": back["absolute_lifetime_s"], "source": back["source"]}));
    assert_eq!(set.status, 200, "{}", set.body);
    let c = c.after(&set);
    assert_eq!(session_settings(&c, &orgs), (600, 86400, "org".into()));
    assert_eq!(session_settings(&c, own), (3600, 86400, "instance".into()));
    let reset = c.delete(&orgs);
    assert_eq!(reset.status, 200, "{}", reset.body);
    let c = c.after(&reset);
    assert_eq!(
        session_settings(&c, &orgs),
        (3600, 86400, "instance".into())
    );

    // Bad values are refused with the field they concern; nothing changes.
    for (body, code) in [
        (
            json!({"idle_lifetime_s": 0, "absolute_lifetime_s": 60}),
            "SETTINGS-0001",
        ),
        (
            json!({"idle_lifetime_s": 7200, "absolute_lifetime_s": 3600}),
            "SETTINGS-0001",
        ),
        (
            json!({"idle_lifetime_s": -1, "absolute_lifetime_s": 3600}),
            "REQ-0001",
        ),
        (json!({"idle_lifetime_s": 60}), "REQ-0001"),
        (
            json!({"idle_lifetime_s": 60, "absolute_lifetime_s": 60, "idle": 1}),
            "REQ-0001",
        ),
    ] {
        assert_eq!(c.put(own, body.clone()).error(), (400, code), "{body}");
    }
    assert_eq!(session_settings(&c, own), (3600, 86400, "instance".into()));
    let unknown = c.get("/v1/instance/settings/colours");
    assert_eq!(unknown.error(), (404, "SETTINGS-0002"));

    // An org's settings manager sets its own org's, and no other org's or the instance's.
    let other = c.post("/v1/orgs", json!({"name": "Other"})).str("id");
    let bot = c.post(
        &format!("/v1/orgs/{other}/users/machine"),
        json!({"username": "settings-bot", "name": "Settings"}),
    );
    let bot_id = bot.str("id");
    let member = c.after(&bot).post(
        &format!("/v1/orgs/{other}/members"),
        json!({"user_id": bot_id, "roles": ["ORG_SETTINGS_MANAGER"]}),
    );
    assert_eq!(member.status, 201, "{}", member.body);
    let pat = c
        .after(&member)
        .post(&format!("/v1/users/{bot_id}/pats"), json!({}));
    let manager = c.clone().token(&pat.str("token")).after(&pat);
    let body = json!({"idle_lifetime_s": 60, "absolute_lifetime_s": 120});
    let own_org = manager.put(&format!("/v1/orgs/{other}/settings/session"), body.clone());
    assert_eq!(own_org.status, 200, "{}", own_org.body);
    assert_eq!(
        manager.put(&orgs, body.clone()).error(),
        (403, "AUTHZ-0001")
    );
    assert_eq!(manager.put(own, body).error(), (403, "AUTHZ-0001"));

    // The same over gRPC.
    block(async {
        let mut settings = SettingsServiceClient::new(channel(&t.domain).await);
        let position = own_org.str("position");
        let request = pb::GetOrgSettingsRequest {
            org_id: other.clone(),
            kind: "session".into(),
        };
        let got = settings
            .get_org_settings(call(request, &t.admin_pat, Some(&position)))
            .await
            .expect("GetOrgSettings")
            .into_inner();
        assert_eq!(got.source, "org");
        let Some(pb::settings::Value::Session(s)) = got.value else {
            panic!("no session settings: {got:?}")
        };
        assert_eq!((s.idle_lifetime_s, s.absolute_lifetime_s), (60, 120));
        let refused = settings
            .set_instance_settings(call(
                pb::SetInstanceSettingsRequest { value: None },
                &t.admin_pat,
                None,
            ))
            .await
            .expect_err("no value");
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    });
}

#[test]
fn sessions_and_refresh_tokens_end_when_unused_for_the_idle_lifetime() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "opaque");
    human(&t, "ada", "a long password");
    let set = t.client.put(
        "/v1/instance/settings/session",
        json!({"idle_lifetime_s": 3, "absolute_lifetime_s": 3600}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let (mut browser, issued) = log_in(&t, &app, "ada");
    let (status, rotated) = refresh(&t, &app, &issued);
    assert_eq!(status, 200, "used at once: {rotated}");
    assert!(has_session(&t, &app, &mut browser));
    std::thread::sleep(Duration::from_secs(4));
    let (status, refused) = refresh(&t, &app, &rotated);
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        !has_session(&t, &app, &mut browser),
        "an idle session answered"
    );
    // A new login works, and its session is listed again.
    let (_, again) = log_in(&t, &app, "ada");
    let (ada, ada_id) = user(&t, &again);
    let list = ada.get(&format!("/v1/users/{ada_id}/sessions"));
    assert_eq!(ids(&list.body), vec![sid(&again)]);
}

#[test]
fn an_orgs_absolute_lifetime_ends_them_however_often_they_are_used() {
    let t = server().tenant();
    let org = default_org(&t);
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "ada", "a long password");
    let set = t.client.put(
        &format!("/v1/orgs/{org}/settings/session"),
        json!({"idle_lifetime_s": 3, "absolute_lifetime_s": 4}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let (mut browser, issued) = log_in(&t, &app, "ada");
    let mut current = issued;
    // Used every second, within the idle lifetime, until the absolute one is over.
    let mut refused = None;
    for _ in 0..8 {
        std::thread::sleep(Duration::from_secs(1));
        has_session(&t, &app, &mut browser);
        let (status, next) = refresh(&t, &app, &current);
        if status != 200 {
            refused = Some(next);
            break;
        }
        current = next;
    }
    let refused = refused.expect("the refresh token outlived its absolute lifetime");
    assert_eq!(refused["error"], "invalid_grant", "{refused}");
    assert!(!has_session(&t, &app, &mut browser));
}
