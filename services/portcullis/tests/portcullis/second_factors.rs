//! Second factors as their users meet them: an authenticator app set up over the API with the
//! codes PyPI's `pyotp` computes, asked for after the password and carried into the ID token's
//! `amr` and `acr`; login codes from the SMTP sink and the SMS receiver; recovery codes; an
//! app set up at the login where the settings require one; and the attacks: a replayed code,
//! another user's code, finalizing before the second step, brute force against the lockout, a
//! manager weaker than the user.

use std::process::Command;

use serde_json::{json, Value};
use testkit::{server, Client, Tenant};

use super::http_sink::HttpSink;
use super::login_reset::{field, href};
use super::mail_sink::{code_in, MailSink};
use super::notifications::use_sink;
use super::oidc_behaviours::{auth_url, claims, exchange, VERIFIER};
use super::oidc_clients::venv_python;
use super::oidc_support::{app, human, issuer, param, App, UserAgent};

const PASSWORD: &str = "a long password";

/// The code of an authenticator app holding `secret`, `steps` of 30 s from now, as pyotp
/// computes it.
pub(super) fn totp(secret: &str, steps: i64) -> String {
    let out = Command::new(venv_python())
        .args([
            "-c",
            "import sys, time, pyotp; print(pyotp.TOTP(sys.argv[1]).at(time.time() + 30 * int(sys.argv[2])))",
            secret,
            &steps.to_string(),
        ])
        .output()
        .expect("python runs (is pyotp in PORTCULLIS_VENV?)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Sets up an authenticator app for `user` through `by`; answers its secret.
pub(super) fn with_totp(by: &Client, user: &str) -> String {
    let added = by.post(&format!("/v1/users/{user}/totp"), json!({}));
    assert_eq!(added.status, 200, "{}", added.body);
    let secret = added.str("secret");
    let verified = by.after(&added).post(
        &format!("/v1/users/{user}/totp/verify"),
        json!({"code": totp(&secret, 0)}),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    secret
}

fn set_login(t: &Tenant, settings: Value) {
    let r = t.client.put("/v1/instance/settings/login", settings);
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The second step's page after a right password: where the login sent the browser.
fn second_step(b: &mut UserAgent, t: &Tenant, app: &App, username: &str, extra: &str) -> String {
    let posted = b.submit_login(t, &auth_url(t, app, extra), username, PASSWORD);
    assert_eq!(posted.status, 302, "{}", posted.body);
    let step = posted.location.unwrap();
    assert!(step.starts_with("/ui/login/mfa?"), "{step}");
    format!("{}{step}", issuer(t))
}

/// Submits `code` on the second step's page at `url`.
pub(super) fn submit_code(
    b: &mut UserAgent,
    t: &Tenant,
    url: &str,
    code: &str,
) -> super::oidc_support::Answer {
    let page = b.request("GET", url, None);
    assert_eq!(page.status, 200, "{}", page.body);
    b.request(
        "POST",
        &format!("{}/ui/login/mfa", issuer(t)),
        Some(&[
            ("authRequest", &field(&page.body, "authRequest")),
            ("csrf", &field(&page.body, "csrf")),
            ("factor", &field(&page.body, "factor")),
            ("code", code),
        ]),
    )
}

/// The ID token of a login that came back to the client at `back`.
fn id_token(t: &Tenant, app: &App, back: &str) -> Value {
    let code = param(back, "code").expect("a code");
    let (status, tokens) = exchange(t, app, &code, VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    claims(tokens["id_token"].as_str().unwrap())
}

#[test]
fn an_authenticator_app_set_up_over_the_api_is_asked_for_after_the_password() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let ada = human(&t, "ada", PASSWORD);
    let added = t.client.post(&format!("/v1/users/{ada}/totp"), json!({}));
    assert_eq!(added.status, 200, "{}", added.body);
    let secret = added.str("secret");
    let uri = added.str("uri");
    assert!(
        uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")),
        "{uri}"
    );
    // Not a factor until its first code: a login needs no second step yet.
    let factors = t
        .client
        .after(&added)
        .get(&format!("/v1/users/{ada}/factors"));
    assert_eq!(
        factors.body["items"],
        json!([{"type": "totp", "verified": false}])
    );
    let wrong = t.client.after(&added).post(
        &format!("/v1/users/{ada}/totp/verify"),
        json!({"code": "000000"}),
    );
    assert_eq!(wrong.error(), (400, "USER-0017"));
    // The code is kept as sent: computed again later, it could be the next step's.
    let first = totp(&secret, 0);
    let verified = t.client.after(&added).post(
        &format!("/v1/users/{ada}/totp/verify"),
        json!({"code": first}),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    let factors = t
        .client
        .after(&verified)
        .get(&format!("/v1/users/{ada}/factors"));
    assert_eq!(
        factors.body["items"],
        json!([{"type": "totp", "verified": true}])
    );

    // The login asks for the app's code after the password; the code that verified the app
    // is used up, the next step's is good once.
    let mut b = UserAgent::default();
    let step = second_step(&mut b, &t, &app, "ada", "");
    let page = b.request("GET", &step, None);
    assert!(page.body.contains("name=\"code\"") && page.body.contains("authenticator app"));
    let replayed = submit_code(&mut b, &t, &step, &first);
    assert_eq!(replayed.status, 401, "a used code is refused");
    let next = totp(&secret, 1);
    let done = submit_code(&mut b, &t, &step, &next);
    assert_eq!(done.status, 302, "{}", done.body);
    let c = id_token(&t, &app, &done.location.unwrap());
    assert_eq!(c["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(c["acr"], "urn:portcullis:loa:2fa");
    // The browser's session holds both checks: the next login answers at once.
    let again = b.request("GET", &auth_url(&t, &app, ""), None);
    assert!(
        param(again.location.as_deref().unwrap(), "code").is_some(),
        "{:?}",
        again.location
    );
    // The same code in another browser, after the same password: refused.
    let mut other = UserAgent::default();
    let step = second_step(&mut other, &t, &app, "ada", "");
    assert_eq!(submit_code(&mut other, &t, &step, &next).status, 401);
    // Discovery names the methods and levels.
    let discovery = t.client.get("/.well-known/openid-configuration");
    assert!(discovery.body["acr_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("urn:portcullis:loa:2fa")));
}

#[test]
fn the_sessions_api_refuses_a_finalize_before_the_second_factor_and_another_users_code() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let ada = human(&t, "ada", PASSWORD);
    let secret = with_totp(&t.client, &ada);
    let bob = human(&t, "bob", PASSWORD);
    let bobs = with_totp(&t.client, &bob);
    let created = t.client.post(
        "/v1/sessions",
        json!({"checks": {"user": {"login_name": "ada"}, "password": {"password": PASSWORD}}}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let (id, token) = (created.str("session_id"), created.str("session_token"));
    let b = &mut UserAgent::default();
    let started = b.request("GET", &auth_url(&t, &app, ""), None);
    let auth_request = param(started.location.as_deref().unwrap(), "authRequest").unwrap();
    let finalize = |c: &Client| {
        c.post(
            &format!("/v1/auth_requests/{auth_request}/finalize"),
            json!({"session_id": id, "session_token": token}),
        )
    };
    // Skipping the second step: refused, naming the check and the factors the user has.
    let early = finalize(&t.client);
    assert_eq!(early.error(), (412, "SESSION-0003"), "{}", early.body);
    assert_eq!(early.body["details"]["check"], "second_factor");
    assert_eq!(early.body["details"]["factors"], "totp");
    // Bob's code is no code of Ada's; two factors at once are refused.
    let patch = |checks: Value| {
        t.client
            .patch(&format!("/v1/sessions/{id}"), json!({"checks": checks}))
    };
    assert_eq!(
        patch(json!({"totp": {"code": totp(&bobs, 1)}})).error(),
        (400, "USER-0017")
    );
    assert_eq!(
        patch(json!({"totp": {"code": "1"}, "recovery_code": {"code": "2"}})).error(),
        (400, "REQ-0001")
    );
    let right = patch(json!({"totp": {"code": totp(&secret, 1)}}));
    assert_eq!(right.status, 200, "{}", right.body);
    assert!(right.body["factors"]["totp"]["checked_at"].is_string());
    let done = finalize(&t.client.after(&right));
    assert_eq!(done.status, 200, "{}", done.body);
    let c = id_token(&t, &app, &done.str("callback_url"));
    assert_eq!(c["amr"], json!(["pwd", "otp", "mfa"]));
}

#[test]
fn login_codes_come_by_email_and_by_sms() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let mail = MailSink::start(0);
    use_sink(&t, &mail);
    let sms = HttpSink::start(0);
    let r = t.client.put(
        "/v1/instance/sms",
        json!({"http": {"endpoint": sms.endpoint()}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Login codes are a factor only where the login settings allow them.
    let ada = human(&t, "ada", PASSWORD);
    let refused = t
        .client
        .post(&format!("/v1/users/{ada}/otp_email"), json!({}));
    assert_eq!(refused.error(), (412, "MFA-0003"));
    set_login(
        &t,
        json!({"second_factors": ["totp", "otp_email", "otp_sms"]}),
    );
    let on = t
        .client
        .post(&format!("/v1/users/{ada}/otp_email"), json!({}));
    assert_eq!(on.status, 200, "{}", on.body);
    // A phone must be verified first.
    let phone = t.client.after(&on).put(
        &format!("/v1/users/{ada}/phone"),
        json!({"phone": "+41791234567"}),
    );
    assert_eq!(phone.status, 200, "{}", phone.body);
    let unverified = t
        .client
        .after(&phone)
        .post(&format!("/v1/users/{ada}/otp_sms"), json!({}));
    assert_eq!(unverified.error(), (412, "MFA-0004"));
    let verified = t.client.after(&phone).put(
        &format!("/v1/users/{ada}/phone"),
        json!({"phone": "+41791234567", "verified": true}),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    let sms_on = t
        .client
        .after(&verified)
        .post(&format!("/v1/users/{ada}/otp_sms"), json!({}));
    assert_eq!(sms_on.status, 200, "{}", sms_on.body);

    // By email: the page sends the code once, and takes it.
    let mut b = UserAgent::default();
    let step = second_step(&mut b, &t, &app, "ada", "");
    let page = b.request("GET", &step, None);
    assert!(page.body.contains("email"), "{}", page.body);
    let _ = b.request("GET", &step, None);
    let message = mail.wait_for("ada@example.com", 1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        mail.messages_to("ada@example.com").len(),
        1,
        "a page opened again sends nothing"
    );
    let code = code_in(&message);
    let done = submit_code(&mut b, &t, &step, &code);
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(
        id_token(&t, &app, &done.location.unwrap())["acr"],
        "urn:portcullis:loa:2fa"
    );

    // By SMS, chosen among the other ways; the email's code is no SMS code.
    let mut b = UserAgent::default();
    let step = second_step(&mut b, &t, &app, "ada", "");
    let page = b.request("GET", &step, None);
    let by_sms = format!("{}{}", issuer(&t), href(&page.body, "Code by text message"));
    let _ = b.request("GET", &by_sms, None);
    let text = sms.wait_for("+41791234567", 1).json();
    let sms_code = text["text"]
        .as_str()
        .unwrap()
        .rsplit("code: ")
        .next()
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(submit_code(&mut b, &t, &by_sms, &code).status, 401);
    let done = submit_code(&mut b, &t, &by_sms, &sms_code);
    assert_eq!(done.status, 302, "{}", done.body);
    // Each step is in the user's audit trail.
    let events = t
        .client
        .get(&format!("/v1/events?aggregate_id={ada}&limit=1000"));
    let types: Vec<&str> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for t in [
        "user.human.mfa.otp.added",
        "user.human.mfa.otp.checked",
        "user.human.mfa.check.failed",
    ] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
}

#[test]
fn wrong_codes_lock_the_account_out_as_the_lockout_says() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let ada = human(&t, "ada", PASSWORD);
    let secret = with_totp(&t.client, &ada);
    let r = t.client.put(
        "/v1/instance/settings/lockout",
        json!({"max_password_attempts": 5, "max_otp_attempts": 3, "lock_seconds": 300}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mut b = UserAgent::default();
    let step = second_step(&mut b, &t, &app, "ada", "");
    for guess in ["111111", "222222", "333333"] {
        assert_eq!(submit_code(&mut b, &t, &step, guess).status, 401);
    }
    // Locked out: the right code, and the right password, get the wrong ones' answers.
    assert_eq!(
        submit_code(&mut b, &t, &step, &totp(&secret, 1)).status,
        401
    );
    let mut other = UserAgent::default();
    let posted = other.submit_login(&t, &auth_url(&t, &app, ""), "ada", PASSWORD);
    assert_eq!(posted.status, 401, "{}", posted.body);
}

#[test]
fn recovery_codes_are_shown_once_and_each_logs_in_once() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let ada = human(&t, "ada", PASSWORD);
    let none = t
        .client
        .post(&format!("/v1/users/{ada}/recovery_codes"), json!({}));
    assert_eq!(
        none.error(),
        (404, "MFA-0001"),
        "recovery codes need a factor"
    );
    with_totp(&t.client, &ada);
    let r = t
        .client
        .post(&format!("/v1/users/{ada}/recovery_codes"), json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let codes: Vec<String> = r.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    let factors = t.client.after(&r).get(&format!("/v1/users/{ada}/factors"));
    assert_eq!(
        factors.body["items"][1],
        json!({"type": "recovery_codes", "verified": true, "remaining": 10})
    );
    assert!(
        !factors.body.to_string().contains(&codes[0]),
        "codes are never shown again"
    );
    for (i, expected) in [(0, 302), (0, 401), (1, 302)] {
        let mut b = UserAgent::default();
        let step = second_step(&mut b, &t, &app, "ada", "");
        let page = b.request("GET", &step, None);
        let recovery = format!("{}{}", issuer(&t), href(&page.body, "Recovery code"));
        // Typed in lower case with spaces, as people type.
        let typed = codes[i].to_lowercase().replace('-', " ");
        assert_eq!(submit_code(&mut b, &t, &recovery, &typed).status, expected);
    }
}

#[test]
fn a_login_that_requires_a_second_factor_sets_up_an_app_for_a_user_without_one() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let ada = human(&t, "ada", PASSWORD);
    set_login(&t, json!({"force_mfa": true}));
    let mut b = UserAgent::default();
    let step = second_step(&mut b, &t, &app, "ada", "");
    let page = b.request("GET", &step, None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<svg") && page.body.contains("otpauth://totp/"));
    // The key as shown (groups of four), and the same key when the page opens again.
    let key = shown_key(&page.body);
    let again = b.request("GET", &step, None);
    assert_eq!(shown_key(&again.body), key, "the key stays while it waits");
    let post = |b: &mut UserAgent, code: &str| {
        let page = b.request("GET", &step, None);
        b.request(
            "POST",
            &format!("{}/ui/login/mfa/setup", issuer(&t)),
            Some(&[
                ("authRequest", &field(&page.body, "authRequest")),
                ("csrf", &field(&page.body, "csrf")),
                ("code", code),
            ]),
        )
    };
    assert_eq!(post(&mut b, "000000").status, 400);
    let done = post(&mut b, &totp(&key, 0));
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(
        id_token(&t, &app, &done.location.unwrap())["amr"],
        json!(["pwd", "otp", "mfa"])
    );
    let factors = t.client.get(&format!("/v1/users/{ada}/factors"));
    assert_eq!(
        factors.body["items"],
        json!([{"type": "totp", "verified": true}])
    );
    // With an app set up, a password alone never sets up another one.
    let mut attacker = UserAgent::default();
    let step = second_step(&mut attacker, &t, &app, "ada", "");
    let page = attacker.request("GET", &step, None);
    assert!(!page.body.contains("otpauth://"), "{}", page.body);
}

/// The key shown on the set-up page, without its spaces.
fn shown_key(page: &str) -> String {
    let start = page.find("<code>").expect("a key") + 6;
    let end = start + page[start..].find("</code>").unwrap();
    page[start..end].replace(' ', "")
}

#[test]
fn a_stale_second_factor_or_acr_values_ask_for_it_again_without_the_password() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "ada", PASSWORD);
    // A user without a factor logs in with a password: one factor, unless the client asks
    // for two.
    let mut b = UserAgent::default();
    let back = b.log_in(&t, &auth_url(&t, &app, ""), "ada", PASSWORD);
    let c = id_token(&t, &app, &back);
    assert_eq!(
        (c["amr"].clone(), c["acr"].clone()),
        (json!(["pwd"]), json!("urn:portcullis:loa:1fa"))
    );
    let step_up = b.request(
        "GET",
        &auth_url(&t, &app, "&acr_values=urn%3Aportcullis%3Aloa%3A2fa"),
        None,
    );
    assert!(
        step_up
            .location
            .as_deref()
            .unwrap()
            .starts_with("/ui/login/mfa?"),
        "{:?}",
        step_up.location
    );
    // A user with an app whose check is older than second_factor_check_lifetime_s.
    let bob = human(&t, "bob", PASSWORD);
    let secret = with_totp(&t.client, &bob);
    set_login(&t, json!({"second_factor_check_lifetime_s": 1}));
    let mut b = UserAgent::default();
    let step = second_step(&mut b, &t, &app, "bob", "");
    assert_eq!(
        submit_code(&mut b, &t, &step, &totp(&secret, 1)).status,
        302
    );
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let stale = b.request("GET", &auth_url(&t, &app, ""), None);
    assert!(
        stale
            .location
            .as_deref()
            .unwrap()
            .starts_with("/ui/login/mfa?"),
        "the password is still fresh: only the factor is asked for, {:?}",
        stale.location
    );
}

#[test]
fn a_manager_removes_a_factor_only_holding_what_the_user_holds() {
    let t = server().tenant();
    let org = super::default_org(&t);
    let ada = human(&t, "ada", PASSWORD);
    with_totp(&t.client, &ada);
    let owner = human(&t, "owner", PASSWORD);
    with_totp(&t.client, &owner);
    let member = t.client.post(
        &format!("/v1/orgs/{org}/members"),
        json!({"user_id": owner, "roles": ["ORG_OWNER"]}),
    );
    assert_eq!(member.status, 201, "{}", member.body);
    let by = t.client.after(&member);
    let (_, manager) = super::escalation::manager(&by, &org, "users", json!(["ORG_USER_MANAGER"]));
    let on_owner = manager.delete(&format!("/v1/users/{owner}/totp"));
    assert_eq!(on_owner.error(), (403, "AUTHZ-0002"), "{}", on_owner.body);
    let on_ada = manager.delete(&format!("/v1/users/{ada}/totp"));
    assert_eq!(on_ada.status, 200, "{}", on_ada.body);
    let factors = t
        .client
        .after(&on_ada)
        .get(&format!("/v1/users/{ada}/factors"));
    assert_eq!(factors.body["items"], json!([]));
    // The user themself manages their own factors without any role.
    let (me_id, me) = super::self_management::human(&t, "grace");
    let added = me.post(&format!("/v1/users/{me_id}/totp"), json!({}));
    assert_eq!(added.status, 200, "{}", added.body);
    let removed = me.after(&added).delete(&format!("/v1/users/{me_id}/totp"));
    assert_eq!(removed.status, 200, "{}", removed.body);
}
