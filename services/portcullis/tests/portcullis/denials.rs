//! Every documented operation, called by a user of the instance without any role on real
//! resources: 403 naming the permission its document states (lists answer with what the
//! caller may read instead), and nothing is written. And every operation on a resource that
//! does not exist: 404 with a stable code, called by an admin.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use testkit::server;

use super::{default_org, event_count};

/// A valid body for each operation that takes one (a new route must add its own).
/// A service provider's metadata, for the SAML app operations.
const SP_METADATA: &str = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://denied.example.com/saml"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://denied.example.com/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>"#;

fn bodies(user: &str, project: &str, org_b: &str) -> BTreeMap<&'static str, Value> {
    let app = json!({"name": "web", "redirect_uris": ["https://a.example.com/cb"], "auth_method": "none"});
    let saml = json!({"name": "Wiki", "metadata_xml": SP_METADATA});
    let idp = json!({"name": "Acme", "type": "oidc",
        "oidc": {"issuer": "https://sso.example.com", "client_id": "c", "client_secret": "s"}});
    BTreeMap::from([
        (
            "create_instance",
            json!({"name": "X", "domains": ["denied.test"], "admin": {"username": "a"}}),
        ),
        (
            "add_instance_member",
            json!({"user_id": user, "roles": ["IAM_OWNER"]}),
        ),
        ("set_instance_member", json!({"roles": ["IAM_OWNER"]})),
        ("create_org", json!({"name": "Denied"})),
        ("rename_org", json!({"name": "Denied"})),
        (
            "add_org_member",
            json!({"user_id": user, "roles": ["ORG_OWNER"]}),
        ),
        ("set_org_member", json!({"roles": ["ORG_OWNER"]})),
        (
            "create_human_user",
            json!({"username": "denied", "profile": {"given_name": "A", "family_name": "B"}, "email": {"address": "a@b.io"}}),
        ),
        (
            "create_machine_user",
            json!({"username": "denied", "name": "D"}),
        ),
        ("change_profile", json!({"given_name": "Z"})),
        ("change_email", json!({"address": "z@b.io"})),
        ("change_phone", json!({"phone": "+41791234567"})),
        ("change_password", json!({"new_password": "a new password"})),
        (
            "set_smtp",
            json!({"host": "smtp.example.com", "port": 587, "sender_address": "a@b.io", "sender_name": "A"}),
        ),
        ("test_smtp", json!({"to": "a@b.io"})),
        (
            "set_sms",
            json!({"http": {"endpoint": "https://sms.example.com/send"}}),
        ),
        ("set_instance_texts", json!({"subject": "Denied"})),
        ("set_org_texts", json!({"subject": "Denied"})),
        ("send_email_code", json!({})),
        ("verify_email", json!({"code": "ABCDEFGH"})),
        ("send_phone_code", json!({})),
        ("verify_phone", json!({"code": "ABCDEFGH"})),
        ("reset_password", json!({})),
        ("invite", json!({})),
        ("set_metadata", json!({"value": "eA=="})),
        ("create_pat", json!({})),
        ("add_user_key", json!({})),
        ("add_app_key", json!({})),
        ("verify_totp", json!({"code": "123456"})),
        ("verify_u2f", key_answer()),
        ("verify_passkey", key_answer()),
        ("passkey_link", json!({})),
        (
            "create_session",
            json!({"checks": {"user": {"login_name": "target"}}}),
        ),
        ("set_session", json!({"checks": {}})),
        (
            "finalize_auth_request",
            json!({"session_id": "s", "session_token": "s.t"}),
        ),
        (
            "check",
            json!({"user_id": user, "permission": "user.read", "resource": {"type": "instance"}}),
        ),
        ("create_project", json!({"name": "Denied"})),
        ("update_project", json!({"name": "Denied"})),
        ("add_role", json!({"key": "denied"})),
        (
            "add_project_member",
            json!({"user_id": user, "roles": ["PROJECT_OWNER"]}),
        ),
        ("set_project_member", json!({"roles": ["PROJECT_OWNER"]})),
        ("create_app", app.clone()),
        ("update_app", app),
        ("create_saml_app", saml.clone()),
        ("update_saml_app", saml),
        (
            "add_grant",
            json!({"granted_org_id": org_b, "role_keys": ["editor"]}),
        ),
        ("change_grant", json!({"role_keys": []})),
        (
            "add_grant_member",
            json!({"user_id": user, "roles": ["PROJECT_GRANT_OWNER"]}),
        ),
        (
            "set_grant_member",
            json!({"roles": ["PROJECT_GRANT_OWNER"]}),
        ),
        (
            "create_user_grant",
            json!({"project_id": project, "role_keys": ["editor"]}),
        ),
        ("change_user_grant", json!({"role_keys": ["editor"]})),
        (
            "set_instance_settings",
            json!({"idle_lifetime_s": 60, "absolute_lifetime_s": 120}),
        ),
        (
            "set_org_settings",
            json!({"idle_lifetime_s": 60, "absolute_lifetime_s": 120}),
        ),
        (
            "start_idp_intent",
            json!({"idp_id": "any", "org_id": "any", "success_url": "https://a.example.com/ok",
                   "failure_url": "https://a.example.com/no"}),
        ),
        ("add_instance_idp", idp.clone()),
        ("change_instance_idp", idp.clone()),
        ("add_org_idp", idp.clone()),
        ("add_org_domain", json!({"domain": "denied.example"})),
        ("import_users", json!([])),
        ("verify_org_domain", json!({"method": "dns"})),
        ("change_org_idp", idp),
        (
            "add_target",
            json!({"name": "T", "endpoint": "https://hooks.example.com/", "type": "webhook"}),
        ),
        ("change_target", json!({"timeout_ms": 2000})),
        (
            "set_execution",
            json!({"condition": {"event": {"all": true}}, "targets": ["t"]}),
        ),
        (
            "remove_execution",
            json!({"condition": {"event": {"all": true}}}),
        ),
    ])
}

/// An authenticator's answer of the right shape (it verifies nothing).
fn key_answer() -> Value {
    json!({"public_key_credential": {"id": "AA", "rawId": "AA", "type": "public-key",
           "response": {"attestationObject": "AA", "clientDataJSON": "AA"}}, "name": "k"})
}

/// Lists filter to what the caller may read; the caller reads only itself.
const FILTERED_LISTS: [&str; 4] = [
    "list_users",
    "list_orgs",
    "list_projects",
    "list_user_grants",
];
/// Allowed to any authenticated caller.
const OPEN: [&str; 1] = ["me"];

/// Real resources of a tenant for the denial tests, and a user without any role with a token.
pub(super) struct Fixtures {
    pub org_a: String,
    pub org_b: String,
    pub user: String,
    pub pat: String,
    pub project: String,
    pub app: String,
    pub grant: String,
    pub user_grant: String,
    /// A session of `user`.
    pub session: String,
    /// The user without roles, and its token.
    pub caller: String,
    pub token: testkit::Reply,
}

pub(super) fn fixtures(t: &testkit::Tenant) -> Fixtures {
    let c = &t.client;
    let org_a = default_org(t);
    let org_b = c.post("/v1/orgs", json!({"name": "B"})).str("id");
    let user = c
        .post(
            &format!("/v1/orgs/{org_a}/users/human"),
            json!({"username": "target", "profile": {"given_name": "T", "family_name": "U"},
                   "email": {"address": "t@example.com"}, "password": "target password"}),
        )
        .str("id");
    let pat = c
        .post(&format!("/v1/users/{user}/pats"), json!({}))
        .str("id");
    c.put(
        &format!("/v1/users/{user}/metadata/k"),
        json!({"value": "eA=="}),
    );
    let project = c
        .post(&format!("/v1/orgs/{org_a}/projects"), json!({"name": "P"}))
        .str("id");
    c.post(
        &format!("/v1/projects/{project}/roles"),
        json!({"key": "editor"}),
    );
    let app = c
        .post(
            &format!("/v1/projects/{project}/apps/oidc"),
            json!({"name": "web", "redirect_uris": ["https://a.example.com/cb"], "auth_method": "client_secret_basic"}),
        )
        .str("id");
    let grant = c
        .post(
            &format!("/v1/projects/{project}/grants"),
            json!({"granted_org_id": org_b, "role_keys": ["editor"]}),
        )
        .str("id");
    let user_grant = c
        .post(
            &format!("/v1/users/{user}/grants"),
            json!({"project_id": project, "role_keys": ["editor"]}),
        )
        .str("id");
    let session = c
        .post(
            "/v1/sessions",
            json!({"checks": {"user": {"user_id": user}}}),
        )
        .str("session_id");
    let caller = c
        .post(
            &format!("/v1/orgs/{org_a}/users/machine"),
            json!({"username": "nobody", "name": "Nobody"}),
        )
        .str("id");
    let token = c.post(&format!("/v1/users/{caller}/pats"), json!({}));
    Fixtures {
        org_a,
        org_b,
        user,
        pat,
        project,
        app,
        grant,
        user_grant,
        session,
        caller,
        token,
    }
}

#[test]
fn every_operation_denies_a_caller_without_the_permission_it_documents() {
    let t = server().tenant();
    let c = &t.client;
    let Fixtures {
        org_a,
        org_b,
        user,
        pat,
        project,
        app,
        grant,
        user_grant,
        session,
        caller,
        token,
    } = fixtures(&t);
    let nobody = t.as_token(&token.str("token")).after(&token);
    let before = event_count(&t);

    let doc = c.get("/openapi.json").body;
    let bodies = bodies(&user, &project, &org_b);
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let stated = op["x-permission"].as_str().unwrap();
            let permission = stated
                .split(|c: char| !(c.is_ascii_lowercase() || c == '.' || c == '_'))
                .find(|w| w.contains('.'))
                .unwrap_or("");
            let concrete = path
                .replace("{org_id}", &org_a)
                .replace("{user_id}", &user)
                .replace("{app_id}", &app)
                .replace("{pat_id}", &pat)
                .replace("{kind}", "session")
                .replace("{template}", "init")
                .replace("{language}", "de")
                .replace("{session_id}", "any-session")
                .replace("{key_id}", "any-key")
                .replace(
                    "{grant_id}",
                    if path.starts_with("/v1/users") {
                        &user_grant
                    } else {
                        &grant
                    },
                )
                .replace(
                    "{key}",
                    if path.contains("/roles/") {
                        "editor"
                    } else {
                        "k"
                    },
                )
                .replace(
                    "{id}",
                    if path.starts_with("/v1/users") {
                        &user
                    } else if path.starts_with("/v1/projects") {
                        &project
                    } else if path.starts_with("/v1/sessions") {
                        &session
                    } else {
                        &t.instance_id
                    },
                );
            let body = match (op.get("requestBody"), bodies.get(id)) {
                (Some(_), Some(b)) => Some(b.to_string().into_bytes()),
                (Some(_), None) => {
                    wrong.push(format!("{id}: no body in this test's table"));
                    continue;
                }
                (None, _) => None,
            };
            let r = nobody.send(&method.to_uppercase(), &concrete, body, &[]);
            checked += 1;
            let ok = if FILTERED_LISTS.contains(&id) {
                r.status == 200
                    && r.body["items"]
                        .as_array()
                        .is_some_and(|items| items.iter().all(|i| i["id"] == caller.as_str()))
            } else if OPEN.contains(&id) {
                r.status == 200
            } else {
                r.error() == (403, "AUTHZ-0001") && r.body["details"]["missing"] == permission
            };
            if !ok {
                wrong.push(format!(
                    "{method} {path} ({id}, documents {stated:?}): {} {}",
                    r.status, r.body
                ));
            }
            // The document names the permission in the operation's text too.
            let text = format!(
                "{}{}",
                op["summary"].as_str().unwrap_or(""),
                op["description"].as_str().unwrap_or("")
            );
            if !permission.is_empty() && !text.contains(permission) {
                wrong.push(format!(
                    "{method} {path}: its text does not name {permission}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} operations:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked >= 70, "only {checked} operations checked");
    assert_eq!(event_count(&t), before, "a denied request wrote events");
}

#[test]
fn every_operation_on_a_missing_resource_is_not_found() {
    let t = server().tenant();
    let org = default_org(&t);
    let user = t
        .client
        .post(
            &format!("/v1/orgs/{org}/users/machine"),
            json!({"username": "someone", "name": "S"}),
        )
        .str("id");
    let project = t
        .client
        .post(&format!("/v1/orgs/{org}/projects"), json!({"name": "P"}))
        .str("id");
    let before = event_count(&t);
    let doc = t.client.get("/openapi.json").body;
    let bodies = bodies(&user, &project, &org);
    let system = server().system();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.contains('{') {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let concrete = path
                .split('/')
                .map(|s| if s.starts_with('{') { "missing" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let body = op.get("requestBody").map(|_| {
                bodies
                    .get(id)
                    .unwrap_or(&json!({}))
                    .to_string()
                    .into_bytes()
            });
            let client = if path.starts_with("/v1/system") {
                &system
            } else {
                &t.client
            };
            let r = client.send(&method.to_uppercase(), &concrete, body, &[]);
            checked += 1;
            let code = r.code().to_string();
            // The instance exists: a membership for a user that does not is 412. An auth
            // request is a sealed handle: one made up reads as one expired, 412 too.
            let expected = match id {
                "set_instance_member" | "finalize_auth_request" => 412,
                _ => 404,
            };
            if r.status != expected || !code.contains('-') {
                wrong.push(format!("{method} {path} ({id}): {} {}", r.status, r.body));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} operations:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked >= 55, "only {checked} operations checked");
    assert_eq!(
        event_count(&t),
        before,
        "a request on a missing resource wrote events"
    );
}
