//! The Sessions API as a login UI of one's own uses it: a session gathers the user and password
//! checks, each with its time, and finalizes the authorization request the browser brought;
//! the code it answers gets tokens for that user. Tried as an attacker would: wrong passwords,
//! unknown names, another session's token, a finalize without a fresh password check, callers
//! without `session.write`, and the login settings that forbid passwords.

use serde_json::{json, Value};
use testkit::{Client, Reply, Tenant};

use super::default_org;
use super::oidc_behaviours::{auth_url, claims, exchange, VERIFIER};
use super::oidc_support::{app, enc, human, param, UserAgent, REDIRECT};

const PASSWORD: &str = "a long password";

/// A machine user of the default org holding `roles` on the instance (or, with `org`, on the
/// default org), with a personal access token: its client.
pub(super) fn caller(t: &Tenant, username: &str, roles: &[&str], on_instance: bool) -> Client {
    let org = default_org(t);
    let r = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": username, "name": username}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.str("id");
    let members = match on_instance {
        true => "/v1/instance/members".to_string(),
        false => format!("/v1/orgs/{org}/members"),
    };
    let member = t
        .client
        .after(&r)
        .post(&members, json!({"user_id": id, "roles": roles}));
    assert_eq!(member.status, 201, "{}", member.body);
    let pat = t
        .client
        .after(&member)
        .post(&format!("/v1/users/{id}/pats"), json!({}));
    assert_eq!(pat.status, 201, "{}", pat.body);
    t.client.clone().token(&pat.str("token")).after(&pat)
}

/// The `authRequest` the authorization endpoint sends a browser to the login with.
pub(super) fn auth_request(t: &Tenant, app: &super::oidc_support::App, extra: &str) -> String {
    let mut browser = UserAgent::default();
    let a = browser.request("GET", &auth_url(t, app, extra), None);
    assert_eq!(a.status, 302, "{}", a.body);
    param(&a.location.unwrap(), "authRequest").expect("a login")
}

pub(super) fn finalize(c: &Client, auth_request: &str, session: &Value) -> Reply {
    c.post(
        &format!("/v1/auth_requests/{}/finalize", enc(auth_request)),
        json!({"session_id": session["session_id"], "session_token": session["session_token"]}),
    )
}

pub(super) fn checks(user: Value, password: Option<&str>) -> Value {
    match password {
        Some(p) => json!({"checks": {"user": user, "password": {"password": p}}}),
        None => json!({"checks": {"user": user}}),
    }
}

#[test]
fn a_login_client_checks_the_user_then_the_password_and_finalizes_the_login() {
    let t = testkit::server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let ada = human(&t, "ada", PASSWORD);
    let login_ui = caller(&t, "login-ui", &["IAM_LOGIN_CLIENT"], true);
    let request = auth_request(&t, &app, "");

    // The user first: a session that cannot finalize yet.
    let created = login_ui.post("/v1/sessions", checks(json!({"login_name": "Ada"}), None));
    assert_eq!(created.status, 201, "{}", created.body);
    let session = created.body.clone();
    let id = session["session_id"].as_str().unwrap().to_string();
    assert_eq!(session["factors"]["user"]["id"], ada.as_str());
    assert_eq!(session["factors"]["user"]["login_name"], "ada");
    assert!(session["factors"]["user"]["checked_at"].is_string());
    assert!(session["factors"].get("password").is_none());
    let early = finalize(&login_ui, &request, &session);
    assert_eq!(early.error(), (412, "SESSION-0003"), "{}", early.body);
    assert_eq!(early.body["details"]["check"], "password");

    // A wrong password adds nothing; the right one is recorded with its time.
    let path = format!("/v1/sessions/{id}");
    let wrong = login_ui.patch(
        &path,
        json!({"checks": {"password": {"password": "not it at all"}}}),
    );
    assert_eq!(wrong.error(), (400, "SESSION-0002"), "{}", wrong.body);
    assert!(login_ui.get(&path).body["factors"]
        .get("password")
        .is_none());
    let checked = login_ui.patch(
        &path,
        json!({"checks": {"password": {"password": PASSWORD}}}),
    );
    assert_eq!(checked.status, 200, "{}", checked.body);
    let got = login_ui.get(&path);
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(
        got.body["factors"]["password"]["checked_at"].is_string(),
        "{}",
        got.body
    );
    assert!(got.body["expires_at"].is_string());
    // A session's user cannot be swapped for another.
    human(&t, "eve", PASSWORD);
    let swap = login_ui.patch(&path, json!({"checks": {"user": {"login_name": "eve"}}}));
    assert_eq!(swap.error(), (400, "SESSION-0002"));

    // Another session's token, or a made-up one, finalizes nothing.
    let other = login_ui.post(
        "/v1/sessions",
        checks(json!({"user_id": ada}), Some(PASSWORD)),
    );
    assert_eq!(other.status, 201, "{}", other.body);
    for token in [
        other.body["session_token"].clone(),
        json!(format!("{id}.forged")),
    ] {
        let forged = json!({"session_id": id, "session_token": token});
        assert_eq!(
            finalize(&login_ui, &request, &forged).error(),
            (404, "SESSION-0001")
        );
    }

    // Finalized: back to the client with a code for Ada, its state and the issuer.
    let done = finalize(&login_ui, &request, &session);
    assert_eq!(done.status, 200, "{}", done.body);
    let url = done.str("callback_url");
    assert!(url.starts_with(&format!("{REDIRECT}?")), "{url}");
    assert_eq!(param(&url, "state").as_deref(), Some("s1"));
    assert_eq!(param(&url, "iss"), Some(super::oidc_support::issuer(&t)));
    let (status, tokens) = exchange(&t, &app, &param(&url, "code").unwrap(), VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], ada.as_str());
    assert_eq!(id_token["sid"], id.as_str());
    // A request completes once.
    let again = finalize(&login_ui, &request, &session);
    assert_ne!(again.status, 200, "{}", again.body);
}

#[test]
fn unknown_names_wrong_passwords_and_callers_without_the_permission_get_nothing() {
    let t = testkit::server().tenant();
    human(&t, "ada", PASSWORD);
    let login_ui = caller(&t, "login-ui", &["IAM_LOGIN_CLIENT"], true);
    let name = |n: &str| json!({"login_name": n});
    // An unknown name alone is not found; with a password it is a wrong password.
    let unknown = login_ui.post("/v1/sessions", checks(name("nobody"), None));
    assert_eq!(unknown.error(), (404, "USER-0001"));
    let guessed = login_ui.post("/v1/sessions", checks(name("nobody"), Some(PASSWORD)));
    assert_eq!(guessed.error(), (400, "SESSION-0002"));
    let wrong = login_ui.post("/v1/sessions", checks(name("ada"), Some("not it at all")));
    assert_eq!(wrong.error(), (400, "SESSION-0002"));
    // Longer than any password may be: refused without a check.
    let long = "p".repeat(201);
    let huge = login_ui.post("/v1/sessions", checks(name("ada"), Some(&long)));
    assert_eq!(huge.error(), (400, "SESSION-0002"));
    // Bad shapes.
    for body in [
        json!({"checks": {}}),
        json!({"checks": {"user": {}}}),
        json!({"checks": {"user": {"login_name": "ada", "user_id": "x"}}}),
        json!({"checks": {"user": {"login_name": "a".repeat(300)}}}),
        json!({"checks": {"user": {"login_name": "ada"}, "fingerprint": {"code": "1"}}}),
        json!({"checks": {"user": {"login_name": "ada"}}, "challenges": {"pigeon": {}}}),
    ] {
        let r = login_ui.post("/v1/sessions", body.clone());
        assert_eq!(r.error(), (400, "REQ-0001"), "{body}: {}", r.body);
    }
    // The login settings may say to answer unknown names as wrong passwords.
    let set = t.client.put(
        "/v1/instance/settings/login",
        json!({"ignore_unknown_usernames": true}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    let hidden = login_ui
        .after(&set)
        .post("/v1/sessions", checks(name("nobody"), None));
    assert_eq!(hidden.error(), (400, "SESSION-0002"));

    // An org owner may read its users' sessions, but not make them.
    let owner = caller(&t, "owner", &["ORG_OWNER"], false);
    let made = owner.post("/v1/sessions", checks(name("ada"), Some(PASSWORD)));
    assert_eq!(made.error(), (403, "AUTHZ-0001"), "{}", made.body);
    let session = login_ui.post("/v1/sessions", checks(name("ada"), Some(PASSWORD)));
    assert_eq!(session.status, 201, "{}", session.body);
    let path = format!("/v1/sessions/{}", session.str("session_id"));
    assert_eq!(owner.get(&path).status, 200);
    let patched = owner.patch(
        &path,
        json!({"checks": {"password": {"password": PASSWORD}}}),
    );
    assert_eq!(patched.error(), (403, "AUTHZ-0001"));
    // A user of the instance without any role reads nothing.
    let plain = caller(&t, "plain", &["ORG_USER_SELF_MANAGER"], false);
    assert_eq!(plain.get(&path).error(), (403, "AUTHZ-0001"));
    assert_eq!(
        plain.get("/v1/sessions/no-such-session").error(),
        (404, "SESSION-0001")
    );
}

#[test]
fn the_login_settings_decide_whether_passwords_count_and_how_long_a_check_stays_fresh() {
    let t = testkit::server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "ada", PASSWORD);
    let login_ui = caller(&t, "login-ui", &["IAM_LOGIN_CLIENT"], true);
    let org = default_org(&t);
    let settings = format!("/v1/orgs/{org}/settings/login");

    // Nobody could log in: refused.
    let nobody = t.client.put(
        &settings,
        json!({"allow_username_password": false, "passkeys": "disabled"}),
    );
    assert_eq!(nobody.error(), (400, "SETTINGS-0001"));
    assert_eq!(nobody.body["details"]["field"], "allow_username_password");
    // A second factor required where none may be set up: refused too.
    let forced = t
        .client
        .put(&settings, json!({"force_mfa": true, "second_factors": []}));
    assert_eq!(forced.error(), (400, "SETTINGS-0001"));

    // The org allows no passwords: the password check is refused, at the API and the login.
    let set = t
        .client
        .put(&settings, json!({"allow_username_password": false}));
    assert_eq!(set.status, 200, "{}", set.body);
    let read = t.client.after(&set).get(&settings);
    assert_eq!(read.body["allow_username_password"], false);
    assert_eq!(read.body["passkeys"], "allowed");
    assert_eq!(read.body["second_factors"], json!(["totp", "u2f"]));
    assert_eq!(read.body["source"], "org");
    let login_ui = login_ui.after(&set);
    let refused = login_ui.post(
        "/v1/sessions",
        checks(json!({"login_name": "ada"}), Some(PASSWORD)),
    );
    assert_eq!(refused.error(), (412, "SESSION-0005"), "{}", refused.body);
    let mut browser = UserAgent::default();
    let page = browser.submit_login(&t, &auth_url(&t, &app, ""), "ada", PASSWORD);
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("not allowed"), "{}", page.body);

    // A check stays fresh for the lifetime the settings give it, then must be made again.
    let set = t
        .client
        .put(&settings, json!({"password_check_lifetime_s": 1}));
    assert_eq!(set.status, 200, "{}", set.body);
    let login_ui = login_ui.after(&set);
    let session = login_ui.post(
        "/v1/sessions",
        checks(json!({"login_name": "ada"}), Some(PASSWORD)),
    );
    assert_eq!(session.status, 201, "{}", session.body);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let request = auth_request(&t, &app, "");
    let stale = finalize(&login_ui, &request, &session.body);
    assert_eq!(stale.error(), (412, "SESSION-0003"), "{}", stale.body);
    let path = format!("/v1/sessions/{}", session.str("session_id"));
    let again = login_ui.patch(
        &path,
        json!({"checks": {"password": {"password": PASSWORD}}}),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(finalize(&login_ui, &request, &session.body).status, 200);

    // Back to the instance's settings (the defaults): the org's override is gone.
    let reset = t.client.delete(&settings);
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert_eq!(
        t.client.after(&reset).get(&settings).body["source"],
        "default"
    );
}

#[test]
fn the_same_login_over_grpc() {
    use gateway::grpc::pb;
    use pb::login_session_service_client::LoginSessionServiceClient;

    use super::grpc::{block, call, channel};

    let t = testkit::server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let ada = human(&t, "ada", PASSWORD);
    let request = auth_request(&t, &app, "");
    let check = |user: pb::user_check::User, password: Option<&str>| pb::Checks {
        user: Some(pb::UserCheck { user: Some(user) }),
        password: password.map(|p| pb::PasswordCheck {
            password: p.to_string(),
        }),
        ..Default::default()
    };
    block(async {
        let mut sessions = LoginSessionServiceClient::new(channel(&t.domain).await);
        let wrong = sessions
            .create_session(call(
                pb::CreateSessionRequest {
                    checks: Some(check(
                        pb::user_check::User::LoginName("ada".into()),
                        Some("not it at all"),
                    )),
                    challenges: None,
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect_err("a wrong password");
        assert_eq!(wrong.code(), tonic::Code::InvalidArgument);
        let created = sessions
            .create_session(call(
                pb::CreateSessionRequest {
                    checks: Some(check(pb::user_check::User::UserId(ada.clone()), None)),
                    challenges: None,
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect("CreateSession")
            .into_inner();
        let factors = created.factors.clone().unwrap();
        assert_eq!(factors.user.unwrap().login_name, "ada");
        assert!(factors.password.is_none());
        let set = sessions
            .set_session(call(
                pb::SetSessionRequest {
                    session_id: created.session_id.clone(),
                    checks: Some(pb::Checks {
                        user: None,
                        password: Some(pb::PasswordCheck {
                            password: PASSWORD.into(),
                        }),
                        ..Default::default()
                    }),
                    challenges: None,
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect("SetSession")
            .into_inner();
        assert!(set.factors.unwrap().password.unwrap().checked_at.is_some());
        let got = sessions
            .get_session(call(
                pb::GetSessionRequest {
                    session_id: created.session_id.clone(),
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect("GetSession")
            .into_inner();
        assert_eq!(got.id, created.session_id);
        let done = sessions
            .finalize_auth_request(call(
                pb::FinalizeAuthRequestRequest {
                    auth_request_id: request.clone(),
                    session_id: created.session_id.clone(),
                    session_token: created.session_token.clone(),
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect("FinalizeAuthRequest")
            .into_inner();
        // The issuer is the one the browser reached, not the gRPC port's.
        assert_eq!(
            param(&done.callback_url, "iss"),
            Some(super::oidc_support::issuer(&t))
        );
        let code = param(&done.callback_url, "code").unwrap();
        let (status, tokens) = exchange(&t, &app, &code, VERIFIER);
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(
            claims(tokens["id_token"].as_str().unwrap())["sub"],
            ada.as_str()
        );
    });
}
