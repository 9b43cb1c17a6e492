//! `response_mode=form_post`: the hosted login answers with a page whose form posts the code
//! (or the error) to the redirect URI, what the client sent escaped; an unknown response mode
//! is refused. Chromium running it with openid-client is in `oidc_clients`.

use testkit::{server, Tenant};

use super::oidc_behaviours::{challenge, exchange, VERIFIER};
use super::oidc_support::{app, enc, human, issuer, param, App, UserAgent, REDIRECT};

fn url(t: &Tenant, app: &App, state: &str, extra: &str) -> String {
    format!(
        "{}/oauth/v2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state={}&code_challenge={}&code_challenge_method=S256{extra}",
        issuer(t),
        enc(&app.client_id),
        enc(REDIRECT),
        enc(state),
        challenge()
    )
}

/// The value of a hidden input of a page.
fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!("<input type=\"hidden\" name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    Some(page[start..start + page[start..].find('"')?].to_string())
}

#[test]
fn the_code_is_posted_back_and_what_the_client_sent_is_escaped() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "grace", "a long password");
    let state = "s\"><script>alert(1)</script>";
    let mut ua = UserAgent::default();
    let answer = ua.submit_login(
        &t,
        &url(&t, &app, state, "&response_mode=form_post"),
        "grace",
        "a long password",
    );
    assert_eq!(
        answer.status, 200,
        "a page, not a redirect: {}",
        answer.body
    );
    assert_eq!(answer.location, None);
    let page = answer.body;
    assert!(
        page.contains(&format!("<form method=\"post\" action=\"{REDIRECT}\">")),
        "{page}"
    );
    assert!(page.contains("<script src=\"/ui/assets/form_post.js\" defer></script>"));
    assert!(
        !page.contains("<script>alert"),
        "the state is escaped: {page}"
    );
    assert_eq!(hidden(&page, "iss"), Some(issuer(&t)));
    assert!(
        hidden(&page, "state").is_some_and(
            |s| s.contains("&#34;&#62;&#60;script") || s.contains("&quot;&gt;&lt;script")
        )
    );
    let code = hidden(&page, "code").expect("a code");
    let (status, tokens) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    // The page's script is served as a script.
    let script = ua.request(
        "GET",
        &format!("{}/ui/assets/form_post.js", issuer(&t)),
        None,
    );
    assert_eq!(script.status, 200);
    assert!(script.body.contains("document.forms[0].submit()"));
}

#[test]
fn errors_are_posted_too_and_unknown_modes_are_refused() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let mut ua = UserAgent::default();
    // No session and prompt=none: the error goes back in a posted form.
    let none = ua.request(
        "GET",
        &url(&t, &app, "s2", "&response_mode=form_post&prompt=none"),
        None,
    );
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(
        hidden(&none.body, "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(hidden(&none.body, "state").as_deref(), Some("s2"));
    assert_eq!(hidden(&none.body, "code"), None);
    // A mode the server does not speak: refused in the query, the one mode every client reads.
    let fragment = ua.request("GET", &url(&t, &app, "s3", "&response_mode=fragment"), None);
    assert_eq!(fragment.status, 302);
    let back = fragment.location.unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&back, "state").as_deref(), Some("s3"));
}
