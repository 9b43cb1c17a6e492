//! Revocation that holds (RFC 7009), tried as an attacker would: a refresh token revoked by
//! its family id alone, a code used twice by an app without refresh tokens or in a race with
//! its first exchange, revoked access tokens of both kinds at introspection, userinfo and the
//! API, and a client-credentials token revoked on its own.

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::oidc_behaviours::{
    auth_url, exchange, introspect, logged_in, post_as, post_form, VERIFIER,
};
use super::oidc_support::{
    app, enc, human, issuer, machine, param, send, App, UserAgent, REDIRECT,
};

fn userinfo(t: &Tenant, token: &str) -> u16 {
    send(
        ureq::http::Request::builder()
            .uri(format!("{}/oidc/v1/userinfo", issuer(t)))
            .header("authorization", format!("Bearer {token}"))
            .body(Vec::new())
            .unwrap(),
    )
    .status()
    .as_u16()
}

fn revoke(t: &Tenant, app: &App, token: &str) -> u16 {
    post_as(t, app, "/oauth/v2/revoke", &[("token", token)]).0
}

#[test]
fn a_refresh_token_is_revoked_only_by_all_of_it() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let (_, code) = logged_in(&t, &app);
    let (_, issued) = exchange(&t, &app, &code, VERIFIER);
    let refresh = issued["refresh_token"].as_str().unwrap();
    let access = issued["access_token"].as_str().unwrap();
    // The family id is in clear in the access token; with a made-up secret it revokes nothing.
    let family = refresh.split('.').next().unwrap();
    assert_eq!(revoke(&t, &app, &format!("{family}.made-up")), 200);
    assert_eq!(introspect(&t, &app, access)["active"], true);
    let (status, next) = post_as(
        &t,
        &app,
        "/oauth/v2/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    );
    assert_eq!(status, 200, "{next}");
    // The whole (rotated) token revokes the family: its access tokens die with it.
    let rotated = next["refresh_token"].as_str().unwrap();
    let new_access = next["access_token"].as_str().unwrap();
    assert_eq!(revoke(&t, &app, rotated), 200);
    assert_eq!(introspect(&t, &app, new_access)["active"], false);
    assert_eq!(userinfo(&t, new_access), 401);
}

/// An app with the code flow and no refresh tokens.
fn app_without_refresh(t: &Tenant, token_type: &str) -> App {
    let org = super::default_org(t);
    let project = t.client.post(
        &format!("/v1/orgs/{org}/projects"),
        json!({"name": "NoRefresh"}),
    );
    let r = t.client.after(&project).post(
        &format!("/v1/projects/{}/apps/oidc", project.str("id")),
        json!({"name": "web", "redirect_uris": [REDIRECT], "grant_types": ["authorization_code"],
               "auth_method": "client_secret_basic", "access_token_type": token_type}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let _ = t.client.after(&r).get("/v1/users/me");
    App {
        project_id: project.str("id"),
        app_id: r.str("id"),
        client_id: r.str("client_id"),
        client_secret: Some(r.str("client_secret")),
        auth_method: "client_secret_basic".into(),
    }
}

#[test]
fn a_code_used_twice_revokes_what_it_issued_also_without_refresh_tokens() {
    let t = server().tenant();
    for kind in ["jwt", "opaque"] {
        let app = app_without_refresh(&t, kind);
        human(&t, &format!("u-{kind}"), "a long password");
        let back = UserAgent::default().log_in(
            &t,
            &auth_url(&t, &app, ""),
            &format!("u-{kind}"),
            "a long password",
        );
        let code = param(&back, "code").unwrap();
        let (status, first) = exchange(&t, &app, &code, VERIFIER);
        assert_eq!(status, 200, "{first}");
        assert!(first.get("refresh_token").is_none(), "{first}");
        let access = first["access_token"].as_str().unwrap();
        assert_eq!(introspect(&t, &app, access)["active"], true);
        let (status, _) = exchange(&t, &app, &code, VERIFIER);
        assert_eq!(status, 400);
        assert_eq!(introspect(&t, &app, access)["active"], false, "{kind}");
        assert_eq!(userinfo(&t, access), 401, "{kind}");
    }
}

#[test]
fn a_code_used_twice_at_once_leaves_no_live_token() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "opaque");
    human(&t, "racer", "a long password");
    let mut browser = UserAgent::default();
    for round in 0..6 {
        let back = browser.log_in(&t, &auth_url(&t, &app, ""), "racer", "a long password");
        let code = param(&back, "code").unwrap();
        let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
            let both = [0, 1].map(|_| s.spawn(|| exchange(&t, &app, &code, VERIFIER)));
            both.map(|h| h.join().unwrap()).into()
        });
        assert!(
            answers.iter().filter(|(status, _)| *status == 200).count() <= 1,
            "round {round}: {answers:?}"
        );
        for (_, body) in &answers {
            if let Some(access) = body["access_token"].as_str() {
                assert_eq!(
                    introspect(&t, &app, access)["active"],
                    false,
                    "round {round}: a token of a code used twice lives on"
                );
            }
        }
    }
}

#[test]
fn a_revoked_access_token_is_refused_everywhere() {
    let t = server().tenant();
    for kind in ["jwt", "opaque"] {
        let app = app(&t, "client_secret_basic", kind);
        let user = format!("v-{kind}");
        human(&t, &user, "a long password");
        let url = auth_url(&t, &app, "").replace(
            "&scope=openid%20profile",
            &format!("&scope={}", enc("openid urn:portcullis:api:aud")),
        );
        let back = UserAgent::default().log_in(&t, &url, &user, "a long password");
        let (_, issued) = exchange(&t, &app, &param(&back, "code").unwrap(), VERIFIER);
        let access = issued["access_token"].as_str().unwrap();
        assert_eq!(t.as_token(access).get("/v1/users/me").status, 200);
        assert_eq!(revoke(&t, &app, access), 200);
        assert_eq!(introspect(&t, &app, access)["active"], false, "{kind}");
        assert_eq!(userinfo(&t, access), 401, "{kind}");
        assert_eq!(
            t.as_token(access).get("/v1/users/me").error(),
            (401, "AUTH-0001"),
            "{kind}"
        );
        // Another client may not revoke it.
        let (_, code) = logged_in_again(&t, &app, &user);
        let (_, fresh) = exchange(&t, &app, &code, VERIFIER);
        let other = super::oidc_support::app(&t, "client_secret_basic", "jwt");
        let fresh_access = fresh["access_token"].as_str().unwrap();
        assert_eq!(revoke(&t, &other, fresh_access), 200);
        assert_eq!(introspect(&t, &app, fresh_access)["active"], true);
    }
}

fn logged_in_again(t: &Tenant, app: &App, user: &str) -> (UserAgent, String) {
    let mut b = UserAgent::default();
    let back = b.log_in(t, &auth_url(t, app, ""), user, "a long password");
    (b, param(&back, "code").unwrap())
}

/// A client-credentials token of `client` (Basic authentication), with `scope`.
fn client_token(t: &Tenant, client: (&str, &str), scope: &str) -> String {
    let (status, issued) = post_form(
        t,
        "/oauth/v2/token",
        Some(client),
        &[("grant_type", "client_credentials"), ("scope", scope)],
    );
    assert_eq!(status, 200, "{issued}");
    issued["access_token"].as_str().unwrap().to_string()
}

fn revoke_as(t: &Tenant, client: (&str, &str), token: &str) -> u16 {
    post_form(t, "/oauth/v2/revoke", Some(client), &[("token", token)]).0
}

#[test]
fn a_client_credentials_token_is_revoked_on_its_own_by_its_client_only() {
    let t = server().tenant();
    let org = super::default_org(&t);
    let (_, secret) = machine(&t, "reporter", &["ORG_OWNER_VIEWER"]);
    let bot = ("reporter", secret.as_str());
    let api = "urn:portcullis:api:aud";
    let first = client_token(&t, bot, api);
    let second = client_token(&t, bot, api);
    let app = app(&t, "client_secret_basic", "jwt");
    assert_eq!(introspect(&t, &app, &first)["active"], true);

    // Another client cannot revoke it (RFC 7009: only the client it was issued to).
    assert_eq!(revoke(&t, &app, &first), 200);
    assert_eq!(introspect(&t, &app, &first)["active"], true);
    assert_eq!(t.as_token(&first).get("/v1/users/me").status, 200);

    // Its client revokes it: refused everywhere at once, and the other token lives on.
    assert_eq!(revoke_as(&t, bot, &first), 200);
    assert_eq!(introspect(&t, &app, &first)["active"], false);
    assert_eq!(
        t.as_token(&first).get("/v1/users/me").error(),
        (401, "AUTH-0001")
    );
    assert_eq!(introspect(&t, &app, &second)["active"], true);
    assert_eq!(t.as_token(&second).get("/v1/users/me").status, 200);
    // Revoking it again is no error (RFC 7009).
    assert_eq!(revoke_as(&t, bot, &first), 200);

    // An app's own opaque token, the same way.
    let project = t
        .client
        .post(
            &format!("/v1/orgs/{org}/projects"),
            json!({"name": "Batch"}),
        )
        .str("id");
    let created = t.client.post(
        &format!("/v1/projects/{project}/apps/oidc"),
        json!({"name": "m2m", "redirect_uris": [], "grant_types": ["client_credentials"],
               "auth_method": "client_secret_basic", "access_token_type": "opaque"}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let (client_id, app_secret) = (created.str("client_id"), created.str("client_secret"));
    let own = (client_id.as_str(), app_secret.as_str());
    let opaque = client_token(&t, own, "");
    assert_eq!(introspect(&t, &app, &opaque)["active"], true);
    assert_eq!(revoke_as(&t, own, &opaque), 200);
    assert_eq!(introspect(&t, &app, &opaque)["active"], false);
    assert_eq!(
        introspect(&t, &app, &client_token(&t, own, ""))["active"],
        true
    );
}
