//! A password past the `password_expiry` settings' maximum age is changed at the next login
//! before the login goes back to the client. A password set before ages were recorded (as the
//! admin of a data directory made by release 0.1 holds) counts as expired once expiry is on.

use serde_json::json;
use testkit::Client;

use super::oidc_behaviours::challenge;
use super::oidc_support::{enc, param, UserAgent, REDIRECT};
use super::upgrade::copy_fixture;
use super::{read, start};

/// A hidden or text field's value in a page.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name}: {page}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// A public app (code + PKCE) in a new project of `org`: its client id.
pub(super) fn public_app(api: &Client, org: &str) -> String {
    let project = api.post(&format!("/v1/orgs/{org}/projects"), json!({"name": "Shop"}));
    assert_eq!(project.status, 201, "{}", project.body);
    let app = api.after(&project).post(
        &format!("/v1/projects/{}/apps/oidc", project.str("id")),
        json!({"name": "web", "redirect_uris": [REDIRECT], "auth_method": "none"}),
    );
    assert_eq!(app.status, 201, "{}", app.body);
    let _ = api
        .after(&app)
        .get(&format!("/v1/projects/{}/apps", project.str("id")));
    app.str("client_id")
}

/// Passwords older than 90 days expire in the instance.
pub(super) fn expire_passwords(api: &Client) {
    let expiry = api.put(
        "/v1/instance/settings/password_expiry",
        json!({"max_age_days": 90}),
    );
    assert_eq!(expiry.status, 200, "{}", expiry.body);
    let _ = api
        .after(&expiry)
        .get("/v1/instance/settings/password_expiry");
}

#[test]
fn an_expired_password_is_changed_at_the_login_before_it_returns_to_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_fixture(&data);
    let server = start(&data, &[]);
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let (pat, old) = (read(&data, "admin.pat"), read(&data, "admin.password"));
    let api = Client::new(&server.base, Some("localhost")).token(&pat);
    // The first start's human admin (`admin`, whose password the fixture keeps) and its org.
    let bot = api.get("/v1/users/me");
    assert_eq!(bot.status, 200, "{}", bot.body);
    let (admin, org) = ("admin".to_string(), bot.str("org_id"));
    let client_id = public_app(&api, &org);
    expire_passwords(&api);

    let origin = format!("http://localhost:{port}");
    let authorize = format!(
        "{origin}/oauth/v2/authorize?response_type=code&client_id={}&redirect_uri={}\
         &scope=openid&state=s1&code_challenge={}&code_challenge_method=S256",
        enc(&client_id),
        enc(REDIRECT),
        challenge()
    );
    let log_in = |browser: &mut UserAgent, password: &str| {
        let a = browser.request("GET", &authorize, None);
        assert_eq!(a.status, 302, "{}", a.body);
        let page = browser.request("GET", &format!("{origin}{}", a.location.unwrap()), None);
        assert_eq!(page.status, 200, "{}", page.body);
        browser.request(
            "POST",
            &format!("{origin}/ui/login"),
            Some(&[
                ("authRequest", &field(&page.body, "authRequest")),
                ("csrf", &field(&page.body, "csrf")),
                ("username", &admin),
                ("password", password),
            ]),
        )
    };

    // The right password, but expired: a page asks for a new one.
    let mut browser = UserAgent {
        port: Some(port),
        ..UserAgent::default()
    };
    let asked = log_in(&mut browser, &old);
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(
        asked.body.contains("Your password has expired"),
        "{}",
        asked.body
    );
    assert!(asked.body.contains("name=\"new_password\""));
    let change = |browser: &mut UserAgent, page: &str, new: &str| {
        browser.request(
            "POST",
            &format!("{origin}/ui/login/password"),
            Some(&[
                ("authRequest", &field(page, "authRequest")),
                ("csrf", &field(page, "csrf")),
                ("new_password", new),
            ]),
        )
    };
    // A new password that breaks the rules is refused on the same page, saying why.
    let short = change(&mut browser, &asked.body, "short");
    assert_eq!(short.status, 400, "{}", short.body);
    assert!(short.body.contains("role=\"alert\""), "{}", short.body);
    // Without the session the password check made, nothing changes.
    let mut stranger = UserAgent {
        port: Some(port),
        cookies: browser
            .cookies
            .iter()
            .filter(|(k, _)| k.as_str() != "portcullis_session")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let refused = change(&mut stranger, &short.body, "a brand new passphrase");
    assert_eq!(refused.status, 400, "{}", refused.body);
    // A good one: back to the client with a code.
    let changed = change(&mut browser, &short.body, "a brand new passphrase");
    assert_eq!(changed.status, 302, "{}", changed.body);
    let back = changed.location.unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    assert!(param(&back, "code").is_some() && param(&back, "state").as_deref() == Some("s1"));

    // The old password is gone; the new one logs in without the page.
    let mut fresh = UserAgent {
        port: Some(port),
        ..UserAgent::default()
    };
    assert_eq!(log_in(&mut fresh, &old).status, 401);
    let again = log_in(&mut fresh, "a brand new passphrase");
    assert_eq!(again.status, 302, "{}", again.body);
    assert!(again.location.unwrap().starts_with(REDIRECT));
    assert_eq!(server.stop().code(), Some(0));
}
