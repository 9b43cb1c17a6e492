//! The API accepts the instance's own OAuth access tokens, for the token's subject, when the
//! token's audience names the instance's API (`urn:portcullis:api:aud`): a single-page app does
//! self-service with its user's token, a machine user calls with client credentials. Tried as an
//! attacker would: without the scope, an ID token, another instance's token.

use gateway::grpc::pb;
use pb::user_service_client::UserServiceClient;
use serde_json::{json, Value};
use testkit::{server, Client, Tenant};

use super::grpc::{block, call, channel};
use super::oidc_behaviours::{auth_url, exchange, logged_in, post_form, VERIFIER};
use super::oidc_support::{app, enc, human, machine, param, UserAgent};

const API: &str = "urn:portcullis:api:aud";

/// Tokens of a user's login at a new app of `t`, with `scope`.
fn user_tokens(t: &Tenant, username: &str, scope: &str) -> Value {
    let app = app(t, "client_secret_basic", "jwt");
    human(t, username, "a long password");
    let url =
        auth_url(t, &app, "").replace("&scope=openid%20profile", &format!("&scope={}", enc(scope)));
    let back = UserAgent::default().log_in(t, &url, username, "a long password");
    let (status, issued) = exchange(t, &app, &param(&back, "code").unwrap(), VERIFIER);
    assert_eq!(status, 200, "{issued}");
    issued
}

fn bearer(t: &Tenant, token: &str) -> Client {
    t.as_token(token)
}

#[test]
fn a_users_access_token_for_the_api_does_self_service_and_nothing_more() {
    let t = server().tenant();
    let issued = user_tokens(&t, "ada", &format!("openid {API}"));
    let access = issued["access_token"].as_str().unwrap();
    let me = bearer(&t, access).get("/v1/users/me");
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["username"], "ada");
    let id = me.str("id");
    // Self-service: the user's own profile.
    let changed = bearer(&t, access).patch(
        &format!("/v1/users/{id}/profile"),
        json!({"display_name": "Ada L."}),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    // Nothing the user may not do: reading the admin needs user.read.
    let admin = bearer(&t, access).get(&format!("/v1/users/{}", t.admin_user_id));
    assert_eq!(admin.error(), (403, "AUTHZ-0001"));
    // The ID token of the same login is no access token.
    let id_token = issued["id_token"].as_str().unwrap();
    assert_eq!(
        bearer(&t, id_token).get("/v1/users/me").error(),
        (401, "AUTH-0001")
    );
    // The same over gRPC.
    block(async {
        let mut users = UserServiceClient::new(channel(&t.domain).await);
        let me = users
            .get_me(call(pb::GetMeRequest {}, access, None))
            .await
            .expect("GetMe with an access token")
            .into_inner();
        assert_eq!(me.username, "ada");
        let refused = users
            .get_me(call(pb::GetMeRequest {}, id_token, None))
            .await
            .expect_err("an ID token");
        assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    });
}

#[test]
fn a_token_without_the_api_audience_or_of_another_instance_is_refused() {
    let t = server().tenant();
    let app = app(&t, "client_secret_basic", "jwt");
    let (_, code) = logged_in(&t, &app);
    let (_, issued) = exchange(&t, &app, &code, VERIFIER);
    let plain = issued["access_token"].as_str().unwrap();
    assert_eq!(
        bearer(&t, plain).get("/v1/users/me").error(),
        (401, "AUTH-0001")
    );
    // Another instance's token for its own API reaches only that instance.
    let other = server().tenant();
    let theirs = user_tokens(&other, "eve", &format!("openid {API}"));
    let token = theirs["access_token"].as_str().unwrap();
    assert_eq!(bearer(&other, token).get("/v1/users/me").status, 200);
    assert_eq!(
        bearer(&t, token).get("/v1/users/me").error(),
        (401, "AUTH-0001")
    );
}

#[test]
fn a_machine_user_calls_the_api_with_client_credentials() {
    let t = server().tenant();
    let org = super::default_org(&t);
    let (id, secret) = machine(&t, "reporter", &["ORG_OWNER_VIEWER"]);
    let (status, issued) = post_form(
        &t,
        "/oauth/v2/token",
        Some(("reporter", &secret)),
        &[("grant_type", "client_credentials"), ("scope", API)],
    );
    assert_eq!(status, 200, "{issued}");
    let token = issued["access_token"].as_str().unwrap();
    let users = bearer(&t, token).get(&format!("/v1/users?org_id={org}"));
    assert_eq!(users.status, 200, "{}", users.body);
    assert!(!users.body["items"].as_array().unwrap().is_empty());
    // Its membership's limits hold: viewing is not writing.
    let write = bearer(&t, token).post(
        &format!("/v1/orgs/{org}/users/machine"),
        json!({"username": "sneaky", "name": "Sneaky"}),
    );
    assert_eq!(write.error(), (403, "AUTHZ-0001"));
    // Deactivated, the token stops at once.
    let off = t
        .client
        .post(&format!("/v1/users/{id}/deactivate"), json!({}));
    assert_eq!(off.status, 200);
    let after = t.as_token(token).after(&off);
    assert_eq!(after.get("/v1/users/me").error(), (401, "AUTH-0001"));
}
