//! Device authorization (RFC 8628) as a device and its user go through it: the device asks
//! for a code and polls (`authorization_pending`, `slow_down`), the user enters the code on
//! the hosted login, logs in and allows it, and the device's next poll gets the user's tokens,
//! once; a denial gives `access_denied`. And what an attacker would try: made-up codes,
//! another client's device code, a forged consent. node openid-client with Chromium is in
//! `oidc_clients`.

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::edge::request_from;
use super::oidc_behaviours::{claims, post_form};
use super::oidc_support::{human, issuer, new_app, Answer, UserAgent};

/// A public app that allows the device_code grant: its client id.
fn device_app(t: &Tenant, grant_types: &[&str]) -> String {
    let (_, app) = new_app(
        t,
        json!({"name": "Living room TV", "redirect_uris": ["https://tv.example.com/cb"],
               "auth_method": "none", "grant_types": grant_types}),
    );
    app.str("client_id")
}

fn start(t: &Tenant, client_id: &str) -> (u16, Value) {
    post_form(
        t,
        "/oauth/v2/device_authorization",
        None,
        &[("client_id", client_id), ("scope", "openid profile")],
    )
}

fn poll(t: &Tenant, client_id: &str, device_code: &str) -> (u16, Value) {
    post_form(
        t,
        "/oauth/v2/token",
        None,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", client_id),
            ("device_code", device_code),
        ],
    )
}

/// A hidden input's value, or an input's.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// The user's side: the code entered at `verification_uri_complete`, the login, and the
/// consent page (its body).
fn enter_and_log_in(t: &Tenant, ua: &mut UserAgent, complete: &str) -> String {
    let form = ua.request("GET", complete, None);
    assert_eq!(form.status, 200, "{}", form.body);
    let code = field(&form.body, "user_code");
    let entered = ua.request(
        "POST",
        &format!("{}/ui/device", issuer(t)),
        Some(&[("csrf", &field(&form.body, "csrf")), ("user_code", &code)]),
    );
    assert_eq!(entered.status, 302, "{}", entered.body);
    let login = entered.location.unwrap();
    assert!(login.starts_with("/ui/login?"), "{login}");
    let page = ua.request("GET", &format!("{}{login}", issuer(t)), None);
    assert_eq!(page.status, 200, "{}", page.body);
    let back = ua.request(
        "POST",
        &format!("{}/ui/login", issuer(t)),
        Some(&[
            ("authRequest", &field(&page.body, "authRequest")),
            ("csrf", &field(&page.body, "csrf")),
            ("username", "tv-owner"),
            ("password", "a long password"),
        ]),
    );
    assert_eq!(back.status, 302, "{}", back.body);
    let approve = back.location.unwrap();
    assert!(
        approve.starts_with(&format!("{}/ui/device/approve?", issuer(t))),
        "{approve}"
    );
    let consent = ua.request("GET", &approve, None);
    assert_eq!(consent.status, 200, "{}", consent.body);
    consent.body
}

fn answer(t: &Tenant, ua: &mut UserAgent, consent: &str, answer: &str) -> Answer {
    ua.request(
        "POST",
        &format!("{}/ui/device/approve", issuer(t)),
        Some(&[
            ("csrf", &field(consent, "csrf")),
            ("consent", &field(consent, "consent")),
            ("answer", answer),
        ]),
    )
}

#[test]
fn a_device_gets_its_users_tokens_once_the_user_allows_it() {
    let t = server().tenant();
    let client_id = device_app(&t, &["device_code"]);
    let user_id = human(&t, "tv-owner", "a long password");
    let (status, started) = start(&t, &client_id);
    assert_eq!(status, 200, "{started}");
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9, "XXXX-XXXX: {user_code}");
    assert_eq!(
        started["verification_uri"],
        format!("{}/ui/device", issuer(&t))
    );
    assert_eq!(started["expires_in"], 600);
    assert_eq!(started["interval"], 5);
    let device_code = started["device_code"].as_str().unwrap();

    // Before the user answers: pending, and too fast a second poll is told to slow down.
    let (status, pending) = poll(&t, &client_id, device_code);
    assert_eq!(
        (status, pending["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    let (_, slow) = poll(&t, &client_id, device_code);
    assert_eq!(slow["error"], "slow_down");

    let mut ua = UserAgent::default();
    let complete = started["verification_uri_complete"].as_str().unwrap();
    let consent = enter_and_log_in(&t, &mut ua, complete);
    assert!(consent.contains("Living room TV"), "{consent}");
    assert!(
        consent.contains(user_code),
        "the page shows the code to compare: {consent}"
    );
    let done = answer(&t, &mut ua, &consent, "allow");
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Device connected"), "{}", done.body);

    let (status, tokens) = poll(&t, &client_id, device_code);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["sub"],
        user_id.as_str()
    );
    assert!(claims(tokens["id_token"].as_str().unwrap())["aud"]
        .as_array()
        .unwrap()
        .contains(&json!(client_id)));
    // Once: the device code is used up.
    let (_, again) = poll(&t, &client_id, device_code);
    assert_eq!(again["error"], "invalid_grant");
    // The consent cannot be answered twice.
    let twice = answer(&t, &mut ua, &consent, "allow");
    assert_eq!(twice.status, 400, "{}", twice.body);

    // The same browser connects a second device: its session answers, no login is asked.
    let (_, second) = start(&t, &client_id);
    let form = ua.request(
        "GET",
        second["verification_uri_complete"].as_str().unwrap(),
        None,
    );
    let entered = ua.request(
        "POST",
        &format!("{}/ui/device", issuer(&t)),
        Some(&[
            ("csrf", &field(&form.body, "csrf")),
            ("user_code", &field(&form.body, "user_code")),
        ]),
    );
    let approve = entered.location.unwrap();
    assert!(
        approve.starts_with(&format!("{}/ui/device/approve?", issuer(&t))),
        "{approve}"
    );
    let consent = ua.request("GET", &approve, None).body;
    assert!(answer(&t, &mut ua, &consent, "allow")
        .body
        .contains("Device connected"));
    let (status, tokens) = poll(&t, &client_id, second["device_code"].as_str().unwrap());
    assert_eq!(status, 200, "{tokens}");
}

#[test]
fn a_denied_device_gets_access_denied() {
    let t = server().tenant();
    let client_id = device_app(&t, &["device_code"]);
    human(&t, "tv-owner", "a long password");
    let (_, started) = start(&t, &client_id);
    let mut ua = UserAgent::default();
    let consent = enter_and_log_in(
        &t,
        &mut ua,
        started["verification_uri_complete"].as_str().unwrap(),
    );
    let done = answer(&t, &mut ua, &consent, "deny");
    assert!(done.body.contains("Device not connected"), "{}", done.body);
    let (_, denied) = poll(&t, &client_id, started["device_code"].as_str().unwrap());
    assert_eq!(denied["error"], "access_denied");
}

#[test]
fn made_up_codes_other_clients_and_forged_consents_get_nothing() {
    let t = server().tenant();
    let client_id = device_app(&t, &["device_code"]);
    let other = device_app(&t, &["device_code"]);
    let no_device = device_app(&t, &["authorization_code"]);
    // An app that does not allow the grant asks for nothing.
    let (status, refused) = start(&t, &no_device);
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let (_, started) = start(&t, &client_id);
    let device_code = started["device_code"].as_str().unwrap();
    // Another client, or a made-up device code: invalid_grant.
    for (client, code) in [
        (other.as_str(), device_code),
        (client_id.as_str(), "ABCD1234.not-the-secret"),
        (client_id.as_str(), "garbage"),
    ] {
        let (status, body) = poll(&t, client, code);
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{code}"
        );
    }
    // A made-up user code is refused on the page, and says so.
    let mut ua = UserAgent::default();
    let form = ua.request("GET", &format!("{}/ui/device", issuer(&t)), None);
    let wrong = ua.request(
        "POST",
        &format!("{}/ui/device", issuer(&t)),
        Some(&[
            ("csrf", &field(&form.body, "csrf")),
            ("user_code", "ZZZZ-ZZZZ"),
        ]),
    );
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("not valid or has expired"),
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains("role=\"alert\""));
    // A consent made up, or without the form's CSRF cookie: nothing is answered.
    let forged = ua.request(
        "POST",
        &format!("{}/ui/device/approve", issuer(&t)),
        Some(&[
            ("csrf", &field(&form.body, "csrf")),
            ("consent", "bm90IHNlYWxlZA"),
            ("answer", "allow"),
        ]),
    );
    assert_eq!(forged.status, 400);
    let (_, still) = poll(&t, &client_id, device_code);
    assert_eq!(still["error"], "authorization_pending");
}

#[test]
fn an_address_past_its_rate_limit_starts_no_device_request() {
    let t = server().tenant();
    let client_id = device_app(&t, &["device_code"]);
    let from = |ip: &str, path: &str, body: &str| {
        request_from(
            testkit::TEST_PROXY,
            "POST",
            path,
            &[
                ("Host", &t.domain),
                ("X-Forwarded-For", ip),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body,
        )
        .0
    };
    let start = format!("client_id={client_id}&scope=openid");
    assert_eq!(
        from("198.51.100.61", "/oauth/v2/device_authorization", &start),
        200
    );
    // Wrong client secrets (each of another made-up client, so that no account's limit is the
    // one met) from one address until it is refused (the test server allows 600 a minute):
    // then it starts no device request either, before anything is written, while another
    // address does.
    let wrong =
        |i: u32| format!("grant_type=client_credentials&client_id=made-up-{i}&client_secret=nope");
    let refused = (0..2000).any(|i| from("198.51.100.61", "/oauth/v2/token", &wrong(i)) == 429);
    assert!(refused, "the address was never refused");
    // Each try right after a wrong secret fills the address's minute again (on a slow machine
    // the oldest failures leave the window as new ones come): a device request then is refused.
    let device_refused = (0..200).any(|i| {
        from("198.51.100.61", "/oauth/v2/token", &wrong(10_000 + i));
        from("198.51.100.61", "/oauth/v2/device_authorization", &start) == 429
    });
    assert!(
        device_refused,
        "a device request went through past the limit"
    );
    assert_eq!(
        from("198.51.100.62", "/oauth/v2/device_authorization", &start),
        200
    );
}
