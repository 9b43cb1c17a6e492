//! SAML identity providers upstream: pysaml2 (PyPI, on Debian's xmlsec1) as a customer's IdP,
//! Portcullis its service provider. Its metadata registers the IdP; the login page's button
//! sends the browser there with a signed request; pysaml2 answers it as any IdP would, and the
//! user it vouches for is made just in time and logged in, by the hosted login and by a login
//! UI's intent. And what the SAML literature attacks an SP with, each with pysaml2 signing:
//! an unsigned response, one re-signed by another key, signature wrapping, a comment in the
//! NameID, a replayed response, another audience, an expired one, an XXE payload, and a
//! response brought by another browser.

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::default_org;
use super::federation::{sent_to_idp, with_org_idp};
use super::grpc::{block, call, channel};
use super::http_sink::HttpSink;
use super::login_sessions::{auth_request, caller, finalize};
use super::oidc_behaviours::{auth_url, claims, exchange, VERIFIER};
use super::oidc_clients::{output, page_shot, run, venv_python};
use super::oidc_support::{app, enc, issuer, param, Answer, App, UserAgent, REDIRECT};
use super::saml::post_as_sp;

/// Settings of saml_idp.py.
type Env<'a> = Vec<(&'a str, &'a str)>;

/// A customer's IdP, as pysaml2 is configured for it.
struct Idp {
    entity_id: String,
    sso: String,
    key_dir: tempfile::TempDir,
}

impl Idp {
    fn new() -> Idp {
        Idp::at(&format!(
            "https://idp-{}.example.com/sso",
            uuid::Uuid::now_v7().simple()
        ))
    }

    /// An IdP whose single sign-on service is at `sso`.
    fn at(sso: &str) -> Idp {
        Idp {
            entity_id: format!("{}/saml", sso.trim_end_matches("/sso")),
            sso: sso.into(),
            key_dir: tempfile::tempdir().unwrap(),
        }
    }

    /// What pysaml2 is configured with, as the IdP of SAML IdP `idp_id` of the tenant.
    fn env(&self, t: &Tenant, idp_id: &str) -> Vec<(&'static str, String)> {
        vec![
            ("DOMAIN", t.domain.clone()),
            ("PORT", server().addr.port().to_string()),
            ("IDP", self.entity_id.clone()),
            ("SSO", self.sso.clone()),
            ("KEY_DIR", self.key_dir.path().to_str().unwrap().into()),
            ("SP_METADATA", format!("{}/saml/v2/sp/{idp_id}", issuer(t))),
            ("SIGNED_REQUESTS", "1".into()),
        ]
    }

    fn metadata(&self, t: &Tenant) -> String {
        let env = self.env(t, "");
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        output(&venv_python(), &["saml_idp.py", "metadata"], &env)
    }

    /// pysaml2's answer to the request Portcullis sent (`request`: the URL the browser was
    /// sent to, or the posted fields), for `name_id`, with `env` (an attacker's changes).
    fn respond(
        &self,
        t: &Tenant,
        idp_id: &str,
        request: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> Value {
        let mine = self.env(t, idp_id);
        let mut all: Vec<(&str, &str)> = mine.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(request);
        all.extend_from_slice(env);
        run(&venv_python(), &["saml_idp.py", "respond"], &all)
    }
}

/// The tenant's default org with logins through `idp` (settings `extra` besides its metadata):
/// the IdP's id.
fn registered(t: &Tenant, idp: &Idp, extra: Value) -> String {
    let mut saml = json!({"metadata_xml": idp.metadata(t), "signed_requests": true});
    if let (Some(s), Some(e)) = (saml.as_object_mut(), extra.as_object()) {
        s.extend(e.clone());
    }
    with_org_idp(
        t,
        json!({"name": "Customer SAML", "type": "saml", "saml": saml}),
    )
}

/// Posts saml_idp.py's answer (`{"action", "fields"}`) as the IdP's page does: from the
/// IdP's site, then again from Portcullis's own (see `saml::post_as_sp`).
fn posted_back(ua: &mut UserAgent, answer: &Value) -> Answer {
    let fields: Vec<(&str, &str)> = answer["fields"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect();
    post_as_sp(ua, answer["action"].as_str().unwrap(), &fields)
}

/// A login of `app` sent to the IdP: the browser and pysaml2's answer for `name_id` (with
/// `env`).
fn answered(
    t: &Tenant,
    app: &App,
    (idp, idp_id): (&Idp, &str),
    name_id: &str,
    env: &[(&str, &str)],
) -> (UserAgent, Value) {
    let (browser, at_idp) = sent_to_idp(t, app);
    assert!(
        at_idp.starts_with(&format!("{}?SAMLRequest=", idp.sso)),
        "{at_idp}"
    );
    let mut all = vec![("NAME_ID", name_id)];
    all.extend_from_slice(env);
    let answer = idp.respond(t, idp_id, &[("REQUEST_URL", &at_idp)], &all);
    (browser, answer)
}

/// The app's code where `answer` sent the browser back to it.
fn code_of(answer: &Answer) -> Option<String> {
    let to = answer.location.as_deref()?;
    to.starts_with(REDIRECT)
        .then(|| param(to, "code"))
        .flatten()
}

#[test]
fn a_user_of_the_customers_saml_idp_is_made_just_in_time_and_logs_in_once_per_assertion() {
    let t = server().tenant();
    let idp = Idp::new();
    let idp_id = registered(&t, &idp, json!({}));
    let org = default_org(&t);
    let read = t.client.get(&format!("/v1/orgs/{org}/idps/{idp_id}"));
    assert_eq!(read.status, 200, "{}", read.body);
    let saml = &read.body["saml"];
    assert_eq!(saml["entity_id"], json!(idp.entity_id));
    assert_eq!(saml["sso_url"], json!(idp.sso));
    assert_eq!(saml["binding"], "redirect");
    assert_eq!(saml["certificates"], 1);
    let sp = format!("{}/saml/v2/sp/{idp_id}", issuer(&t));
    assert_eq!(saml["sp_entity_id"], json!(sp));
    let acs = format!("{}/ui/login/idp/saml/acs", issuer(&t));
    assert_eq!(saml["acs_url"], json!(acs));
    // The SP's metadata, to register at the IdP, names them and the signing certificate.
    let metadata = UserAgent::default().request("GET", &sp, None);
    assert_eq!(metadata.status, 200);
    assert!(
        metadata.body.contains(&format!("entityID=\"{sp}\""))
            && metadata.body.contains(&format!("Location=\"{acs}\""))
            && metadata.body.contains("<ds:X509Certificate>"),
        "{}",
        metadata.body
    );

    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, answer) = answered(&t, &app, (&idp, &idp_id), "grace", &[]);
    assert_eq!(answer["action"], json!(acs));
    let back = posted_back(&mut browser, &answer);
    let code = code_of(&back).unwrap_or_else(|| panic!("{:?} {}", back.location, back.body));
    let (status, tokens) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    let id_token = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["fed"]));
    // A new user of the org from the assertion's attributes; the IdP's word on the address
    // is not taken for a verification.
    let user_id = id_token["sub"].as_str().unwrap().to_string();
    let user = t.client.get(&format!("/v1/users/{user_id}"));
    assert_eq!(user.body["username"], "grace", "{}", user.body);
    assert_eq!(user.body["org_id"], json!(org));
    assert_eq!(user.body["profile"]["given_name"], "Grace");
    assert_eq!(user.body["profile"]["family_name"], "Hopper");
    assert_eq!(user.body["email"]["address"], "grace@customer.example");
    assert_eq!(user.body["email"]["verified"], false);
    let links = t.client.get(&format!("/v1/users/{user_id}/idp_links"));
    assert_eq!(links.body["items"][0]["external_id"], "grace");

    // The same response again (the browser's back button): nobody.
    let replayed = posted_back(&mut browser, &answer);
    assert_eq!(code_of(&replayed), None, "{}", replayed.body);
    assert_eq!(replayed.status, 400);
    // The next login (another browser, another assertion) is the same user.
    let (mut other, answer) = answered(&t, &app, (&idp, &idp_id), "grace", &[]);
    let back = posted_back(&mut other, &answer);
    let code = code_of(&back).expect("a code");
    let (_, tokens) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["sub"],
        json!(user_id)
    );
}

#[test]
fn responses_an_attacker_makes_or_moves_log_nobody_in() {
    let t = server().tenant();
    let idp = Idp::new();
    let idp_id = registered(&t, &idp, json!({}));
    let app = app(&t, "client_secret_basic", "jwt");
    let other_key = tempfile::tempdir().unwrap();
    let other_key = other_key.path().to_str().unwrap();
    let comment =
        r#"[["mallory@acme.example.evil.example", "mallory@acme.example<!---->.evil.example"]]"#;
    let attacks: [(&str, &str, Env); 8] = [
        ("unsigned", "grace", vec![("SIGN", "none")]),
        (
            "signed by another key",
            "grace",
            vec![("SIGNING_KEY_DIR", other_key)],
        ),
        (
            "an unsigned assertion beside the signed one",
            "grace",
            vec![("WRAP", "mallory")],
        ),
        (
            "a comment in the NameID",
            "mallory@acme.example.evil.example",
            vec![("AFTER_SIGNING", comment)],
        ),
        (
            "for another audience",
            "grace",
            vec![("AUDIENCE", "https://other-sp.example.com/saml")],
        ),
        ("for any audience", "grace", vec![("NO_AUDIENCE", "1")]),
        ("made 15 minutes ago", "grace", vec![("AGE_S", "900")]),
        (
            "the response signed, not the assertion",
            "grace",
            vec![("SIGN", "response")],
        ),
    ];
    for (what, name_id, env) in attacks {
        let (mut browser, answer) = answered(&t, &app, (&idp, &idp_id), name_id, &env);
        let back = posted_back(&mut browser, &answer);
        if what == "the response signed, not the assertion" {
            // Not an attack: a response signed as a whole vouches for its assertion.
            assert!(code_of(&back).is_some(), "{what}: {}", back.body);
            continue;
        }
        assert_eq!(code_of(&back), None, "{what}: {:?}", back.location);
        assert_eq!(back.status, 400, "{what}: {}", back.body);
        assert!(
            back.body.contains("identity provider did not succeed"),
            "{what}: {}",
            back.body
        );
    }
    let users = t.client.get("/v1/users?username=mallory");
    assert_eq!(
        users.body["items"],
        json!([]),
        "nobody named mallory was made"
    );

    // A good response brought by another browser than the one that began the login: the
    // login is not that browser's (the cookie that binds it is missing).
    let (_, answer) = answered(&t, &app, (&idp, &idp_id), "grace", &[]);
    let mut stranger = UserAgent::default();
    let back = posted_back(&mut stranger, &answer);
    assert_eq!(code_of(&back), None, "{:?}", back.location);
    assert_eq!(back.status, 400);
    // A document type (XXE) is refused before anything is read.
    let (mut browser, answer) = answered(&t, &app, (&idp, &idp_id), "grace", &[]);
    use base64::Engine;
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">&x;</samlp:Response>"#;
    let mut forged = answer.clone();
    forged["fields"]["SAMLResponse"] = json!(base64::engine::general_purpose::STANDARD.encode(xxe));
    let back = posted_back(&mut browser, &forged);
    assert_eq!(back.status, 400, "{}", back.body);
    assert!(!back.body.contains("root:"));
}

#[test]
fn a_login_ui_logs_a_user_in_through_a_saml_idp_by_the_post_binding() {
    let t = server().tenant();
    let idp = Idp::new();
    let idp_id = registered(&t, &idp, json!({"binding": "post"}));
    let login_ui = caller(&t, "login-ui", &["IAM_LOGIN_CLIENT"], true);
    let org = default_org(&t);
    let started = login_ui.post(
        "/v1/idp_intents",
        json!({"idp_id": idp_id, "org_id": org, "success_url": "https://login.acme.example/ok",
               "failure_url": "https://login.acme.example/failed"}),
    );
    assert_eq!(started.status, 200, "{}", started.body);
    let go = started.str("auth_url");
    assert!(
        go.starts_with(&format!("{}/ui/login/idp/saml/go?RelayState=", issuer(&t))),
        "{go}"
    );
    // The browser goes there, and a page of ours posts the signed request to the IdP: in
    // Chromium, in German on a phone, without scripts, it says so and has its button.
    let seen = page_shot(&go, "de-DE", "saml-to-idp-de-phone");
    assert_eq!(
        (&seen["status"], &seen["lang"], &seen["overflow"]),
        (&json!(200), &json!("de"), &json!(false)),
        "{seen}"
    );
    assert_eq!(seen["heading"], "Sie werden angemeldet");
    assert_eq!(seen["button"], "Weiter");
    let mut browser = UserAgent::default();
    let page = browser.request("GET", &go, None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .body
        .contains(&format!("<form method=\"post\" action=\"{}\">", idp.sso)));
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.body.find(&marker).expect(name) + marker.len();
        page.body[start..start + page.body[start..].find('"').unwrap()].to_string()
    };
    let (request, relay) = (field("SAMLRequest"), field("RelayState"));
    let answer = idp.respond(
        &t,
        &idp_id,
        &[("SAML_REQUEST", &request), ("RELAY_STATE", &relay)],
        &[("NAME_ID", "lin")],
    );
    // The IdP's response comes back to the login UI as an intent's id and token.
    let back = posted_back(&mut browser, &answer);
    assert_eq!(back.status, 302, "{}", back.body);
    let landed = back.location.unwrap();
    assert!(
        landed.starts_with("https://login.acme.example/ok?"),
        "{landed}"
    );
    // Whoever saw the response cannot bring it again for an intent of their own: each
    // assertion is taken once.
    let replayed = posted_back(&mut UserAgent::default(), &answer);
    let failed = replayed.location.unwrap_or_default();
    assert!(
        failed.starts_with("https://login.acme.example/failed?"),
        "{failed}"
    );
    let intent = json!({"checks": {"idp_intent": {
        "id": param(&landed, "id").unwrap(), "token": param(&landed, "token").unwrap()}}});
    let session = login_ui.post("/v1/sessions", intent);
    assert_eq!(session.status, 201, "{}", session.body);
    assert_eq!(session.body["factors"]["idp"]["idp_id"], json!(idp_id));
    let app = app(&t, "client_secret_basic", "jwt");
    let done = finalize(&login_ui, &auth_request(&t, &app, ""), &session.body);
    assert_eq!(done.status, 200, "{}", done.body);
    // A refused response sends the browser to the failure URL with the reason's code.
    let page = UserAgent::default().request("GET", &go, None);
    assert_eq!(page.status, 200);
    let answer = idp.respond(
        &t,
        &idp_id,
        &[("SAML_REQUEST", &request), ("RELAY_STATE", &relay)],
        &[("NAME_ID", "lin"), ("SIGN", "none")],
    );
    let back = posted_back(&mut UserAgent::default(), &answer);
    let landed = back.location.unwrap_or_default();
    assert!(
        landed.starts_with("https://login.acme.example/failed?"),
        "{landed}"
    );
    assert_eq!(param(&landed, "error").as_deref(), Some("IDP-0004"));
}

#[test]
fn chromium_logs_in_through_the_saml_idp_and_lands_at_the_app() {
    let t = server().tenant();
    // The IdP's site in the browser: plain http (the tests' instances are), at localhost.
    let idp = Idp::at(&format!(
        "http://localhost:9/idp-{}/sso",
        uuid::Uuid::now_v7().simple()
    ));
    let idp_id = registered(&t, &idp, json!({}));
    let app = app(&t, "client_secret_basic", "jwt");
    let mut env = idp.env(&t, &idp_id);
    env.extend([
        ("AUTH_URL", auth_url(&t, &app, "")),
        ("IDP_NAME", "Customer SAML".into()),
        ("REDIRECT_URI", REDIRECT.into()),
        ("PYTHON", venv_python()),
        ("NAME_ID", "ada".into()),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let seen = run("node", &["saml_idp_login.mjs"], &env);
    let landed = seen["landed"].as_str().unwrap();
    let code = param(landed, "code").unwrap_or_else(|| panic!("{seen}"));
    let (status, tokens) = exchange(&t, &app, &code, VERIFIER);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        claims(tokens["id_token"].as_str().unwrap())["amr"],
        json!(["fed"])
    );
    // The browser went through the IdP and was posted back to the ACS from there.
    let visited: Vec<&str> = seen["visited"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(visited.iter().any(|u| u.starts_with(&idp.sso)), "{seen}");
}

#[test]
fn bad_metadata_and_settings_are_refused_and_grpc_reads_what_rest_wrote() {
    let t = server().tenant();
    let org = default_org(&t);
    let idp = Idp::new();
    let metadata = idp.metadata(&t);
    let add = |saml: Value| {
        t.client.post(
            &format!("/v1/orgs/{org}/idps"),
            json!({"name": "Customer SAML", "type": "saml", "saml": saml}),
        )
    };
    let field = |r: &testkit::Reply| r.body["details"]["field"].clone();
    // An SP's metadata is not an IdP's; a binding SAML does not have here; both or neither
    // source; a document type; a URL at a private address of an operator who allows them,
    // answering no metadata.
    let sp_metadata = UserAgent::default()
        .request("GET", &format!("{}/saml/v2/sp/x", issuer(&t)), None)
        .body;
    for (saml, named) in [
        (json!({"metadata_xml": sp_metadata}), "saml.metadata_xml"),
        (
            json!({"metadata_xml": metadata, "binding": "artifact"}),
            "saml.binding",
        ),
        (
            json!({"metadata_xml": metadata, "metadata_url": "https://idp.example.com/md"}),
            "saml.metadata_xml",
        ),
        (json!({}), "saml.metadata_xml"),
        (
            json!({"metadata_xml": r#"<!DOCTYPE x [<!ENTITY e "e">]><x/>"#}),
            "saml.metadata_xml",
        ),
        (
            json!({"metadata_xml": metadata.replace("use=\"signing\"", "use=\"encryption\"")}),
            "saml.certificates",
        ),
    ] {
        let r = add(saml.clone());
        assert_eq!(r.status, 400, "{saml}: {}", r.body);
        assert_eq!(r.body["code"], "IDP-0001", "{}", r.body);
        assert_eq!(field(&r), json!(named), "{}", r.body);
    }
    // Read over gRPC as REST wrote it.
    let added = add(json!({"metadata_xml": metadata, "binding": "post"}));
    assert_eq!(added.status, 201, "{}", added.body);
    let id = added.str("id");
    block(async {
        use gateway::grpc::pb;
        let mut api = pb::idp_service_client::IdpServiceClient::new(channel(&t.domain).await);
        let read = api
            .get_org_idp(call(
                pb::GetOrgIdpRequest {
                    org_id: org.clone(),
                    id: id.clone(),
                },
                t.admin_pat.as_str(),
                Some(&added.str("position")),
            ))
            .await
            .expect("GetOrgIdp")
            .into_inner();
        assert_eq!(read.r#type, "saml");
        let Some(pb::idp::Config::Saml(s)) = read.config else {
            panic!("{read:?}")
        };
        assert_eq!(
            (s.entity_id.as_str(), s.binding.as_str()),
            (idp.entity_id.as_str(), "post")
        );
        assert!(s.sp_entity_id.ends_with(&format!("/saml/v2/sp/{id}")));
        // And added over gRPC.
        let settings = pb::IdpSettings {
            name: "Over gRPC".into(),
            options: None,
            config: Some(pb::idp_settings::Config::Saml(pb::SamlIdp {
                metadata_xml: metadata.clone(),
                ..Default::default()
            })),
        };
        let written = api
            .add_org_idp(call(
                pb::AddOrgIdpRequest {
                    org_id: org.clone(),
                    settings: Some(settings),
                },
                t.admin_pat.as_str(),
                None,
            ))
            .await
            .expect("AddOrgIdp")
            .into_inner();
        assert!(!written.id.is_empty());
    });
}

#[test]
fn an_idp_read_from_its_metadata_url_takes_unsigned_requests_where_so_set() {
    let t = server().tenant();
    let idp = Idp::new();
    let site = HttpSink::start(0);
    site.serve_at("/idp/metadata.xml", &idp.metadata(&t));
    let url = site.url("/idp/metadata.xml");
    let idp_id = with_org_idp(
        &t,
        json!({"name": "Customer SAML", "type": "saml",
               "saml": {"metadata_url": url, "signed_requests": false}}),
    );
    let read = t
        .client
        .get(&format!("/v1/orgs/{}/idps/{idp_id}", default_org(&t)));
    assert_eq!(
        read.body["saml"]["metadata_url"],
        json!(url),
        "{}",
        read.body
    );
    assert_eq!(read.body["saml"]["signed_requests"], false);
    assert_eq!(site.calls("/idp/metadata.xml").len(), 1);
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, at_idp) = sent_to_idp(&t, &app);
    assert!(!at_idp.contains("&Signature="), "{at_idp}");
    let answer = idp.respond(
        &t,
        &idp_id,
        &[("REQUEST_URL", &at_idp)],
        &[("NAME_ID", "noa"), ("SIGNED_REQUESTS", "0")],
    );
    let back = posted_back(&mut browser, &answer);
    assert!(
        code_of(&back).is_some(),
        "{:?} {}",
        back.location,
        back.body
    );
}

#[test]
fn the_acs_and_the_intents_way_take_only_what_portcullis_sent() {
    let t = server().tenant();
    let idp = Idp::new();
    let idp_id = registered(&t, &idp, json!({}));
    let app = app(&t, "client_secret_basic", "jwt");
    let refused = |ua: &mut UserAgent, answer: &Value, why: &str| {
        let back = posted_back(ua, answer);
        assert_eq!(code_of(&back), None, "{why}: {:?}", back.location);
        assert_eq!(back.status, 400, "{why}: {}", back.body);
    };
    let (mut browser, answer) = answered(&t, &app, (&idp, &idp_id), "grace", &[]);
    // The sealed login changed, or missing; the response missing.
    let mut changed = answer.clone();
    let relay = answer["fields"]["RelayState"].as_str().unwrap();
    let mut bytes = relay.as_bytes().to_vec();
    bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
    changed["fields"]["RelayState"] = json!(String::from_utf8(bytes).unwrap());
    refused(&mut browser, &changed, "a changed RelayState");
    let mut none = answer.clone();
    none["fields"].as_object_mut().unwrap().remove("RelayState");
    refused(&mut browser, &none, "no RelayState");
    let mut empty = answer.clone();
    empty["fields"]
        .as_object_mut()
        .unwrap()
        .remove("SAMLResponse");
    refused(&mut browser, &empty, "no SAMLResponse");
    // A good response for another login of the same IdP (login CSRF: a response of the
    // attacker's own account pushed into the victim's login): it answers another request.
    let (mut victim, theirs) = answered(&t, &app, (&idp, &idp_id), "grace", &[]);
    let mut pushed = theirs.clone();
    pushed["fields"]["SAMLResponse"] = answer["fields"]["SAMLResponse"].clone();
    refused(&mut victim, &pushed, "a response to another request");
    // The untouched answer still logs in: nothing above was refused for another reason.
    let back = posted_back(&mut browser, &answer);
    assert!(code_of(&back).is_some(), "{}", back.body);

    // The intents' way to the IdP takes only an intent's sealed login.
    let go = format!("{}/ui/login/idp/saml/go?RelayState=", issuer(&t));
    let hosted = theirs["fields"]["RelayState"].as_str().unwrap();
    for state in ["not-sealed", hosted] {
        let r = UserAgent::default().request("GET", &format!("{go}{}", enc(state)), None);
        assert_eq!(r.status, 400, "{state}: {}", r.body);
        assert!(!r.body.contains("SAMLRequest"));
    }
}
