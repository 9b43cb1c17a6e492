//! `response_mode=form_post`: the hosted login answers with a page whose form posts the code
//! (or the error) to the redirect URI, what the client sent escaped; an unknown response mode
//! is refused; a login UI of one's own (the Sessions API) sends the browser to a page of ours
//! that posts it. Chromium running it with openid-client is in `oidc_clients`.

use testkit::{server, Tenant};

use serde_json::json;

use super::login_sessions::{auth_request, caller, checks, finalize};
use super::oidc_behaviours::{challenge, exchange, VERIFIER};
use super::oidc_clients::run;
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

#[test]
fn a_login_ui_of_ones_own_sends_the_browser_to_a_page_that_posts_the_code() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "grace", "a long password");
    let login_ui = caller(&t, "login-ui", &["IAM_LOGIN_CLIENT"], true);
    let request = auth_request(&t, &app, "&response_mode=form_post");
    let session = login_ui.post(
        "/v1/sessions",
        checks(json!({"login_name": "grace"}), Some("a long password")),
    );
    assert_eq!(session.status, 201, "{}", session.body);
    let done = finalize(&login_ui, &request, &session.body);
    assert_eq!(done.status, 200, "{}", done.body);
    // Not the redirect URI with the code in its query: a page of ours, the code sealed in it.
    let callback = done.str("callback_url");
    let page_url = format!("{}/ui/login/form_post?answer=", issuer(&t));
    assert!(callback.starts_with(&page_url), "{callback}");
    assert_eq!(param(&callback, "code"), None);
    let mut browser = UserAgent::default();
    let page = browser.request("GET", &callback, None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .body
        .contains(&format!("<form method=\"post\" action=\"{REDIRECT}\">")));
    assert_eq!(hidden(&page.body, "state").as_deref(), Some("s1"));
    let code = hidden(&page.body, "code").expect("a code");
    // The page in Chromium, in German on a phone, without scripts: a heading, a button.
    let shots = tempfile::tempdir().unwrap();
    let seen = run(
        "node",
        &["page_shot.mjs"],
        &[
            ("URL", &callback),
            ("LOCALE", "de-DE"),
            ("NAME", "form-post-de-phone"),
            ("OUT", shots.path().to_str().unwrap()),
        ],
    );
    assert_eq!(seen["status"], 200, "{seen}");
    assert_eq!(seen["lang"], "de");
    assert_eq!(seen["heading"], "Zurück zur Anwendung");
    assert_eq!(seen["button"], "Weiter");
    assert_eq!(seen["overflow"], false);
    assert_eq!(seen["errors"], json!([]), "{seen}");
    if std::env::var_os("PORTCULLIS_WRITE_SCREENSHOTS").is_some() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots");
        let file = "form-post-de-phone.png";
        std::fs::copy(shots.path().join(file), format!("{docs}/{file}")).unwrap();
    }
    let (status, tokens) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(status, 200, "{tokens}");

    // A changed answer, or the answer at another instance's domain, posts nothing.
    let mut answer = param(&callback, "answer").unwrap().into_bytes();
    answer[10] = if answer[10] == b'A' { b'B' } else { b'A' };
    let flipped = format!("{page_url}{}", String::from_utf8(answer).unwrap());
    let elsewhere = server().tenant();
    let _ = elsewhere.client.get("/v1/users/me");
    let moved = callback.replace(&t.domain, &elsewhere.domain);
    for url in [flipped, moved] {
        let refused = browser.request("GET", &url, None);
        assert_eq!(refused.status, 400, "{url}: {}", refused.body);
        assert_eq!(hidden(&refused.body, "code"), None);
    }
}
