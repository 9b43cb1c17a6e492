//! The hosted login's pages in headless Chromium, as a person uses them: by keyboard, in
//! English on a desktop and in German on a phone with an org's colours, through a refused
//! login, an expired password (the admin of a data directory made by release 0.1, whose
//! password's age is not known, once expiry is on), a logout, "Forgot password?" through to a
//! login with the password the mailed code set, the links of an invitation and of an email
//! verification, registration with its mail read and its address verified, and the choice
//! between two accounts. Every page loads without an error (CSP violations included), labels
//! every field and fits the screen. The screenshots it takes are the ones in
//! `docs/screenshots/` (`PORTCULLIS_WRITE_SCREENSHOTS=1` writes them there).

use serde_json::{json, Value};
use testkit::Client;

use super::mail_sink::{link_in, MailSink};
use super::oidc_behaviours::challenge;
use super::oidc_clients::run;
use super::oidc_support::{param, REDIRECT};
use super::password_expiry::{expire_passwords, public_app};
use super::second_factors::totp;
use super::upgrade::copy_fixture;
use super::{read, start};

const MFA_PASSWORD: &str = "a password and an app";

#[test]
fn the_login_pages_work_by_keyboard_in_two_languages_on_a_desktop_and_a_phone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_fixture(&data);
    // The tests' SMTP server listens on loopback.
    let server = start(&data, &[("PORTCULLIS_ALLOW_PRIVATE_HOSTS", "true")]);
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let api = Client::new(&server.base, Some("localhost")).token(&read(&data, "admin.pat"));
    let org = api.get("/v1/users/me").str("org_id");
    let plain = public_app(&api, &org);
    // An org of its own colours, whose app the phone visits.
    let acme = api.post("/v1/orgs", json!({"name": "Acme"}));
    assert_eq!(acme.status, 201, "{}", acme.body);
    let branded = public_app(&api, &acme.str("id"));
    let colours = api.put(
        &format!("/v1/orgs/{}/settings/branding", acme.str("id")),
        json!({"primary_color": "#0f766e", "background_color": "#f0fdfa",
               "font_color": "#134e4a", "warn_color": "#b42318"}),
    );
    assert_eq!(colours.status, 200, "{}", colours.body);
    expire_passwords(&api.after(&colours));
    let open = api.put(
        "/v1/instance/settings/login",
        json!({"allow_register": true}),
    );
    assert_eq!(open.status, 200, "{}", open.body);
    // Messages go to a real SMTP server; the links of two of them are visited.
    let sink = MailSink::start(0);
    let smtp = api.put(
        "/v1/instance/smtp",
        json!({"host": "127.0.0.1", "port": sink.port, "tls": "none",
               "sender_address": "login@example.com", "sender_name": "Example login"}),
    );
    assert_eq!(smtp.status, 200, "{}", smtp.body);
    let link = |username: &str, action: &str| {
        let user = api.post(
            &format!("/v1/orgs/{org}/users/human"),
            json!({"username": username, "profile": {"given_name": "Ada", "family_name": "Lovelace"},
                   "email": {"address": format!("{username}@example.com")}}),
        );
        assert_eq!(user.status, 201, "{}", user.body);
        let sent = api
            .after(&user)
            .post(&format!("/v1/users/{}/{action}", user.str("id")), json!({}));
        assert_eq!(sent.status, 200, "{}", sent.body);
        link_in(&sink.wait_for(&format!("{username}@example.com"), 1))
    };
    // A user with an authenticator app, and one whose org requires a second factor.
    let human = |org: &str, username: &str| {
        let user = api.post(
            &format!("/v1/orgs/{org}/users/human"),
            json!({"username": username, "profile": {"given_name": "Alan", "family_name": "Turing"},
                   "email": {"address": format!("{username}@example.com")}, "password": MFA_PASSWORD}),
        );
        assert_eq!(user.status, 201, "{}", user.body);
        user.str("id")
    };
    let alan = human(&org, "alan");
    let app_key = api.post(&format!("/v1/users/{alan}/totp"), json!({}));
    assert_eq!(app_key.status, 200, "{}", app_key.body);
    let secret = app_key.str("secret");
    let verified = api.after(&app_key).post(
        &format!("/v1/users/{alan}/totp/verify"),
        json!({"code": totp(&secret, 0)}),
    );
    assert_eq!(verified.status, 200, "{}", verified.body);
    let recovery = api
        .after(&verified)
        .post(&format!("/v1/users/{alan}/recovery_codes"), json!({}));
    assert_eq!(recovery.status, 200, "{}", recovery.body);
    let strict = api.post("/v1/orgs", json!({"name": "Strict"}));
    assert_eq!(strict.status, 201, "{}", strict.body);
    let forced = api.put(
        &format!("/v1/orgs/{}/settings/login", strict.str("id")),
        json!({"force_mfa": true}),
    );
    assert_eq!(forced.status, 200, "{}", forced.body);
    human(&strict.str("id"), "newbie");
    let invite = link("ada", "invite");
    let verify = link("lovelace", "email/send_code");
    let admins = api.get("/v1/users?username=admin");
    let admin_address = admins.body["items"][0]["email"]["address"]
        .as_str()
        .unwrap()
        .to_string();

    let shots = tempfile::tempdir().unwrap();
    let seen = run(
        "node",
        &["login_pages.mjs"],
        &[
            ("ISSUER", &format!("http://localhost:{port}")),
            ("CLIENT_ID", &plain),
            ("BRANDED_CLIENT_ID", &branded),
            ("REDIRECT_URI", REDIRECT),
            ("CHALLENGE", &challenge()),
            ("USERNAME", "admin"),
            ("PASSWORD", &read(&data, "admin.password")),
            ("NEW_PASSWORD", "a brand new passphrase"),
            ("RESET_PASSWORD", "a passphrase set by a code"),
            ("ADMIN_ADDRESS", &admin_address),
            ("MAIL_DIR", sink.dir().to_str().unwrap()),
            ("INVITE_LINK", &invite),
            ("VERIFY_LINK", &verify),
            ("MFA_PASSWORD", MFA_PASSWORD),
            // Good for this step and the two after it: the walk uses it within a minute.
            ("MFA_CODE", &totp(&secret, 1)),
            ("OUT", shots.path().to_str().unwrap()),
        ],
    );
    // The reset asked at the phone's login went by email, in the look of the user's own org.
    let reset = sink.wait_for(&admin_address, 1);
    assert_eq!(reset["subject"], "Reset your password");
    let look = api.get(&format!("/v1/orgs/{org}/settings/branding"));
    let colour = look.body["primary_color"].as_str().unwrap();
    assert!(reset["html"].as_str().unwrap().contains(colour), "{reset}");
    assert_eq!(server.stop().code(), Some(0));

    let pages = seen["pages"].as_object().expect("the pages seen");
    for (name, page) in pages {
        assert_eq!(page["consoleErrors"], json!([]), "{name}: {page}");
        assert_eq!(page["unlabelled"], json!([]), "{name}: {page}");
        assert_eq!(page["overflow"], false, "{name} is wider than the screen");
        assert_eq!(
            page["stylesApplied"], true,
            "{name}: the stylesheet did not load"
        );
        let png = std::fs::metadata(shots.path().join(format!("{name}.png"))).unwrap();
        assert!(png.len() > 5_000, "{name}.png is {} bytes", png.len());
    }
    let page = |name: &str| -> &Value { &pages[name] };
    let text = |name: &str, field: &str| page(name)[field].as_str().unwrap_or("").to_string();
    assert_eq!(text("login", "lang"), "en");
    assert_eq!(text("login", "heading"), "Log in");
    assert_eq!(text("login", "focused"), "username");
    assert_eq!(seen["tabOrder"], json!(["password", "Log in"]));
    assert!(text("login-refused", "alert").starts_with("Wrong username or password"));
    assert_eq!(text("login-refused", "focused"), "password");
    assert_eq!(
        text("expired-password", "heading"),
        "Your password has expired"
    );
    assert_eq!(text("expired-password", "focused"), "new_password");
    assert_eq!(
        text("expired-password-refused", "alert"),
        "The new password must be 12 to 200 characters long."
    );
    let landed = seen["landed"].as_str().unwrap();
    assert!(
        landed.starts_with(REDIRECT) && param(landed, "code").is_some(),
        "{landed}"
    );
    assert_eq!(text("logout", "heading"), "Log out?");
    assert_eq!(text("logged-out", "heading"), "Logged out");
    assert_eq!(text("error", "heading"), "Cannot log in");
    assert!(text("error", "alert").contains("not known"));
    assert_eq!(text("login-de-phone", "lang"), "de");
    assert_eq!(text("login-de-phone", "heading"), "Anmelden");
    assert!(text("login-de-refused", "alert").starts_with("Benutzername oder Passwort"));
    assert_eq!(text("reset-de-phone", "heading"), "Passwort zurücksetzen");
    assert_eq!(text("reset-de-phone", "focused"), "username");
    assert_eq!(text("reset-code-de-phone", "focused"), "code");
    assert_eq!(text("invite", "heading"), "Choose your password");
    assert_eq!(text("invite", "focused"), "new_password");
    assert_eq!(text("password-set", "heading"), "Password set");
    assert_eq!(text("verify-email", "heading"), "Verify your email address");
    assert_eq!(text("email-verified", "heading"), "Email address verified");
    assert_eq!(text("verify-phone", "heading"), "Verify your phone number");
    assert_eq!(text("register", "heading"), "Create your account");
    assert_eq!(text("register", "focused"), "given_name");
    // Registered, the mail read, the address verified; reset by a mailed code, logged in.
    assert_eq!(seen["registeredVerified"], "Email address verified");
    assert_eq!(seen["resetDone"], "Passwort festgelegt");
    let after = seen["afterReset"].as_str().unwrap();
    assert!(
        after.starts_with(REDIRECT) && param(after, "code").is_some(),
        "{after}"
    );
    assert_eq!(text("mfa", "heading"), "Confirm it is you");
    assert_eq!(text("mfa", "focused"), "code");
    assert_eq!(
        text("mfa-refused", "alert"),
        "The code is wrong or was used already. Try again."
    );
    assert_eq!(page("mfa")["others"], json!(["Recovery code"]));
    let after_mfa = seen["afterMfa"].as_str().unwrap();
    assert!(
        after_mfa.starts_with(REDIRECT) && param(after_mfa, "code").is_some(),
        "{after_mfa}"
    );
    assert_eq!(
        text("mfa-setup-de-phone", "heading"),
        "Zwei-Faktor-Authentifizierung einrichten"
    );
    assert_eq!(text("mfa-setup-de-phone", "focused"), "code");
    assert_eq!(text("accounts", "heading"), "Choose an account");
    assert_eq!(page("accounts")["accounts"], json!(["admin", "grace"]));
    let chosen = seen["chosen"].as_str().unwrap();
    assert!(
        chosen.starts_with(REDIRECT) && param(chosen, "code").is_some(),
        "{chosen}"
    );

    if std::env::var_os("PORTCULLIS_WRITE_SCREENSHOTS").is_some() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/screenshots");
        std::fs::create_dir_all(docs).unwrap();
        for name in pages.keys() {
            let file = format!("{name}.png");
            std::fs::copy(shots.path().join(&file), format!("{docs}/{file}")).unwrap();
        }
    }
}
