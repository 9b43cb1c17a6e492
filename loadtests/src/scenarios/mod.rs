//! The scenarios: each sets up its fixtures through the API (so every fixture is events in the
//! log, like real data), then `request(i)` is one unit of work, checked like a client would.

mod documents;
mod jwt_profile;
mod login;
mod mixed;
mod reads;
mod tokens;
mod users;

use serde_json::{json, Value};

use crate::target::{Auth, Target};

pub use documents::Document;
pub use jwt_profile::JwtProfile;
pub use login::Login;
pub use mixed::Mixed;
pub use reads::{ReadUser, ReadUserGrpc};
pub use tokens::{ClientCredentials, Introspect, TokenShape, Userinfo};
pub use users::{CreateUser, ListUsers};

pub trait Scenario: Sync {
    fn name(&self) -> &'static str;
    /// One unit of work; `Err` carries the error code it is counted under.
    fn request(&self, i: u64) -> Result<(), String>;
}

/// The scenarios `loadgen --scenario` knows.
pub const NAMES: &[&str] = &[
    "client-credentials",
    "client-credentials-opaque",
    "jwt-profile",
    "introspect",
    "userinfo",
    "discovery",
    "jwks",
    "login",
    "create-user",
    "list-users",
    "read-user",
    "read-user-grpc",
    "mixed",
];

/// Sets up the named scenario on `target`. `size` is its fixture size: clients for
/// client-credentials and jwt-profile, users for list-users and login.
pub fn setup(name: &str, target: &Target, size: usize) -> Result<Box<dyn Scenario>, String> {
    Ok(match name {
        "client-credentials" => Box::new(ClientCredentials::machine_users(target, size)?),
        "client-credentials-opaque" => Box::new(ClientCredentials::opaque_apps(target, size)?),
        "jwt-profile" => Box::new(JwtProfile::setup(target, size)?),
        "introspect" => Box::new(Introspect::setup(target)?),
        "userinfo" => Box::new(Userinfo::setup(target)?),
        "discovery" => Box::new(Document::discovery(target, DISCOVERY)),
        "jwks" => Box::new(Document::jwks(target, JWKS)),
        "login" => Box::new(Login::setup(target, size)?),
        "create-user" => Box::new(CreateUser::setup(target)?),
        "list-users" => Box::new(ListUsers::setup(target, size)?),
        "read-user" => Box::new(ReadUser::setup(target)?),
        "read-user-grpc" => Box::new(ReadUserGrpc::setup(target)?),
        "mixed" => Box::new(Mixed::setup(target, size)?),
        other => return Err(format!("unknown scenario {other}; one of {NAMES:?}")),
    })
}

/// The scenarios a peer can run, from the fixtures its host script wrote
/// (`loadtests/peers/oidc-provider/server.mjs`). Its access tokens are opaque, so both of our
/// client-credentials scenarios are set beside its one.
pub const PEER_NAMES: &[&str] = &[
    "client-credentials",
    "client-credentials-opaque",
    "introspect",
    "userinfo",
    "discovery",
    "jwks",
];

/// Sets up the named scenario on a peer OpenID Provider from its fixtures.
pub fn peer(name: &str, target: &Target, fixtures: &Value) -> Result<Box<dyn Scenario>, String> {
    let text = |key: &str| {
        fixtures[key]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("the peer's fixtures have no {key}"))
    };
    Ok(match name {
        "client-credentials" | "client-credentials-opaque" => Box::new(ClientCredentials::peer(
            target,
            name,
            text("token_path")?,
            fixtures,
        )?),
        "introspect" => Box::new(Introspect::peer(
            target,
            text("introspect_path")?,
            fixtures,
        )?),
        "userinfo" => Box::new(Userinfo::peer(
            target,
            text("userinfo_path")?,
            text("userinfo_token")?,
        )),
        "discovery" => Box::new(Document::discovery(target, &text("discovery_path")?)),
        "jwks" => Box::new(Document::jwks(target, &text("jwks_path")?)),
        other => return Err(format!("the peer runs only {PEER_NAMES:?}, not {other}")),
    })
}

/// Portcullis's OAuth endpoints.
const TOKEN: &str = "/oauth/v2/token";
const INTROSPECT: &str = "/oauth/v2/introspect";
const USERINFO: &str = "/oidc/v1/userinfo";
const DISCOVERY: &str = "/.well-known/openid-configuration";
const JWKS: &str = "/oauth/v2/keys";

/// A `[client_id, secret]` pair of a peer's fixtures.
fn pair(v: &Value) -> Result<(String, String), String> {
    match (v[0].as_str(), v[1].as_str()) {
        (Some(id), Some(secret)) => Ok((id.into(), secret.into())),
        _ => Err(format!("not a [client_id, secret] pair: {v}")),
    }
}

/// A non-empty list of a peer's fixtures.
fn list<'a>(fixtures: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    fixtures[key]
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| format!("the peer's fixtures have no {key}"))
}

/// A string field of an answer, or the error code `no <key>`.
fn text(body: &Value, key: &str) -> Result<String, String> {
    body[key]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("no {key}"))
}
/// A prefix no earlier run used, for unique names.
pub fn run_prefix() -> String {
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

pub(crate) fn id(body: &Value) -> Result<String, String> {
    body["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no id in {body}"))
}

/// Waits until the read model holds what a write answered with (`position`).
pub(crate) fn settle(target: &Target, written: &Value) -> Result<(), String> {
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

/// A project in a new org; returns (project id, position of the write).
fn project(target: &Target, name: &str) -> Result<(String, Option<String>), String> {
    let org = org(target, name)?;
    let project = target
        .json(
            "POST",
            &format!("/v1/orgs/{org}/projects"),
            Some(&json!({"name": "loadtest"})),
            Auth::Pat,
            None,
        )?
        .expect(201)?;
    Ok((
        id(&project)?,
        project["position"].as_str().map(str::to_string),
    ))
}

/// An OIDC app of `project`, readable once this returns: (client id, secret).
fn oidc_app(
    target: &Target,
    project: &str,
    after: Option<&str>,
    app: Value,
) -> Result<(String, String), String> {
    let app = target
        .json(
            "POST",
            &format!("/v1/projects/{project}/apps/oidc"),
            Some(&app),
            Auth::Pat,
            after,
        )?
        .expect(201)?;
    settle(target, &app)?;
    Ok((
        text(&app, "client_id")?,
        app["client_secret"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}
