//! External identity providers as managers configure them: the instance's (`iam.idp.*`) and
//! an org's (`org.idp.*`), over REST and gRPC. The client secret is write-only: no answer and
//! no event shows it; a change without one keeps it. And what an attacker or a careless admin
//! would try: plain-http or non-web issuers, a secret missing, settings of the wrong type, an
//! org's manager reaching for the instance's IdPs or another org's.

use gateway::grpc::pb;
use pb::idp_service_client::IdpServiceClient;
use serde_json::{json, Value};
use testkit::server;

use super::default_org;
use super::grpc::{block, call, channel};
use super::login_sessions::caller;
use super::oidc_support::issuer;

const SECRET: &str = "the-idp-client-secret-0123456789";

fn oidc(name: &str) -> Value {
    json!({"name": name, "type": "oidc",
           "options": {"auto_update": false, "auto_create": false},
           "oidc": {"issuer": "https://sso.acme.example/", "client_id": "portcullis",
                    "client_secret": SECRET, "scopes": ["email", "profile"]}})
}

#[test]
fn an_instance_idp_is_added_read_changed_and_removed_and_its_secret_never_shown() {
    let t = server().tenant();
    let c = &t.client;
    let added = c.post("/v1/instance/idps", oidc("Acme SSO"));
    assert_eq!(added.status, 201, "{}", added.body);
    let id = added.str("id");
    let read = c.after(&added).get(&format!("/v1/instance/idps/{id}"));
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["name"], "Acme SSO");
    assert_eq!(read.body["type"], "oidc");
    assert_eq!(read.body["oidc"]["issuer"], "https://sso.acme.example");
    assert_eq!(read.body["oidc"]["scopes"], json!(["email", "profile"]));
    assert_eq!(read.body["options"]["auto_link"], "none");
    assert_eq!(read.body["options"]["auto_update"], false);
    assert_eq!(read.body["options"]["auto_create"], false);
    assert_eq!(read.body["options"]["creation_allowed"], true);
    assert_eq!(
        read.body["callback_url"],
        format!("{}/ui/login/idp/callback", issuer(&t)).as_str()
    );
    let listed = c.get("/v1/instance/idps");
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    // The secret is in no answer and no event.
    let events = c.get("/v1/events?limit=1000");
    for body in [&read.body, &listed.body, &events.body] {
        assert!(!body.to_string().contains(SECRET), "{body}");
    }
    let event = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "instance.idp.added")
        .expect("the event");
    assert_eq!(
        event["payload"]["idp"]["kind"]["oidc"]["client_id"],
        "portcullis"
    );

    // A change without a secret keeps it; a change of type needs one.
    let mut renamed = oidc("Acme");
    renamed["oidc"]
        .as_object_mut()
        .unwrap()
        .remove("client_secret");
    let changed = c.patch(&format!("/v1/instance/idps/{id}"), renamed);
    assert_eq!(changed.status, 200, "{}", changed.body);
    let to_oauth = c.patch(
        &format!("/v1/instance/idps/{id}"),
        json!({"name": "Acme", "type": "oauth", "oauth": {
            "authorization_endpoint": "https://sso.acme.example/authorize",
            "token_endpoint": "https://sso.acme.example/token",
            "userinfo_endpoint": "https://sso.acme.example/userinfo",
            "client_id": "portcullis"}}),
    );
    assert_eq!(to_oauth.error(), (400, "IDP-0001"), "{}", to_oauth.body);
    assert_eq!(to_oauth.body["details"]["field"], "client_secret");
    let read = c.after(&changed).get(&format!("/v1/instance/idps/{id}"));
    assert_eq!(read.body["name"], "Acme");

    let removed = c.delete(&format!("/v1/instance/idps/{id}"));
    assert_eq!(removed.status, 200, "{}", removed.body);
    let gone = c.after(&removed).get(&format!("/v1/instance/idps/{id}"));
    assert_eq!(gone.error(), (404, "IDP-0002"));
}

#[test]
fn bad_configurations_are_refused_with_the_field_that_is_wrong() {
    let t = server().tenant();
    let with = |path: &str, value: Value| {
        let mut body = oidc("Acme");
        let mut at = &mut body;
        let parts: Vec<&str> = path.split('.').collect();
        for p in &parts[..parts.len() - 1] {
            at = &mut at[*p];
        }
        at[parts[parts.len() - 1]] = value;
        body
    };
    for (body, field) in [
        (
            with("oidc.issuer", json!("http://sso.acme.example")),
            "issuer",
        ),
        (with("oidc.issuer", json!("file:///etc/passwd")), "issuer"),
        (with("oidc.issuer", json!("javascript:alert(1)")), "issuer"),
        (with("oidc.client_id", json!("")), "client_id"),
        (with("oidc.client_secret", json!("")), "client_secret"),
        (with("oidc.scopes", json!(["a b"])), "scopes"),
        (with("name", json!("")), "name"),
        (with("type", json!("saml2")), "type"),
        (
            with("options.auto_link", json!("anything")),
            "options.auto_link",
        ),
        (
            with(
                "oauth",
                json!({"authorization_endpoint": "https://a.example", "token_endpoint": "https://a.example",
                       "userinfo_endpoint": "https://a.example", "client_id": "c", "client_secret": "s"}),
            ),
            "type",
        ),
    ] {
        let r = t.client.post("/v1/instance/idps", body.clone());
        assert_eq!(r.error(), (400, "IDP-0001"), "{body}: {}", r.body);
        assert_eq!(r.body["details"]["field"], field, "{body}");
    }
    // Unknown fields are refused as a malformed body, not dropped.
    let extra = with("oidc.client_secrets", json!("typo"));
    assert_eq!(
        t.client.post("/v1/instance/idps", extra).error().1,
        "REQ-0001"
    );
    let nothing = t.client.get("/v1/instance/idps");
    assert_eq!(nothing.body["items"], json!([]));
}

#[test]
fn an_org_manager_keeps_to_its_own_orgs_idps() {
    let t = server().tenant();
    let org = default_org(&t);
    let other = t
        .client
        .post("/v1/orgs", json!({"name": "Other"}))
        .str("id");
    // An ORG_OWNER of the default org, with a token.
    let owner = caller(&t, "org-owner", &["ORG_OWNER"], false);
    let added = owner.post(&format!("/v1/orgs/{org}/idps"), oidc("Acme SSO"));
    assert_eq!(added.status, 201, "{}", added.body);
    let listed = owner.after(&added).get(&format!("/v1/orgs/{org}/idps"));
    assert_eq!(listed.body["items"][0]["name"], "Acme SSO");
    for (method, path) in [
        ("POST", format!("/v1/orgs/{other}/idps")),
        ("GET", format!("/v1/orgs/{other}/idps")),
        ("POST", "/v1/instance/idps".to_string()),
        ("GET", "/v1/instance/idps".to_string()),
    ] {
        let body = (method == "POST").then(|| oidc("Mine now").to_string().into_bytes());
        let r = owner.send(method, &path, body, &[]);
        assert_eq!(
            r.error(),
            (403, "AUTHZ-0001"),
            "{method} {path}: {}",
            r.body
        );
    }
    // Another org's IdP is not found through this org.
    let id = added.str("id");
    let elsewhere = t.client.get(&format!("/v1/orgs/{other}/idps/{id}"));
    assert_eq!(elsewhere.error(), (404, "IDP-0002"));
}

#[test]
fn the_same_over_grpc() {
    let t = server().tenant();
    let org = default_org(&t);
    block(async {
        let mut idps = IdpServiceClient::new(channel(&t.domain).await);
        let settings = pb::IdpSettings {
            name: "Acme SSO".into(),
            options: None,
            config: Some(pb::idp_settings::Config::Oidc(pb::OidcIdp {
                issuer: "https://sso.acme.example".into(),
                client_id: "portcullis".into(),
                client_secret: SECRET.into(),
                scopes: vec!["email".into()],
            })),
        };
        let added = idps
            .add_org_idp(call(
                pb::AddOrgIdpRequest {
                    org_id: org.clone(),
                    settings: Some(settings),
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect("added")
            .into_inner();
        let got = idps
            .get_org_idp(call(
                pb::GetOrgIdpRequest {
                    org_id: org.clone(),
                    id: added.id.clone(),
                },
                &t.admin_pat,
                Some(&added.position),
            ))
            .await
            .expect("read")
            .into_inner();
        // As REST answers it, the secret left out.
        let rest = t.client.get(&format!("/v1/orgs/{org}/idps/{}", added.id));
        assert_eq!(got.name, rest.str("name"));
        assert_eq!(got.r#type, "oidc");
        let Some(pb::idp::Config::Oidc(c)) = got.config else {
            panic!("an OIDC IdP")
        };
        assert_eq!(c.issuer, rest.body["oidc"]["issuer"].as_str().unwrap());
        assert_eq!(c.client_secret, "");
        assert!(got.callback_url.ends_with("/ui/login/idp/callback"));
        let bad = idps
            .add_instance_idp(call(
                pb::AddInstanceIdpRequest { settings: None },
                &t.admin_pat,
                None,
            ))
            .await
            .expect_err("no settings");
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    });
}
