//! DPoP (RFC 9449): tokens bound to a key the client holds. openid-client as a public client
//! (code flow, refresh, userinfo, the REST API); proofs made with joserfc as a client makes
//! them and bent every way an attacker would; the gRPC API with a proof made here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gateway::grpc::pb;
use pb::user_service_client::UserServiceClient;
use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::grpc::{block, channel};
use super::oidc_behaviours::{auth_url, VERIFIER};
use super::oidc_clients::{confidential_app, default_org_of, issuer, run, venv_python};
use super::oidc_support::{self, machine, new_app, Es256Key, REDIRECT};

/// A confidential app of the tenant that may introspect: its client id and secret.
fn introspector(t: &Tenant) -> (String, String) {
    let (_, app) = new_app(
        t,
        json!({"name": "api", "redirect_uris": [], "auth_method": "client_secret_basic",
               "grant_types": ["client_credentials"]}),
    );
    (app.str("client_id"), app.str("client_secret"))
}

#[test]
fn openid_client_binds_its_tokens_to_its_key_and_a_thief_without_it_gets_nowhere() {
    let admin = server().default_instance();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let org = default_org_of(&admin);
    let app = confidential_app(&admin, &org, &tag, "none");
    let username = format!("dpop-{tag}");
    let user = admin.post(
        &format!("/v1/orgs/{org}/users/human"),
        json!({"username": username, "profile": {"given_name": "Ada", "family_name": "L"},
               "email": {"address": format!("{username}@example.com")}, "password": "a long password"}),
    );
    assert_eq!(user.status, 201, "{}", user.body);
    let introspector = confidential_app(&admin, &org, &format!("{tag}-i"), "client_secret_basic");
    let _ = admin.after(&introspector).get("/v1/users/me");
    let seen = run(
        "node",
        &["dpop.mjs"],
        &[
            ("ISSUER", &issuer()),
            ("CLIENT_ID", &app.str("client_id")),
            ("REDIRECT_URI", REDIRECT),
            ("USERNAME", &username),
            ("PASSWORD", "a long password"),
        ],
    );
    // The owner of the key: bound tokens, accepted by userinfo and the API, refreshed.
    assert_eq!(seen["tokenType"], "dpop", "{seen}");
    assert_eq!(seen["refreshedType"], "dpop");
    assert_eq!(seen["sub"], user.str("id").as_str());
    assert_eq!(seen["userinfo"]["sub"], user.str("id").as_str());
    assert_eq!(seen["me"]["status"], 200);
    assert_eq!(seen["me"]["body"]["id"], user.str("id").as_str());
    // The thief with copies of the tokens: as bearer tokens, without a proof, with another key.
    assert_eq!(seen["bearerUserinfo"], 401);
    assert_eq!(seen["bearerApi"], 401);
    assert_eq!(seen["refreshWithOtherKey"], "invalid_dpop_proof");
    assert_eq!(seen["refreshWithoutProof"], "invalid_dpop_proof");
    assert_eq!(seen["userinfoWithOtherKey"], 401);
    // The thief's tries did not use up the owner's refresh token.
    assert_eq!(seen["ownerRefreshedAgain"], "dpop");
    // Introspection names the key the token is bound to.
    let (status, body, _) = post_proven(
        &issuer(),
        "/oauth/v2/introspect",
        (
            &introspector.str("client_id"),
            &introspector.str("client_secret"),
        ),
        &[("token", seen["accessToken"].as_str().unwrap())],
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(body["cnf"]["jkt"], seen["jkt"]);
}

#[test]
fn proofs_bent_by_an_attacker_are_refused_at_the_token_endpoint_and_the_resources() {
    let t = server().tenant();
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let username = format!("bot-{tag}");
    let (bot, secret) = machine(&t, &username, &["ORG_USER_MANAGER"]);
    let (introspector_id, introspector_secret) = introspector(&t);
    let seen = run(
        &venv_python(),
        &["dpop_attacks.py"],
        &[
            ("ISSUER", &oidc_support::issuer(&t)),
            ("ADDR", &format!("127.0.0.1:{}", server().addr.port())),
            ("CLIENT_ID", &username),
            ("CLIENT_SECRET", &secret),
            ("CONFIDENTIAL_ID", &introspector_id),
            ("CONFIDENTIAL_SECRET", &introspector_secret),
        ],
    );
    // The server asks for its nonce, then binds the token to the proof's key.
    assert_eq!(
        seen["without_nonce"],
        json!([400, "use_dpop_nonce"]),
        "{seen}"
    );
    assert_eq!(seen["nonce_handed_out"], true);
    assert_eq!(seen["issued"][0], 200);
    assert_eq!(seen["token_type"], "DPoP");
    assert_eq!(seen["next_nonce"], true);
    assert_eq!(seen["rs256_proof"][0], 200, "{seen}");
    assert_eq!(seen["ps256_proof"][0], 200, "{seen}");
    for (attack, outcome) in seen["token_attacks"].as_object().unwrap() {
        let expected = match attack.as_str() {
            "forged_nonce" => json!([400, "use_dpop_nonce"]),
            _ => json!([400, "invalid_dpop_proof"]),
        };
        assert_eq!(outcome, &expected, "{attack}");
    }
    // The bound token at userinfo and the API, with a proof of its key.
    assert_eq!(seen["userinfo"][0], 200, "{seen}");
    assert_eq!(seen["userinfo_sub"], bot.as_str());
    assert_eq!(seen["api"][0], 200, "{seen}");
    assert_eq!(seen["api_user"], bot.as_str());
    // Refused with the stable code (the API) or the OAuth error (userinfo) of a bad proof.
    for (attack, outcome) in seen["resource_attacks"].as_object().unwrap() {
        let expected = match attack.ends_with("userinfo") {
            true => "invalid_dpop_proof",
            false => "OIDC-0011",
        };
        assert_eq!(outcome, &json!([401, expected]), "{attack}");
    }
    assert!(seen["userinfo_challenge"]
        .as_str()
        .is_some_and(|c| c.starts_with("DPoP error=\"invalid_dpop_proof\"")));
    let introspected = &seen["introspected"];
    assert_eq!(introspected["token_type"], "DPoP");
    assert_eq!(introspected["cnf"]["jkt"], seen["thumbprint"]);
}

/// A client's ES256 key, making DPoP proofs.
struct Prover(Es256Key);

impl Prover {
    fn new() -> Prover {
        Prover(Es256Key::new())
    }

    fn proof(&self, method: &str, url: &str, token: Option<&str>, nonce: Option<&str>) -> String {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.0.jwk()});
        let mut claims = json!({"jti": uuid::Uuid::now_v7().to_string(), "htm": method,
            "htu": url, "iat": oidc_support::unix_now()});
        if let Some(t) = token {
            let hash = ring::digest::digest(&ring::digest::SHA256, t.as_bytes());
            claims["ath"] = json!(URL_SAFE_NO_PAD.encode(hash));
        }
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        self.0.sign(&header, &claims)
    }
}

/// A form posted to `path` of the instance at `iss` as `client` (HTTP Basic), with a proof of
/// `prover`'s key when one is given: its status, body and `DPoP-Nonce`.
fn post_proven(
    iss: &str,
    path: &str,
    client: (&str, &str),
    form: &[(&str, &str)],
    prover: Option<(&Prover, Option<&str>)>,
) -> (u16, Value, Option<String>) {
    let url = format!("{iss}{path}");
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", oidc_support::enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        oidc_support::enc(client.0),
        oidc_support::enc(client.1)
    ));
    let mut req = ureq::http::Request::builder()
        .method("POST")
        .uri(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", format!("Basic {basic}"));
    if let Some((prover, nonce)) = prover {
        req = req.header("dpop", prover.proof("POST", &url, None, nonce));
    }
    let resp = oidc_support::send(req.body(body.into_bytes()).unwrap());
    let nonce = resp
        .headers()
        .get("dpop-nonce")
        .map(|v| v.to_str().unwrap().to_string());
    let body = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (resp.status().as_u16(), body, nonce)
}

/// A token request with a proof of `prover`'s key, after the nonce the server asks for.
fn token_proven(
    t: &Tenant,
    client: (&str, &str),
    form: &[(&str, &str)],
    prover: &Prover,
) -> (u16, Value) {
    let iss = oidc_support::issuer(t);
    let (status, body, nonce) =
        post_proven(&iss, "/oauth/v2/token", client, form, Some((prover, None)));
    assert_eq!((status, &body["error"]), (400, &json!("use_dpop_nonce")));
    let nonce = nonce.expect("a DPoP-Nonce header");
    let (status, body, _) = post_proven(
        &iss,
        "/oauth/v2/token",
        client,
        form,
        Some((prover, Some(&nonce))),
    );
    (status, body)
}

/// A machine user's token bound to `prover`'s key, for the API, by client credentials.
fn bound_token(t: &Tenant, prover: &Prover, username: &str, secret: &str) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "openid urn:portcullis:api:aud"),
    ];
    let (status, body) = token_proven(t, (username, secret), &form, prover);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    body["access_token"].as_str().unwrap().to_string()
}

#[test]
fn a_bound_token_is_exchanged_only_with_a_proof_of_its_key() {
    let t = server().tenant();
    let iss = oidc_support::issuer(&t);
    let username = format!("bot-{}", uuid::Uuid::now_v7().simple());
    let (bot, secret) = machine(&t, &username, &["ORG_USER_MANAGER"]);
    let prover = Prover::new();
    let token = bound_token(&t, &prover, &username, &secret);
    let (_, app) = new_app(
        &t,
        json!({"name": "orders", "redirect_uris": [], "auth_method": "client_secret_basic",
               "grant_types": ["client_credentials", "token_exchange"]}),
    );
    let service = (app.str("client_id"), app.str("client_secret"));
    let service = (service.0.as_str(), service.1.as_str());
    let form = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", token.as_str()),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
    ];
    // Whoever holds a copy of the token cannot trade it for one bound to nothing, nor to
    // their own key.
    let (status, body, _) = post_proven(&iss, "/oauth/v2/token", service, &form, None);
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_dpop_proof"))
    );
    let (status, body) = token_proven(&t, service, &form, &Prover::new());
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_dpop_proof"))
    );
    // With a proof of the token's key, the new token is bound to it too.
    let (status, body) = token_proven(&t, service, &form, &prover);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let (status, introspected, _) = post_proven(
        &iss,
        "/oauth/v2/introspect",
        service,
        &[("token", body["access_token"].as_str().unwrap())],
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(introspected["sub"], bot.as_str());
    assert_eq!(introspected["token_type"], "DPoP");
}

#[test]
fn the_grpc_api_takes_a_bound_token_with_a_proof_of_its_call() {
    let t = server().tenant();
    let username = format!("bot-{}", uuid::Uuid::now_v7().simple());
    let (bot, secret) = machine(&t, &username, &["ORG_USER_MANAGER"]);
    let prover = Prover::new();
    let token = bound_token(&t, &prover, &username, &secret);
    let url = format!(
        "http://{}:{}/portcullis.v1.UserService/GetMe",
        t.domain,
        server().grpc.port()
    );
    let call = |authorization: String, proof: Option<String>| {
        let mut r = tonic::Request::new(pb::GetMeRequest {});
        r.metadata_mut()
            .insert("authorization", authorization.parse().unwrap());
        if let Some(p) = proof {
            r.metadata_mut().insert("dpop", p.parse().unwrap());
        }
        r
    };
    block(async {
        let mut users = UserServiceClient::new(channel(&t.domain).await);
        let me = users
            .get_me(call(
                format!("DPoP {token}"),
                Some(prover.proof("POST", &url, Some(&token), None)),
            ))
            .await
            .expect("the owner of the key is let in")
            .into_inner();
        assert_eq!(me.id, bot);
        // As a bearer token, without a proof, with another key's, for another method.
        let thief = Prover::new();
        let other_method = url.replace("GetMe", "ListUsers");
        for (what, request) in [
            ("bearer", call(format!("Bearer {token}"), None)),
            ("no proof", call(format!("DPoP {token}"), None)),
            (
                "another key",
                call(
                    format!("DPoP {token}"),
                    Some(thief.proof("POST", &url, Some(&token), None)),
                ),
            ),
            (
                "another method",
                call(
                    format!("DPoP {token}"),
                    Some(prover.proof("POST", &other_method, Some(&token), None)),
                ),
            ),
        ] {
            let refused = users.get_me(request).await.expect_err(what);
            assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{what}");
        }
    });
}

/// The RFC 7638 thumbprint of an EC key's JWK.
fn thumbprint(jwk: &Value) -> String {
    let members = format!(
        r#"{{"crv":"P-256","kty":"EC","x":{},"y":{}}}"#,
        jwk["x"], jwk["y"]
    );
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        members.as_bytes(),
    ))
}

#[test]
fn a_code_asked_for_with_dpop_jkt_goes_only_with_a_proof_of_that_key() {
    let t = server().tenant();
    let app = oidc_support::app(&t, "client_secret_basic", "jwt");
    let prover = Prover::new();
    let jkt = thumbprint(&prover.0.jwk());
    oidc_support::human(&t, "ada", "a long password");
    let mut browser = oidc_support::UserAgent::default();
    let url = auth_url(&t, &app, &format!("&dpop_jkt={jkt}"));
    let back = browser.log_in(&t, &url, "ada", "a long password");
    let code = oidc_support::param(&back, "code").expect("a code");
    let secret = app.client_secret.clone().unwrap();
    let client = (app.client_id.as_str(), secret.as_str());
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    // Another key's proof: the code is not given out (and it is used up).
    let (status, body) = token_proven(&t, client, &form, &Prover::new());
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_dpop_proof"))
    );
    // The next login's code, with a proof of the key it was asked for: a bound token.
    let back = browser.log_in(&t, &url, "ada", "a long password");
    let code = oidc_support::param(&back, "code").expect("a code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = token_proven(&t, client, &form, &prover);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    // A thumbprint that is none refuses the request at once.
    let bad = browser.request("GET", &auth_url(&t, &app, "&dpop_jkt=short"), None);
    let location = bad.location.unwrap_or_default();
    assert_eq!(
        oidc_support::param(&location, "error").as_deref(),
        Some("invalid_request"),
        "{location}"
    );
}
