//! Logins through a company's LDAP directory (Debian `slapd`, started here): the login page's
//! button leads to the directory's form, the directory's user logs in with their password
//! over StartTLS or ldaps, and is made just in time from their entry, then kept up to date.
//! And what an attacker tries: wrong and empty passwords, usernames that would change the
//! search filter, a name that matches several people, a server whose certificate is from
//! another CA, a service account whose password is wrong, a server that never answers.

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::federation::with_org_idp;
use super::ldap_directory::{Directory, ADMIN_DN, ADMIN_PASSWORD, BASE_DN};
use super::oidc_behaviours::{auth_url, claims, exchange, VERIFIER};
use super::oidc_support::{app, issuer, param, Answer, App, UserAgent};

/// The directory as an IdP of the default org's logins.
fn settings(servers: &[String], start_tls: bool, root_ca: &str) -> Value {
    json!({"name": "Acme Directory", "type": "ldap", "ldap": {
        "servers": servers, "start_tls": start_tls, "root_ca": root_ca,
        "base_dn": BASE_DN, "bind_dn": ADMIN_DN, "bind_password": ADMIN_PASSWORD,
        "user_filters": ["uid", "mail"], "attributes": {"id": "entryUUID"}, "timeout_s": 1}})
}

/// The directory's form of a new login for `app`: its URL and hidden fields.
struct Form {
    fields: Vec<(String, String)>,
}

fn form(t: &Tenant, browser: &mut UserAgent, app: &App) -> Form {
    let login = browser.request("GET", &auth_url(t, app, ""), None);
    let page = browser.request(
        "GET",
        &format!("{}{}", issuer(t), login.location.unwrap()),
        None,
    );
    let href = page
        .body
        .split("href=\"")
        .find(|s| s.starts_with("/ui/login/ldap?"))
        .and_then(|s| s.split('"').next())
        .expect("the directory's button")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(
        page.body.contains("Log in with Acme Directory"),
        "{}",
        page.body
    );
    let form = browser.request("GET", &format!("{}{href}", issuer(t)), None);
    assert_eq!(form.status, 200, "{}", form.body);
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = form.body.find(&marker).unwrap() + marker.len();
        let value = &form.body[start..start + form.body[start..].find('"').unwrap()];
        (name.to_string(), value.replace("&#x2d;", "-"))
    };
    Form {
        fields: ["authRequest", "csrf", "idp", "discovered"]
            .into_iter()
            .map(field)
            .collect(),
    }
}

fn submit(t: &Tenant, browser: &mut UserAgent, form: &Form, user: &str, password: &str) -> Answer {
    let mut fields: Vec<(&str, &str)> = form
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.extend([("username", user), ("password", password)]);
    browser.request(
        "POST",
        &format!("{}/ui/login/ldap", issuer(t)),
        Some(&fields),
    )
}

/// A whole login through the directory: the user's id (the ID token's `sub`).
fn logs_in(t: &Tenant, app: &App, user: &str, password: &str) -> String {
    let mut browser = UserAgent::default();
    let f = form(t, &mut browser, app);
    let r = submit(t, &mut browser, &f, user, password);
    assert_eq!(r.status, 302, "{}", r.body);
    let landed = r.location.unwrap();
    let (_, tokens) = exchange(t, app, &param(&landed, "code").unwrap(), VERIFIER);
    claims(tokens["id_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_directory_user_logs_in_with_their_password_and_is_made_just_in_time() {
    let t = server().tenant();
    let dir = Directory::start();
    let servers = [format!("ldap://127.0.0.1:{}", dir.ldap)];
    let id = with_org_idp(&t, settings(&servers, true, &dir.ca));
    // The service account's password is never answered.
    let read = t
        .client
        .get(&format!("/v1/orgs/{}/idps/{id}", super::default_org(&t)));
    assert_eq!(read.body["ldap"]["base_dn"], BASE_DN);
    assert!(
        !read.body.to_string().contains(ADMIN_PASSWORD),
        "{}",
        read.body
    );

    let app = app(&t, "client_secret_basic", "jwt");
    // By her mail (one of the filter attributes), over StartTLS.
    let sub = logs_in(&t, &app, "ada@acme.example", "analytical engine");
    let user = t.client.get(&format!("/v1/users/{sub}"));
    assert_eq!(user.body["username"], "ada");
    assert_eq!(user.body["profile"]["given_name"], "Ada");
    assert_eq!(user.body["profile"]["family_name"], "Lovelace");
    assert_eq!(user.body["email"]["address"], "ada@acme.example");
    let links = t.client.get(&format!("/v1/users/{sub}/idp_links"));
    let external = links.body["items"][0]["external_id"].as_str().unwrap();
    assert_eq!(external.len(), 36, "the entry's entryUUID: {}", links.body);

    // The directory renames her: the next login (by uid) is the same user, renamed.
    dir.change(
        "ldapmodify",
        "dn: uid=ada,ou=people,dc=acme,dc=example\nchangetype: modify\nreplace: sn\nsn: King\n",
    );
    assert_eq!(logs_in(&t, &app, "ada", "analytical engine"), sub);
    let user = t.client.get_until(&format!("/v1/users/{sub}"), |u| {
        u.body["profile"]["family_name"] == "King"
    });
    assert_eq!(user.body["profile"]["family_name"], "King");

    // Over ldaps:// too.
    let ldaps = [format!("ldaps://127.0.0.1:{}", dir.ldaps)];
    let changed = t.client.patch(
        &format!("/v1/orgs/{}/idps/{id}", super::default_org(&t)),
        settings(&ldaps, false, &dir.ca),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    let _ = t.client.after(&changed).get("/v1/users/me");
    assert_eq!(logs_in(&t, &app, "ada", "analytical engine"), sub);
}

#[test]
fn wrong_passwords_and_usernames_that_bend_the_filter_log_nobody_in() {
    let t = server().tenant();
    let dir = Directory::start();
    // Two people share a team address.
    dir.change(
        "ldapadd",
        "dn: uid=bob,ou=people,dc=acme,dc=example
objectClass: inetOrgPerson
uid: bob
cn: Bob
sn: Builder
mail: team@acme.example
userPassword: bob's password

dn: uid=eve,ou=people,dc=acme,dc=example
objectClass: inetOrgPerson
uid: eve
cn: Eve
sn: Dropper
mail: team@acme.example
userPassword: eve's password
",
    );
    let servers = [format!("ldap://127.0.0.1:{}", dir.ldap)];
    with_org_idp(&t, settings(&servers, true, &dir.ca));
    let app = app(&t, "client_secret_basic", "jwt");
    for (user, password) in [
        ("ada", "wrong password"),
        // An empty password would be an "unauthenticated bind", which LDAP answers with
        // success.
        ("ada", ""),
        ("*", "analytical engine"),
        ("ada)(uid=*", "analytical engine"),
        ("*)(|(uid=*", "analytical engine"),
        ("ada*", "analytical engine"),
        // The team address matches two people: it names nobody.
        ("team@acme.example", "bob's password"),
        ("nobody", "analytical engine"),
    ] {
        let mut browser = UserAgent::default();
        let f = form(&t, &mut browser, &app);
        let r = submit(&t, &mut browser, &f, user, password);
        assert_eq!(r.status, 401, "{user:?}: {}", r.body);
        assert!(r.body.contains("role=\"alert\""), "{user:?}");
    }
    let users = t.client.get("/v1/users?limit=100");
    let names: Vec<&str> = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert!(
        !names.contains(&"ada") && !names.contains(&"bob"),
        "{names:?}"
    );
    // Bob logs in by his own name.
    let mut browser = UserAgent::default();
    let f = form(&t, &mut browser, &app);
    assert_eq!(
        submit(&t, &mut browser, &f, "bob", "bob's password").status,
        302
    );
}

#[test]
fn a_server_of_another_ca_a_wrong_service_password_or_silence_is_no_login() {
    let t = server().tenant();
    let dir = Directory::start();
    let org = super::default_org(&t);
    // A server that takes connections and never answers; listed first, it is skipped after
    // its time limit and the real one answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("ldap://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let servers = [silent_url.clone(), format!("ldap://127.0.0.1:{}", dir.ldap)];
    let id = with_org_idp(&t, settings(&servers, true, &dir.ca));
    let app = app(&t, "client_secret_basic", "jwt");
    logs_in(&t, &app, "ada", "analytical engine");

    let idp = format!("/v1/orgs/{org}/idps/{id}");
    let expect_failure = |settings: Value, why: &str| {
        let r = t.client.patch(&idp, settings);
        assert_eq!(r.status, 200, "{}", r.body);
        let _ = t.client.after(&r).get("/v1/users/me");
        let mut browser = UserAgent::default();
        let f = form(&t, &mut browser, &app);
        let r = submit(&t, &mut browser, &f, "ada", "analytical engine");
        assert_eq!(r.status, 400, "{why}: {}", r.body);
        assert!(r.location.is_none(), "{why}");
    };
    // Only the silent server.
    expect_failure(settings(&[silent_url], false, ""), "silence");
    // ldaps:// whose certificate is of a CA the IdP does not name.
    let ldaps = [format!("ldaps://127.0.0.1:{}", dir.ldaps)];
    expect_failure(settings(&ldaps, false, ""), "an unknown CA");
    // The service account's password is wrong.
    let mut wrong = settings(&ldaps, false, &dir.ca);
    wrong["ldap"]["bind_password"] = json!("not the admin's password");
    expect_failure(wrong, "a wrong service password");
    drop(silent);
}

#[test]
fn a_directory_is_configured_and_read_over_grpc_too() {
    use gateway::grpc::pb;
    use pb::idp_service_client::IdpServiceClient;
    let t = server().tenant();
    let org = super::default_org(&t);
    let ldap = pb::LdapIdp {
        servers: vec!["ldaps://dir.acme.example".into()],
        base_dn: BASE_DN.into(),
        bind_dn: ADMIN_DN.into(),
        bind_password: ADMIN_PASSWORD.into(),
        user_filters: vec!["uid".into()],
        ..Default::default()
    };
    let settings = pb::IdpSettings {
        name: "Directory".into(),
        options: None,
        config: Some(pb::idp_settings::Config::Ldap(ldap)),
    };
    let listed = super::grpc::block(async {
        let mut idps = IdpServiceClient::new(super::grpc::channel(&t.domain).await);
        let add = pb::AddOrgIdpRequest {
            org_id: org.clone(),
            settings: Some(settings),
        };
        let added = idps
            .add_org_idp(super::grpc::call(add, &t.admin_pat, None))
            .await
            .expect("added")
            .into_inner();
        let list = pb::ListOrgIdpsRequest {
            org_id: org.clone(),
            ..Default::default()
        };
        idps.list_org_idps(super::grpc::call(list, &t.admin_pat, Some(&added.position)))
            .await
            .expect("listed")
            .into_inner()
    });
    let Some(pb::idp::Config::Ldap(l)) = &listed.items[0].config else {
        panic!("{listed:?}")
    };
    assert_eq!(l.timeout_s, 10);
    assert!(l.bind_password.is_empty());
    assert_eq!(l.attributes.as_ref().unwrap().email, "mail");
}

#[test]
fn the_directorys_form_reads_well_on_a_phone_in_german() {
    let t = server().tenant();
    let servers = ["ldaps://dir.acme.example".to_string()];
    let id = with_org_idp(&t, settings(&servers, false, ""));
    let app = app(&t, "client_secret_basic", "jwt");
    let mut browser = UserAgent::default();
    let login = browser.request("GET", &auth_url(&t, &app, "&ui_locales=de"), None);
    let auth_request = param(&login.location.unwrap(), "authRequest").unwrap();
    let url = format!(
        "{}/ui/login/ldap?authRequest={}&idp={id}",
        issuer(&t),
        super::oidc_support::enc(&auth_request)
    );
    let shots = tempfile::tempdir().unwrap();
    let seen = super::oidc_clients::run(
        "node",
        &["page_shot.mjs"],
        &[
            ("URL", &url),
            ("LOCALE", "de-DE"),
            ("NAME", "login-ldap-de-phone"),
            ("OUT", shots.path().to_str().unwrap()),
        ],
    );
    assert_eq!(seen["status"], 200, "{seen}");
    assert_eq!(seen["lang"], "de");
    assert_eq!(seen["heading"], "Anmelden mit Acme Directory");
    assert_eq!(seen["unlabelled"], json!([]), "{seen}");
    assert_eq!(seen["overflow"], false);
    // An IdP that is not offered (here: made up) ends in a page that says so, in German too.
    let unknown = url
        .replace("/ui/login/ldap?", "/ui/login/idp?")
        .replace(&id, "made-up");
    let seen = super::oidc_clients::run(
        "node",
        &["page_shot.mjs"],
        &[
            ("URL", &unknown),
            ("LOCALE", "de-DE"),
            ("NAME", "login-idp-unavailable-de-phone"),
            ("OUT", shots.path().to_str().unwrap()),
        ],
    );
    assert_eq!(seen["status"], 400, "{seen}");
    assert_eq!(seen["lang"], "de");
    assert_eq!(seen["overflow"], false);
    if std::env::var_os("PORTCULLIS_WRITE_SCREENSHOTS").is_some() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots");
        for file in [
            "login-ldap-de-phone.png",
            "login-idp-unavailable-de-phone.png",
        ] {
            std::fs::copy(shots.path().join(file), format!("{docs}/{file}")).unwrap();
        }
    }
}
