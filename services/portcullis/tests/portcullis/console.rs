//! The admin console (`/ui/console/`): served by the binary on every instance's domain, logged
//! in through the hosted login as the built-in public client `console`, calling the REST API.
//! Chromium builds an org, a user, a project, a role, an app and grants through it, and the API
//! shows them; a narrower manager sees less; axe-core finds nothing serious on any page. The
//! console's client is tried as an attacker would: a code sent elsewhere, no PKCE, a secret.

use std::io::Read;

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::oidc_behaviours::{challenge, VERIFIER};
use super::oidc_clients::run;
use super::oidc_support::{enc, human, issuer, param, send, UserAgent};

/// The console's authorization URL at `t` with `redirect_uri`, and `extra` parameters.
fn console_auth(t: &Tenant, redirect_uri: &str, extra: &str) -> String {
    format!(
        "{}/oauth/v2/authorize?client_id=console&response_type=code&scope={}&redirect_uri={}&state=s1{extra}",
        issuer(t),
        enc("openid urn:portcullis:api:aud"),
        enc(redirect_uri),
    )
}

/// A new tenant, once the read models have it (its domain then reaches it).
fn tenant() -> Tenant {
    let t = server().tenant();
    let _ = t.client.get("/v1/users/me");
    t
}

fn pkce() -> String {
    format!("&code_challenge={}&code_challenge_method=S256", challenge())
}

fn token_form(t: &Tenant, fields: &[(&str, &str)]) -> (u16, Value) {
    let a = UserAgent::default().request(
        "POST",
        &format!("{}/oauth/v2/token", issuer(t)),
        Some(fields),
    );
    (
        a.status,
        serde_json::from_str(&a.body).unwrap_or(Value::Null),
    )
}

#[test]
fn the_console_app_logs_a_manager_in_with_pkce_and_its_token_reaches_the_api() {
    let t = tenant();
    let home = format!("{}/ui/console/", issuer(&t));
    let back = UserAgent::default().log_in(
        &t,
        &console_auth(&t, &home, &pkce()),
        "admin",
        &t.admin_password,
    );
    assert!(back.starts_with(&home), "{back}");
    let code = param(&back, "code").unwrap();
    let (status, tokens) = token_form(
        &t,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &home),
            ("client_id", "console"),
            ("code_verifier", VERIFIER),
        ],
    );
    assert_eq!(status, 200, "{tokens}");
    let me = t
        .as_token(tokens["access_token"].as_str().unwrap())
        .get("/v1/users/me");
    assert_eq!(
        (me.status, me.body["id"].clone()),
        (200, json!(t.admin_user_id))
    );
}

#[test]
fn the_console_app_sends_codes_only_to_the_console_of_the_domain_asked() {
    let t = tenant();
    let other = tenant();
    let mut browser = UserAgent::default();
    for elsewhere in [
        "https://evil.example/ui/console/".to_string(),
        format!("{}/ui/console/", issuer(&other)),
        format!("{}/ui/console/x", issuer(&t)),
        format!("{}/ui/login", issuer(&t)),
    ] {
        let a = browser.request("GET", &console_auth(&t, &elsewhere, &pkce()), None);
        assert_eq!((a.status, a.location), (400, None), "{elsewhere}");
    }
    // At its own console, but without PKCE: refused, back to the console.
    let home = format!("{}/ui/console/", issuer(&t));
    let a = browser.request("GET", &console_auth(&t, &home, ""), None);
    let location = a.location.expect("an error goes back to the console");
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request")
    );
    // A code of the console is exchanged only by the console, with its verifier.
    let back = UserAgent::default().log_in(
        &t,
        &console_auth(&t, &home, &pkce()),
        "admin",
        &t.admin_password,
    );
    let code = param(&back, "code").unwrap();
    let exchange = |fields: &[(&str, &str)]| token_form(&t, fields);
    let base = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", home.as_str()),
        ("client_id", "console"),
    ];
    let (status, e) = exchange(
        &[
            &base[..],
            &[(
                "code_verifier",
                "not-the-verifier-0123456789-abcdefghijklmnop",
            )],
        ]
        .concat(),
    );
    assert_eq!(
        (status, e["error"].clone()),
        (400, json!("invalid_grant")),
        "{e}"
    );
    let (status, e) = exchange(
        &[
            &base[..],
            &[("code_verifier", VERIFIER), ("client_secret", "guessed")],
        ]
        .concat(),
    );
    assert_eq!(
        (status, e["error"].clone()),
        (401, json!("invalid_client")),
        "{e}"
    );
}

/// The console's files as a browser gets them: (status, headers, body decompressed).
fn console_file(host: &str, path: &str, gzip: bool) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
    let mut req =
        ureq::http::Request::builder().uri(format!("http://{host}:{}{path}", server().addr.port()));
    if gzip {
        req = req.header("accept-encoding", "gzip, deflate, br");
    }
    let resp = send(req.body(Vec::new()).unwrap());
    let (parts, body) = resp.into_parts();
    (parts.status.as_u16(), parts.headers, body)
}

#[test]
fn the_console_is_served_compressed_under_a_strict_policy_on_instance_domains_only() {
    let t = tenant();
    let mut compressed = 0;
    // The page and every file it loads (its stylesheet, its script and the modules it preloads).
    let (_, _, page) = console_file(&t.domain, "/ui/console/", false);
    let page = String::from_utf8(page).unwrap();
    let mut files = vec!["/ui/console/".to_string()];
    for part in page.split("\"/ui/console/").skip(1) {
        files.push(format!("/ui/console/{}", part.split('"').next().unwrap()));
    }
    assert!(files.len() > 10, "{files:?}");
    for path in &files {
        let (status, headers, body) = console_file(&t.domain, path, true);
        assert_eq!(status, 200, "{path}");
        assert_eq!(headers["content-encoding"], "gzip", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"));
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .unwrap();
        let (_, _, unzipped) = console_file(&t.domain, path, false);
        assert_eq!(plain, unzipped, "{path}: the same file either way");
        compressed += body.len();
    }
    assert!(
        compressed < 200 * 1024,
        "the console's first load is {compressed} bytes compressed"
    );
    let (status, _, _) = console_file("nobody.test", "/ui/console/", true);
    assert_eq!(status, 404, "no console at a domain of no instance");
    let (status, _, _) = console_file(&t.domain, "/ui/console/../../etc/passwd", true);
    assert_eq!(status, 404);
    let (status, _, roles) = console_file(&t.domain, "/ui/console/roles.json", false);
    let roles: Value = serde_json::from_slice(&roles).unwrap();
    assert_eq!(status, 200);
    assert!(roles["ORG_USER_MANAGER"]
        .as_array()
        .unwrap()
        .contains(&json!("user.write")));
    assert!(
        roles.get("SYSTEM_OWNER").is_none(),
        "system roles are not the console's"
    );
}

#[test]
fn a_manager_builds_an_org_through_the_console_and_a_narrower_one_sees_only_what_they_may() {
    let t = tenant();
    let org = super::default_org(&t);
    let narrow = human(&t, "una", "a narrow manager's password");
    let set = t.client.put(
        &format!("/v1/orgs/{org}/members/{narrow}"),
        json!({"user_id": narrow, "roles": ["ORG_USER_MANAGER"]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    // More orgs than a page of the console holds.
    for n in 0..52 {
        let made = t
            .client
            .post("/v1/orgs", json!({"name": format!("Many {n:02}")}));
        assert_eq!(made.status, 201, "{}", made.body);
    }
    let _ = t.client.after(&set).get("/v1/users/me");
    let suffix = uuid::Uuid::now_v7().simple().to_string()[20..].to_string();
    let shots = std::env::var("PORTCULLIS_SCREENSHOTS").unwrap_or_default();
    let seen = run(
        "node",
        &["console.mjs"],
        &[
            ("BASE", &issuer(&t)),
            ("USERNAME", "admin"),
            ("PASSWORD", &t.admin_password),
            ("NARROW_USERNAME", "una"),
            ("NARROW_PASSWORD", "a narrow manager's password"),
            ("SUFFIX", &suffix),
            ("SHOTS", &shots),
        ],
    );
    assert!(seen.get("failed").is_none(), "{seen}");
    // What the console made is what the API holds.
    let made = &t.client;
    let acme = made.get(&format!("/v1/orgs/{}", seen["org_id"].as_str().unwrap()));
    assert_eq!(acme.body["name"], format!("Acme {suffix}"), "{}", acme.body);
    let ada = made.get(&format!("/v1/users?username=ada-{suffix}"));
    let ada = &ada.body["items"][0];
    assert_eq!(
        (ada["org_id"].clone(), ada["profile"]["family_name"].clone()),
        (acme.body["id"].clone(), json!("Lovelace"))
    );
    assert_eq!(ada["display_name"], "Ada King", "the profile as edited");
    // The orgs page a page at a time: Default, the 52 made above and the one made by keyboard.
    assert_eq!(seen["orgs_first_page"], 50, "{seen}");
    assert_eq!(seen["orgs_all"], 54, "{seen}");
    assert_eq!(seen["orgs_more_left"], 0, "{seen}");
    // Keyboard only, and no layout shift while the first page loads.
    assert_eq!(seen["keyboard_first"], "New organization");
    assert_eq!(seen["keyboard_org"], true);
    assert!(seen["layout_shift"].as_f64().unwrap() < 0.1, "{seen}");
    assert_eq!(seen["searched"], json!([format!("ada-{suffix}")]), "{seen}");
    assert!(
        seen["suggested"]
            .as_array()
            .unwrap()
            .contains(&json!(format!("ada-{suffix}"))),
        "{seen}"
    );
    let members = made.get(&format!(
        "/v1/orgs/{}/members",
        acme.body["id"].as_str().unwrap()
    ));
    assert_eq!(
        (
            members.body["items"][0]["user_id"].clone(),
            members.body["items"][0]["roles"].clone()
        ),
        (ada["id"].clone(), json!(["ORG_USER_MANAGER"])),
        "{}",
        members.body
    );
    let projects = made.get(&format!(
        "/v1/projects?org_id={}",
        acme.body["id"].as_str().unwrap()
    ));
    let project = &projects.body["items"][0];
    assert_eq!(project["name"], format!("Rocket {suffix}"));
    let pid = project["id"].as_str().unwrap();
    let roles = made.get(&format!("/v1/projects/{pid}/roles"));
    assert_eq!(roles.body["items"][0]["key"], "pilot", "{}", roles.body);
    let apps = made.get(&format!("/v1/projects/{pid}/apps"));
    assert_eq!(
        apps.body["items"][0]["client_id"], seen["client_id"],
        "{}",
        apps.body
    );
    // The secret the wizard showed once was the app's until the console made a new one (after
    // asking), which authenticates the app now; neither is shown again.
    let introspect = |secret: &str| {
        let basic = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{secret}", seen["client_id"].as_str().unwrap()),
        );
        let answer = send(
            ureq::http::Request::builder()
                .method("POST")
                .uri(format!("{}/oauth/v2/introspect", issuer(&t)))
                .header("authorization", format!("Basic {basic}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(b"token=nothing".to_vec())
                .unwrap(),
        );
        answer.status().as_u16()
    };
    assert_eq!(introspect(seen["client_secret"].as_str().unwrap()), 401);
    assert_eq!(introspect(seen["rotated_secret"].as_str().unwrap()), 200);
    assert!(
        seen["secret_question"]
            .as_str()
            .unwrap()
            .contains("stops working"),
        "{seen}"
    );
    assert_eq!(seen["secret_shown_again"], 0);
    // The SAML app made from its metadata, with its endpoint on its page.
    let saml = made.get(&format!("/v1/projects/{pid}/apps/saml"));
    let sp = &saml.body["items"][0];
    assert_eq!(
        sp["entity_id"],
        format!("https://saml-{suffix}.example.com/sp"),
        "{}",
        saml.body
    );
    assert_eq!(sp["name_id_format"], "email");
    let acs = format!("https://saml-{suffix}.example.com/acs");
    assert_eq!(sp["assertion_consumer_services"][0]["location"], acs);
    assert!(seen["saml_page"].as_str().unwrap().contains(&acs), "{seen}");
    let granted = made.get(&format!("/v1/projects/{pid}/grants"));
    assert_eq!(
        (
            granted.body["items"][0]["granted_org_id"].clone(),
            granted.body["items"][0]["role_keys"].clone()
        ),
        (json!(org), json!(["pilot"])),
        "{}",
        granted.body
    );
    let grants = made.get(&format!("/v1/users/{}/grants", ada["id"].as_str().unwrap()));
    assert_eq!(
        (
            grants.body["items"][0]["project_id"].clone(),
            grants.body["items"][0]["role_keys"].clone()
        ),
        (json!(pid), json!(["pilot"])),
        "{}",
        grants.body
    );
    // An API error is shown with its code; the page itself made no other error.
    assert!(
        seen["duplicate_error"]
            .as_str()
            .unwrap()
            .contains("(USER-0002)"),
        "{seen}"
    );
    // (The browser notes each answer of an error status: the duplicate's 409, the 412 of the
    // email server not set yet, and the 400 of the IdP without a client id.)
    let errors: Vec<&Value> = seen["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            !["409", "412", "400"]
                .iter()
                .any(|s| e.as_str().unwrap().contains(s))
        })
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // The audit trail showed the console's writes, filtered and live.
    let trail: Vec<&str> = seen["trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    // Newest first: the authorization added last before the trail was opened at the top.
    assert!(trail[..3].contains(&"user.grant.added"), "{trail:?}");
    assert!(trail.contains(&"project.app.oidc.added"), "{trail:?}");
    assert_eq!(
        seen["trail_filtered"],
        json!(["org.member.set", "org.added"]),
        "{seen}"
    );
    assert_eq!(seen["trail_live"], json!(true), "{seen}");
    // The instance's email server, settings (the preview showed the colour before it was
    // saved), the org's domain with its proof, Ada's token (it works), a webhook target.
    let smtp = made.get("/v1/instance/smtp");
    assert_eq!(
        (smtp.body["host"].clone(), smtp.body["port"].clone()),
        (json!("smtp.example.com"), json!(2587))
    );
    let rules = made.get("/v1/instance/settings/password_complexity");
    assert_eq!(rules.body["min_length"], 14, "{}", rules.body);
    let branding = made.get("/v1/instance/settings/branding");
    assert_eq!(
        branding.body["primary_color"], "#aa0000",
        "{}",
        branding.body
    );
    assert_eq!(seen["preview_button"], "rgb(170, 0, 0)");
    let domains = made.get(&format!(
        "/v1/orgs/{}/domains",
        acme.body["id"].as_str().unwrap()
    ));
    let token = domains.body["items"][0]["validation"]["dns"]["value"]
        .as_str()
        .unwrap();
    assert!(
        seen["domain_proof"].as_str().unwrap().contains(token),
        "{seen}"
    );
    let as_ada = t
        .as_token(seen["pat"].as_str().unwrap())
        .get("/v1/users/me");
    assert_eq!(
        as_ada.body["username"],
        format!("ada-{suffix}"),
        "{}",
        as_ada.body
    );
    assert_eq!(seen["pat_shown_again"], 0);
    let robot = made.get(&format!("/v1/users?username=robot-{suffix}"));
    assert_eq!(robot.body["items"][0]["type"], "machine", "{}", robot.body);
    // The machine user's key file, shown once, names the key the API lists.
    let file: Value = serde_json::from_str(seen["key_file"].as_str().unwrap()).unwrap();
    assert!(
        file["key"].as_str().unwrap().contains("PRIVATE KEY"),
        "{file}"
    );
    let keys = made.get(&format!(
        "/v1/users/{}/keys",
        robot.body["items"][0]["id"].as_str().unwrap()
    ));
    assert_eq!(keys.body["items"][0]["id"], file["key_id"], "{}", keys.body);
    assert_eq!(seen["key_file_shown_again"], 0);
    // The machine user's client secret gets it a token by client credentials.
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        seen["machine_client_id"].as_str().unwrap(),
        seen["machine_secret"].as_str().unwrap()
    );
    let token = send(
        ureq::http::Request::builder()
            .method("POST")
            .uri(format!("{}/oauth/v2/token", issuer(&t)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.into_bytes())
            .unwrap(),
    );
    assert_eq!(token.status().as_u16(), 200, "the secret gets a token");
    assert!(
        seen["confirmed"]
            .as_str()
            .unwrap()
            .contains(&format!("Temp {suffix}")),
        "{seen}"
    );
    let left = made.get(&format!(
        "/v1/projects?org_id={}",
        acme.body["id"].as_str().unwrap()
    ));
    let names: Vec<&Value> = left.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(
        names,
        [&json!(format!("Rocket {suffix}"))],
        "the deleted project is gone"
    );
    let app = made.get(&format!(
        "/v1/projects/{pid}/apps/{}",
        apps.body["items"][0]["id"].as_str().unwrap()
    ));
    assert_eq!(
        app.body["redirect_uris"],
        json!([
            "https://rocket.example.com/callback",
            "https://rocket.example.com/other"
        ]),
        "the addresses as edited, the rest unchanged: {}",
        app.body
    );
    assert_eq!(app.body["auth_method"], "client_secret_basic");
    assert_eq!(
        app.body["grant_types"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(app.body["access_token_type"], "opaque");
    // The texts set in the console: only the field filled in.
    let texts = made.get("/v1/instance/texts/password_reset/de");
    assert_eq!(
        texts.body,
        json!({"subject": format!("Neues Passwort für Acme {suffix}")})
    );
    // The identity provider made and edited in the console.
    assert_eq!(seen["idp_ldap_fields"], true);
    assert_eq!(seen["idp_ldap_fields_after"], false);
    assert!(
        seen["idp_error"].as_str().unwrap().contains("client_id"),
        "{seen}"
    );
    let idp_id = seen["idp_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let idp = made.get(&format!("/v1/instance/idps/{idp_id}"));
    assert_eq!(
        idp.body["name"],
        format!("Acme SSO {suffix}"),
        "{}",
        idp.body
    );
    assert_eq!(
        idp.body["oidc"]["issuer"],
        format!("https://sso-{suffix}.example.com")
    );
    assert_eq!(
        idp.body["oidc"]["scopes"],
        json!(["email", "profile", "groups"])
    );
    assert_eq!(seen["idp_callback"], idp.body["callback_url"]);
    let sms = made.get("/v1/instance/sms");
    assert_eq!(
        sms.body["endpoint"], "https://sms.example.com/send",
        "{}",
        sms.body
    );
    assert!(seen["sms_key"].as_str().unwrap().len() >= 32);
    // The execution made stays; the second, removed in the console, is gone.
    let executions = made.get("/v1/actions/executions");
    let conditions: Vec<&Value> = executions.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["condition"])
        .collect();
    assert_eq!(
        conditions,
        [&json!({"event": {"group": "user"}})],
        "{}",
        executions.body
    );
    let targets = made.get("/v1/actions/targets");
    assert_eq!(
        targets.body["items"][0]["name"], "Audit",
        "{}",
        targets.body
    );
    assert_eq!(targets.body["items"][0]["timeout_ms"], 5000, "as edited");
    assert!(
        seen["deliveries"]
            .as_str()
            .unwrap()
            .contains("Nothing here yet"),
        "{seen}"
    );
    // The password reset and the invitation sent to Ada are codes of hers on their way.
    assert_eq!(seen["reset_sent"], true);
    assert_eq!(seen["invite_sent"], true);
    let codes = made.get(&format!(
        "/v1/events?aggregate_type=user&aggregate_id={}&order=newest",
        ada["id"].as_str().unwrap()
    ));
    // Newest first: the invitation's code, then the reset's.
    let kinds: Vec<&Value> = codes.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "user.code.added")
        .map(|e| &e["payload"]["kind"])
        .collect();
    assert_eq!(
        kinds,
        [&json!("init"), &json!("password_reset")],
        "{}",
        codes.body
    );
    assert!(seen["signing_key"].as_str().unwrap().len() >= 32);
    assert!(
        seen["explained"].as_str().unwrap().contains("IAM_OWNER"),
        "{seen}"
    );
    assert_eq!(seen["signed_out"], true);
    assert_eq!(
        seen["signed_out_nav"], 0,
        "no pages to go to when signed out"
    );
    // The narrower manager (ORG_USER_MANAGER of one org) sees their org and may add users,
    // nothing more; the audit trail is not theirs.
    assert_eq!(
        seen["narrow_nav"],
        json!(["Overview", "Organizations", "Users", "Projects"]),
        "no instance, settings, actions, audit trail or explainer"
    );
    assert_eq!(seen["narrow_orgs"].as_array().unwrap().len(), 1, "{seen}");
    assert_eq!(
        (
            seen["narrow_new_org"].clone(),
            seen["narrow_new_user"].clone(),
            seen["narrow_new_project"].clone()
        ),
        (json!(0), json!(1), json!(0))
    );
    assert!(seen["narrow_events"]
        .as_str()
        .unwrap()
        .contains("Your roles do not allow this page"));
    // German, dark, on a phone: translated, nothing wider than the screen.
    assert_eq!(seen["german"]["lang"], "de");
    assert_eq!(seen["german"]["nav"][0], "Übersicht");
    assert_eq!(seen["german"]["overflow"], false);
    assert_eq!(seen["german"]["idp_overflow"], false);
    // Every page checked by axe-core (WCAG 2.1 A and AA): nothing serious or critical.
    let pages = seen["violations"].as_object().unwrap();
    assert!(pages.len() >= 21, "{seen}");
    for (page, found) in pages {
        assert_eq!(found, &json!([]), "{page}");
    }
}
