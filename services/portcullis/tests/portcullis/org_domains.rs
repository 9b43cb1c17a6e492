//! An org's domains, verified against a DNS server and a web server of the test binary's own
//! (`testkit::challenges`, PyPI dnslib): by a TXT record and by HTTP, unique in the instance,
//! free again once removed; and domain discovery at the hosted login, which sends a login
//! name `x@domain` to the org that verified the domain (its IdP, or its password login). And
//! what an attacker tries: names that are no domains, a token that is not the domain's, a
//! domain another org verified, another org's domains, a forged discovery link.

use serde_json::{json, Value};
use testkit::challenges::challenges;
use testkit::{server, Tenant};

use super::default_org;
use super::grpc::{block, call, channel};
use super::http_sink::HttpSink;
use super::oidc_behaviours::auth_url;
use super::oidc_support::{app, issuer, param, UserAgent};
use gateway::grpc::pb;
use pb::org_service_client::OrgServiceClient;

/// A domain no other test uses.
fn fresh_domain(label: &str) -> String {
    format!("{label}-{}.example", uuid::Uuid::now_v7().simple())
}

fn new_org(t: &Tenant, name: &str) -> String {
    let r = t.client.post("/v1/orgs", json!({ "name": name }));
    assert_eq!(r.status, 201, "{}", r.body);
    let _ = t.client.after(&r).get("/v1/users/me");
    r.str("id")
}

/// Adds `domain` to `org`: its answer.
fn add(t: &Tenant, org: &str, domain: &str) -> Value {
    let r = t.client.post(
        &format!("/v1/orgs/{org}/domains"),
        json!({ "domain": domain }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn verify(t: &Tenant, org: &str, domain: &str, method: &str) -> testkit::Reply {
    t.client.post(
        &format!("/v1/orgs/{org}/domains/{domain}/verify"),
        json!({ "method": method }),
    )
}

/// Adds `domain` to `org` and verifies it by DNS.
fn verified(t: &Tenant, org: &str, domain: &str) {
    let added = add(t, org, domain);
    let c = challenges().expect("the challenge servers");
    c.publish_txt(
        added["validation"]["dns"]["name"].as_str().unwrap(),
        added["validation"]["dns"]["value"].as_str().unwrap(),
    );
    let r = verify(t, org, domain, "dns");
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn an_org_proves_its_domains_by_a_txt_record_or_over_http() {
    let t = server().tenant();
    let org = new_org(&t, "Acme");
    let c = challenges().expect("the challenge servers");

    let by_dns = fresh_domain("Acme");
    let added = add(&t, &org, &by_dns);
    let lower = by_dns.to_lowercase();
    assert_eq!(added["domain"], lower.as_str());
    assert_eq!(added["verified"], false);
    let token = added["validation"]["dns"]["value"].as_str().unwrap();
    assert_eq!(token.len(), 43, "a 256-bit token: {added}");
    assert_eq!(
        added["validation"]["dns"]["name"],
        format!("_portcullis-challenge.{lower}").as_str()
    );
    assert_eq!(
        added["validation"]["http"]["url"],
        format!("http://{lower}/.well-known/portcullis-challenge/{token}").as_str()
    );
    // Nothing published yet: not verified, and the answer says what was found.
    let early = verify(&t, &org, &lower, "dns");
    assert_eq!(early.error(), (412, "ORG-0008"), "{}", early.body);
    assert!(
        early.body["message"]
            .as_str()
            .unwrap()
            .contains("_portcullis-challenge"),
        "{}",
        early.body
    );
    // Another value in the record (someone else's token) does not count; the domain's does.
    c.publish_txt(&format!("_portcullis-challenge.{lower}"), "not-the-token");
    assert_eq!(verify(&t, &org, &lower, "dns").code(), "ORG-0008");
    c.publish_txt(&format!("_portcullis-challenge.{lower}"), token);
    let done = verify(&t, &org, &lower, "dns");
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["verified"], true);
    // Verifying again changes nothing.
    assert_eq!(verify(&t, &org, &lower, "dns").status, 200);

    let by_http = fresh_domain("shop");
    let added = add(&t, &org, &by_http);
    let token = added["validation"]["http"]["token"].as_str().unwrap();
    c.serve_http(&by_http, token, "a page that is not the token");
    assert_eq!(verify(&t, &org, &by_http, "http").code(), "ORG-0008");
    c.serve_http(&by_http, token, &format!("{token}\n"));
    let done = verify(&t, &org, &by_http, "http");
    assert_eq!(done.status, 200, "{}", done.body);

    let list = t
        .client
        .after(&done)
        .get(&format!("/v1/orgs/{org}/domains"));
    let seen: Vec<(String, bool)> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let name = d["domain"].as_str().unwrap().to_string();
            (name, d["verified"].as_bool().unwrap())
        })
        .collect();
    let mut want = vec![(lower.clone(), true), (by_http.clone(), true)];
    want.sort();
    assert_eq!(seen, want);

    // Over gRPC too; a check it does not name is refused.
    let (listed, unnamed) = block(async {
        let mut orgs = OrgServiceClient::new(channel(&t.domain).await);
        let list = pb::ListOrgDomainsRequest {
            org_id: org.clone(),
            ..Default::default()
        };
        let listed = orgs.list_org_domains(call(list, &t.admin_pat, None)).await;
        let verify = pb::VerifyOrgDomainRequest {
            org_id: org.clone(),
            domain: lower.clone(),
            method: 0,
        };
        let unnamed = orgs
            .verify_org_domain(call(verify, &t.admin_pat, None))
            .await;
        (listed.expect("listed").into_inner(), unnamed.unwrap_err())
    });
    assert_eq!(listed.items.len(), 2);
    assert!(listed
        .items
        .iter()
        .all(|d| d.verified && !d.token.is_empty()));
    assert_eq!(unnamed.code(), tonic::Code::InvalidArgument);

    let removed = t
        .client
        .delete(&format!("/v1/orgs/{org}/domains/{by_http}"));
    assert_eq!(removed.status, 200, "{}", removed.body);
    let list = t
        .client
        .after(&removed)
        .get(&format!("/v1/orgs/{org}/domains"));
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

#[test]
fn a_verified_domain_has_one_org_in_an_instance_until_it_lets_it_go() {
    let t = server().tenant();
    let (acme, rival) = (new_org(&t, "Acme"), new_org(&t, "Rival"));
    let domain = fresh_domain("acme");
    verified(&t, &acme, &domain);

    // The rival adds the domain and even publishes its own token: the domain stays Acme's.
    let theirs = add(&t, &rival, &domain);
    challenges().unwrap().publish_txt(
        theirs["validation"]["dns"]["name"].as_str().unwrap(),
        theirs["validation"]["dns"]["value"].as_str().unwrap(),
    );
    let taken = verify(&t, &rival, &domain, "dns");
    assert_eq!(taken.error(), (409, "ORG-0007"), "{}", taken.body);

    // Another instance is another namespace: its org verifies the same domain.
    let other = server().tenant();
    verified(&other, &default_org(&other), &domain);

    // Acme lets it go (here: Acme is removed); the rival verifies it.
    let gone = t.client.delete(&format!("/v1/orgs/{acme}"));
    assert_eq!(gone.status, 200, "{}", gone.body);
    let now = verify(&t, &rival, &domain, "dns");
    assert_eq!(now.status, 200, "{}", now.body);
}

#[test]
fn names_that_are_no_domains_and_other_orgs_domains_are_refused() {
    let t = server().tenant();
    let org = new_org(&t, "Acme");
    for bad in [
        "localhost",
        "10.0.0.1",
        "a_b.example",
        "../../etc.example",
        "exa mple.com",
        "",
    ] {
        let r = t
            .client
            .post(&format!("/v1/orgs/{org}/domains"), json!({ "domain": bad }));
        assert_eq!(r.error(), (400, "ORG-0004"), "{bad}: {}", r.body);
    }
    let domain = fresh_domain("acme");
    add(&t, &org, &domain);
    let again = t.client.post(
        &format!("/v1/orgs/{org}/domains"),
        json!({ "domain": domain }),
    );
    assert_eq!(again.error(), (409, "ORG-0006"));
    let method = t.client.post(
        &format!("/v1/orgs/{org}/domains/{domain}/verify"),
        json!({ "method": "trust-me" }),
    );
    assert_eq!(method.error(), (400, "REQ-0001"));
    let missing = verify(&t, &org, "nobody.example", "dns");
    assert_eq!(missing.error(), (404, "ORG-0005"));

    // The owner of another org (the default org) can neither read nor change this org's
    // domains.
    let manager = super::login_sessions::caller(&t, "other-owner", &["ORG_OWNER"], false);
    assert_eq!(manager.get(&format!("/v1/orgs/{org}/domains")).status, 403);
    let r = manager.post(
        &format!("/v1/orgs/{org}/domains"),
        json!({ "domain": fresh_domain("x") }),
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        manager
            .delete(&format!("/v1/orgs/{org}/domains/{domain}"))
            .status,
        403
    );
    assert_eq!(
        manager
            .post(
                &format!("/v1/orgs/{org}/domains/{domain}/verify"),
                json!({ "method": "dns" })
            )
            .status,
        403
    );
    // A domain of this org is none of another org's.
    assert_eq!(
        verify(&t, &default_org(&t), &domain, "dns").code(),
        "ORG-0005"
    );
}

/// Domain discovery on for the instance's logins.
fn discovery_on(t: &Tenant) {
    let r = t.client.put(
        "/v1/instance/settings/login",
        json!({ "domain_discovery": true }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let _ = t.client.after(&r).get("/v1/users/me");
}

/// An org that allows no passwords, only its own OAuth IdP at `site`; its verified domain.
fn idp_only_org(t: &Tenant, site: &HttpSink) -> (String, String) {
    let org = new_org(t, "Globex");
    let domain = fresh_domain("globex");
    verified(t, &org, &domain);
    let settings = t.client.put(
        &format!("/v1/orgs/{org}/settings/login"),
        json!({ "allow_username_password": false, "allow_external_idp": true }),
    );
    assert_eq!(settings.status, 200, "{}", settings.body);
    let idp = t.client.after(&settings).post(
        &format!("/v1/orgs/{org}/idps"),
        json!({"name": "Globex SSO", "type": "oauth", "oauth": {
            "authorization_endpoint": site.url("/authorize"),
            "token_endpoint": site.url("/token"),
            "userinfo_endpoint": site.url("/userinfo"),
            "client_id": "globex-portcullis", "client_secret": "s3cret"}}),
    );
    assert_eq!(idp.status, 201, "{}", idp.body);
    let _ = t.client.after(&idp).get("/v1/users/me");
    (org, domain)
}

/// The login form's hidden fields of a fresh login for `app` in `browser`.
fn login_form(t: &Tenant, browser: &mut UserAgent, url: &str) -> (String, String) {
    let a = browser.request("GET", url, None);
    let page = browser.request(
        "GET",
        &format!("{}{}", issuer(t), a.location.unwrap()),
        None,
    );
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.body.find(&marker).unwrap() + marker.len();
        page.body[start..start + page.body[start..].find('"').unwrap()].to_string()
    };
    (field("authRequest"), field("csrf"))
}

fn submit(
    t: &Tenant,
    browser: &mut UserAgent,
    url: &str,
    login: &str,
    password: &str,
) -> super::oidc_support::Answer {
    let (auth_request, csrf) = login_form(t, browser, url);
    browser.request(
        "POST",
        &format!("{}/ui/login", issuer(t)),
        Some(&[
            ("authRequest", &auth_request),
            ("csrf", &csrf),
            ("username", login),
            ("password", password),
        ]),
    )
}

#[test]
fn a_login_name_at_a_verified_domain_goes_to_its_orgs_idp_or_password_login() {
    let t = server().tenant();
    let site = HttpSink::start(0);
    let (_, globex) = idp_only_org(&t, &site);
    let app = app(&t, "client_secret_basic", "jwt");
    let url = auth_url(&t, &app, "");

    // Discovery off: the name is only a name (an empty password asks for the password).
    let mut browser = UserAgent::default();
    let r = submit(&t, &mut browser, &url, &format!("jo@{globex}"), "");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("name=\"password\""));

    discovery_on(&t);
    let page = browser.request("GET", &url, None);
    let form = browser.request(
        "GET",
        &format!("{}{}", issuer(&t), page.location.unwrap()),
        None,
    );
    assert!(
        !form
            .body
            .contains("autocomplete=\"current-password\" required"),
        "with discovery a login name alone may be sent: {}",
        form.body
    );
    // jo@globex... goes straight to Globex's IdP, the password never looked at.
    let r = submit(&t, &mut browser, &url, &format!("jo@{globex}"), "");
    assert_eq!(r.status, 303, "{}", r.body);
    let start = r.location.unwrap();
    assert!(start.starts_with("/ui/login/idp?"), "{start}");
    let to_idp = browser.request("GET", &format!("{}{start}", issuer(&t)), None);
    assert_eq!(to_idp.status, 302, "{}", to_idp.body);
    let at_idp = to_idp.location.unwrap();
    assert!(at_idp.starts_with(&site.url("/authorize?")), "{at_idp}");
    assert_eq!(
        param(&at_idp, "client_id").as_deref(),
        Some("globex-portcullis")
    );

    // A forged discovery link (a domain nobody verified) leads to no IdP.
    let forged = start.replace(&super::oidc_support::enc(&globex), "evil.example");
    let r = browser.request("GET", &format!("{}{forged}", issuer(&t)), None);
    assert_ne!(r.status, 302, "{}", r.body);

    // A user of the default org whose name is at an undiscovered domain logs in as ever.
    let grace = t.client.post(
        &format!("/v1/orgs/{}/users/human", default_org(&t)),
        json!({"username": "grace@nowhere.example",
               "profile": {"given_name": "Grace", "family_name": "Hopper"},
               "email": {"address": "grace@nowhere.example", "verified": true},
               "password": "correct horse battery"}),
    );
    assert_eq!(grace.status, 201, "{}", grace.body);
    let _ = t.client.after(&grace).get("/v1/users/me");
    let mut browser = UserAgent::default();
    let r = submit(
        &t,
        &mut browser,
        &url,
        "grace@nowhere.example",
        "correct horse battery",
    );
    assert_eq!(r.status, 302, "{}", r.body);

    // An org that verified its domain and allows passwords: its password login.
    let initech = new_org(&t, "Initech");
    let domain = fresh_domain("initech");
    verified(&t, &initech, &domain);
    let peter = format!("peter@{domain}");
    let user = t.client.post(
        &format!("/v1/orgs/{initech}/users/human"),
        json!({"username": peter, "profile": {"given_name": "Peter", "family_name": "Gibbons"},
               "email": {"address": peter, "verified": true}, "password": "tps reports 2026"}),
    );
    assert_eq!(user.status, 201, "{}", user.body);
    let _ = t.client.after(&user).get("/v1/users/me");
    let mut browser = UserAgent::default();
    let wrong = submit(&t, &mut browser, &url, &peter, "wrong password");
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let r = submit(&t, &mut browser, &url, &peter, "tps reports 2026");
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(r.location.unwrap().contains("code="));

    // An org that allows no passwords and has no IdP: no way in, and the page says so.
    let hooli = new_org(&t, "Hooli");
    let domain = fresh_domain("hooli");
    verified(&t, &hooli, &domain);
    let off = t.client.put(
        &format!("/v1/orgs/{hooli}/settings/login"),
        json!({ "allow_username_password": false }),
    );
    assert_eq!(off.status, 200, "{}", off.body);
    let _ = t.client.after(&off).get("/v1/users/me");
    let mut browser = UserAgent::default();
    let r = submit(
        &t,
        &mut browser,
        &url,
        &format!("gavin@{domain}"),
        "anything",
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("role=\"alert\""), "{}", r.body);
}
