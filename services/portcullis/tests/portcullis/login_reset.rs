//! Self-service at the hosted login, as a browser without JavaScript goes through it:
//! "Forgot password?" with a code by email (the same answer for a login name that names
//! nobody), the new password held to the rules, then a login with it that ends in the app's
//! tokens (got by the `openidconnect` crate); and the link of an email verification's message.

use testkit::server;

use super::mail_sink::{code_in, link_in, MailSink};
use super::notifications::use_sink;
use super::oidc_rust::rust_client;
use super::oidc_support::{app, issuer, UserAgent};
use super::self_management::human;

/// A field's value in a page.
pub(super) fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// A link's target in a page, by its text.
pub(super) fn href(page: &str, text: &str) -> String {
    let end = page
        .find(&format!("\">{text}</a>"))
        .unwrap_or_else(|| panic!("no link {text} in {page}"));
    let start = page[..end].rfind("href=\"").unwrap() + 6;
    page[start..end].replace("&#38;", "&").replace("&amp;", "&")
}

/// The page without what differs on every page (tokens, nonces).
fn shape(page: &str) -> String {
    page.lines()
        .filter(|l| !l.contains("csrf") && !l.contains("nonce"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_forgotten_password_is_reset_by_a_mailed_code_and_then_logs_in() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    use_sink(&t, &sink);
    let (grace, _) = human(&t, "grace");
    let app = app(&t, "client_secret_basic", "jwt");
    let base = issuer(&t);
    let (url, finish) = rust_client(&t, &app);
    let mut b = UserAgent::default();
    let authorize = b.request("GET", &url, None);
    let login = b.request(
        "GET",
        &format!("{base}{}", authorize.location.unwrap()),
        None,
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let reset = href(&login.body, "Forgot password?");
    assert!(reset.starts_with("/ui/login/reset?authRequest="), "{reset}");
    let form = b.request("GET", &format!("{base}{reset}"), None);
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains("<h1>Reset your password</h1>"),
        "{}",
        form.body
    );
    let auth_request = field(&form.body, "authRequest");
    let ask = |b: &mut UserAgent, page: &str, username: &str| {
        b.request(
            "POST",
            &format!("{base}/ui/login/reset"),
            Some(&[
                ("authRequest", &auth_request),
                ("csrf", &field(page, "csrf")),
                ("username", username),
            ]),
        )
    };
    // A login name that names nobody gets the same answer as one that does.
    let nobody = ask(&mut b, &form.body, "nobody");
    let form = b.request("GET", &format!("{base}{reset}"), None);
    let asked = ask(&mut b, &form.body, "grace");
    assert_eq!((nobody.status, asked.status), (200, 200), "{}", asked.body);
    assert_eq!(
        shape(&nobody.body).replace("nobody", "grace"),
        shape(&asked.body)
    );
    assert!(
        asked.body.contains("a code is on its way"),
        "{}",
        asked.body
    );
    let mail = sink.wait_for("grace@example.com", 1);
    assert_eq!(sink.messages().len(), 1, "a message for nobody");
    let code = code_in(&mail);
    let set = |b: &mut UserAgent, page: &str, code: &str, password: &str| {
        b.request(
            "POST",
            &format!("{base}/ui/login/reset/password"),
            Some(&[
                ("authRequest", &auth_request),
                ("csrf", &field(page, "csrf")),
                ("user", ""),
                ("username", "grace"),
                ("code", code),
                ("new_password", password),
            ]),
        )
    };
    let wrong = set(&mut b, &asked.body, "ZZZZZZZZ", "a new and long password");
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("The code is wrong, used or expired"),
        "{}",
        wrong.body
    );
    let weak = set(&mut b, &wrong.body, &code, "short");
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("12 to 200 characters"), "{}", weak.body);
    let done = set(&mut b, &weak.body, &code, "a new and long password");
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Your password is set"), "{}", done.body);
    // Back to the same login, which now takes the new password.
    let back = href(&done.body, "Back to the login");
    let login = b.request("GET", &format!("{base}{back}"), None);
    assert_eq!(login.status, 200, "{}", login.body);
    let posted = b.request(
        "POST",
        &format!("{base}/ui/login"),
        Some(&[
            ("authRequest", &field(&login.body, "authRequest")),
            ("csrf", &field(&login.body, "csrf")),
            ("username", "grace"),
            ("password", "a new and long password"),
        ]),
    );
    assert_eq!(posted.status, 302, "{}", posted.body);
    assert_eq!(finish(&posted.location.unwrap()).sub, grace);
}

#[test]
fn the_link_of_a_verification_message_verifies_with_one_click() {
    let t = server().tenant();
    let sink = MailSink::start(0);
    use_sink(&t, &sink);
    let (id, me) = human(&t, "grace");
    let sent = me.post(
        &format!("/v1/users/{id}/email/send_code"),
        serde_json::json!({}),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    let link = link_in(&sink.wait_for("grace@example.com", 1));
    let mut b = UserAgent::default();
    // Opening the page (as a link scanner does) verifies nothing.
    let page = b.request("GET", &link, None);
    assert_eq!(page.status, 200, "{}", page.body);
    let unverified = me.get(&format!("/v1/users/{id}"));
    assert_eq!(unverified.body["email"]["verified"], false);
    let click = |b: &mut UserAgent, page: &str| {
        b.request(
            "POST",
            &format!("{}/ui/login/verify", issuer(&t)),
            Some(&[
                ("csrf", &field(page, "csrf")),
                ("user", &field(page, "user")),
                ("code", &field(page, "code")),
            ]),
        )
    };
    let done = click(&mut b, &page.body);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("your email address is verified"),
        "{}",
        done.body
    );
    let verified = |r: &testkit::Reply| r.body["email"]["verified"] == true;
    let user = me.get_until(&format!("/v1/users/{id}"), verified);
    assert!(verified(&user), "{}", user.body);
    // Used: a second click is told the code is no good.
    let page = b.request("GET", &link, None);
    let again = click(&mut b, &page.body);
    assert_eq!(again.status, 400, "{}", again.body);
    // A form from elsewhere (no CSRF cookie) does nothing.
    let forged = UserAgent::default().request(
        "POST",
        &format!("{}/ui/login/verify", issuer(&t)),
        Some(&[("csrf", "x"), ("user", &id), ("code", "ABCDEFGH")]),
    );
    assert_eq!(forged.status, 400);
}
