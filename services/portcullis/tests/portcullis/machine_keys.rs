//! Keys of machine users and apps, and the assertions they sign: the keys API (a generated key
//! returned once as a key file, an uploaded public key, expiry, removal), then Python authlib,
//! unchanged, using the JWT bearer grant, `private_key_jwt` and `client_secret_jwt` against the
//! default instance, and the assertions an attacker would make with joserfc.

use serde_json::{json, Value};
use testkit::{server, Client};

use super::default_org_of as default_org;
use super::oidc_clients::{run, venv_python};

/// A P-256 key pair made for this test (`openssl genpkey`), the public half uploaded.
const EC_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwF7YAv0wDFlXGO7M
muqvycQM1ke0kwAguULGNguB3+WhRANCAATX9bOz+sXjcAAfkuG2Vk8ppIkN6EYE
XqHtD5ZeOCvT8LSk/CiMJ/RghuOPRouefO5e5mzElPBin/VePCqjHx2I
-----END PRIVATE KEY-----
";
const EC_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1/Wzs/rF43AAH5LhtlZPKaSJDehG
BF6h7Q+WXjgr0/C0pPwojCf0YIbjj0aLnnzuXuZsxJTwYp/1Xjwqox8diA==
-----END PUBLIC KEY-----
";

fn machine(admin: &Client, org: &str, name: &str) -> String {
    admin
        .post(
            &format!("/v1/orgs/{org}/users/machine"),
            json!({"username": name, "name": "Bot"}),
        )
        .str("id")
}

/// An app authenticating with `auth_method`, allowed client credentials: (project, app, reply).
fn app(admin: &Client, org: &str, tag: &str, auth_method: &str) -> (String, String, Value) {
    let project = admin
        .post(
            &format!("/v1/orgs/{org}/projects"),
            json!({"name": format!("p-{tag}-{auth_method}")}),
        )
        .str("id");
    let app = admin.post(
        &format!("/v1/projects/{project}/apps/oidc"),
        json!({"name": "service", "redirect_uris": ["https://app.example.com/cb"],
               "auth_method": auth_method,
               "grant_types": ["authorization_code", "client_credentials"]}),
    );
    assert_eq!(app.status, 201, "{}", app.body);
    (project, app.str("id"), app.body)
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

/// The token endpoint's answer to a JWT bearer grant with `assertion`.
fn bearer_grant(client: &Client, assertion: &str) -> testkit::Reply {
    client.send(
        "POST",
        "/oauth/v2/token",
        Some(form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion),
        ])),
        &[("Content-Type", "application/x-www-form-urlencoded")],
    )
}

#[test]
fn keys_are_generated_once_uploaded_listed_and_removed() {
    let admin = server().default_instance();
    let org = default_org(&admin);
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let bot = machine(&admin, &org, &format!("keys-{tag}"));

    // Generated: the key file comes back once, with the private key.
    let made = admin.post(&format!("/v1/users/{bot}/keys"), json!({}));
    assert_eq!(made.status, 201, "{}", made.body);
    let file = &made.body["key_file"];
    assert_eq!(file["type"], "serviceaccount");
    assert_eq!(file["user_id"], bot.as_str());
    assert_eq!(file["key_id"], made.body["id"]);
    assert!(file["key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----"));

    // Uploaded: no key file; with an expiry.
    let uploaded = admin.post(
        &format!("/v1/users/{bot}/keys"),
        json!({"public_key": EC_PUBLIC, "expires_at": "2099-01-01T00:00:00Z"}),
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    assert!(uploaded.body.get("key_file").is_none());

    // Listed with their public facts only.
    let list = admin.get(&format!("/v1/users/{bot}/keys"));
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", list.body);
    let algs: Vec<&str> = items.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert!(
        algs.contains(&"RS256") && algs.contains(&"ES256"),
        "{algs:?}"
    );
    assert!(!list.body.to_string().contains("PRIVATE"));
    let ec = items.iter().find(|k| k["alg"] == "ES256").unwrap();
    assert_eq!(ec["expires_at"], "2099-01-01T00:00:00Z");

    // Removed once; a second time it is gone.
    let key_id = made.str("id");
    let gone = admin.delete(&format!("/v1/users/{bot}/keys/{key_id}"));
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(
        admin
            .delete(&format!("/v1/users/{bot}/keys/{key_id}"))
            .error(),
        (404, "KEY-0001")
    );
    assert_eq!(
        admin.get(&format!("/v1/users/{bot}/keys")).body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn keys_that_cannot_be_used_are_refused_with_their_codes() {
    let admin = server().default_instance();
    let org = default_org(&admin);
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let bot = machine(&admin, &org, &format!("bad-keys-{tag}"));
    let path = format!("/v1/users/{bot}/keys");
    let private_pem = EC_PRIVATE;
    for (body, expected) in [
        (json!({"public_key": "not a key"}), (400, "KEY-0002")),
        (json!({"public_key": private_pem}), (400, "KEY-0002")),
        (json!({"public_key": "A".repeat(5000)}), (400, "KEY-0002")),
        (
            json!({"expires_at": "2001-01-01T00:00:00Z"}),
            (400, "USER-0008"),
        ),
        (json!({"kid": "mine"}), (400, "REQ-0001")),
    ] {
        assert_eq!(admin.post(&path, body.clone()).error(), expected, "{body}");
    }
    // A human has no keys.
    let human = admin
        .post(
            &format!("/v1/orgs/{org}/users/human"),
            json!({"username": format!("human-{tag}"),
                   "profile": {"given_name": "Ada", "family_name": "L"},
                   "email": {"address": format!("human-{tag}@example.com")}}),
        )
        .str("id");
    assert_eq!(
        admin
            .post(&format!("/v1/users/{human}/keys"), json!({}))
            .error(),
        (422, "USER-0006")
    );
    // A machine user does not make keys for itself with its own token.
    let pat = admin.post(&format!("/v1/users/{bot}/pats"), json!({}));
    let own = Client::new(&server().base(), Some("localhost"))
        .token(&pat.str("token"))
        .at(&pat.str("position"));
    assert_eq!(own.post(&path, json!({})).status, 403);
    // An app with a secret holds no keys.
    let (project, app_id, _) = app(&admin, &org, &tag, "client_secret_basic");
    assert_eq!(
        admin
            .post(
                &format!("/v1/projects/{project}/apps/{app_id}/keys"),
                json!({})
            )
            .error(),
        (422, "KEY-0004")
    );
}

#[test]
fn python_authlib_uses_keys_and_secret_assertions_and_attacks_are_refused() {
    let admin = server().default_instance();
    let org = default_org(&admin);
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let bot = machine(&admin, &org, &format!("signer-{tag}"));
    let other = machine(&admin, &org, &format!("other-{tag}"));
    let key = admin.post(&format!("/v1/users/{bot}/keys"), json!({}));
    let key_id = key.str("id");
    let other_key = admin.post(&format!("/v1/users/{other}/keys"), json!({}));
    let uploaded = admin.post(
        &format!("/v1/users/{bot}/keys"),
        json!({"public_key": EC_PUBLIC}),
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let (project, pkj_app, _) = app(&admin, &org, &tag, "private_key_jwt");
    let app_key = admin.post(
        &format!("/v1/projects/{project}/apps/{pkj_app}/keys"),
        json!({}),
    );
    assert_eq!(app_key.status, 201, "{}", app_key.body);
    assert_eq!(app_key.body["key_file"]["type"], "application");
    let (_, _, csj) = app(&admin, &org, &tag, "client_secret_jwt");
    let issuer = format!("http://localhost:{}", server().addr.port());
    let seen = run(
        &venv_python(),
        &["authlib_assertions.py"],
        &[
            ("ISSUER", &issuer),
            ("MACHINE_KEY_FILE", &key.body["key_file"].to_string()),
            ("OTHER_KEY_FILE", &other_key.body["key_file"].to_string()),
            ("EC_PRIVATE_KEY", EC_PRIVATE),
            ("APP_KEY_FILE", &app_key.body["key_file"].to_string()),
            ("CSJ_CLIENT_ID", csj["client_id"].as_str().unwrap()),
            ("CSJ_SECRET", csj["client_secret"].as_str().unwrap()),
        ],
    );
    // Discovery names the grant and the methods; every library client got its token.
    let discovery = &seen["discovery"];
    assert!(discovery["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("urn:ietf:params:oauth:grant-type:jwt-bearer")));
    for method in ["private_key_jwt", "client_secret_jwt"] {
        assert!(discovery["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(method)));
    }
    assert_eq!(seen["jwt_bearer"], "Bearer");
    assert_eq!(seen["private_key_jwt"], "Bearer");
    assert_eq!(seen["client_secret_jwt"], "Bearer");
    // The token the uploaded EC key got is about the machine user.
    assert_eq!(seen["introspected"]["active"], true);
    assert_eq!(seen["introspected"]["sub"], bot.as_str());

    let attacks = &seen["attacks"];
    assert_eq!(attacks["first_use"], Value::Null, "{attacks}");
    for attack in [
        "replayed",
        "wrong_audience",
        "expired",
        "two_hours",
        "no_exp",
        "other_users_key",
        "other_users_key_no_kid",
        "for_another_subject",
        "sub_is_not_iss",
        "hs256_with_the_public_key",
        "unsigned",
        "garbage",
    ] {
        assert_eq!(attacks[attack], "invalid_grant", "{attack}: {attacks}");
    }
    let client = &seen["client_attacks"];
    assert_eq!(client["first_use"], Value::Null, "{client}");
    assert_eq!(client["csj_right_secret"], Value::Null, "{client}");
    for attack in [
        "replayed",
        "another_client_id_beside_it",
        "signed_by_a_machine_users_key",
        "csj_wrong_secret",
        "pkj_app_with_hs256",
    ] {
        assert_eq!(client[attack], "invalid_client", "{attack}: {client}");
    }

    // A fresh assertion is refused by another instance, then works where it belongs.
    let fresh = seen["fresh"].as_array().unwrap();
    let (first, second) = (fresh[0].as_str().unwrap(), fresh[1].as_str().unwrap());
    let elsewhere = server().tenant();
    // The new instance answers at its domain once the read model has it.
    assert_eq!(elsewhere.client.get("/v1/users/me").status, 200);
    assert_eq!(
        bearer_grant(&elsewhere.anonymous(), first).body["error"],
        "invalid_grant"
    );
    let here = Client::new(&server().base(), Some("localhost"));
    let ok = bearer_grant(&here, first);
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Once its key is removed, what it signed is refused at once.
    let removed = admin.delete(&format!("/v1/users/{bot}/keys/{key_id}"));
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(bearer_grant(&here, second).body["error"], "invalid_grant");
}
