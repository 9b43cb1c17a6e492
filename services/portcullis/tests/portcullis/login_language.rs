//! The hosted login speaks the browser's language: German or English by `Accept-Language`,
//! English when the browser names neither; its refusals too.

use testkit::Tenant;

use super::oidc_behaviours::{auth_url, login_message};
use super::oidc_support::{app, issuer, send, App, UserAgent};

#[test]
fn the_login_speaks_german_or_english_as_the_browser_asks() {
    let t = testkit::server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let german = login_for(&t, &app, "", "de-CH, de;q=0.9, en;q=0.8");
    assert!(german.contains("<html lang=\"de\">"), "{german}");
    assert!(german.contains("<h1>Anmelden</h1>") && german.contains("Benutzername"));
    // The form keeps its names, whatever the language.
    assert!(german.contains("name=\"username\"") && german.contains("name=\"password\""));
    let french_first = login_for(&t, &app, "", "fr-FR, fr;q=0.9, de;q=0.7, en;q=0.5");
    assert!(french_first.contains("<h1>Anmelden</h1>"));
    for english in [
        "en-GB,en;q=0.9,de;q=0.8",
        "fr, it",
        "de;q=0, en;q=0.1",
        "de;q=2",
    ] {
        let page = login_for(&t, &app, "", english);
        assert!(
            page.contains("<html lang=\"en\">") && page.contains("<h1>Log in</h1>"),
            "{english}"
        );
    }
}

#[test]
fn a_refused_login_is_told_in_the_browsers_language() {
    let t = testkit::server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let mut b = UserAgent::default();
    let a = b.request("GET", &auth_url(&t, &app, ""), None);
    let login = format!("{}{}", issuer(&t), a.location.unwrap());
    let page = send(
        ureq::http::Request::get(login.as_str())
            .body(Vec::new())
            .unwrap(),
    );
    let body = String::from_utf8(page.body().clone()).unwrap();
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = body.find(&marker).unwrap() + marker.len();
        body[start..start + body[start..].find('"').unwrap()].to_string()
    };
    let csrf_cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let form = format!(
        "authRequest={}&csrf={}&username=nobody&password=wrong+password",
        field("authRequest"),
        field("csrf")
    );
    let refused = send(
        ureq::http::Request::post(format!("{}/ui/login", issuer(&t)).as_str())
            .header("accept-language", "de")
            .header("cookie", csrf_cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.into_bytes())
            .unwrap(),
    );
    assert_eq!(refused.status(), 401);
    let body = String::from_utf8(refused.into_body()).unwrap();
    assert!(body.contains("<html lang=\"de\">"), "{body}");
    assert!(
        login_message(&body).contains("Benutzername oder Passwort ist falsch"),
        "{body}"
    );
}

/// The login page for an authorization request with `extra` parameters, as a browser that
/// accepts `languages` gets it.
fn login_for(t: &Tenant, app: &App, extra: &str, languages: &str) -> String {
    let mut b = UserAgent::default();
    let a = b.request("GET", &auth_url(t, app, extra), None);
    let url = format!("{}{}", issuer(t), a.location.unwrap());
    let page = send(
        ureq::http::Request::get(url.as_str())
            .header("accept-language", languages)
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(page.status(), 200);
    String::from_utf8(page.into_body()).unwrap()
}

#[test]
fn the_clients_ui_locales_come_before_the_browsers_languages() {
    let t = testkit::server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let german = login_for(&t, &app, "&ui_locales=de-CH%20en", "en");
    assert!(german.contains("<h1>Anmelden</h1>"), "{german}");
    // The first the login speaks counts; none it speaks leaves it to the browser.
    let second = login_for(&t, &app, "&ui_locales=fr%20de", "en");
    assert!(second.contains("<h1>Anmelden</h1>"));
    let browser = login_for(&t, &app, "&ui_locales=fr", "de");
    assert!(browser.contains("<h1>Anmelden</h1>"));
    let english = login_for(&t, &app, "&ui_locales=en", "de");
    assert!(english.contains("<h1>Log in</h1>"));
    // Bounded like the other parameters the browser carries.
    let mut b = UserAgent::default();
    let long = format!("&ui_locales={}", "de%20".repeat(100));
    let refused = b.request("GET", &auth_url(&t, &app, &long), None);
    assert!(
        refused.location.unwrap().contains("error=invalid_request"),
        "too long"
    );
}

#[test]
fn error_and_logout_pages_speak_the_browsers_language_too() {
    let t = testkit::server().tenant();
    // Once an app is known, the instance is known at its domain.
    app(&t, "client_secret_basic", "jwt");
    let get = |path: &str| {
        let page = send(
            ureq::http::Request::get(format!("{}{path}", issuer(&t)).as_str())
                .header("accept-language", "de")
                .body(Vec::new())
                .unwrap(),
        );
        (
            page.status().as_u16(),
            String::from_utf8(page.into_body()).unwrap(),
        )
    };
    let (status, unknown) = get("/oauth/v2/authorize?client_id=nope&response_type=code");
    assert_eq!(status, 400);
    assert!(unknown.contains("<html lang=\"de\">"), "{unknown}");
    assert!(
        unknown.contains("Die Anwendung ist nicht bekannt"),
        "{unknown}"
    );
    let (status, logout) = get("/oidc/v1/end_session");
    assert_eq!(status, 200);
    assert!(logout.contains("<h1>Abmelden?</h1>"), "{logout}");
    assert!(logout.contains("name=\"csrf\""));
}
