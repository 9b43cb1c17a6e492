//! Linking an IdP's identity to an existing account at the hosted login (a GitHub-style OAuth
//! IdP made of local endpoints): the account with the verified address (or the login name) the
//! IdP vouches for is linked only once its owner logs in to it with its password, and from
//! then on the IdP logs them in. And what an attacker tries: an IdP that claims the verified
//! address of a user of another org, an unverified address, a wrong password, and naming an
//! account of another org on the link form.

use serde_json::{json, Value};
use testkit::{server, Tenant};

use super::default_org;
use super::federation::{back_from_idp, sent_to_idp, with_org_idp};
use super::http_sink::HttpSink;
use super::oidc_behaviours::{claims, exchange, VERIFIER};
use super::oidc_support::{app, issuer, param, Answer, App, UserAgent};

/// A GitHub-style IdP at `site` whose user is `user`, with `options`.
fn oauth_idp(t: &Tenant, site: &HttpSink, user: Value, options: Value) {
    site.serve_at(
        "/token",
        &json!({"access_token": "gho_test", "token_type": "bearer"}).to_string(),
    );
    site.serve_at("/user", &user.to_string());
    with_org_idp(
        t,
        json!({"name": "Hub", "type": "oauth", "options": options, "oauth": {
            "authorization_endpoint": site.url("/authorize"), "token_endpoint": site.url("/token"),
            "userinfo_endpoint": site.url("/user"), "client_id": "hub", "client_secret": "s",
            "id_attribute": "id"}}),
    );
}

/// A human of `org` with a verified address and a password: its id.
fn human_in(t: &Tenant, org: &str, username: &str, email: &str) -> String {
    let r = t.client.post(
        &format!("/v1/orgs/{org}/users/human"),
        json!({"username": username, "profile": {"given_name": "Grace", "family_name": "Hopper"},
               "email": {"address": email, "verified": true}, "password": "her own password"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let _ = t.client.after(&r).get("/v1/users/me");
    r.str("id")
}

/// A browser back from the IdP: its answer (the link form, or the way to the app).
fn back(t: &Tenant, app: &App) -> (UserAgent, Answer) {
    let (mut browser, at_idp) = sent_to_idp(t, app);
    let state = param(&at_idp, "state").unwrap();
    let r = browser.request("GET", &back_from_idp(t, &state, "the-code"), None);
    (browser, r)
}

/// Posts the link form `page` with a login.
fn link(t: &Tenant, browser: &mut UserAgent, page: &Answer, user: &str, pw: &str) -> Answer {
    let field = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = page.body.find(&marker).expect(name) + marker.len();
        page.body[start..start + page.body[start..].find('"').unwrap()].to_string()
    };
    let (auth_request, csrf, state) = (field("authRequest"), field("csrf"), field("state"));
    browser.request(
        "POST",
        &format!("{}/ui/login/idp/link", issuer(t)),
        Some(&[
            ("authRequest", &auth_request),
            ("csrf", &csrf),
            ("state", &state),
            ("username", user),
            ("password", pw),
        ]),
    )
}

fn sub_of(t: &Tenant, app: &App, landed: &Answer) -> String {
    let to = landed.location.clone().expect("to the app");
    let (_, tokens) = exchange(t, app, &param(&to, "code").unwrap(), VERIFIER);
    claims(tokens["id_token"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_account_with_the_verified_address_is_linked_once_its_owner_logs_in() {
    let t = server().tenant();
    let site = HttpSink::start(0);
    let grace = human_in(&t, &default_org(&t), "grace", "grace@acme.example");
    oauth_idp(
        &t,
        &site,
        json!({"id": 1906, "login": "ghopper", "email": "Grace@acme.example", "email_verified": true}),
        json!({"auto_link": "email"}),
    );
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, page) = back(&t, &app);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Link your account"), "{}", page.body);
    assert!(
        page.body.contains("name=\"username\" value=\"grace\""),
        "{}",
        page.body
    );

    // A wrong password links nothing.
    let wrong = link(&t, &mut browser, &page, "grace", "a guess");
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    let links = t.client.get(&format!("/v1/users/{grace}/idp_links"));
    assert_eq!(links.body["items"].as_array().unwrap().len(), 0);
    // Her own password links the identity and logs her in.
    let landed = link(&t, &mut browser, &wrong, "grace", "her own password");
    assert_eq!(landed.status, 302, "{}", landed.body);
    assert_eq!(sub_of(&t, &app, &landed), grace);
    let links = t.client.get(&format!("/v1/users/{grace}/idp_links"));
    assert_eq!(links.body["items"][0]["external_id"], "1906");
    // From now on the IdP logs her in by itself.
    let (_, again) = back(&t, &app);
    assert_eq!(again.status, 302, "{}", again.body);
    assert_eq!(sub_of(&t, &app, &again), grace);
}

#[test]
fn an_idp_claiming_the_address_of_another_orgs_user_gets_no_account_of_theirs() {
    let t = server().tenant();
    let site = HttpSink::start(0);
    let other = t.client.post("/v1/orgs", json!({"name": "Other"}));
    let other = other.str("id");
    let victim = human_in(&t, &other, "victim", "victim@acme.example");
    // The default org's IdP vouches for the victim's address; it makes no users, and lets
    // accounts be linked.
    oauth_idp(
        &t,
        &site,
        json!({"id": 666, "login": "victim", "email": "victim@acme.example", "email_verified": true}),
        json!({"auto_link": "email", "auto_create": false, "linking_allowed": true}),
    );
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, page) = back(&t, &app);
    // No account of the default org has that address: nothing is offered, nothing filled in.
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("name=\"username\" value=\"\""),
        "{}",
        page.body
    );
    // Even the victim's own password does not link an account of another org.
    let r = link(&t, &mut browser, &page, "victim", "her own password");
    assert_eq!(r.status, 401, "{}", r.body);
    let links = t.client.get(&format!("/v1/users/{victim}/idp_links"));
    assert_eq!(links.body["items"].as_array().unwrap().len(), 0);
}

#[test]
fn a_login_name_of_another_orgs_user_finds_no_account() {
    let t = server().tenant();
    let other = t.client.post("/v1/orgs", json!({"name": "Other"}));
    let victim = human_in(&t, &other.str("id"), "victim", "victim@acme.example");
    let app = app(&t, "client_secret_basic", "jwt");
    let site = HttpSink::start(0);
    oauth_idp(
        &t,
        &site,
        json!({"id": 667, "login": "victim", "email": "x@acme.example"}),
        json!({"auto_link": "username"}),
    );
    let (_, landed) = back(&t, &app);
    // A new user of the default org is made (the login name taken, another is found).
    assert_eq!(landed.status, 302, "{}", landed.body);
    assert_ne!(sub_of(&t, &app, &landed), victim);
}

#[test]
fn an_unverified_address_finds_no_account() {
    let t = server().tenant();
    let site = HttpSink::start(0);
    let grace = human_in(&t, &default_org(&t), "grace", "grace@acme.example");
    oauth_idp(
        &t,
        &site,
        json!({"id": 7, "login": "gh-grace", "email": "grace@acme.example"}),
        json!({"auto_link": "email"}),
    );
    let app = app(&t, "client_secret_basic", "jwt");
    let (_, landed) = back(&t, &app);
    // The IdP does not say the address is verified: a new user, not Grace.
    assert_eq!(landed.status, 302, "{}", landed.body);
    assert_ne!(sub_of(&t, &app, &landed), grace);
}

#[test]
fn the_account_with_the_idps_login_name_is_offered_to_its_owner() {
    let t = server().tenant();
    let site = HttpSink::start(0);
    let grace = human_in(&t, &default_org(&t), "grace", "grace@acme.example");
    oauth_idp(
        &t,
        &site,
        json!({"id": 8, "login": "Grace", "email": "g@elsewhere.example"}),
        json!({"auto_link": "username"}),
    );
    let app = app(&t, "client_secret_basic", "jwt");
    let (mut browser, page) = back(&t, &app);
    assert!(
        page.body.contains("name=\"username\" value=\"grace\""),
        "{}",
        page.body
    );
    // Only the account found may be linked from this form: another account of the org, even
    // with its right password, is refused.
    human_in(&t, &default_org(&t), "mallory", "mallory@acme.example");
    let other = link(&t, &mut browser, &page, "mallory", "her own password");
    assert_eq!(other.status, 401, "{}", other.body);
    let landed = link(&t, &mut browser, &other, "grace", "her own password");
    assert_eq!(sub_of(&t, &app, &landed), grace);
}

#[test]
fn a_waiting_identity_links_only_from_its_own_form() {
    let t = server().tenant();
    let site = HttpSink::start(0);
    let grace = human_in(&t, &default_org(&t), "grace", "grace@acme.example");
    oauth_idp(
        &t,
        &site,
        json!({"id": 9, "login": "grace", "email": "grace@acme.example", "email_verified": true}),
        json!({"auto_link": "email"}),
    );
    let app = app(&t, "client_secret_basic", "jwt");
    let (_, theirs) = back(&t, &app);
    let (mut mine, page) = back(&t, &app);
    // Another form's sealed identity, posted with this form's CSRF token: nothing linked.
    let state_of = |p: &Answer| {
        let marker = "name=\"state\" value=\"";
        let start = p.body.find(marker).unwrap() + marker.len();
        p.body[start..start + p.body[start..].find('"').unwrap()].to_string()
    };
    let forged = Answer {
        status: page.status,
        location: None,
        body: page.body.replace(&state_of(&page), &state_of(&theirs)),
    };
    let r = link(&t, &mut mine, &forged, "grace", "her own password");
    assert_eq!(r.status, 400, "{}", r.body);
    let links = t.client.get(&format!("/v1/users/{grace}/idp_links"));
    assert_eq!(links.body["items"].as_array().unwrap().len(), 0);
}
