//! Account selection: a browser that logged in as two users is asked which account to go on
//! with (each a button; "Use another account" leads to the login); the chosen one answers
//! the app, whose tokens are that user's; a choice of a session the browser does not hold
//! does nothing, `prompt=none` is told a choice is needed, and a logout ends every account.

use testkit::{server, Tenant};

use super::login_reset::{field, href};
use super::oidc_behaviours::auth_url;
use super::oidc_rust::rust_client;
use super::oidc_support::{app, human, issuer, param, App, UserAgent, REDIRECT};

/// The account selection an authorization leads `b` to.
fn accounts_page(t: &Tenant, b: &mut UserAgent, url: &str) -> String {
    let a = b.request("GET", url, None);
    assert_eq!(a.status, 302, "{}", a.body);
    let to = a.location.unwrap();
    assert!(to.starts_with("/ui/login/accounts?authRequest="), "{to}");
    let page = b.request("GET", &format!("{}{to}", issuer(t)), None);
    assert_eq!(page.status, 200, "{}", page.body);
    page.body
}

/// The session id of the button naming `username` on an account selection page.
fn account_of(page: &str, username: &str) -> String {
    let end = page
        .find(&format!("<span class=\"login\">{username}</span>"))
        .unwrap_or_else(|| panic!("no {username} in {page}"));
    field(&page[page[..end].rfind("<form").unwrap()..end], "account")
}

fn choose(t: &Tenant, b: &mut UserAgent, page: &str, account: &str) -> super::oidc_support::Answer {
    b.request(
        "POST",
        &format!("{}/ui/login/accounts", issuer(t)),
        Some(&[
            ("authRequest", &field(page, "authRequest")),
            ("csrf", &field(page, "csrf")),
            ("account", account),
        ]),
    )
}

/// A browser logged in to `app` as grace, then as ada.
fn two_accounts(t: &Tenant, app: &App) -> UserAgent {
    let mut b = UserAgent::default();
    let first = b.log_in(t, &auth_url(t, app, ""), "grace", "a long password");
    assert!(first.starts_with(REDIRECT), "{first}");
    // A second login (the client asks for one) as someone else keeps grace's session.
    let second = b.log_in(
        t,
        &auth_url(t, app, "&prompt=login"),
        "ada",
        "ada's long password",
    );
    assert!(second.starts_with(REDIRECT), "{second}");
    b
}

#[test]
fn a_browser_with_two_accounts_asks_which_and_the_app_gets_that_user() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let grace = human(&t, "grace", "a long password");
    human(&t, "ada", "ada's long password");
    let mut b = two_accounts(&t, &app);
    let (url, finish) = rust_client(&t, &app);
    let page = accounts_page(&t, &mut b, &url);
    assert!(page.contains("<h1>Choose an account</h1>"), "{page}");
    let other = href(&page, "Use another account");
    assert!(other.starts_with("/ui/login?authRequest="), "{other}");
    let chosen = choose(&t, &mut b, &page, &account_of(&page, "grace"));
    assert_eq!(chosen.status, 302, "{}", chosen.body);
    assert_eq!(finish(&chosen.location.unwrap()).sub, grace);
    // Both stay: the next authorization asks again, in the browser's language too.
    let page = accounts_page(&t, &mut b, &auth_url(&t, &app, "&ui_locales=de"));
    assert!(page.contains("Konto wählen") && page.contains("Anderes Konto verwenden"));
    account_of(&page, "ada");
    // Without a page to show, the client is told a choice is needed.
    let none = b.request("GET", &auth_url(&t, &app, "&prompt=none"), None);
    let back = none.location.unwrap();
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("account_selection_required"),
        "{back}"
    );
}

#[test]
fn a_choice_of_a_session_the_browser_does_not_hold_does_nothing() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "grace", "a long password");
    human(&t, "ada", "ada's long password");
    let mut b = two_accounts(&t, &app);
    let page = accounts_page(&t, &mut b, &auth_url(&t, &app, ""));
    // Another browser's session (or a made-up id) is not a choice here.
    let mut stranger = UserAgent::default();
    stranger.log_in(&t, &auth_url(&t, &app, ""), "grace", "a long password");
    let theirs = stranger.cookies["portcullis_session"]
        .split('.')
        .next()
        .unwrap()
        .to_string();
    for account in [theirs.as_str(), "made-up"] {
        let r = choose(&t, &mut b, &page, account);
        assert_eq!(r.status, 302, "{}", r.body);
        let to = r.location.unwrap();
        assert!(to.starts_with("/ui/login/accounts?"), "{account}: {to}");
    }
    // Nor does an accounts cookie the attacker wrote: another browser's session id with a
    // made-up secret, garbage, an overlong token. Only what proves itself is listed.
    let planted = format!("{theirs}.madeupsecret~garbage~{}~", "a".repeat(300));
    let mut forger = UserAgent {
        cookies: b.cookies.clone(),
        port: None,
    };
    forger.cookies.insert("portcullis_accounts".into(), planted);
    let listed = accounts_page(
        &t,
        &mut forger,
        &auth_url(&t, &app, "&prompt=select_account"),
    );
    assert!(!listed.contains(&theirs), "{listed}");
    assert_eq!(
        listed.matches("<span class=\"login\">").count(),
        1,
        "{listed}"
    );
    // A form from elsewhere (no CSRF cookie) chooses nothing.
    let forged = UserAgent {
        cookies: b
            .cookies
            .iter()
            .filter(|(k, _)| *k != "portcullis_csrf")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        port: None,
    }
    .request(
        "POST",
        &format!("{}/ui/login/accounts", issuer(&t)),
        Some(&[
            ("authRequest", &field(&page, "authRequest")),
            ("csrf", "x"),
            ("account", &account_of(&page, "ada")),
        ]),
    );
    assert_eq!(forged.status, 400, "{}", forged.body);
}

#[test]
fn a_logout_ends_every_account_of_the_browser() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "grace", "a long password");
    human(&t, "ada", "ada's long password");
    let mut b = two_accounts(&t, &app);
    let confirm = b.request("GET", &format!("{}/oidc/v1/end_session", issuer(&t)), None);
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let out = b.request(
        "POST",
        &format!("{}/oidc/v1/end_session", issuer(&t)),
        Some(&[("csrf", &field(&confirm.body, "csrf"))]),
    );
    assert_eq!(out.status, 200, "{}", out.body);
    // Neither account answers: the next authorization goes to the login.
    let a = b.request("GET", &auth_url(&t, &app, ""), None);
    assert!(
        a.location.as_deref().unwrap().starts_with("/ui/login?"),
        "{:?}",
        a.location
    );
}
