//! What the OpenID Foundation's Basic, Config, PKCE and form_post OP test plans check that the
//! behaviour tests elsewhere do not name: authorization requests the plans send with
//! parameters an OP must accept or ignore, each logged in and exchanged, and requests it must
//! refuse. The README's conformance table lists every module of the plans with its test.

use serde_json::Value;
use testkit::{server, Tenant};

use super::oidc_behaviours::{claims, exchange, VERIFIER};
use super::oidc_support::{app, human, issuer, param, send, App, UserAgent};

/// An authorization request of the Basic plan's shape (`state` is `st`), with `extra`
/// parameters; no nonce unless `extra` has one.
fn request(t: &Tenant, app: &App, scope: &str, extra: &str) -> String {
    format!(
        "{}/oauth/v2/authorize?client_id={}&redirect_uri={}&scope={}&state=st&code_challenge={}&code_challenge_method=S256{extra}",
        issuer(t),
        super::oidc_support::enc(&app.client_id),
        super::oidc_support::enc(super::oidc_support::REDIRECT),
        super::oidc_support::enc(scope),
        super::oidc_behaviours::challenge()
    )
}

/// Logs in (once per browser) and exchanges the code: the token response.
fn tokens(t: &Tenant, app: &App, ua: &mut UserAgent, url: &str) -> Value {
    let back = match ua.cookies.is_empty() {
        true => ua.log_in(t, url, "conformance", "a long password"),
        false => ua.request("GET", url, None).location.expect("a redirect"),
    };
    assert_eq!(
        param(&back, "state").as_deref(),
        Some("st"),
        "{url}: {back}"
    );
    let code = param(&back, "code").unwrap_or_else(|| panic!("{url}: no code in {back}"));
    let (status, tokens) = exchange(t, app, &code, VERIFIER);
    assert_eq!(status, 200, "{url}: {tokens}");
    tokens
}

#[test]
fn requests_an_op_must_accept_get_tokens() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "conformance", "a long password");
    let mut ua = UserAgent::default();
    let rt = "&response_type=code";
    // oidcc-ensure-request-without-nonce-succeeds-for-code-flow: no nonce, none in the token.
    let first = tokens(&t, &app, &mut ua, &request(&t, &app, "openid", rt));
    let first_id = first["id_token"].as_str().unwrap();
    assert_eq!(claims(first_id).get("nonce"), None);
    // oidcc-id-token-hint: the ID token names the browser's user: a code without a login.
    let hinted = format!("{rt}&prompt=none&id_token_hint={first_id}");
    let got = tokens(&t, &app, &mut ua, &request(&t, &app, "openid", &hinted));
    assert_eq!(
        claims(got["id_token"].as_str().unwrap())["sub"],
        claims(first_id)["sub"]
    );
    for (module, scope, extra) in [
        (
            "oidcc-ensure-request-with-unknown-parameter-succeeds",
            "openid",
            "&extra=foobar",
        ),
        ("oidcc-display-page", "openid", "&display=page"),
        ("oidcc-display-popup", "openid", "&display=popup"),
        (
            "oidcc-ensure-other-scope-order-succeeds",
            "email openid",
            "",
        ),
        (
            "oidcc-scope-address (not supported: ignored)",
            "openid address",
            "",
        ),
        ("oidcc-scope-phone", "openid phone", ""),
        ("oidcc-scope-all", "openid profile email phone address", ""),
        ("oidcc-claims-locales", "openid", "&claims_locales=se"),
        ("oidcc-ui-locales", "openid", "&ui_locales=se"),
        (
            "oidcc-ensure-request-with-acr-values-succeeds",
            "openid",
            "&acr_values=1%202",
        ),
        (
            "oidcc-claims-essential (ignored)",
            "openid",
            "&claims=%7B%22userinfo%22%3A%7B%22name%22%3A%7B%22essential%22%3Atrue%7D%7D%7D",
        ),
        ("oidcc-login-hint", "openid", "&login_hint=conformance"),
        ("oidcc-max-age-10000", "openid", "&max_age=10000"),
    ] {
        let got = tokens(
            &t,
            &app,
            &mut ua,
            &request(&t, &app, scope, &format!("{rt}{extra}")),
        );
        let id = claims(got["id_token"].as_str().unwrap());
        assert_eq!(id["iss"], issuer(&t), "{module}");
        assert!(
            id["sub"].as_str().is_some_and(|s| !s.is_empty()),
            "{module}"
        );
    }
    // oidcc-scope-email: the userinfo of an email-scoped token names the address.
    let got = tokens(&t, &app, &mut ua, &request(&t, &app, "openid email", rt));
    let info = send(
        ureq::http::Request::get(format!("{}/oidc/v1/userinfo", issuer(&t)))
            .header(
                "authorization",
                format!("Bearer {}", got["access_token"].as_str().unwrap()),
            )
            .body(Vec::new())
            .unwrap(),
    );
    let info: Value = serde_json::from_slice(info.body()).unwrap();
    assert_eq!(info["email"], "conformance@example.com");
}

#[test]
fn requests_an_op_must_refuse_go_back_with_their_error() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let mut ua = UserAgent::default();
    for (module, extra, error) in [
        (
            "oidcc-response-type-missing",
            "",
            "unsupported_response_type",
        ),
        (
            "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
            "&response_type=code&request=eyJhbGciOiJub25lIn0.e30.",
            "request_not_supported",
        ),
        (
            "oidcc-prompt-none-not-logged-in",
            "&response_type=code&prompt=none",
            "login_required",
        ),
    ] {
        let answer = ua.request("GET", &request(&t, &app, "openid", extra), None);
        let back = answer
            .location
            .unwrap_or_else(|| panic!("{module}: {}", answer.body));
        assert_eq!(
            param(&back, "error").as_deref(),
            Some(error),
            "{module}: {back}"
        );
        assert_eq!(param(&back, "state").as_deref(), Some("st"), "{module}");
        assert_eq!(param(&back, "iss"), Some(issuer(&t)), "{module}");
    }
}
