//! `private_key_jwt` with the keys an app publishes at its `jwks_uri`: an assertion signed by
//! a published key authenticates the app; after the app rotates its keys the new key works
//! (the set is fetched again, at most every 5 seconds) and the old one stops; a key the app
//! never published does not work.

use serde_json::{json, Value};
use testkit::server;

use super::http_sink::HttpSink;
use super::oidc_behaviours::post_form;
use super::oidc_support::{issuer, new_app, unix_now, Es256Key};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn key_set(keys: &[(&str, &Es256Key)]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|(kid, key)| {
            let mut jwk = key.jwk();
            jwk["kid"] = json!(kid);
            jwk["use"] = json!("sig");
            jwk["alg"] = json!("ES256");
            jwk
        })
        .collect();
    json!({ "keys": keys }).to_string()
}

/// An assertion of `client_id` signed by `key` (named `kid`) for the token endpoint.
fn assertion(client_id: &str, token_endpoint: &str, key: &Es256Key, kid: &str) -> String {
    let now = unix_now();
    key.sign(
        &json!({"alg": "ES256", "kid": kid}),
        &json!({"iss": client_id, "sub": client_id, "aud": token_endpoint, "iat": now,
                "exp": now + 60, "jti": uuid::Uuid::now_v7().to_string()}),
    )
}

#[test]
fn an_app_authenticates_with_the_keys_it_publishes_and_rotates() {
    let t = server().tenant();
    let site = HttpSink::start(0);
    let first = Es256Key::new();
    site.serve(&key_set(&[("k1", &first)]));
    let (_, app) = new_app(
        &t,
        json!({"name": "worker", "redirect_uris": [], "auth_method": "private_key_jwt",
               "grant_types": ["client_credentials"], "jwks_uri": site.url("/jwks.json")}),
    );
    assert_eq!(app.body.get("client_secret"), None);
    let client_id = app.str("client_id");
    let endpoint = format!("{}/oauth/v2/token", issuer(&t));
    let token_with = |key: &Es256Key, kid: &str| {
        let a = assertion(&client_id, &endpoint, key, kid);
        post_form(
            &t,
            "/oauth/v2/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &a),
            ],
        )
    };
    let (status, body) = token_with(&first, "k1");
    assert_eq!(status, 200, "{body}");
    assert_eq!(site.calls("/jwks.json").len(), 1, "fetched once");
    let (status, _) = token_with(&first, "k1");
    assert_eq!(status, 200);
    assert_eq!(site.calls("/jwks.json").len(), 1, "then kept");
    // A key the app never published.
    let stranger = Es256Key::new();
    let (status, body) = token_with(&stranger, "k1");
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
    assert_eq!(
        site.calls("/jwks.json").len(),
        1,
        "a failed assertion does not fetch the set again within 5 seconds"
    );

    // The app rotates: the new key works once the set may be fetched again, the old stops.
    let second = Es256Key::new();
    site.serve(&key_set(&[("k2", &second)]));
    std::thread::sleep(std::time::Duration::from_millis(5_100));
    let (status, body) = token_with(&second, "k2");
    assert_eq!(status, 200, "{body}");
    assert_eq!(site.calls("/jwks.json").len(), 2);
    let (status, body) = token_with(&first, "k1");
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
}
