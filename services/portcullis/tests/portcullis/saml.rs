//! SAML 2.0: Portcullis as the identity provider of pysaml2 (PyPI, on Debian's xmlsec1) as the
//! service provider. Its metadata registers the app; pysaml2 makes the requests (HTTP-Redirect
//! and HTTP-POST, signed or not) and checks the signed responses as any SP would; the login in
//! between is the hosted login's. And what an attacker sends: a request from an SP nobody
//! registered, to an ACS that is not the SP's, signed by another key, replayed long after, with
//! a DTD; another project taking over an SP's entity id.

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::actions::call_hook;
use super::default_org;
use super::http_sink::HttpSink;
use super::oidc_clients::{output, page_shot, run, venv_python};
use super::oidc_support::{enc, human, issuer, send, Answer, UserAgent};
use super::second_factors::{submit_code, totp, with_totp};

/// An SP of the tenant, as pysaml2 is configured for it.
struct Sp {
    entity_id: String,
    acs: String,
    sign: bool,
    key_dir: tempfile::TempDir,
    /// More of saml_sp.py's settings (ENCRYPT, SLO_BINDING), for its metadata too.
    settings: Vec<(&'static str, &'static str)>,
}

impl Sp {
    fn new(sign: bool) -> Sp {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        Sp {
            entity_id: format!("https://sp-{tag}.example.com/saml"),
            acs: format!("https://sp-{tag}.example.com/acs"),
            sign,
            key_dir: tempfile::tempdir().unwrap(),
            settings: vec![],
        }
    }

    fn with(mut self, name: &'static str, value: &'static str) -> Sp {
        self.settings.push((name, value));
        self
    }

    /// pysaml2 as the same SP (entity id and ACS) with a key of its own: what an attacker
    /// who knows the SP's name can be.
    fn impostor(&self, sign: bool) -> Sp {
        Sp {
            entity_id: self.entity_id.clone(),
            acs: self.acs.clone(),
            sign,
            key_dir: tempfile::tempdir().unwrap(),
            settings: self.settings.clone(),
        }
    }

    /// What pysaml2 is configured with, for the tenant.
    fn env(&self, t: &Tenant) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("DOMAIN", t.domain.clone()),
            ("PORT", server().addr.port().to_string()),
            ("SP", self.entity_id.clone()),
            ("ACS", self.acs.clone()),
            ("SIGN", if self.sign { "1" } else { "0" }.into()),
            ("KEY_DIR", self.key_dir.path().to_str().unwrap().into()),
        ];
        env.extend(self.settings.iter().map(|(k, v)| (*k, v.to_string())));
        env
    }

    /// Runs `saml_sp.py <command>` for the tenant with `env`: what it printed, as JSON.
    fn run(&self, t: &Tenant, command: &str, env: &[(&str, &str)]) -> Value {
        let mine = self.env(t);
        let mut all: Vec<(&str, &str)> = mine.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(env);
        run(&venv_python(), &["saml_sp.py", command], &all)
    }

    /// pysaml2's reading of `response` (base64) as the answer to request `request_id`.
    fn read(&self, t: &Tenant, response: &str, request_id: &str) -> Value {
        let sent = [("SAML_RESPONSE", response), ("REQUEST_ID", request_id)];
        self.run(t, "response", &sent)
    }

    /// The SP's metadata, as pysaml2 makes it.
    fn metadata(&self, t: &Tenant) -> String {
        let env = self.env(t);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        output(&venv_python(), &["saml_sp.py", "metadata"], &env)
    }
}

/// A project of the tenant with a role, and the SAML app of `sp` in it: the project's id and
/// the app's.
fn registered(t: &Tenant, sp: &Sp, extra: Value) -> (String, String) {
    let org = default_org(t);
    let project = t
        .client
        .post(&format!("/v1/orgs/{org}/projects"), json!({"name": "Wiki"}))
        .str("id");
    let role = t.client.post(
        &format!("/v1/projects/{project}/roles"),
        json!({"key": "editor"}),
    );
    assert_eq!(role.status, 201, "{}", role.body);
    let mut body = json!({"name": "Wiki", "metadata_xml": sp.metadata(t)});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let app = t
        .client
        .post(&format!("/v1/projects/{project}/apps/saml"), body);
    assert_eq!(app.status, 201, "{}", app.body);
    assert_eq!(app.body["entity_id"], json!(sp.entity_id));
    (project, app.str("id"))
}

/// Text with its HTML character references resolved, as a browser reads an attribute.
fn unescaped(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(end) = after.find(';') else {
            out.push_str(after);
            return out;
        };
        let entity = &after[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&after[..=end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The value of a hidden field of a page (as the browser would post it).
fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    Some(unescaped(&page[start..start + page[start..].find('"')?]))
}

/// The page that posts a SAML response: the ACS it posts to, the response and the RelayState.
fn posted(page: &str) -> (String, String, Option<String>) {
    let marker = "<form method=\"post\" action=\"";
    let start = page.find(marker).expect("a form") + marker.len();
    let action = page[start..start + page[start..].find('"').unwrap()].to_string();
    let response = hidden(page, "SAMLResponse").expect("a SAMLResponse");
    (action, response, hidden(page, "RelayState"))
}

/// `xml` as the HTTP-Redirect binding carries it: deflated, base64, URL-encoded.
fn deflated(xml: &str) -> String {
    use base64::Engine;
    use std::io::Write;
    let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    d.write_all(xml.as_bytes()).unwrap();
    enc(&base64::engine::general_purpose::STANDARD.encode(d.finish().unwrap()))
}

/// The XML of a base64 SAML response.
fn xml_of(response: &str) -> String {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(response)
        .expect("base64");
    String::from_utf8(bytes).unwrap()
}

#[test]
fn pysaml2_logs_in_by_the_redirect_binding_and_gets_a_signed_assertion() {
    let t = server().tenant();
    let sp = Sp::new(false);
    let (project, _) = registered(&t, &sp, json!({}));
    let user = human(&t, "ada", "a long password");
    let grant = t.client.post(
        &format!("/v1/users/{user}/grants"),
        json!({"project_id": project, "role_keys": ["editor"]}),
    );
    assert_eq!(grant.status, 201, "{}", grant.body);
    let _ = t
        .client
        .after(&grant)
        .get(&format!("/v1/users/{user}/grants"));

    let asked = sp.run(&t, "request", &[("RELAY_STATE", "/wiki/Main_Page?x=1&y=2")]);
    let url = asked["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/saml/v2/SSO?SAMLRequest=", issuer(&t))),
        "{url}"
    );
    let mut ua = UserAgent::default();
    let answer = ua.submit_login(&t, url, "ada", "a long password");
    assert_eq!(
        answer.status, 200,
        "a page that posts the response: {}",
        answer.body
    );
    let (action, response, relay) = posted(&answer.body);
    assert_eq!(action, sp.acs);
    assert_eq!(relay.as_deref(), Some("/wiki/Main_Page?x=1&y=2"));

    let request_id = asked["request_id"].as_str().unwrap();
    let seen = sp.read(&t, &response, request_id);
    assert!(seen.get("refused").is_none(), "{seen}");
    assert_eq!(seen["name_id"], json!(user), "persistent: the user's id");
    assert_eq!(
        seen["name_id_format"],
        json!("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    assert_eq!(
        seen["issuer"],
        json!(format!("{}/saml/v2/metadata", issuer(&t)))
    );
    assert_eq!(seen["in_response_to"], json!(request_id));
    assert_eq!(seen["audience"], json!(sp.entity_id));
    assert_eq!(seen["signed_assertion"], json!(true));
    let attributes = &seen["attributes"];
    assert_eq!(attributes["email"], json!(["ada@example.com"]));
    assert_eq!(attributes["username"], json!(["ada"]));
    assert_eq!(attributes["given_name"], json!(["Grace"]));
    assert_eq!(attributes["roles"], json!(["editor"]));
    // The session's index is the login's session: a second SSO rides on it, no form.
    assert!(seen["session_index"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    let again = sp.run(&t, "request", &[]);
    let answer = ua.request("GET", again["url"].as_str().unwrap(), None);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (_, response, _) = posted(&answer.body);
    let second = sp.read(&t, &response, again["request_id"].as_str().unwrap());
    assert_eq!(second["name_id"], json!(user), "{second}");
    assert_eq!(second["session_index"], seen["session_index"]);
    assert_eq!(
        seen["authn_context"],
        json!("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
    );
    // ForceAuthn: the session does not answer, the login asks again.
    let forced = ua.request(
        "GET",
        &authn_request(&t, &sp, r#"ForceAuthn="true""#, ""),
        None,
    );
    assert_eq!(forced.status, 302, "{}", forced.body);
    assert!(forced.location.unwrap().starts_with("/ui/login"));
}

#[test]
fn a_signed_request_by_the_post_binding_is_answered_in_the_format_it_asks_for() {
    let t = server().tenant();
    let sp = Sp::new(true);
    registered(&t, &sp, json!({}));
    human(&t, "lin", "a long password");
    let email = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    let asked = sp.run(
        &t,
        "request",
        &[("BINDING", "post"), ("NAME_ID_FORMAT", email)],
    );
    assert_eq!(
        asked["action"],
        json!(format!("{}/saml/v2/SSO", issuer(&t)))
    );
    let fields = asked["fields"].as_object().unwrap();
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect();
    assert!(xml_of(fields["SAMLRequest"].as_str().unwrap()).contains("SignatureValue"));
    let mut ua = UserAgent::default();
    let sent = post_as_sp(&mut ua, asked["action"].as_str().unwrap(), &form);
    assert_eq!(sent.status, 302, "to the login: {}", sent.body);
    let login = sent.location.unwrap();
    assert!(login.starts_with("/ui/login"), "{login}");
    let answer = ua.fill_login(&t, &login, "lin", "a long password");
    let (_, response, _) = posted(&answer.body);
    let seen = sp.read(&t, &response, asked["request_id"].as_str().unwrap());
    assert_eq!(seen["name_id"], json!("lin@example.com"), "{seen}");
    assert_eq!(seen["name_id_format"], json!(email));
    // The next request, posted from the SP's site without the browser's cookies: posted
    // again from Portcullis's own site, where the session comes with it and answers at once.
    let next = sp.run(&t, "request", &[("BINDING", "post")]);
    let form = form_of(&next);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = post_as_sp(&mut ua, next["action"].as_str().unwrap(), &form);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let (_, response, _) = posted(&answer.body);
    let again = sp.read(&t, &response, next["request_id"].as_str().unwrap());
    assert_eq!(again["session_index"], seen["session_index"], "{again}");
}

/// The fields of a form saml_sp.py made (`{"action", "fields"}`).
fn form_of(made: &Value) -> Vec<(&str, String)> {
    made["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap().to_string()))
        .collect()
}

/// Every hidden field of a page's form, in order.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    let marker = "type=\"hidden\" name=\"";
    let mut out = vec![];
    let mut rest = page;
    while let Some(at) = rest.find(marker) {
        let (name, after) = rest[at + marker.len()..].split_once("\" value=\"").unwrap();
        let value = &after[..after.find('"').unwrap()];
        out.push((name.to_string(), unescaped(value)));
        rest = after;
    }
    out
}

/// Posts `form` to `action` as an SP's page does (from its own site, so without the
/// browser's cookies), then the form of the page Portcullis answers with, which posts the
/// same fields again from Portcullis's site: the answer to that.
pub(super) fn post_as_sp(ua: &mut UserAgent, action: &str, form: &[(&str, &str)]) -> Answer {
    let first = ua.post_from_another_site(action, form);
    assert_eq!(first.status, 200, "posted again: {}", first.body);
    assert!(
        first
            .body
            .contains(&format!("<form method=\"post\" action=\"{action}\">")),
        "{}",
        first.body
    );
    let again = hidden_fields(&first.body);
    for (k, v) in form {
        assert!(again.iter().any(|(n, w)| n == k && w == v), "{k} kept");
    }
    let again: Vec<(&str, &str)> = again
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    ua.request("POST", action, Some(&again))
}

#[test]
fn metadata_is_signed_and_lists_the_sso_endpoints_and_certificates() {
    let t = server().tenant();
    default_org(&t); // Known at its domain once its first read answers.
    let r = send(
        ureq::http::Request::get(format!("{}/saml/v2/metadata", issuer(&t)))
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/samlmetadata+xml"
    );
    let xml = String::from_utf8(r.into_body()).unwrap();
    let iss = issuer(&t);
    assert!(
        xml.contains(&format!("entityID=\"{iss}/saml/v2/metadata\"")),
        "{xml}"
    );
    assert!(xml.contains(&format!(
        "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{iss}/saml/v2/SSO\""
    )));
    assert!(
        xml.contains("<ds:SignatureValue>")
            && !xml.contains("<ds:SignatureValue></ds:SignatureValue>")
    );
    // Another tenant has keys of its own.
    let other = server().tenant();
    default_org(&other); // Known at its domain once its first read answers.
    let theirs = send(
        ureq::http::Request::get(format!("{}/saml/v2/metadata", issuer(&other)))
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(theirs.status(), 200);
    let theirs = String::from_utf8(theirs.into_body()).unwrap();
    let certificate = |x: &str| {
        let s = x.find("<ds:X509Certificate>").expect(x);
        x[s..s + 200].to_string()
    };
    assert_ne!(certificate(&xml), certificate(&theirs));
}

#[test]
fn requests_that_cannot_be_trusted_get_an_error_page_and_nothing_is_posted() {
    let t = server().tenant();
    let sp = Sp::new(true);
    registered(&t, &sp, json!({}));
    let refused = |url: &str| {
        let mut ua = UserAgent::default();
        let r = ua.request("GET", url, None);
        assert_eq!(r.status, 400, "{url}: {}", r.body);
        assert!(
            r.body.contains("sign-in request cannot be accepted"),
            "{}",
            r.body
        );
        assert!(!r.body.contains("SAMLResponse"));
    };
    // Unsigned although the SP's metadata says it signs.
    let unsigned = sp.impostor(false);
    refused(unsigned.run(&t, "request", &[])["url"].as_str().unwrap());
    // Signed by another key than the metadata's.
    let forged = sp.impostor(true);
    refused(forged.run(&t, "request", &[])["url"].as_str().unwrap());
    // The signed query changed on its way (another RelayState).
    let good = sp.run(&t, "request", &[("RELAY_STATE", "a")])["url"]
        .as_str()
        .unwrap()
        .to_string();
    refused(&good.replace("RelayState=a", "RelayState=b"));
    // As it was signed, it is taken (to the login).
    let taken = UserAgent::default().request("GET", &good, None);
    assert_eq!(taken.status, 302, "{}", taken.body);
    // An SP nobody registered.
    let stranger = Sp::new(false);
    refused(stranger.run(&t, "request", &[])["url"].as_str().unwrap());
    // Not deflated, not base64, a DTD (XXE), and no request at all.
    let base = format!("{}/saml/v2/SSO", issuer(&t));
    refused(&format!("{base}?SAMLRequest=not%20base64!"));
    refused(&format!("{base}?SAMLRequest=aGVsbG8%3D"));
    refused(&format!("{base}?RelayState=x"));
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">&x;</saml:Issuer></samlp:AuthnRequest>"#;
    refused(&format!("{base}?SAMLRequest={}", deflated(xxe)));
    // A RelayState over 2,048 bytes, signed as it is.
    let long = "r".repeat(2049);
    refused(
        sp.run(&t, "request", &[("RELAY_STATE", &long)])["url"]
            .as_str()
            .unwrap(),
    );
    // The page in Chromium, in German on a phone: what it says, nothing wider than the screen.
    let seen = page_shot(
        &format!("{base}?SAMLRequest=aGVsbG8%3D"),
        "de-DE",
        "saml-refused-de-phone",
    );
    assert_eq!(seen["status"], 400, "{seen}");
    assert_eq!(seen["lang"], "de");
    assert_eq!(seen["overflow"], false);
}

#[test]
fn an_acs_the_sp_did_not_register_is_refused_and_entity_ids_are_not_taken_over() {
    let t = server().tenant();
    let sp = Sp::new(false);
    registered(&t, &sp, json!({}));
    // pysaml2 configured with another ACS sends it in its request.
    let elsewhere = Sp {
        acs: "https://evil.example.net/acs".into(),
        ..sp.impostor(false)
    };
    let url = elsewhere.run(&t, "request", &[])["url"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ua = UserAgent::default();
    let r = ua.request("GET", &url, None);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(!r.body.contains("evil.example.net"));
    // A request of the SP made long ago (a replay, or a page left open for hours).
    let stale = format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_old" Version="2.0" IssueInstant="2020-01-01T00:00:00Z"><saml:Issuer>{}</saml:Issuer></samlp:AuthnRequest>"#,
        sp.entity_id
    );
    let r = ua.request(
        "GET",
        &format!(
            "{}/saml/v2/SSO?SAMLRequest={}",
            issuer(&t),
            deflated(&stale)
        ),
        None,
    );
    assert_eq!(r.status, 400, "{}", r.body);
    // The same request made now is answered (with the login).
    let fresh = stale.replace("2020-01-01T00:00:00Z", &now_instant());
    let r = ua.request(
        "GET",
        &format!(
            "{}/saml/v2/SSO?SAMLRequest={}",
            issuer(&t),
            deflated(&fresh)
        ),
        None,
    );
    assert_eq!(r.status, 302, "{}", r.body);

    // Another project of the instance cannot register the same SP (its logins would go to
    // that project's ACS).
    let org = default_org(&t);
    let project = t
        .client
        .post(
            &format!("/v1/orgs/{org}/projects"),
            json!({"name": "Taker"}),
        )
        .str("id");
    let taken = t.client.post(
        &format!("/v1/projects/{project}/apps/saml"),
        json!({"name": "Wiki", "metadata_xml": elsewhere.metadata(&t)}),
    );
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert_eq!(taken.body["code"], json!("SAML-0002"));
    // Metadata that is not metadata, or with a DTD, is refused with a stable code.
    for bad in [
        "<html/>".to_string(),
        r#"<!DOCTYPE x [<!ENTITY e "e">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://x.example.com"/>"#.to_string(),
    ] {
        let r = t.client.post(
            &format!("/v1/projects/{project}/apps/saml"),
            json!({"name": "Bad", "metadata_xml": bad}),
        );
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.body["code"], json!("SAML-0001"));
    }
}

#[test]
fn a_presamlresponse_action_appends_attributes_but_replaces_none() {
    let t = server().tenant();
    let sp = Sp::new(false);
    registered(&t, &sp, json!({}));
    human(&t, "kay", "a long password");
    let sink = HttpSink::start(0);
    sink.serve(
        &json!({"append_attribute": [
            {"name": "department", "value": ["Engines", "Boilers"]},
            {"name": "email", "value": ["someone-else@example.com"]}]})
        .to_string(),
    );
    let key = call_hook(
        &t,
        &sink.url("/saml"),
        json!({"function": "presamlresponse"}),
        false,
    );
    // The gateway reads changed actions a moment later: log in again (the session answers at
    // once) until the hook is called.
    let mut ua = UserAgent::default();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (mut seen, mut first) = (Value::Null, true);
    while sink.calls("/saml").is_empty() && std::time::Instant::now() < deadline {
        let asked = sp.run(&t, "request", &[]);
        let url = asked["url"].as_str().unwrap();
        let answer = match first {
            true => ua.submit_login(&t, url, "kay", "a long password"),
            false => ua.request("GET", url, None),
        };
        first = false;
        let (_, response, _) = posted(&answer.body);
        let request_id = asked["request_id"].as_str().unwrap();
        seen = sp.read(&t, &response, request_id);
    }
    let call = &sink.calls("/saml")[0];
    assert!(call.signed_with(&key));
    let sent = call.json();
    assert_eq!(sent["function"], json!("presamlresponse"));
    assert_eq!(sent["entity_id"], json!(sp.entity_id));
    assert!(
        sent["attributes"].to_string().contains("kay@example.com"),
        "{sent}"
    );
    let attributes = &seen["attributes"];
    assert_eq!(
        attributes["department"],
        json!(["Engines", "Boilers"]),
        "{seen}"
    );
    assert_eq!(
        attributes["email"],
        json!(["kay@example.com"]),
        "never replaced"
    );
}

#[test]
fn a_login_started_at_portcullis_reaches_an_sp_that_allows_it_and_no_other() {
    let t = server().tenant();
    let sp = Sp::new(false);
    registered(&t, &sp, json!({"idp_initiated": true}));
    human(&t, "rae", "a long password");
    let init = format!(
        "{}/saml/v2/init?sp={}&RelayState=%2Fhome",
        issuer(&t),
        enc(&sp.entity_id)
    );
    let mut ua = UserAgent::default();
    let answer = ua.submit_login(&t, &init, "rae", "a long password");
    let (action, response, relay) = posted(&answer.body);
    assert_eq!(
        (action.as_str(), relay.as_deref()),
        (sp.acs.as_str(), Some("/home"))
    );
    assert!(
        !xml_of(&response).contains("InResponseTo"),
        "it answers no request"
    );
    let seen = sp.run(
        &t,
        "response",
        &[("SAML_RESPONSE", &response), ("UNSOLICITED", "1")],
    );
    assert!(seen.get("refused").is_none(), "{seen}");
    assert_eq!(seen["attributes"]["username"], json!(["rae"]));
    // pysaml2 refuses it where it expects only answers to its own requests.
    let strict = sp.run(&t, "response", &[("SAML_RESPONSE", &response)]);
    assert!(strict.get("refused").is_some(), "{strict}");

    // An SP that does not allow it gets nothing.
    let other = Sp::new(false);
    registered(&t, &other, json!({}));
    let refused = ua.request(
        "GET",
        &format!("{}/saml/v2/init?sp={}", issuer(&t), enc(&other.entity_id)),
        None,
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(!refused.body.contains("SAMLResponse"));
}

/// Logs `username` in through `sp` (a new login in `ua`): what pysaml2 read of the response.
fn logged_in(t: &Tenant, sp: &Sp, ua: &mut UserAgent, username: &str) -> Value {
    let asked = sp.run(t, "request", &[]);
    let answer = ua.submit_login(
        t,
        asked["url"].as_str().unwrap(),
        username,
        "a long password",
    );
    let (_, response, _) = posted(&answer.body);
    let request_id = asked["request_id"].as_str().unwrap();
    sp.read(t, &response, request_id)
}

#[test]
fn single_logout_ends_the_session_the_sp_names_and_only_in_the_browser_that_holds_it() {
    let t = server().tenant();
    let sp = Sp::new(true);
    registered(&t, &sp, json!({}));
    let ada = human(&t, "ada", "a long password");
    human(&t, "bob", "a long password");
    let (mut ada_ua, mut bob_ua) = (UserAgent::default(), UserAgent::default());
    let ada_in = logged_in(&t, &sp, &mut ada_ua, "ada");
    let bob_in = logged_in(&t, &sp, &mut bob_ua, "bob");

    // Bob's browser brings a logout request for Ada's session: Ada stays logged in.
    let forged = sp.run(
        &t,
        "logout",
        &[
            ("NAME_ID", ada.as_str()),
            ("SESSION_INDEX", ada_in["session_index"].as_str().unwrap()),
        ],
    );
    let r = bob_ua.request("GET", forged["url"].as_str().unwrap(), None);
    assert_eq!(r.status, 302, "{}", r.body);
    let answer = sp.run(
        &t,
        "logout_response",
        &[("LOGOUT_URL", r.location.as_deref().unwrap())],
    );
    // pysaml2 raises on any status but success.
    let refusal = answer["refused"].as_str().unwrap_or_default();
    assert!(refusal.contains("status:Requester"), "{answer}");
    let again = sp.run(&t, "request", &[]);
    let still = ada_ua.request("GET", again["url"].as_str().unwrap(), None);
    assert_eq!(
        still.status, 200,
        "Ada's session answers at once: {:?} {}",
        still.location, still.body
    );

    // Ada's own browser logs her out: the SP hears success, and the next login asks again.
    let logout = sp.run(
        &t,
        "logout",
        &[
            ("NAME_ID", ada.as_str()),
            ("SESSION_INDEX", ada_in["session_index"].as_str().unwrap()),
            ("RELAY_STATE", "/bye"),
        ],
    );
    let r = ada_ua.request("GET", logout["url"].as_str().unwrap(), None);
    assert_eq!(r.status, 302, "{}", r.body);
    let back = r.location.unwrap();
    assert!(
        back.starts_with(&format!(
            "{}?SAMLResponse=",
            sp.acs.replace("/acs", "/acs/slo")
        )),
        "{back}"
    );
    assert!(back.contains("&RelayState=%2Fbye&SigAlg=") && back.contains("&Signature="));
    let answer = sp.run(&t, "logout_response", &[("LOGOUT_URL", &back)]);
    assert_eq!(
        answer["status"],
        json!("urn:oasis:names:tc:SAML:2.0:status:Success"),
        "{answer}"
    );
    assert_eq!(answer["in_response_to"], logout["request_id"]);
    let again = sp.run(&t, "request", &[]);
    let asked = ada_ua.request("GET", again["url"].as_str().unwrap(), None);
    assert_eq!(asked.status, 302, "to the login");
    assert!(asked.location.unwrap().starts_with("/ui/login"));
    // Bob's session was never touched.
    let bob_again = bob_ua.request(
        "GET",
        sp.run(&t, "request", &[])["url"].as_str().unwrap(),
        None,
    );
    assert_eq!(bob_again.status, 200, "{}", bob_again.body);
    assert!(bob_in.get("refused").is_none());
}

/// Now as a SAML instant.
fn now_instant() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[test]
fn chromium_logs_in_at_the_hosted_login_and_posts_the_response_to_the_sp() {
    let t = server().tenant();
    let sp = Sp::new(true);
    registered(&t, &sp, json!({}));
    human(&t, "eve", "a long password");
    let asked = sp.run(&t, "request", &[("RELAY_STATE", "/after")]);
    let by_post = sp.run(&t, "request", &[("BINDING", "post")]);
    // The login page's screenshot goes to PORTCULLIS_SCREENSHOTS when it is set.
    let out = tempfile::tempdir().unwrap();
    let shots = std::env::var("PORTCULLIS_SCREENSHOTS")
        .unwrap_or_else(|_| out.path().to_str().unwrap().to_string());
    let seen = run(
        "node",
        &["saml_browser.mjs"],
        &[
            ("SSO_URL", asked["url"].as_str().unwrap()),
            ("SSO_POST", &by_post.to_string()),
            ("ACS", &sp.acs),
            ("USERNAME", "eve"),
            ("PASSWORD", "a long password"),
            ("OUT", &shots),
        ],
    );
    assert_eq!(
        seen["method"],
        json!("POST"),
        "the page posted itself: {seen}"
    );
    assert_eq!(seen["relayState"], json!("/after"));
    let checked = sp.read(
        &t,
        seen["response"].as_str().unwrap(),
        asked["request_id"].as_str().unwrap(),
    );
    assert_eq!(
        checked["attributes"]["username"],
        json!(["eve"]),
        "{checked}"
    );
    // The SP's page posts its next request from its own site, where the browser keeps its
    // SameSite cookies: Portcullis posts it again from its own, and the session answers it.
    let second = &seen["second"];
    assert_eq!(second["loginShown"], json!(false), "{seen}");
    let checked = sp.read(
        &t,
        second["response"].as_str().unwrap(),
        by_post["request_id"].as_str().unwrap(),
    );
    assert_eq!(
        checked["attributes"]["username"],
        json!(["eve"]),
        "{checked}"
    );
}

#[test]
fn saml_apps_are_listed_changed_and_removed_over_rest_and_grpc_alike() {
    use gateway::grpc::pb;
    use pb::project_service_client::ProjectServiceClient;

    use super::grpc::{block, call, channel};

    let t = server().tenant();
    let sp = Sp::new(true);
    let (project, app) = registered(&t, &sp, json!({"name_id_format": "email"}));
    let listed = t.client.get(&format!("/v1/projects/{project}/apps/saml"));
    assert_eq!(listed.status, 200, "{}", listed.body);
    let one = &listed.body["items"][0];
    assert_eq!(one["id"], json!(app));
    assert_eq!(one["name_id_format"], json!("email"));
    assert_eq!(one["requests_signed"], json!(true));
    assert_eq!(one["certificates"], json!(1));
    assert_eq!(
        one["assertion_consumer_services"][0]["location"],
        json!(sp.acs)
    );

    let metadata = sp.metadata(&t);
    let (got, changed) = block(async {
        let mut projects = ProjectServiceClient::new(channel(&t.domain).await);
        let got = projects
            .get_saml_app(call(
                pb::GetSamlAppRequest {
                    id: project.clone(),
                    app_id: app.clone(),
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect("read")
            .into_inner();
        let changed = projects
            .update_saml_app(call(
                pb::UpdateSamlAppRequest {
                    id: project.clone(),
                    app_id: app.clone(),
                    settings: Some(pb::SamlAppSettings {
                        name: "Wiki 2".into(),
                        metadata_xml: Some(metadata),
                        metadata_url: None,
                        idp_initiated: true,
                        encrypt_assertions: false,
                        name_id_format: None,
                    }),
                },
                &t.admin_pat,
                None,
            ))
            .await
            .expect("changed")
            .into_inner();
        (got, changed)
    });
    assert_eq!(
        (got.entity_id.as_str(), got.name_id_format.as_str()),
        (sp.entity_id.as_str(), "email")
    );
    let rest = t
        .client
        .clone()
        .at(&changed.position)
        .get(&format!("/v1/projects/{project}/apps/saml/{app}"));
    assert_eq!(rest.body["name"], json!("Wiki 2"), "{}", rest.body);
    assert_eq!(rest.body["idp_initiated"], json!(true));

    // Removed, its entity id is free for another project.
    let gone = t
        .client
        .delete(&format!("/v1/projects/{project}/apps/{app}"));
    assert_eq!(gone.status, 200, "{}", gone.body);
    let missing = t
        .client
        .get(&format!("/v1/projects/{project}/apps/saml/{app}"));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["code"], json!("APP-0001"));
    registered(&t, &sp, json!({}));
}

#[test]
fn assertions_are_encrypted_to_the_sps_key_where_the_app_asks_for_it() {
    let t = server().tenant();
    let plain = registered(&t, &Sp::new(false), json!({})).0;
    human(&t, "ida", "a long password");
    // Asked for, but the SP's metadata has no key for encryption.
    let refused = t.client.post(
        &format!("/v1/projects/{plain}/apps/saml"),
        json!({"name": "Vault", "metadata_xml": Sp::new(false).metadata(&t), "encrypt_assertions": true}),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.body["code"], json!("SAML-0001"));

    let sealed = Sp::new(false).with("ENCRYPT", "1");
    assert!(sealed.metadata(&t).contains("use=\"encryption\""));
    registered(&t, &sealed, json!({"encrypt_assertions": true}));
    let asked = sealed.run(&t, "request", &[]);
    let mut ua = UserAgent::default();
    let answer = ua.submit_login(&t, asked["url"].as_str().unwrap(), "ida", "a long password");
    let (_, response, _) = posted(&answer.body);
    let xml = xml_of(&response);
    assert!(
        xml.contains("EncryptedAssertion") && xml.contains("aes256-gcm"),
        "{xml}"
    );
    assert!(
        !xml.contains("ida@example.com"),
        "nothing of the user in the clear"
    );
    let request_id = asked["request_id"].as_str().unwrap();
    let seen = sealed.read(&t, &response, request_id);
    assert_eq!(seen["signed_assertion"], json!(true), "{seen}");
    assert_eq!(seen["attributes"]["email"], json!(["ida@example.com"]));
    // Another key cannot read it (pysaml2 as the same SP, with a key of its own).
    let other = sealed.impostor(false).read(&t, &response, request_id);
    assert!(other.get("refused").is_some(), "{other}");
}

/// An unsigned `AuthnRequest` of `sp`, made now, with `attributes` on it and `inner` in it.
fn authn_request(t: &Tenant, sp: &Sp, attributes: &str, inner: &str) -> String {
    let xml = format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{}" Version="2.0" IssueInstant="{}" {attributes}><saml:Issuer>{}</saml:Issuer>{inner}</samlp:AuthnRequest>"#,
        uuid::Uuid::now_v7().simple(),
        now_instant(),
        sp.entity_id
    );
    format!("{}/saml/v2/SSO?SAMLRequest={}", issuer(t), deflated(&xml))
}

#[test]
fn what_cannot_be_answered_goes_back_to_the_sp_as_a_saml_status() {
    let t = server().tenant();
    let sp = Sp::new(false);
    registered(&t, &sp, json!({}));
    let status_of = |page: &str| {
        let (action, response, _) = posted(page);
        assert_eq!(action, sp.acs);
        let xml = xml_of(&response);
        assert!(!xml.contains("Assertion"), "{xml}");
        xml
    };
    // A passive request from a browser without a session: NoPassive, no login page.
    let mut ua = UserAgent::default();
    let r = ua.request(
        "GET",
        &authn_request(&t, &sp, r#"IsPassive="true""#, ""),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(status_of(&r.body).contains("urn:oasis:names:tc:SAML:2.0:status:NoPassive"));
    // A NameID format that is not offered.
    let policy = r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"/>"#;
    let r = ua.request("GET", &authn_request(&t, &sp, "", policy), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(status_of(&r.body).contains("status:InvalidNameIDPolicy"));
    // A request that asks for a response by another binding than HTTP-POST is refused.
    let artifact = r#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact""#;
    let r = ua.request("GET", &authn_request(&t, &sp, artifact, ""), None);
    assert_eq!(r.status, 400, "{}", r.body);
}

/// Sends saml_sp.py's form (`{"action", "fields"}`) as the SP's page does.
fn post_form(ua: &mut UserAgent, made: &Value) -> Answer {
    let form = form_of(made);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_as_sp(ua, made["action"].as_str().unwrap(), &form)
}

#[test]
fn single_logout_by_the_post_binding_is_answered_by_post_and_only_the_sp_may_ask() {
    let t = server().tenant();
    let sp = Sp::new(true).with("SLO_BINDING", "post");
    registered(&t, &sp, json!({}));
    let ada = human(&t, "ada", "a long password");
    let mut ua = UserAgent::default();
    let ada_in = logged_in(&t, &sp, &mut ua, "ada");
    let session = ada_in["session_index"].as_str().unwrap().to_string();
    let logout = |by: &Sp| {
        by.run(
            &t,
            "logout",
            &[
                ("NAME_ID", ada.as_str()),
                ("SESSION_INDEX", &session),
                ("BINDING", "post"),
                ("RELAY_STATE", "/bye"),
            ],
        )
    };
    // An SP nobody registered, and the registered SP's name with another key: the refusal
    // page, and Ada stays logged in.
    for stranger in [Sp::new(true), sp.impostor(true)] {
        let r = post_form(&mut ua, &logout(&stranger));
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("sign-in request cannot be accepted"));
        assert!(!r.body.contains("SAMLResponse"));
    }
    let again = sp.run(&t, "request", &[]);
    let still = ua.request("GET", again["url"].as_str().unwrap(), None);
    assert_eq!(still.status, 200, "still logged in: {}", still.body);

    // The SP's own request: a page that posts the signed LogoutResponse to its logout service.
    let asked = logout(&sp);
    let r = post_form(&mut ua, &asked);
    assert_eq!(r.status, 200, "{}", r.body);
    let (action, response, relay) = posted(&r.body);
    assert_eq!(action, format!("{}/slo", sp.acs));
    assert_eq!(relay.as_deref(), Some("/bye"));
    let answer = sp.run(&t, "logout_response", &[("SAML_RESPONSE", &response)]);
    assert_eq!(
        answer["status"],
        json!("urn:oasis:names:tc:SAML:2.0:status:Success"),
        "{answer}"
    );
    assert_eq!(answer["in_response_to"], asked["request_id"]);
    assert_eq!(answer["signed"], json!(true));
    let again = sp.run(&t, "request", &[]);
    let asked = ua.request("GET", again["url"].as_str().unwrap(), None);
    assert_eq!(asked.status, 302, "to the login: {}", asked.body);
    assert!(asked.location.unwrap().starts_with("/ui/login"));
}

#[test]
fn a_signature_over_another_element_than_the_request_is_refused() {
    let t = server().tenant();
    let sp = Sp::new(true);
    registered(&t, &sp, json!({}));
    let asked = sp.run(&t, "request", &[("BINDING", "post")]);
    let action = asked["action"].as_str().unwrap();
    let signed = xml_of(asked["fields"]["SAMLRequest"].as_str().unwrap());
    // Signature wrapping: the SP's signed request moved into the Extensions of a request of
    // the attacker's, its signature beside. The signature still verifies over the element it
    // names, but that element is not the request answered.
    const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
    let declared = signed.find(&format!("=\"{DSIG}\"")).expect(&signed);
    let prefix = &signed[..declared];
    let prefix = &prefix[prefix.rfind("xmlns:").unwrap() + "xmlns:".len()..];
    let open = signed.find(&format!("<{prefix}:Signature")).unwrap();
    let end_tag = format!("</{prefix}:Signature>");
    let close = signed.find(&end_tag).unwrap() + end_tag.len();
    let signature = &signed[open..close];
    let inner = format!("{}{}", &signed[..open], &signed[close..]);
    let inner = match inner.find("?>") {
        Some(end) if inner.starts_with("<?xml") => inner[end + 2..].to_string(),
        _ => inner,
    };
    let wrapped = format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:{prefix}="{DSIG}" ID="_wrapper" Version="2.0" IssueInstant="{}" Destination="{action}"><saml:Issuer>{}</saml:Issuer>{signature}<samlp:Extensions>{inner}</samlp:Extensions></samlp:AuthnRequest>"#,
        now_instant(),
        sp.entity_id
    );
    use base64::Engine;
    let wrapped = base64::engine::general_purpose::STANDARD.encode(wrapped);
    let mut ua = UserAgent::default();
    let r = post_as_sp(&mut ua, action, &[("SAMLRequest", &wrapped)]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("sign-in request cannot be accepted"));
    // The request as the SP signed it is taken (to the login).
    let form = form_of(&asked);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let taken = post_as_sp(&mut ua, action, &form);
    assert_eq!(taken.status, 302, "{}", taken.body);
}

#[test]
fn an_sp_is_registered_by_its_metadata_url() {
    let t = server().tenant();
    let sp = Sp::new(true);
    let site = HttpSink::start(0);
    site.serve_at("/saml/metadata.xml", &sp.metadata(&t));
    let org = default_org(&t);
    let project = t
        .client
        .post(&format!("/v1/orgs/{org}/projects"), json!({"name": "Wiki"}))
        .str("id");
    let url = site.url("/saml/metadata.xml");
    let app = t.client.post(
        &format!("/v1/projects/{project}/apps/saml"),
        json!({"name": "Wiki", "metadata_url": url}),
    );
    assert_eq!(app.status, 201, "{}", app.body);
    assert_eq!(app.body["entity_id"], json!(sp.entity_id));
    let read = t.client.after(&app).get(&format!(
        "/v1/projects/{project}/apps/saml/{}",
        app.str("id")
    ));
    assert_eq!(read.body["metadata_url"], json!(url), "{}", read.body);
    assert_eq!(read.body["certificates"], json!(1));
    assert_eq!(site.calls("/saml/metadata.xml").len(), 1);
    // Its signing key came with it: its signed request is taken, another key's is not.
    let asked = sp.run(&t, "request", &[]);
    let taken = UserAgent::default().request("GET", asked["url"].as_str().unwrap(), None);
    assert_eq!(taken.status, 302, "{}", taken.body);
    let forged = sp.impostor(true).run(&t, "request", &[]);
    let refused = UserAgent::default().request("GET", forged["url"].as_str().unwrap(), None);
    assert_eq!(refused.status, 400, "{}", refused.body);
    // A URL without metadata, one that is not http(s), and both at once: SAML-0001 naming
    // the field.
    for bad in [
        json!({"name": "Wiki", "metadata_url": site.url("/nothing-here")}),
        json!({"name": "Wiki", "metadata_url": "file:///etc/passwd"}),
        json!({"name": "Wiki", "metadata_url": url, "metadata_xml": sp.metadata(&t)}),
    ] {
        let r = t
            .client
            .post(&format!("/v1/projects/{project}/apps/saml"), bad.clone());
        assert_eq!(r.error(), (400, "SAML-0001"), "{bad}: {}", r.body);
    }
}

/// The certificates a document names, each once, in order.
fn certificates_in(xml: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for part in xml.split("<ds:X509Certificate>").skip(1) {
        let c: String = part[..part.find('<').unwrap()]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_metadata_lists_the_next_key_before_it_signs_and_not_the_retired_one() {
    let t = server().tenant();
    let sp = Sp::new(false);
    registered(&t, &sp, json!({}));
    human(&t, "kai", "a long password");
    let metadata = || {
        let r = send(
            ureq::http::Request::get(format!("{}/saml/v2/metadata", issuer(&t)))
                .body(Vec::new())
                .unwrap(),
        );
        certificates_in(&String::from_utf8(r.into_body()).unwrap())
    };
    let mut ua = UserAgent::default();
    // Each login answered by the session once it is open: the response's signing certificate,
    // after pysaml2 (with the metadata as it is now) took it.
    let mut signer = || {
        let asked = sp.run(&t, "request", &[]);
        let url = asked["url"].as_str().unwrap();
        let answer = match ua.cookies.is_empty() {
            true => ua.submit_login(&t, url, "kai", "a long password"),
            false => ua.request("GET", url, None),
        };
        let (_, response, _) = posted(&answer.body);
        let seen = sp.read(&t, &response, asked["request_id"].as_str().unwrap());
        assert!(seen.get("refused").is_none(), "{seen}");
        certificates_in(&xml_of(&response))[0].clone()
    };
    let first = metadata();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(signer(), first[0]);
    let rotate = || {
        let position = super::oidc_support::rotate_rs256(&t);
        let _ = t.client.clone().at(&position).get("/v1/users/me");
    };
    // Step 1: the next key is listed, the current one still signs.
    rotate();
    let listed = metadata();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.contains(&first[0]));
    assert_eq!(signer(), first[0]);
    // Step 2: the next key signs, and SPs knew it already; the retired one is not listed.
    rotate();
    let now = signer();
    assert_ne!(now, first[0]);
    assert!(
        listed.contains(&now),
        "the key that signs now was listed before"
    );
    assert_eq!(metadata(), [now]);
}

#[test]
fn a_user_with_a_second_factor_gives_it_before_the_sp_hears_of_the_login() {
    let t = server().tenant();
    let sp = Sp::new(false);
    registered(&t, &sp, json!({}));
    let mia = human(&t, "mia", "a long password");
    let secret = with_totp(&t.client, &mia);
    let asked = sp.run(&t, "request", &[]);
    let mut ua = UserAgent::default();
    let after_password =
        ua.submit_login(&t, asked["url"].as_str().unwrap(), "mia", "a long password");
    assert_eq!(after_password.status, 302, "{}", after_password.body);
    let step = after_password.location.unwrap();
    assert!(step.starts_with("/ui/login/mfa?"), "{step}");
    let done = submit_code(
        &mut ua,
        &t,
        &format!("{}{step}", issuer(&t)),
        &totp(&secret, 1),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let (action, response, _) = posted(&done.body);
    assert_eq!(action, sp.acs);
    let seen = sp.read(&t, &response, asked["request_id"].as_str().unwrap());
    assert_eq!(seen["name_id"], json!(mia), "{seen}");
    assert_eq!(
        seen["authn_context"],
        json!("https://refeds.org/profile/mfa")
    );
}
