//! "Create an account" at the hosted login: offered only where the `login` settings allow it,
//! held to the password rules and the unique usernames, and ending logged in to the app (its
//! tokens got by the `openidconnect` crate) with a verification code on its way.

use serde_json::json;
use testkit::server;

use super::login_reset::{field, href};
use super::mail_sink::MailSink;
use super::notifications::use_sink;
use super::oidc_rust::rust_client;
use super::oidc_support::{app, issuer, UserAgent};

#[test]
fn people_register_where_the_login_settings_allow_it_and_land_in_the_app() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    use_sink(&t, &sink);
    let app = app(&t, "client_secret_basic", "jwt");
    let base = issuer(&t);
    let (url, finish) = rust_client(&t, &app);
    let mut b = UserAgent::default();
    let authorize = b.request("GET", &url, None);
    let login_path = authorize.location.unwrap();
    let login = b.request("GET", &format!("{base}{login_path}"), None);
    assert!(!login.body.contains("Create an account"), "{}", login.body);
    let auth_request = field(&login.body, "authRequest");
    let register = format!("{base}/ui/login/register?authRequest={auth_request}");
    let closed = b.request("GET", &register, None);
    assert_eq!(closed.status, 403, "{}", closed.body);
    assert!(closed.body.contains("Registration is not open here"));
    assert!(!closed.body.contains("<form"), "{}", closed.body);

    let open = t.client.put(
        "/v1/instance/settings/login",
        json!({"allow_register": true}),
    );
    assert_eq!(open.status, 200, "{}", open.body);
    let _ = t.client.after(&open).get("/v1/instance/settings/login");
    let login = b.request("GET", &format!("{base}{login_path}"), None);
    let link = href(&login.body, "Create an account");
    let page = b.request("GET", &format!("{base}{link}"), None);
    assert_eq!(page.status, 200, "{}", page.body);
    let submit = |b: &mut UserAgent, page: &str, username: &str, password: &str| {
        b.request(
            "POST",
            &format!("{base}/ui/login/register"),
            Some(&[
                ("authRequest", &auth_request),
                ("csrf", &field(page, "csrf")),
                ("given_name", "Ada"),
                ("family_name", "Lovelace"),
                ("email", "ada@example.com"),
                ("username", username),
                ("password", password),
            ]),
        )
    };
    let weak = submit(&mut b, &page.body, "ada", "short");
    assert_eq!(weak.status, 400, "{}", weak.body);
    assert!(weak.body.contains("12 to 200 characters"), "{}", weak.body);
    // What was typed stays, but the password.
    assert_eq!(field(&weak.body, "email"), "ada@example.com");
    let taken = submit(&mut b, &weak.body, "ADMIN", "a long enough password");
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(
        taken.body.contains("This username is taken"),
        "{}",
        taken.body
    );
    let done = submit(&mut b, &taken.body, "ada", "a long enough password");
    assert_eq!(done.status, 302, "{}", done.body);
    let seen = finish(&done.location.unwrap());
    let mail = sink.wait_for("ada@example.com", 1);
    assert_eq!(mail["subject"], "Verify your email address");
    let users = t.client.get("/v1/users?username=ada");
    let user = &users.body["items"][0];
    assert_eq!(user["email"]["verified"], false, "{user}");
    assert_eq!(user["org_id"], super::default_org(&t));
    // The app's tokens are the new user's.
    assert_eq!(seen.sub, user["id"].as_str().unwrap());
    assert_eq!(seen.email.as_deref(), Some("ada@example.com"));
    assert_eq!(seen.email_verified, Some(false));
}
