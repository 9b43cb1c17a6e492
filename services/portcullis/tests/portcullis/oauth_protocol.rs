//! The protocol's sharp edges (RFC 9700, 7636, 7662, 6749), tried as an attacker would: a
//! PKCE downgrade, weak verifiers, repeated parameters, a secret presented the way the client
//! did not register, introspection by a public client or of an ID token, a project audience
//! of another org, and a refresh for an app that no longer allows it.

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::oidc_behaviours::{
    auth_url, claims, exchange, introspect, logged_in, post_as, post_form, VERIFIER,
};
use super::oidc_support::{app, enc, human, issuer, param, send, UserAgent, REDIRECT};

fn error(r: &(u16, Value)) -> (u16, &str) {
    (r.0, r.1["error"].as_str().unwrap_or("<none>"))
}

#[test]
fn a_code_issued_without_a_challenge_refuses_a_verifier_and_verifiers_are_checked() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    human(&t, "ada", "a long password");
    // A confidential client may leave PKCE out; then a verifier is a downgrade attempt.
    let url = auth_url(&t, &app, "");
    let without = url
        .split('&')
        .filter(|p| !p.starts_with("code_challenge"))
        .collect::<Vec<_>>()
        .join("&");
    let mut b = UserAgent::default();
    let back = b.log_in(&t, &without, "ada", "a long password");
    let code = param(&back, "code").unwrap();
    assert_eq!(
        error(&exchange(&t, &app, &code, VERIFIER)),
        (400, "invalid_grant")
    );
    // A verifier of one character, matching its own challenge, is still no verifier.
    let short = "x";
    let challenge = super::oidc_behaviours::challenge_of(short);
    let url = without + &format!("&code_challenge={challenge}&code_challenge_method=S256");
    let back = b.log_in(&t, &url, "ada", "a long password");
    let code = param(&back, "code").unwrap();
    assert_eq!(
        error(&exchange(&t, &app, &code, short)),
        (400, "invalid_grant")
    );
    // A challenge that is no S256 digest is refused at the authorization endpoint.
    let bad = auth_url(&t, &app, "").replace(&super::oidc_behaviours::challenge(), "abc");
    let a = b.request("GET", &bad, None);
    assert_eq!(a.status, 302);
    assert_eq!(
        param(&a.location.unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
}

#[test]
fn a_parameter_sent_twice_is_an_invalid_request() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let twice = post_as(
        &t,
        &app,
        "/oauth/v2/token",
        &[
            ("grant_type", "client_credentials"),
            ("grant_type", "authorization_code"),
        ],
    );
    assert_eq!(error(&twice), (400, "invalid_request"));
    assert!(twice.1["error_description"]
        .as_str()
        .unwrap()
        .contains("grant_type"));
    let url = format!(
        "{}&client_id={}",
        auth_url(&t, &app, ""),
        enc("someone-else")
    );
    let r = send(
        ureq::http::Request::builder()
            .uri(url)
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = serde_json::from_slice(r.body()).unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[test]
fn a_client_authenticates_only_the_way_it_registered() {
    let t = server().tenant();
    let basic = app(&t, "client_secret_basic", "jwt");
    let post = app(&t, "client_secret_post", "jwt");
    let fields = [("grant_type", "refresh_token"), ("refresh_token", "x.y")];
    // The right way gets past authentication (to the unknown refresh token).
    assert_eq!(
        error(&post_as(&t, &basic, "/oauth/v2/token", &fields)),
        (400, "invalid_grant")
    );
    // The basic app's secret in the form, and the post app's in the header: refused.
    let secret = basic.client_secret.as_deref().unwrap();
    let mut in_form = fields.to_vec();
    in_form.extend([
        ("client_id", basic.client_id.as_str()),
        ("client_secret", secret),
    ]);
    assert_eq!(
        error(&post_form(&t, "/oauth/v2/token", None, &in_form)),
        (401, "invalid_client")
    );
    let secret = post.client_secret.as_deref().unwrap();
    assert_eq!(
        error(&post_form(
            &t,
            "/oauth/v2/token",
            Some((&post.client_id, secret)),
            &fields
        )),
        (401, "invalid_client")
    );
    // Both at once: one method per request.
    assert_eq!(
        error(&post_form(
            &t,
            "/oauth/v2/token",
            Some((&post.client_id, secret)),
            &[("client_secret", secret), ("grant_type", "refresh_token")]
        )),
        (400, "invalid_request")
    );
}

#[test]
fn only_confidential_clients_introspect_and_only_access_tokens_are_active() {
    let t = server().tenant();
    let web = app(&t, "client_secret_basic", "jwt");
    let public = app(&t, "none", "opaque");
    let (_, code) = logged_in(&t, &web);
    let (status, issued) = exchange(&t, &web, &code, VERIFIER);
    assert_eq!(status, 200, "{issued}");
    let access = issued["access_token"].as_str().unwrap();
    let id_token = issued["id_token"].as_str().unwrap();
    assert_eq!(introspect(&t, &web, access)["active"], true);
    // The ID token is a JWT signed by the same instance, but not an access token.
    assert_eq!(introspect(&t, &web, id_token)["active"], false);
    // A public client holds no secret: it may not read other clients' tokens.
    let r = post_as(&t, &public, "/oauth/v2/introspect", &[("token", access)]);
    assert_eq!(error(&r), (401, "invalid_client"));
    // Nor is an ID token accepted where an access token is due.
    let userinfo = send(
        ureq::http::Request::builder()
            .uri(format!("{}/oidc/v1/userinfo", issuer(&t)))
            .header("authorization", format!("Bearer {id_token}"))
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(userinfo.status().as_u16(), 401);
}

/// A machine user of `t`'s Default org with a client secret: (login name, secret).
fn machine_client(t: &Tenant, name: &str) -> (String, String) {
    let org = super::default_org(t);
    let bot = t.client.post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": name, "name": name}),
    );
    let secret = t
        .client
        .after(&bot)
        .post(&format!("/v1/users/{}/secret", bot.str("id")), json!({}));
    let _ = t.client.after(&secret).get("/v1/users/me");
    (name.to_string(), secret.str("client_secret"))
}

fn audience(project: &str) -> String {
    format!("openid urn:portcullis:project:id:{project}:aud")
}

#[test]
fn a_client_asks_only_for_audiences_of_its_org_or_granted_to_it() {
    let t = server().tenant();
    let (bot, secret) = machine_client(&t, "batch");
    let token = |scope: &str| {
        post_form(
            &t,
            "/oauth/v2/token",
            Some((&bot, &secret)),
            &[("grant_type", "client_credentials"), ("scope", scope)],
        )
    };
    // A project of its own org: in the audience.
    let own = app(&t, "client_secret_basic", "jwt");
    let (status, issued) = token(&audience(&own.project_id));
    assert_eq!(status, 200, "{issued}");
    let aud = claims(issued["access_token"].as_str().unwrap())["aud"].clone();
    assert!(
        aud.as_array().unwrap().contains(&json!(own.project_id)),
        "{aud}"
    );
    // Anything else, or another tenant's project: invalid_scope, no token.
    assert_eq!(error(&token(&audience("ANYTHING"))), (400, "invalid_scope"));
    let other = server().tenant();
    let foreign = app(&other, "client_secret_basic", "jwt");
    assert_eq!(
        error(&token(&audience(&foreign.project_id))),
        (400, "invalid_scope")
    );
    // At the authorization endpoint, the error goes back to the client.
    let url = auth_url(&t, &own, "").replace(
        "&scope=openid%20profile",
        &format!("&scope={}", enc(&audience("ANYTHING"))),
    );
    let a = UserAgent::default().request("GET", &url, None);
    assert_eq!(a.status, 302);
    let location = a.location.unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    assert_eq!(param(&location, "error").as_deref(), Some("invalid_scope"));
}

#[test]
fn a_project_granted_to_the_clients_org_may_be_its_audience() {
    let t = server().tenant();
    let (bot, secret) = machine_client(&t, "partner-bot");
    let org = super::default_org(&t);
    // A project of another org, granted to the bot's org.
    let owner = t.client.post("/v1/orgs", json!({"name": "Owner"}));
    let owner_org = owner.str("id");
    let created = t.client.after(&owner).post(
        &format!("/v1/orgs/{owner_org}/projects"),
        json!({"name": "Shared"}),
    );
    let project = created.str("id");
    let ask = |scope: &str| {
        post_form(
            &t,
            "/oauth/v2/token",
            Some((&bot, &secret)),
            &[("grant_type", "client_credentials"), ("scope", scope)],
        )
    };
    assert_eq!(error(&ask(&audience(&project))), (400, "invalid_scope"));
    let role = t.client.after(&created).post(
        &format!("/v1/projects/{project}/roles"),
        json!({"key": "reader"}),
    );
    assert_eq!(role.status, 201, "{}", role.body);
    let grant = t.client.after(&role).post(
        &format!("/v1/projects/{project}/grants"),
        json!({"granted_org_id": org, "role_keys": ["reader"]}),
    );
    assert_eq!(grant.status, 201, "{}", grant.body);
    let _ = t
        .client
        .after(&grant)
        .get(&format!("/v1/projects/{project}/grants"));
    let (status, issued) = ask(&audience(&project));
    assert_eq!(status, 200, "{issued}");
}

#[test]
fn a_refresh_needs_an_app_that_still_allows_it() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let (_, code) = logged_in(&t, &app);
    let (_, issued) = exchange(&t, &app, &code, VERIFIER);
    let refresh = issued["refresh_token"].as_str().unwrap().to_string();
    let changed = t.client.patch(
        &format!("/v1/projects/{}/apps/{}", app.project_id, app.app_id),
        json!({
            "name": "web", "redirect_uris": [REDIRECT],
            "post_logout_redirect_uris": [],
            "grant_types": ["authorization_code"],
            "auth_method": "client_secret_basic", "access_token_type": "jwt",
        }),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    let _ = t
        .client
        .after(&changed)
        .get(&format!("/v1/projects/{}/apps", app.project_id));
    let r = post_as(
        &t,
        &app,
        "/oauth/v2/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    );
    assert_eq!(error(&r), (400, "unauthorized_client"));
}

#[test]
fn a_new_client_and_a_new_secret_work_at_once() {
    // A script creates an app or a secret and uses it in the next breath, without sending the
    // write's position back: the token endpoint reads its own writes.
    let t = server().tenant();
    let org = super::default_org(&t);
    let project = t
        .client
        .post(
            &format!("/v1/orgs/{org}/projects"),
            json!({"name": "Batch"}),
        )
        .str("id");
    for round in 0..5 {
        let created = t.client.post(
            &format!("/v1/projects/{project}/apps/oidc"),
            json!({"name": format!("m2m-{round}"), "redirect_uris": [],
                   "grant_types": ["client_credentials"], "auth_method": "client_secret_basic"}),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let (id, secret) = (created.str("client_id"), created.str("client_secret"));
        let token = |secret: &str| {
            post_form(
                &t,
                "/oauth/v2/token",
                Some((&id, secret)),
                &[("grant_type", "client_credentials")],
            )
        };
        let (status, body) = token(&secret);
        assert_eq!(status, 200, "round {round}: {body}");
        // A rotated secret works at once too, and the old one no longer.
        let rotated = t.client.post(
            &format!("/v1/projects/{project}/apps/{}/secret", created.str("id")),
            json!({}),
        );
        assert_eq!(rotated.status, 201, "{}", rotated.body);
        let (status, body) = token(&rotated.str("client_secret"));
        assert_eq!(status, 200, "round {round}: {body}");
        assert_eq!(error(&token(&secret)), (401, "invalid_client"));
        // A machine user's new secret, used at once.
        let bot = t.client.post(
            &format!("/v1/orgs/{org}/users/machine"),
            json!({"username": format!("bot-{round}"), "name": "Bot"}),
        );
        let secret = t
            .client
            .after(&bot)
            .post(&format!("/v1/users/{}/secret", bot.str("id")), json!({}))
            .str("client_secret");
        let (status, body) = post_form(
            &t,
            "/oauth/v2/token",
            Some((&format!("bot-{round}"), &secret)),
            &[("grant_type", "client_credentials")],
        );
        assert_eq!(status, 200, "round {round}: {body}");
    }
}
