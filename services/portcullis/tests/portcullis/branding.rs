//! The `branding` settings and the login page's texts: the hosted login of an app shows its
//! project's org's colours, logo and texts, else the instance's; what would make the login
//! unreadable or leave its CSS or HTML is refused.

use serde_json::{json, Value};
use testkit::Tenant;

use super::default_org;
use super::oidc_behaviours::auth_url;
use super::oidc_support::{app, issuer, send, App, UserAgent, REDIRECT};

fn look(primary: &str, background: &str, font: &str, warn: &str) -> Value {
    json!({"primary_color": primary, "background_color": background, "font_color": font,
           "warn_color": warn})
}

/// The login page an app's authorization leads to, with its Content-Security-Policy.
fn login_page(t: &Tenant, app: &App) -> (String, String) {
    login_page_with(t, app, "")
}

/// The same, with more parameters of the authorization request.
fn login_page_with(t: &Tenant, app: &App, extra: &str) -> (String, String) {
    let mut b = UserAgent::default();
    let a = b.request("GET", &auth_url(t, app, extra), None);
    assert_eq!(a.status, 302, "{}", a.body);
    let url = format!("{}{}", issuer(t), a.location.unwrap());
    let page = send(
        ureq::http::Request::get(url.as_str())
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    (String::from_utf8(page.into_body()).unwrap(), csp)
}

/// An app in a project of `org`.
fn app_in(t: &Tenant, org: &str) -> App {
    let c = &t.client;
    let project = c.post(
        &format!("/v1/orgs/{org}/projects"),
        json!({"name": "Branded"}),
    );
    let r = c.after(&project).post(
        &format!("/v1/projects/{}/apps/oidc", project.str("id")),
        json!({"name": "web", "redirect_uris": [REDIRECT], "grant_types": ["authorization_code"],
               "auth_method": "none", "access_token_type": "jwt"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let _ = c
        .after(&r)
        .get(&format!("/v1/projects/{}/apps", project.str("id")));
    App {
        project_id: project.str("id"),
        app_id: r.str("id"),
        client_id: r.str("client_id"),
        client_secret: None,
        auth_method: "none".into(),
    }
}

#[test]
fn an_apps_login_shows_its_orgs_branding_else_the_instances() {
    let t = testkit::server().tenant();
    // By default: the built-in look, and no image may load.
    let plain = app(&t, "client_secret_basic", "jwt");
    let (page, csp) = login_page(&t, &plain);
    assert!(page.contains("--primary:#2f5bd3"), "{page}");
    assert!(
        csp.contains("img-src 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    // Scripts only from the login's own origin (its passkey step), none inline; styles only
    // from the login's stylesheet and the page's own inline style, whose nonce is new on
    // every page.
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(page.contains("<script src=\"/ui/assets/webauthn.js\"></script>"));
    // Where passkeys are disabled the page runs no script at all.
    let off = t.client.put(
        "/v1/instance/settings/login",
        json!({"passkeys": "disabled"}),
    );
    assert_eq!(off.status, 200, "{}", off.body);
    let (without, no_script) = login_page(&t, &plain);
    assert!(!no_script.contains("script-src"), "{no_script}");
    assert!(!without.contains("<script"), "{without}");
    let on = t.client.put("/v1/instance/settings/login", json!({}));
    assert_eq!(on.status, 200, "{}", on.body);
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a style nonce");
    assert!(
        page.contains(&format!("<style nonce=\"{nonce}\">")),
        "{page}"
    );
    assert_ne!(
        login_page(&t, &plain).1,
        csp,
        "the nonce is new on every page"
    );
    let css = send(
        ureq::http::Request::get(format!("{}/ui/assets/login.css", issuer(&t)).as_str())
            .body(Vec::new())
            .unwrap(),
    );
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(String::from_utf8_lossy(css.body()).contains("var(--primary)"));

    // The instance's colours for every org without its own.
    let mut instance = look("#004D40", "#ffffff", "#102020", "#a50e0e");
    instance["logo_url"] = json!("https://cdn.example.com/acme.svg");
    let set = t.client.put("/v1/instance/settings/branding", instance);
    assert_eq!(set.status, 200, "{}", set.body);
    let (page, csp) = login_page(&t, &plain);
    assert!(
        page.contains("--primary:#004d40;--on-primary:#ffffff"),
        "{page}"
    );
    assert!(page.contains("<img class=\"logo\" src=\"https://cdn.example.com/acme.svg\""));
    assert!(csp.contains("img-src https://cdn.example.com;"), "{csp}");

    // An org of its own: its apps show its look, with a dark label on a light button.
    let shop = t.client.post("/v1/orgs", json!({"name": "Sunny shop"}));
    let shop_id = shop.str("id");
    let mut own = look("#FFD400", "#fffdf5", "#1a1400", "#9c1c1c");
    own["icon_url"] = json!("https://static.sunny.example/icon.png");
    let set = t
        .client
        .after(&shop)
        .put(&format!("/v1/orgs/{shop_id}/settings/branding"), own);
    assert_eq!(set.status, 200, "{}", set.body);
    let sunny = app_in(&t, &shop_id);
    let (page, csp) = login_page(&t, &sunny);
    assert!(
        page.contains("--primary:#ffd400;--on-primary:#000000"),
        "{page}"
    );
    assert!(page.contains("<link rel=\"icon\" href=\"https://static.sunny.example/icon.png\">"));
    assert!(
        !page.contains("acme.svg"),
        "the org's look replaces the instance's"
    );
    assert!(
        csp.contains("img-src https://static.sunny.example;"),
        "{csp}"
    );
    // A refused login keeps it.
    let mut b = UserAgent::default();
    let refused = b.submit_login(&t, &auth_url(&t, &sunny, ""), "nobody", "not a password");
    assert_eq!(refused.status, 401);
    assert!(
        refused.body.contains("--primary:#ffd400"),
        "{}",
        refused.body
    );
    // Apps of the default org keep the instance's.
    let org = default_org(&t);
    let (page, _) = login_page(&t, &app_in(&t, &org));
    assert!(page.contains("--primary:#004d40"), "{page}");
}

#[test]
fn branding_that_is_unreadable_or_not_a_colour_or_an_https_address_is_refused() {
    let t = testkit::server().tenant();
    let path = "/v1/instance/settings/branding";
    let with_logo = |url: &str| {
        let mut b = look("#2f5bd3", "#ffffff", "#111111", "#b00020");
        b["logo_url"] = json!(url);
        b
    };
    for (body, field) in [
        (
            look("blue", "#ffffff", "#111111", "#b00020"),
            "primary_color",
        ),
        (
            look("#2f5bd3", "#ffffff", "#eeeeee", "#b00020"),
            "font_color",
        ),
        (
            look("#2f5bd3", "#ffffff", "#111111", "#ffb0b0"),
            "warn_color",
        ),
        (with_logo("http://cdn.example.com/logo.svg"), "logo_url"),
        (
            with_logo("https://cdn.example.com/x.svg\" onload=\"alert(1)"),
            "logo_url",
        ),
        (
            with_logo("https://cdn.example.com/x.svg);background:url(https://evil.example"),
            "logo_url",
        ),
    ] {
        let r = t.client.put(path, body);
        assert_eq!(r.error(), (400, "SETTINGS-0001"), "{}", r.body);
        assert_eq!(r.body["details"]["field"], field, "{}", r.body);
    }
    let mut unknown = look("#2f5bd3", "#ffffff", "#111111", "#b00020");
    unknown["custom_css"] = json!("body{display:none}");
    assert_eq!(t.client.put(path, unknown).error().0, 400);
    assert_eq!(t.client.get(path).body["source"], "default");
}

/// The text of the first element `<tag…>…</tag>` of a page.
fn first(page: &str, tag: &str) -> String {
    let open = page
        .find(&format!("<{tag}"))
        .unwrap_or_else(|| panic!("no {tag} in {page}"));
    let start = open + page[open..].find('>').unwrap() + 1;
    let end = start + page[start..].find(&format!("</{tag}>")).unwrap();
    page[start..end].to_string()
}

#[test]
fn an_apps_login_page_says_what_its_org_sets_else_the_instance() {
    let t = testkit::server().tenant();
    let org = default_org(&t);
    let own = app_in(&t, &org);
    let (page, _) = login_page(&t, &own);
    assert_eq!(first(&page, "h1"), "Log in");
    assert_eq!(first(&page, "button"), "Log in");
    let set = |path: &str, texts: Value| {
        let r = t.client.put(path, texts);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        r
    };
    set(
        "/v1/instance/texts/login_page/en",
        json!({"title": "Sign in to Example", "text": "Use your <b>Example</b> account.",
               "button_text": "Sign in"}),
    );
    set(
        "/v1/instance/texts/login_page/de",
        json!({"title": "Bei Example anmelden", "button_text": "Jetzt anmelden"}),
    );
    let last = set(
        &format!("/v1/orgs/{org}/texts/login_page/de"),
        json!({"title": "Bei Acme anmelden"}),
    );
    let _ = t
        .client
        .after(&last)
        .get("/v1/instance/texts/login_page/en");
    // English: the instance's texts, escaped.
    let (page, _) = login_page(&t, &own);
    assert_eq!(first(&page, "h1"), "Sign in to Example");
    assert_eq!(first(&page, "title"), "Sign in to Example");
    assert!(
        page.contains("<p>Use your &#60;b&#62;Example&#60;/b&#62; account.</p>")
            || page.contains("<p>Use your &lt;b&gt;Example&lt;/b&gt; account.</p>"),
        "{page}"
    );
    assert_eq!(first(&page, "button"), "Sign in");
    // German: the org's title before the instance's, the instance's button, the built-in rest.
    let (page, _) = login_page_with(&t, &own, "&ui_locales=de");
    assert_eq!(first(&page, "h1"), "Bei Acme anmelden");
    assert_eq!(first(&page, "button"), "Jetzt anmelden");
    assert!(page.contains("Benutzername"), "{page}");
    // The registration and reset pages take their own the same way.
    set(
        "/v1/instance/texts/register_page/en",
        json!({"title": "Join Example", "text": "It takes a minute.", "button_text": "Join"}),
    );
    set(
        &format!("/v1/orgs/{org}/texts/reset_page/en"),
        json!({"title": "Lost your password?", "button_text": "Email me a code"}),
    );
    let open = set(
        "/v1/instance/settings/login",
        json!({"allow_register": true}),
    );
    let _ = t.client.after(&open).get("/v1/instance/settings/login");
    let (page, _) = login_page(&t, &own);
    let auth_request = super::login_reset::field(&page, "authRequest");
    let mut b = UserAgent::default();
    let register = b.request(
        "GET",
        &format!(
            "{}/ui/login/register?authRequest={auth_request}",
            issuer(&t)
        ),
        None,
    );
    assert_eq!(register.status, 200, "{}", register.body);
    assert_eq!(first(&register.body, "h1"), "Join Example");
    assert!(register.body.contains("<p>It takes a minute.</p>"));
    assert_eq!(first(&register.body, "button"), "Join");
    let reset = b.request(
        "GET",
        &format!("{}/ui/login/reset?authRequest={auth_request}", issuer(&t)),
        None,
    );
    assert_eq!(first(&reset.body, "h1"), "Lost your password?");
    assert_eq!(first(&reset.body, "button"), "Email me a code");
    // What the org leaves out is built in.
    assert!(
        reset.body.contains("Enter your username."),
        "{}",
        reset.body
    );
    // And the pages a message's link opens, or a logout asks on, take theirs.
    let user = super::oidc_support::human(&t, "grace", "a long password");
    for (template, path) in [
        (
            "invite_page",
            format!("/ui/login/invite?user={user}&code=ABCDEFGH"),
        ),
        (
            "verify_email_page",
            format!("/ui/login/verify?user={user}&code=ABCDEFGH"),
        ),
        ("logout_page", "/oidc/v1/end_session".to_string()),
    ] {
        let last = set(
            &format!("/v1/instance/texts/{template}/en"),
            json!({"title": format!("T {template}"), "text": format!("X {template}"),
                   "button_text": format!("B {template}")}),
        );
        let _ = t
            .client
            .after(&last)
            .get("/v1/instance/texts/login_page/en");
        let page = b.request("GET", &format!("{}{path}", issuer(&t)), None);
        assert_eq!(page.status, 200, "{template}: {}", page.body);
        assert_eq!(first(&page.body, "h1"), format!("T {template}"));
        assert!(
            page.body.contains(&format!("<p>X {template}</p>")),
            "{}",
            page.body
        );
        assert_eq!(first(&page.body, "button"), format!("B {template}"));
    }
    // A page has no subject or greeting.
    let r = t.client.put(
        "/v1/instance/texts/login_page/en",
        json!({"subject": "Hello"}),
    );
    assert_eq!(r.error(), (400, "SETTINGS-0001"), "{}", r.body);
    assert_eq!(r.body["details"]["field"], "subject");
}
