//! The login and token endpoints as an anonymous attacker uses them: the lockout settings lock
//! an account for `lock_seconds` only (whoever knows a login name cannot lock it for good), a
//! locked-out account answers like a wrong password, failed checks past the limits of an
//! account or an address are answered 429 with `Retry-After`, and authorization requests
//! write nothing until a login completes them.

use gateway::grpc::pb;
use pb::settings_service_client::SettingsServiceClient;
use serde_json::json;
use testkit::{server, Tenant, TEST_PROXY};

use super::edge::request_from;
use super::grpc::{block, call, channel};
use super::oidc_behaviours::{auth_url, login_message};
use super::oidc_support::{app, human, machine, App, UserAgent};

fn set_lockout(t: &Tenant, attempts: u32, lock_seconds: u64) {
    let r = t.client.put(
        "/v1/instance/settings/lockout",
        json!({"max_password_attempts": attempts, "max_otp_attempts": 5,
               "lock_seconds": lock_seconds}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

fn login(b: &mut UserAgent, t: &Tenant, app: &App, username: &str, password: &str) -> u16 {
    b.submit_login(t, &auth_url(t, app, ""), username, password)
        .status
}

#[test]
fn wrong_passwords_lock_an_account_for_lock_seconds_only() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let id = human(&t, "alan", "the right password");
    set_lockout(&t, 3, 2);
    let mut b = UserAgent::default();
    let url = auth_url(&t, &app, "");
    let wrong = b.submit_login(&t, &url, "alan", "not the password");
    assert_eq!(wrong.status, 401);
    for _ in 0..2 {
        assert_eq!(login(&mut b, &t, &app, "alan", "not the password"), 401);
    }
    // Locked out: the right password gets the answer of a wrong one.
    let locked = b.submit_login(&t, &url, "alan", "the right password");
    assert_eq!(locked.status, 401);
    assert_eq!(login_message(&locked.body), login_message(&wrong.body));
    assert_eq!(
        t.client.get(&format!("/v1/users/{id}")).str("state"),
        "active",
        "a lock-out is not a manager's lock"
    );
    // The owner trying again and again while locked out does not make the wait longer.
    for _ in 0..20 {
        assert_eq!(login(&mut b, &t, &app, "alan", "the right password"), 401);
    }
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    assert_eq!(login(&mut b, &t, &app, "alan", "the right password"), 302);
}

#[test]
fn a_lock_of_zero_seconds_holds_until_a_manager_unlocks() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let id = human(&t, "grace", "the right password");
    set_lockout(&t, 2, 0);
    let mut b = UserAgent::default();
    for _ in 0..2 {
        assert_eq!(login(&mut b, &t, &app, "grace", "not the password"), 401);
    }
    assert_eq!(login(&mut b, &t, &app, "grace", "the right password"), 401);
    let state = || t.client.get(&format!("/v1/users/{id}")).str("state");
    for _ in 0..100 {
        if state() == "locked" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(state(), "locked");
    let unlocked = t.client.post(&format!("/v1/users/{id}/unlock"), json!({}));
    assert_eq!(unlocked.status, 200, "{}", unlocked.body);
    assert_eq!(login(&mut b, &t, &app, "grace", "the right password"), 302);
}

#[test]
fn the_lockout_settings_are_checked_and_fall_back_from_org_to_instance() {
    let t = server().tenant();
    let read = t.client.get("/v1/instance/settings/lockout");
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(
        (
            read.body["max_password_attempts"].as_u64(),
            read.body["lock_seconds"].as_u64(),
            read.str("source")
        ),
        (Some(10), Some(300), "default".to_string())
    );
    let bad = t.client.put(
        "/v1/instance/settings/lockout",
        json!({"max_password_attempts": 1001, "max_otp_attempts": 5, "lock_seconds": 60}),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.str("code"), "SETTINGS-0001");
    let unknown_field = t.client.put(
        "/v1/instance/settings/lockout",
        json!({"max_password_attempts": 3, "max_otp_attempts": 5, "lock_seconds": 60, "x": 1}),
    );
    assert_eq!(unknown_field.status, 400, "{}", unknown_field.body);
    set_lockout(&t, 4, 60);
    let org = super::default_org(&t);
    let inherited = t.client.get(&format!("/v1/orgs/{org}/settings/lockout"));
    assert_eq!(inherited.str("source"), "instance");
    assert_eq!(inherited.body["max_password_attempts"].as_u64(), Some(4));
    // The same over gRPC: an org's own value, then one out of bounds.
    block(async {
        let mut settings = SettingsServiceClient::new(channel(&t.domain).await);
        let lockout = |attempts| {
            Some(pb::set_org_settings_request::Value::Lockout(
                pb::LockoutSettings {
                    max_password_attempts: attempts,
                    max_otp_attempts: 5,
                    lock_seconds: 30,
                },
            ))
        };
        let set = pb::SetOrgSettingsRequest {
            org_id: org.clone(),
            value: lockout(7),
        };
        let written = settings
            .set_org_settings(call(set, &t.admin_pat, None))
            .await
            .expect("SetOrgSettings")
            .into_inner();
        let get = pb::GetOrgSettingsRequest {
            org_id: org.clone(),
            kind: "lockout".into(),
        };
        let got = settings
            .get_org_settings(call(get, &t.admin_pat, Some(&written.position)))
            .await
            .expect("GetOrgSettings")
            .into_inner();
        assert_eq!(got.source, "org");
        let Some(pb::settings::Value::Lockout(l)) = got.value else {
            panic!("no lockout settings: {got:?}")
        };
        assert_eq!((l.max_password_attempts, l.lock_seconds), (7, 30));
        let too_many = pb::SetOrgSettingsRequest {
            org_id: org.clone(),
            value: lockout(5000),
        };
        let refused = settings
            .set_org_settings(call(too_many, &t.admin_pat, None))
            .await
            .expect_err("out of bounds");
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    });
}

#[test]
fn failed_logins_past_an_accounts_limit_are_answered_429_with_retry_after() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "ada", "the right password");
    human(&t, "bob", "the right password");
    // No lockout here: the account's rate limit (20 a minute in the tests) is what stops.
    set_lockout(&t, 0, 0);
    let mut b = UserAgent::default();
    for _ in 0..20 {
        assert_eq!(login(&mut b, &t, &app, "ada", "not the password"), 401);
    }
    let limited = b.submit_login(&t, &auth_url(&t, &app, ""), "ada", "the right password");
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(
        login_message(&limited.body).contains("Too many failed attempts"),
        "{}",
        limited.body
    );
    // Another account from the same address is not slowed.
    assert_eq!(login(&mut b, &t, &app, "bob", "the right password"), 302);
}

/// A token request authenticating as `client_id`, sent through the trusted proxy for `ip`.
fn token_from(t: &Tenant, ip: &str, client_id: &str, secret: &str) -> (u16, String) {
    let body = format!(
        "grant_type=client_credentials&client_id={client_id}&client_secret={secret}&scope=openid"
    );
    let (status, head, _) = request_from(
        TEST_PROXY,
        "POST",
        "/oauth/v2/token",
        &[
            ("Host", &t.domain),
            ("X-Forwarded-For", ip),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &body,
    );
    (status, head)
}

#[test]
fn an_address_past_its_limit_is_answered_429_and_others_are_not() {
    let t = server().tenant();
    let (_, secret) = machine(&t, "bot", &["ORG_OWNER_VIEWER"]);
    let attacker = format!("198.51.100.{}", 1 + rand_octet());
    // Made-up clients, each failing once: no account reaches its limit, the address does
    // (600 a minute in the tests; a few are forgotten while the loop runs).
    let mut failures = 0;
    loop {
        let (status, head) = token_from(&t, &attacker, &format!("nobody-{failures}"), "x");
        if status == 429 {
            break;
        }
        assert_eq!(status, 401, "{head}");
        failures += 1;
        assert!(failures <= 700, "no limit after {failures} failures");
    }
    assert!(failures >= 600, "limited after {failures} failures");
    // Past the limit the right credentials are refused too. The allowance comes back one
    // failure at a time (every 100 ms here), so on a busy machine it may be back before the
    // next request lands: then that request may pass, and a failure spends the allowance again.
    let mut refused = None;
    for _ in 0..50 {
        let (status, head) = token_from(&t, &attacker, "bot", &secret);
        match status {
            429 => {
                refused = Some(head);
                break;
            }
            200 => {
                while token_from(&t, &attacker, &format!("nobody-{failures}"), "x").0 != 429 {
                    failures += 1;
                    assert!(failures <= 2_000, "no limit after {failures} failures");
                }
            }
            _ => panic!("{head}"),
        }
    }
    let head = refused.expect("the right credentials were never refused past the limit");
    let retry_after = head
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .unwrap_or_else(|| panic!("no Retry-After in {head}"));
    assert!(retry_after.parse::<u64>().unwrap() >= 1);
    // The same client from another address gets its token.
    let (status, head) = token_from(&t, "203.0.113.77", "bot", &secret);
    assert_eq!(status, 200, "{head}");
}

fn rand_octet() -> u8 {
    (uuid::Uuid::now_v7().as_u128() % 250) as u8
}

#[test]
fn guessing_ones_current_password_with_a_token_is_rate_limited() {
    let t = server().tenant();
    let (id, me) = super::self_management::human(&t, "mallory");
    let pw = format!("/v1/users/{id}/password");
    for i in 0..20 {
        let guess = json!({"current_password": format!("guess {i:04}"), "new_password": "a new long password"});
        assert_eq!(me.put(&pw, guess).error(), (400, "USER-0011"), "guess {i}");
    }
    let right =
        json!({"current_password": "first password", "new_password": "a new long password"});
    assert_eq!(me.put(&pw, right.clone()).error(), (429, "REQ-0007"));
    // A manager's change names no current password, and is not slowed.
    let by_admin = t
        .client
        .put(&pw, json!({"new_password": "set by the admin"}));
    assert_eq!(by_admin.status, 200, "{}", by_admin.body);
}

/// The instance's recorded authorization requests.
fn recorded_auth_requests(t: &Tenant) -> usize {
    let r = t
        .client
        .get("/v1/events?aggregate_type=auth_request&limit=1000");
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().unwrap().len()
}

#[test]
fn authorization_requests_are_written_only_when_a_login_completes_them() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "ada", "the right password");
    let mut b = UserAgent::default();
    let url = auth_url(&t, &app, "");
    for _ in 0..50 {
        let a = b.request("GET", &url, None);
        assert_eq!(a.status, 302, "{}", a.body);
    }
    // A made-up, an altered and an oversized handle all get the expired page.
    let login = b.request("GET", &url, None).location.unwrap();
    let handle = super::oidc_support::param(&format!("http://x{login}"), "authRequest").unwrap();
    let mut altered = handle.clone();
    altered.replace_range(10..11, if &handle[10..11] == "A" { "B" } else { "A" });
    for bad in [
        "ar1.made-up".to_string(),
        altered,
        uuid::Uuid::now_v7().to_string(),
    ] {
        let page = b.request(
            "GET",
            &format!(
                "{}/ui/login?authRequest={bad}",
                super::oidc_support::issuer(&t)
            ),
            None,
        );
        assert!(page.body.contains("expired"), "{}", page.body);
    }
    let oversized = url.replace("state=s1", &format!("state={}", "s".repeat(3000)));
    let refused = b.request("GET", &oversized, None);
    assert!(
        refused
            .location
            .unwrap_or_default()
            .contains("error=invalid_request"),
        "an oversized state is refused"
    );
    // Nothing anonymous was written; a completed login writes its request once.
    assert_eq!(recorded_auth_requests(&t), 0);
    let back = b.log_in(&t, &url, "ada", "the right password");
    assert!(back.contains("code="), "{back}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while recorded_auth_requests(&t) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(recorded_auth_requests(&t), 2, "added and its code issued");
}
