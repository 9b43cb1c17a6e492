//! Scenario 4: the authorization-code flow with PKCE through the hosted login form, as a
//! browser without JavaScript does it (a cookie jar, redirects read, not followed), then the
//! code exchanged for tokens by the app.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use super::{id, oidc_app, org, project, run_prefix, text, Scenario, TOKEN};
use crate::target::{Auth, Page, Target};

const REDIRECT: &str = "http://127.0.0.1:7777/callback";
const PASSWORD: &str = "a load-test password of some length";

pub struct Login {
    target: Target,
    app: (String, String),
    usernames: Vec<String>,
}

impl Login {
    /// An app (code flow, confidential) and `users` humans with a password.
    pub fn setup(target: &Target, users: usize) -> Result<Self, String> {
        let prefix = run_prefix();
        let (project, written) = project(target, &format!("{prefix}-login"))?;
        let app = oidc_app(
            target,
            &project,
            written.as_deref(),
            json!({
                "name": "web", "redirect_uris": [REDIRECT],
                "grant_types": ["authorization_code"],
                "auth_method": "client_secret_basic", "access_token_type": "jwt",
            }),
        )?;
        let org = org(target, &format!("{prefix}-login-users"))?;
        let mut usernames = Vec::new();
        let mut last = None;
        for k in 0..users.max(1) {
            let username = format!("{prefix}-h{k}");
            let created = target
                .json(
                    "POST",
                    &format!("/v1/orgs/{org}/users/human"),
                    Some(&json!({
                        "username": username,
                        "profile": {"given_name": "Load", "family_name": "Test"},
                        "email": {"address": format!("{username}@example.com"), "verified": true},
                        "password": PASSWORD,
                    })),
                    Auth::Pat,
                    None,
                )?
                .expect(201)?;
            id(&created)?;
            last = Some(created);
            usernames.push(username);
        }
        if let Some(created) = &last {
            super::settle(target, created)?;
        }
        Ok(Login {
            target: target.clone(),
            app,
            usernames,
        })
    }
}

impl Scenario for Login {
    fn name(&self) -> &'static str {
        "login"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let username = &self.usernames[i as usize % self.usernames.len()];
        let verifier = format!("{:0>64}", format!("verifier-{i}"));
        let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            verifier.as_bytes(),
        ));
        let state = format!("s{i}");
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", self.app.0.as_str()),
                ("redirect_uri", REDIRECT),
                ("scope", "openid profile"),
                ("state", state.as_str()),
                ("nonce", "n"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        let mut jar = Jar::default();
        let authorize = self
            .target
            .page("GET", &format!("/oauth/v2/authorize?{query}"), None, "")?
            .expect(302)?;
        let login = path_of(authorize.location.as_deref().ok_or("no location")?);
        let page = jar.keep(
            self.target
                .page("GET", &login, None, &jar.header())?
                .expect(200)?,
        );
        let posted = self
            .target
            .page(
                "POST",
                "/ui/login",
                Some(&[
                    ("authRequest", &page.field("authRequest")?),
                    ("csrf", &page.field("csrf")?),
                    ("username", username),
                    ("password", PASSWORD),
                ]),
                &jar.header(),
            )?
            .expect(302)?;
        let back = posted.location.ok_or("no location")?;
        let params = |name: &str| {
            let query = back.split_once('?').map_or("", |(_, q)| q);
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if !back.starts_with(REDIRECT) || params("state").as_deref() != Some(state.as_str()) {
            return Err("sent back elsewhere".into());
        }
        let code = params("code").ok_or("no code")?;
        let tokens = self
            .target
            .form(
                TOKEN,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", &verifier),
                ],
                Auth::Basic(&self.app.0, &self.app.1),
            )?
            .expect(200)?;
        text(&tokens, "id_token")?;
        text(&tokens, "access_token").map(drop)
    }
}

/// The path and query of a `Location`, absolute or not.
fn path_of(location: &str) -> String {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".into(), |i| rest[i..].to_string()),
        None => location.to_string(),
    }
}

/// The cookies a browser keeps between the requests of one login.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn keep(&mut self, page: Page) -> Page {
        for cookie in &page.set_cookies {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.0.retain(|(n, _)| n != name);
                if !value.is_empty() && !cookie.contains("Max-Age=0") {
                    self.0.push((name.to_string(), value.to_string()));
                }
            }
        }
        page
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
