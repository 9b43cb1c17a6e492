//! Pushed authorization requests (RFC 9126): pushed by an authenticated client, checked when
//! pushed, then good once and only for that client at the authorization endpoint, where only
//! the pushed parameters count; an app may require them. node openid-client's PAR in Chromium
//! is in `oidc_clients`.

use serde_json::json;
use testkit::{server, Tenant};

use super::oidc_behaviours::{challenge, exchange, post_as, post_form, VERIFIER};
use super::oidc_support::{app, enc, human, issuer, param, App, UserAgent, REDIRECT};

/// The parameters of an authorization request of `app`.
fn request<'a>(challenge: &'a str, state: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", state),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn by_reference(t: &Tenant, app: &App, request_uri: &str, extra: &str) -> String {
    format!(
        "{}/oauth/v2/authorize?client_id={}&request_uri={}{extra}",
        issuer(t),
        enc(&app.client_id),
        enc(request_uri)
    )
}

#[test]
fn a_pushed_request_is_used_once_with_its_own_parameters() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "ada", "a long password");
    let c = challenge();
    let (status, pushed) = post_as(&t, &app, "/oauth/v2/par", &request(&c, "pushed-state"));
    assert_eq!(status, 201, "{pushed}");
    assert_eq!(pushed["expires_in"], 60);
    let uri = pushed["request_uri"].as_str().unwrap().to_string();
    assert!(uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    // Parameters beside the request_uri do not count: the pushed state comes back.
    let mut ua = UserAgent::default();
    let back = ua.log_in(
        &t,
        &by_reference(
            &t,
            &app,
            &uri,
            "&state=not-pushed&redirect_uri=https%3A%2F%2Fevil.example%2F",
        ),
        "ada",
        "a long password",
    );
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some("pushed-state"));
    let (status, tokens) = exchange(&t, &app, &param(&back, "code").unwrap(), VERIFIER);
    assert_eq!(status, 200, "{tokens}");

    // Used once: the second time, the login is over before it starts.
    let again = UserAgent::default().request("GET", &by_reference(&t, &app, &uri, ""), None);
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(again.location, None);
}

#[test]
fn a_pushed_request_is_its_clients_alone_and_cannot_be_altered() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let other = super::oidc_support::app(&t, "client_secret_basic", "jwt");
    let c = challenge();
    let (_, pushed) = post_as(&t, &app, "/oauth/v2/par", &request(&c, "s"));
    let uri = pushed["request_uri"].as_str().unwrap().to_string();
    // Named by another client: refused, and it is still good for its own.
    let stolen = UserAgent::default().request("GET", &by_reference(&t, &other, &uri, ""), None);
    assert_eq!(stolen.status, 400);
    // Altered, or made up: refused.
    let mut altered = uri.clone();
    altered.pop();
    altered.push(if uri.ends_with('A') { 'B' } else { 'A' });
    for bad in [
        altered.as_str(),
        "urn:ietf:params:oauth:request_uri:made-up",
        "https://evil.example/request",
    ] {
        let r = UserAgent::default().request("GET", &by_reference(&t, &app, bad, ""), None);
        assert_eq!(r.status, 400, "{bad}");
    }
    let own = UserAgent::default().request("GET", &by_reference(&t, &app, &uri, ""), None);
    assert_eq!(own.status, 302);
    assert!(own.location.unwrap().starts_with("/ui/login"));
}

#[test]
fn pushing_needs_the_client_and_a_request_the_endpoint_would_take() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let c = challenge();
    // Without the client's secret: invalid_client.
    let mut fields = request(&c, "s");
    fields.push(("client_id", &app.client_id));
    let (status, body) = post_form(&t, "/oauth/v2/par", None, &fields);
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // What the authorization endpoint would refuse is refused here, in JSON.
    for (name, value, error) in [
        ("redirect_uri", "https://evil.example/cb", "invalid_request"),
        ("scope", "profile", "invalid_scope"),
        ("response_type", "token", "unsupported_response_type"),
        ("code_challenge_method", "plain", "invalid_request"),
        ("response_mode", "fragment", "invalid_request"),
    ] {
        let mut fields: Vec<(&str, &str)> = request(&c, "s")
            .into_iter()
            .filter(|(k, _)| *k != name)
            .collect();
        fields.push((name, value));
        let (status, body) = post_as(&t, &app, "/oauth/v2/par", &fields);
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{name}={value}"
        );
    }
    // A pushed request cannot point at another.
    let mut fields = request(&c, "s");
    fields.push(("request_uri", "urn:ietf:params:oauth:request_uri:x"));
    let (status, body) = post_as(&t, &app, "/oauth/v2/par", &fields);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[test]
fn an_app_that_requires_par_takes_only_pushed_requests() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let changed = t.client.patch(
        &format!("/v1/projects/{}/apps/{}", app.project_id, app.app_id),
        json!({"name": "web", "redirect_uris": [REDIRECT], "auth_method": "client_secret_basic",
               "grant_types": ["authorization_code", "refresh_token"],
               "require_pushed_authorization_requests": true}),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    let read = t.client.after(&changed).get(&format!(
        "/v1/projects/{}/apps/{}",
        app.project_id, app.app_id
    ));
    assert_eq!(read.body["require_pushed_authorization_requests"], true);
    let direct = format!(
        "{}/oauth/v2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=d&code_challenge={}&code_challenge_method=S256",
        issuer(&t),
        enc(&app.client_id),
        enc(REDIRECT),
        challenge()
    );
    let refused = UserAgent::default().request("GET", &direct, None);
    let back = refused.location.unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    let c = challenge();
    let (_, pushed) = post_as(&t, &app, "/oauth/v2/par", &request(&c, "p"));
    let uri = pushed["request_uri"].as_str().unwrap();
    let taken = UserAgent::default().request("GET", &by_reference(&t, &app, uri, ""), None);
    assert_eq!(taken.status, 302);
    assert!(taken.location.unwrap().starts_with("/ui/login"));
}
