//! The hosted login's pages: askama templates (`services/gateway/templates/`, checked when
//! the gateway compiles, every value HTML-escaped), in the language and the branding of their
//! login, under a Content-Security-Policy that allows no script, the login's own stylesheet
//! and one inline style (the branding's colours, by a nonce new on every page), and images
//! only from the logo's and the icon's origins.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use domain::settings::{BrandingSettings, MessageTexts};

use super::page_look::PageLook;
use super::texts::{Notice, Texts};

/// What every page has: its language's texts, its title, its branding, its style's nonce,
/// and the page's own texts where the instance or org set them.
pub struct Frame<'a> {
    pub texts: &'static Texts,
    pub title: &'a str,
    pub look: &'a BrandingSettings,
    pub nonce: String,
    own: Option<&'a MessageTexts>,
}

impl<'a> Frame<'a> {
    pub fn new(texts: &'static Texts, title: &'a str, look: &'a BrandingSettings) -> Frame<'a> {
        Frame {
            texts,
            title,
            look,
            nonce: crypto::secrets::new_token().0,
            own: None,
        }
    }

    /// A page as its instance or org set it up ([`PageLook`]): their title over `title`.
    pub fn of_page(texts: &'static Texts, title: &'static str, p: &'a PageLook) -> Frame<'a> {
        Frame {
            own: Some(&p.texts),
            ..Frame::new(texts, p.title(title), &p.look)
        }
    }

    /// The text under the title: the page's own, else `built_in` (empty: none).
    pub fn intro<'b>(&'b self, built_in: &'b str) -> &'b str {
        self.own.and_then(|o| o.text.as_deref()).unwrap_or(built_in)
    }

    /// The button's text: the page's own, else `built_in`.
    pub fn button<'b>(&'b self, built_in: &'b str) -> &'b str {
        self.own
            .and_then(|o| o.button_text.as_deref())
            .unwrap_or(built_in)
    }
}

/// The login form.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub frame: Frame<'a>,
    /// The text under the title, if the instance or org sets one.
    pub intro: Option<&'a str>,
    /// The submit button's text.
    pub button: &'a str,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
    /// Where "Forgot password?" leads (none when the login settings hide it).
    pub reset_href: Option<String>,
    /// Where "Create an account" leads (where the login settings allow registration).
    pub register_href: Option<String>,
    /// A login with a passkey, where the login settings allow passkeys.
    pub passkey: Option<&'a super::passkey_login::PasskeyOffer>,
    /// Logins through external identity providers, one button each.
    pub idps: &'a [super::idp_login::IdpButton],
    pub password_required: bool,
}

/// An account of the browser, as the account selection shows it.
pub struct Account {
    pub session_id: String,
    pub display_name: String,
    pub username: String,
}

/// The account selection: the browser's accounts, and a way to use another.
#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage<'a> {
    pub frame: Frame<'a>,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    pub accounts: Vec<Account>,
    /// The login page of the request.
    pub other: String,
}

/// Registration: a new human in the org of the login's app.
#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage<'a> {
    pub frame: Frame<'a>,
    /// The text under the title, if the instance or org sets one.
    pub intro: Option<&'a str>,
    pub button: &'a str,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub email: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
    pub back: String,
}

/// The link of an IdP's identity to an existing account, by the account's password.
#[derive(Template)]
#[template(path = "idp_link.html")]
pub struct IdpLinkPage<'a> {
    pub frame: Frame<'a>,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    /// The identity waiting, sealed.
    pub state: &'a str,
    /// What to show of the identity.
    pub identity: &'a str,
    pub idp_name: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
    pub back: String,
}

/// A login with a directory's (LDAP) username and password.
#[derive(Template)]
#[template(path = "ldap_login.html")]
pub struct LdapLoginPage<'a> {
    pub frame: Frame<'a>,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    pub idp: &'a str,
    /// The login name whose domain led here, if one did (empty: none).
    pub discovered: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
    pub back: String,
}

/// The start of a password reset: the login name.
#[derive(Template)]
#[template(path = "reset_request.html")]
pub struct ResetRequestPage<'a> {
    pub frame: Frame<'a>,
    pub intro: &'a str,
    pub button: &'a str,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    pub back: Option<String>,
}

/// A new password with the code of a reset or an invitation.
#[derive(Template)]
#[template(path = "reset_password.html")]
pub struct ResetPasswordPage<'a> {
    pub frame: Frame<'a>,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    /// The user's id (from a message's link) or empty.
    pub user: &'a str,
    /// The login name given to start the reset, or empty.
    pub username: &'a str,
    pub code: &'a str,
    /// Whether a code was just asked for.
    pub sent: bool,
    /// Whether the code is an invitation's (the page's title says so).
    pub invite: bool,
    pub error: Option<&'a str>,
    pub back: Option<String>,
}

/// The confirmation of an email address or phone number from its message's link.
#[derive(Template)]
#[template(path = "verify.html")]
pub struct VerifyPage<'a> {
    pub frame: Frame<'a>,
    /// The built-in text under the title.
    pub intro: &'a str,
    /// Where the form goes: the page's own address.
    pub action: &'a str,
    pub csrf: &'a str,
    pub user: &'a str,
    pub code: &'a str,
}

/// The change of an expired password.
#[derive(Template)]
#[template(path = "expired_password.html")]
pub struct ExpiredPasswordPage<'a> {
    pub frame: Frame<'a>,
    pub intro: &'a str,
    pub reason: super::expired_password::Reason,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    pub error: Option<&'a str>,
}

/// A page that says one thing (an error that ends a flow, a logout done).
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub frame: Frame<'a>,
    pub text: &'a str,
    pub alert: bool,
    /// A way on: (address, label).
    pub link: Option<(&'a str, &'a str)>,
}

/// The question before a logout without a hint.
#[derive(Template)]
#[template(path = "logout.html")]
pub struct LogoutPage<'a> {
    pub frame: Frame<'a>,
    pub action: &'a str,
    pub csrf: &'a str,
}

/// The login's stylesheet, served at [`STYLESHEET`].
pub const STYLESHEET_CSS: &str = include_str!("../../assets/login.css");
pub const STYLESHEET: &str = "/ui/assets/login.css";

/// A page as a response: never cached, never framed, under the page's CSP (no script).
pub fn render(status: StatusCode, frame: &Frame<'_>, page: &impl Template) -> HttpResponse {
    render_with(status, frame, page, "")
}

/// A page that runs the login's WebAuthn script, and no other.
pub fn render_with_script(
    status: StatusCode,
    frame: &Frame<'_>,
    page: &impl Template,
) -> HttpResponse {
    render_with(status, frame, page, " script-src 'self';")
}

fn render_with(
    status: StatusCode,
    frame: &Frame<'_>,
    page: &impl Template,
    script: &str,
) -> HttpResponse {
    let body = match page.render() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "a login page did not render");
            return HttpResponse::InternalServerError().finish();
        }
    };
    let origins = frame.look.image_origins();
    let images = match origins.is_empty() {
        true => "'none'".to_string(),
        false => origins.join(" "),
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header((
            "Content-Security-Policy",
            // No form-action: browsers apply it to the redirect back to the client too.
            format!(
                "default-src 'none'; style-src 'self' 'nonce-{}'; img-src {images};{script} \
                 base-uri 'none'; frame-ancestors 'none'",
                frame.nonce
            ),
        ))
        .body(body)
}

/// A page that ends a flow with a notice, in the request's language.
pub fn notice(
    status: StatusCode,
    texts: &'static Texts,
    look: &BrandingSettings,
    notice: Notice,
) -> HttpResponse {
    let page = MessagePage {
        frame: Frame::new(texts, texts.cannot_log_in, look),
        text: notice.text(texts.tag),
        alert: true,
        link: None,
    };
    render(status, &page.frame, &page)
}

/// The login's stylesheet (the same for every instance: the branding is in each page).
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET_CSS)
}

/// A way to confirm a login other than the one on the page.
pub struct OtherFactor {
    pub name: &'static str,
    pub href: String,
}

/// The second step of a login: a code of the factor `factor`.
#[derive(Template)]
#[template(path = "mfa.html")]
pub struct MfaPage<'a> {
    pub frame: Frame<'a>,
    pub intro: &'a str,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    /// `totp`, `otp_email`, `otp_sms` or `recovery_code`.
    pub factor: &'a str,
    /// Whether the code is six digits (an app's or a login code's), for the keyboard.
    pub numeric: bool,
    /// Whether the code was sent, so that a new one can be asked for.
    pub sent: bool,
    pub error: Option<&'a str>,
    pub others: Vec<OtherFactor>,
}

/// Setting up an authenticator app at a login that requires a second factor.
#[derive(Template)]
#[template(path = "mfa_setup.html")]
pub struct MfaSetupPage<'a> {
    pub frame: Frame<'a>,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    /// The key as a QR code (inline SVG, made here, never from input).
    pub qr: &'a str,
    /// The secret in groups of four, to type.
    pub key: &'a str,
    pub uri: &'a str,
    pub error: Option<&'a str>,
}

/// The second step with a security key or passkey: the page's script asks the browser's
/// authenticator to sign the challenge in `options`.
#[derive(Template)]
#[template(path = "mfa_key.html")]
pub struct MfaKeyPage<'a> {
    pub frame: Frame<'a>,
    pub auth_request: &'a str,
    pub csrf: &'a str,
    /// The options for `navigator.credentials.get()`, as JSON.
    pub options: &'a str,
    pub error: Option<&'a str>,
    pub others: Vec<OtherFactor>,
}

/// The login's one script (WebAuthn), served at [`WEBAUTHN_SCRIPT`].
pub const WEBAUTHN_JS: &str = include_str!("../../assets/webauthn.js");
pub const WEBAUTHN_SCRIPT: &str = "/ui/assets/webauthn.js";

/// The WebAuthn script.
pub async fn webauthn_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(WEBAUTHN_JS)
}

/// A registration link's passkey: the page's script asks the browser to create it.
#[derive(Template)]
#[template(path = "passkey_register.html")]
pub struct PasskeyRegisterPage<'a> {
    pub frame: Frame<'a>,
    pub csrf: &'a str,
    pub user: &'a str,
    pub code: &'a str,
    pub key_id: &'a str,
    /// The options for `navigator.credentials.create()`, as JSON.
    pub options: &'a str,
}
