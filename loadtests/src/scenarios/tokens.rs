//! Scenarios 1–3: tokens by client credentials, introspection and userinfo.

use serde_json::{json, Value};

use super::{
    list, machine_client, oidc_app, org, pair, project, run_prefix, text, Scenario, INTROSPECT,
    TOKEN, USERINFO,
};
use crate::target::{Auth, Target};

/// What an issued access token must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenShape {
    /// A JWT: three dot-separated parts.
    Jwt,
    /// Anything but a JWT.
    Opaque,
    /// Whatever the server issues (a peer).
    Any,
}

impl TokenShape {
    fn check(self, token: &str) -> Result<(), String> {
        let jwt = token.split('.').count() == 3;
        match self {
            TokenShape::Jwt if !jwt => Err("not a JWT".into()),
            TokenShape::Opaque if jwt => Err("not opaque".into()),
            _ => Ok(()),
        }
    }
}

fn client_credentials(
    target: &Target,
    path: &str,
    id: &str,
    secret: &str,
) -> Result<Value, String> {
    target
        .form(
            path,
            &[("grant_type", "client_credentials"), ("scope", "openid")],
            Auth::Basic(id, secret),
        )?
        .expect(200)
}

/// A token by client credentials (Portcullis).
pub(super) fn token(target: &Target, (id, secret): &(String, String)) -> Result<String, String> {
    text(
        &client_credentials(target, TOKEN, id, secret)?,
        "access_token",
    )
}

/// Scenario 1: token requests by many distinct clients, each checked for the token's shape.
pub struct ClientCredentials {
    target: Target,
    name: &'static str,
    path: String,
    clients: Vec<(String, String)>,
    shape: TokenShape,
}

impl ClientCredentials {
    /// `clients` machine users with client secrets; their access tokens are JWTs (ES256).
    pub fn machine_users(target: &Target, clients: usize) -> Result<Self, String> {
        let prefix = run_prefix();
        let org = org(target, &format!("{prefix}-clients"))?;
        let clients = (0..clients.max(1))
            .map(|k| machine_client(target, &org, &format!("{prefix}-m{k}")))
            .collect::<Result<_, _>>()?;
        Ok(ClientCredentials {
            target: target.clone(),
            name: "client-credentials",
            path: TOKEN.into(),
            clients,
            shape: TokenShape::Jwt,
        })
    }

    /// `clients` confidential apps whose access tokens are opaque.
    pub fn opaque_apps(target: &Target, clients: usize) -> Result<Self, String> {
        let (project, written) = project(target, &format!("{}-opaque", run_prefix()))?;
        let clients = (0..clients.max(1))
            .map(|k| {
                oidc_app(
                    target,
                    &project,
                    written.as_deref(),
                    json!({
                        "name": format!("service-{k}"), "redirect_uris": [],
                        "grant_types": ["client_credentials"],
                        "auth_method": "client_secret_basic", "access_token_type": "opaque",
                    }),
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(ClientCredentials {
            target: target.clone(),
            name: "client-credentials-opaque",
            path: TOKEN.into(),
            clients,
            shape: TokenShape::Opaque,
        })
    }

    /// The peer's clients, from its fixtures (`clients`), reported under `name`.
    pub fn peer(
        target: &Target,
        name: &str,
        path: String,
        fixtures: &Value,
    ) -> Result<Self, String> {
        Ok(ClientCredentials {
            target: target.clone(),
            name: if name == "client-credentials" {
                "client-credentials"
            } else {
                "client-credentials-opaque"
            },
            path,
            clients: list(fixtures, "clients")?
                .iter()
                .map(pair)
                .collect::<Result<_, _>>()?,
            shape: TokenShape::Any,
        })
    }
}

impl Scenario for ClientCredentials {
    fn name(&self) -> &'static str {
        self.name
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let (id, secret) = &self.clients[i as usize % self.clients.len()];
        let tokens = client_credentials(&self.target, &self.path, id, secret)?;
        self.shape.check(&text(&tokens, "access_token")?)
    }
}

/// Scenario 2: introspection by a confidential app, of JWT and opaque access tokens in turn.
pub struct Introspect {
    target: Target,
    path: String,
    app: (String, String),
    tokens: Vec<String>,
}

impl Introspect {
    pub fn setup(target: &Target) -> Result<Self, String> {
        let (project, written) = project(target, &format!("{}-introspect", run_prefix()))?;
        let mut apps = ["jwt", "opaque"]
            .into_iter()
            .map(|token_type| {
                oidc_app(
                    target,
                    &project,
                    written.as_deref(),
                    json!({
                        "name": token_type, "redirect_uris": [],
                        "grant_types": ["client_credentials"],
                        "auth_method": "client_secret_basic", "access_token_type": token_type,
                    }),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let tokens = vec![token(target, &apps[0])?, token(target, &apps[1])?];
        Ok(Introspect {
            target: target.clone(),
            path: INTROSPECT.into(),
            app: apps.swap_remove(0),
            tokens,
        })
    }

    /// The peer's introspecting client (`introspector`) and tokens (`introspected`).
    pub fn peer(target: &Target, path: String, fixtures: &Value) -> Result<Self, String> {
        Ok(Introspect {
            target: target.clone(),
            path,
            app: pair(&fixtures["introspector"])?,
            tokens: list(fixtures, "introspected")?
                .iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
        })
    }

    /// Whether the server says `token` is active.
    pub(super) fn active(&self, token: &str) -> Result<(), String> {
        let seen = self
            .target
            .form(
                &self.path,
                &[("token", token)],
                Auth::Basic(&self.app.0, &self.app.1),
            )?
            .expect(200)?;
        if seen["active"] == true {
            Ok(())
        } else {
            Err("inactive".into())
        }
    }
}

impl Scenario for Introspect {
    fn name(&self) -> &'static str {
        "introspect"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        self.active(&self.tokens[i as usize % self.tokens.len()])
    }
}

/// Scenario 3: userinfo with a machine user's access token.
pub struct Userinfo {
    target: Target,
    path: String,
    token: String,
}

impl Userinfo {
    pub fn setup(target: &Target) -> Result<Self, String> {
        let prefix = run_prefix();
        let org = org(target, &format!("{prefix}-userinfo"))?;
        let client = machine_client(target, &org, &format!("{prefix}-m"))?;
        Ok(Userinfo {
            target: target.clone(),
            path: USERINFO.into(),
            token: token(target, &client)?,
        })
    }

    pub fn peer(target: &Target, path: String, token: String) -> Self {
        Userinfo {
            target: target.clone(),
            path,
            token,
        }
    }
}

impl Scenario for Userinfo {
    fn name(&self) -> &'static str {
        "userinfo"
    }

    fn request(&self, _: u64) -> Result<(), String> {
        let claims = self
            .target
            .json("GET", &self.path, None, Auth::Bearer(&self.token), None)?
            .expect(200)?;
        text(&claims, "sub").map(drop)
    }
}
