//! The scenarios: each sets up its fixtures through the API (so every fixture is events in the
//! log, like real data), then `request(i)` is one unit of work, checked like a client would.

use serde_json::{json, Value};

use crate::harness::{self, Load, Mode};
use crate::target::{Auth, Target};

pub trait Scenario: Sync {
    fn name(&self) -> &'static str;
    /// One unit of work; `Err` carries the error code it is counted under.
    fn request(&self, i: u64) -> Result<(), String>;
}

/// The scenarios `loadgen --scenario` knows.
pub const NAMES: &[&str] = &[
    "client-credentials",
    "introspect",
    "userinfo",
    "create-user",
    "list-users",
];

/// Sets up the named scenario on `target`. `size` is its fixture size: clients for
/// client-credentials, users for list-users.
pub fn setup(name: &str, target: &Target, size: usize) -> Result<Box<dyn Scenario>, String> {
    Ok(match name {
        "client-credentials" => Box::new(ClientCredentials::setup(target, size)?),
        "introspect" => Box::new(Introspect::setup(target)?),
        "userinfo" => Box::new(Userinfo::setup(target)?),
        "create-user" => Box::new(CreateUser::setup(target)?),
        "list-users" => Box::new(ListUsers::setup(target, size)?),
        other => return Err(format!("unknown scenario {other}; one of {NAMES:?}")),
    })
}

/// The scenarios a peer can run, from the fixtures its host script wrote
/// (`loadtests/peers/oidc-provider/server.mjs`).
pub const PEER_NAMES: &[&str] = &["client-credentials", "introspect", "userinfo"];

/// Sets up the named scenario on a peer OpenID Provider from its fixtures.
pub fn peer(name: &str, target: &Target, fixtures: &Value) -> Result<Box<dyn Scenario>, String> {
    let text = |key: &str| {
        fixtures[key]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("the peer's fixtures have no {key}"))
    };
    let pair = |v: &Value| -> Result<(String, String), String> {
        match (v[0].as_str(), v[1].as_str()) {
            (Some(id), Some(secret)) => Ok((id.into(), secret.into())),
            _ => Err(format!("not a [client_id, secret] pair: {v}")),
        }
    };
    let list = |key: &str| {
        fixtures[key]
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| format!("the peer's fixtures have no {key}"))
    };
    Ok(match name {
        "client-credentials" => Box::new(ClientCredentials {
            target: target.clone(),
            path: text("token_path")?,
            clients: list("clients")?
                .iter()
                .map(pair)
                .collect::<Result<_, _>>()?,
        }),
        "introspect" => Box::new(Introspect {
            target: target.clone(),
            path: text("introspect_path")?,
            app: pair(&fixtures["introspector"])?,
            tokens: list("introspected")?
                .iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
        }),
        "userinfo" => Box::new(Userinfo {
            target: target.clone(),
            path: text("userinfo_path")?,
            token: text("userinfo_token")?,
        }),
        other => return Err(format!("the peer runs only {PEER_NAMES:?}, not {other}")),
    })
}

/// A prefix no earlier run used, for unique names.
fn run_prefix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("lt{:x}", nanos & 0xffff_ffff_ffff)
}

/// Creates an org and waits until it can be read; returns its id.
fn org(target: &Target, name: &str) -> Result<String, String> {
    let created = target
        .json(
            "POST",
            "/v1/orgs",
            Some(&json!({"name": name})),
            Auth::Pat,
            None,
        )?
        .expect(201)?;
    settle(target, &created)?;
    id(&created)
}

fn id(body: &Value) -> Result<String, String> {
    body["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no id in {body}"))
}

/// Waits until the read model holds what a write answered with (`position`).
fn settle(target: &Target, written: &Value) -> Result<(), String> {
    target
        .json(
            "GET",
            "/v1/users/me",
            None,
            Auth::Pat,
            written["position"].as_str(),
        )?
        .expect(200)
        .map(drop)
}

/// A machine user with a client secret: (client id, secret).
fn machine_client(target: &Target, org: &str, username: &str) -> Result<(String, String), String> {
    let user = target
        .json(
            "POST",
            &format!("/v1/orgs/{org}/users/machine"),
            Some(&json!({"username": username, "name": username})),
            Auth::Pat,
            None,
        )?
        .expect(201)?;
    let secret = target
        .json(
            "POST",
            &format!("/v1/users/{}/secret", id(&user)?),
            Some(&json!({})),
            Auth::Pat,
            user["position"].as_str(),
        )?
        .expect(201)?;
    settle(target, &secret)?;
    Ok((
        secret["client_id"].as_str().unwrap_or(username).to_string(),
        secret["client_secret"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}

/// Portcullis's OAuth endpoints.
const TOKEN: &str = "/oauth/v2/token";
const INTROSPECT: &str = "/oauth/v2/introspect";
const USERINFO: &str = "/oidc/v1/userinfo";

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

/// Scenario 1: token requests by many distinct machine users.
pub struct ClientCredentials {
    target: Target,
    path: String,
    clients: Vec<(String, String)>,
}

impl ClientCredentials {
    pub fn setup(target: &Target, clients: usize) -> Result<Self, String> {
        let prefix = run_prefix();
        let org = org(target, &format!("{prefix}-clients"))?;
        let clients = (0..clients.max(1))
            .map(|k| machine_client(target, &org, &format!("{prefix}-m{k}")))
            .collect::<Result<_, _>>()?;
        Ok(ClientCredentials {
            target: target.clone(),
            path: TOKEN.into(),
            clients,
        })
    }
}

impl Scenario for ClientCredentials {
    fn name(&self) -> &'static str {
        "client-credentials"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let (id, secret) = &self.clients[i as usize % self.clients.len()];
        let tokens = client_credentials(&self.target, &self.path, id, secret)?;
        match tokens["access_token"].as_str() {
            Some(t) if !t.is_empty() => Ok(()),
            _ => Err("no access_token".into()),
        }
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
        let prefix = run_prefix();
        let org = org(target, &format!("{prefix}-introspect"))?;
        let project = target
            .json(
                "POST",
                &format!("/v1/orgs/{org}/projects"),
                Some(&json!({"name": "loadtest"})),
                Auth::Pat,
                None,
            )?
            .expect(201)?;
        let written = project["position"].as_str().map(str::to_string);
        let project = id(&project)?;
        let mut apps = Vec::new();
        for token_type in ["jwt", "opaque"] {
            let app = target
                .json(
                    "POST",
                    &format!("/v1/projects/{project}/apps/oidc"),
                    Some(&json!({
                        "name": token_type, "redirect_uris": [],
                        "grant_types": ["client_credentials"],
                        "auth_method": "client_secret_basic", "access_token_type": token_type,
                    })),
                    Auth::Pat,
                    written.as_deref(),
                )?
                .expect(201)?;
            settle(target, &app)?;
            apps.push((
                app["client_id"].as_str().unwrap_or_default().to_string(),
                app["client_secret"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
        let token = |(id, secret): &(String, String)| -> Result<String, String> {
            let tokens = client_credentials(target, TOKEN, id, secret)?;
            Ok(tokens["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string())
        };
        let tokens = vec![token(&apps[0])?, token(&apps[1])?];
        Ok(Introspect {
            target: target.clone(),
            path: INTROSPECT.into(),
            app: apps.swap_remove(0),
            tokens,
        })
    }
}

impl Scenario for Introspect {
    fn name(&self) -> &'static str {
        "introspect"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let token = &self.tokens[i as usize % self.tokens.len()];
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
        let (id, secret) = machine_client(target, &org, &format!("{prefix}-m"))?;
        let tokens = client_credentials(target, TOKEN, &id, &secret)?;
        Ok(Userinfo {
            target: target.clone(),
            path: USERINFO.into(),
            token: tokens["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        })
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
        if claims["sub"].is_string() {
            Ok(())
        } else {
            Err("no sub".into())
        }
    }
}

/// Scenario 5: durable writes: a human user is created, then read back at the write's position.
pub struct CreateUser {
    target: Target,
    org: String,
    prefix: String,
}

impl CreateUser {
    pub fn setup(target: &Target) -> Result<Self, String> {
        let prefix = run_prefix();
        let org = org(target, &format!("{prefix}-users"))?;
        Ok(CreateUser {
            target: target.clone(),
            org,
            prefix,
        })
    }

    fn in_org(target: &Target, org: String) -> Self {
        CreateUser {
            target: target.clone(),
            org,
            prefix: run_prefix(),
        }
    }
}

impl Scenario for CreateUser {
    fn name(&self) -> &'static str {
        "create-user"
    }

    fn request(&self, i: u64) -> Result<(), String> {
        let username = format!("{}-u{i}", self.prefix);
        let created = self
            .target
            .json(
                "POST",
                &format!("/v1/orgs/{}/users/human", self.org),
                Some(&json!({
                    "username": username,
                    "profile": {"given_name": "Load", "family_name": "Test"},
                    "email": {"address": format!("{username}@example.com")},
                })),
                Auth::Pat,
                None,
            )?
            .expect(201)?;
        let read = self
            .target
            .json(
                "GET",
                &format!("/v1/users/{}", id(&created)?),
                None,
                Auth::Pat,
                created["position"].as_str(),
            )?
            .expect(200)?;
        if read["username"] == username.as_str() {
            Ok(())
        } else {
            Err("read back another user".into())
        }
    }
}

/// Scenario 6, paged lists filtered by permission: an org's user manager lists the users of
/// its org, on an instance where as many users again are in another org it may not read.
pub struct ListUsers {
    target: Target,
    org: String,
    manager_token: String,
}

impl ListUsers {
    pub fn setup(target: &Target, users: usize) -> Result<Self, String> {
        let prefix = run_prefix();
        let ours = org(target, &format!("{prefix}-listed"))?;
        let theirs = org(target, &format!("{prefix}-other"))?;
        for org in [&ours, &theirs] {
            let seed = harness::run(
                &CreateUser::in_org(target, org.clone()),
                &Load {
                    mode: Mode::Closed { workers: 16 },
                    warmup: std::time::Duration::ZERO,
                    duration: std::time::Duration::from_secs(3600),
                    max_requests: (users / 2).max(1) as u64,
                },
            );
            if !seed.errors.is_empty() {
                return Err(format!("seeding users failed: {:?}", seed.errors));
            }
            eprintln!(
                "loadgen: seeded {} users in org {org} ({:.0}/s)",
                seed.ok, seed.throughput
            );
        }
        let manager = target
            .json(
                "POST",
                &format!("/v1/orgs/{ours}/users/machine"),
                Some(&json!({"username": format!("{prefix}-manager"), "name": "manager"})),
                Auth::Pat,
                None,
            )?
            .expect(201)?;
        let position = manager["position"].as_str();
        let manager = id(&manager)?;
        target
            .json(
                "POST",
                &format!("/v1/orgs/{ours}/members"),
                Some(&json!({"user_id": manager, "roles": ["ORG_USER_MANAGER"]})),
                Auth::Pat,
                position,
            )?
            .expect(201)?;
        let pat = target
            .json(
                "POST",
                &format!("/v1/users/{manager}/pats"),
                Some(&json!({})),
                Auth::Pat,
                position,
            )?
            .expect(201)?;
        settle(target, &pat)?;
        Ok(ListUsers {
            target: target.clone(),
            org: ours,
            manager_token: pat["token"].as_str().unwrap_or_default().to_string(),
        })
    }
}

impl Scenario for ListUsers {
    fn name(&self) -> &'static str {
        "list-users"
    }

    fn request(&self, _: u64) -> Result<(), String> {
        let items = self.first_page()?;
        if items.is_empty() {
            return Err("empty page".into());
        }
        if items.iter().any(|u| u["org_id"] != self.org.as_str()) {
            return Err("a user of another org listed".into());
        }
        Ok(())
    }
}

impl ListUsers {
    /// The manager's first page of up to 100 users.
    pub fn first_page(&self) -> Result<Vec<Value>, String> {
        let page = self
            .target
            .json(
                "GET",
                "/v1/users?limit=100",
                None,
                Auth::Bearer(&self.manager_token),
                None,
            )?
            .expect(200)?;
        page["items"]
            .as_array()
            .cloned()
            .ok_or_else(|| format!("no items in {page}"))
    }
}
