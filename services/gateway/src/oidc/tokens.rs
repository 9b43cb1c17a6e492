//! Tokens: JWT access tokens (ES256) or opaque ones (the claims sealed with the master key, so
//! that issuing them writes nothing), ID tokens (RS256), and the checks every presented access
//! token passes (signature or seal, issuer, expiry, a live user, a live refresh family or, for
//! a token outside any family, not revoked on its own).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crypto::sealing::Purpose;
use domain::actions::Function;
use domain::app::AccessTokenType;
use domain::{Code, Error};
use readmodel::UserRow;
use serde_json::{json, Map, Value};

use super::{claims, client_cache, keyring, now_ms};
use crate::Gateway;

pub const ACCESS_TTL_SECS: i64 = 3600;
pub const ID_TTL_SECS: i64 = 3600;
const OPAQUE_PREFIX: &str = "pco_";

/// What an access token is about.
pub struct AccessGrant<'a> {
    pub instance: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub project_id: Option<&'a str>,
    pub user_id: &'a str,
    pub scope: &'a [String],
    /// The refresh family whose revocation ends the token.
    pub family_id: Option<&'a str>,
    pub kind: AccessTokenType,
    /// The key algorithm of JWT access tokens.
    pub alg: &'a str,
    /// Who acts as the user (token exchange): `{"sub": ..., "act"?: ...}`.
    pub act: Option<Value>,
    /// The DPoP key the token is bound to (its thumbprint, RFC 9449 `cnf.jkt`).
    pub jkt: Option<&'a str>,
}

pub async fn access_token(gw: &Gateway, g: &AccessGrant<'_>) -> Result<String, Error> {
    let now = now_ms() / 1000;
    let mut aud = vec![json!(g.client_id)];
    // The instance's API, when asked for: the token then reaches the REST and gRPC APIs.
    if g.scope.iter().any(|s| s == super::audience::API_SCOPE) {
        aud.push(json!(g.instance));
    }
    for p in g
        .project_id
        .into_iter()
        .chain(super::audience::requested(g.scope))
    {
        if !aud.contains(&json!(p)) {
            aud.push(json!(p));
        }
    }
    let mut c = json!({
        "iss": g.issuer, "sub": g.user_id, "aud": aud, "client_id": g.client_id,
        "scope": g.scope.join(" "), "iat": now, "exp": now + ACCESS_TTL_SECS,
        "jti": uuid::Uuid::now_v7().to_string(),
    });
    if let Some(f) = g.family_id {
        c["fid"] = json!(f);
    }
    if let Some(act) = &g.act {
        c["act"] = act.clone();
    }
    if let Some(jkt) = g.jkt {
        c["cnf"] = json!({ "jkt": jkt });
    }
    if let Value::Object(claims) = &mut c {
        let to = crate::action_hooks::ClaimsFor {
            instance: g.instance,
            user_id: g.user_id,
            client_id: g.client_id,
            scope: g.scope,
        };
        crate::action_hooks::append_claims(gw, Function::Preaccesstoken, &to, claims).await?;
    }
    match g.kind {
        AccessTokenType::Jwt => keyring::signer(gw, g.instance, g.alg)
            .await?
            .sign("at+jwt", &c),
        AccessTokenType::Opaque => {
            let master = gw
                .master_key
                .as_ref()
                .ok_or_else(|| Error::internal("no master key is configured"))?;
            let sealed =
                master.seal_for(Purpose::OpaqueToken, g.instance, c.to_string().as_bytes());
            Ok(format!("{OPAQUE_PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed)))
        }
    }
}

/// An ID token for a login.
pub struct IdToken<'a> {
    pub instance: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub user: &'a UserRow,
    pub scope: &'a [String],
    pub auth_time_ms: i64,
    pub nonce: Option<&'a str>,
    pub extra: Map<String, Value>,
    pub alg: &'a str,
}

pub async fn id_token(gw: &Gateway, t: IdToken<'_>) -> Result<String, Error> {
    let now = now_ms() / 1000;
    let mut c = Map::new();
    claims::user_claims(t.user, t.scope, &mut c);
    c.insert("iss".into(), json!(t.issuer));
    let mut aud = vec![json!(t.client_id)];
    aud.extend(super::audience::requested(t.scope).map(|p| json!(p)));
    c.insert("aud".into(), Value::Array(aud));
    c.insert("azp".into(), json!(t.client_id));
    c.insert("iat".into(), json!(now));
    c.insert("exp".into(), json!(now + ID_TTL_SECS));
    c.insert("auth_time".into(), json!(t.auth_time_ms / 1000));
    if let Some(n) = t.nonce {
        c.insert("nonce".into(), json!(n));
    }
    c.extend(t.extra);
    keyring::signer(gw, t.instance, t.alg)
        .await?
        .sign("JWT", &Value::Object(c))
}

fn inactive() -> Error {
    Error::new(Code::Unauthenticated, "the token is not active")
}

/// The claims of a live access token of this instance and issuer, or `Unauthenticated`.
pub async fn validate(
    gw: &Gateway,
    instance: &str,
    issuer: &str,
    token: &str,
) -> Result<Value, Error> {
    Ok(validate_with_user(gw, instance, issuer, token).await?.0)
}

/// As `validate`, with the token's user as read for the check (None for an app's own token),
/// so that userinfo does not read it again.
pub async fn validate_with_user(
    gw: &Gateway,
    instance: &str,
    issuer: &str,
    token: &str,
) -> Result<(Value, Option<readmodel::UserRow>), Error> {
    let (claims, user) = live(gw, instance, token).await?;
    if claims["iss"] != issuer {
        return Err(inactive());
    }
    Ok((claims, user))
}

/// A live access token of a user of `instance` whose audience names the instance's API (the
/// scope `urn:portcullis:api:aud` asked for it): its claims and its user. The audience binds
/// it to the instance, whatever domain of the instance it was issued at.
pub async fn validate_for_api(
    gw: &Gateway,
    instance: &str,
    token: &str,
) -> Result<(Value, readmodel::UserRow), Error> {
    let (claims, user) = live(gw, instance, token).await?;
    let for_api = match &claims["aud"] {
        Value::Array(aud) => aud.iter().any(|a| a == instance),
        aud => aud == instance,
    };
    match user {
        Some(user) if for_api => Ok((claims, user)),
        _ => Err(inactive()),
    }
}

/// The claims of a live access token of the instance, with its user (None for an app's own
/// token): signature or seal, type, expiry, a live user or app, a live refresh family.
async fn live(
    gw: &Gateway,
    instance: &str,
    token: &str,
) -> Result<(Value, Option<readmodel::UserRow>), Error> {
    let claims: Value = match token.strip_prefix(OPAQUE_PREFIX) {
        Some(sealed) => {
            let master = gw.master_key.as_ref().ok_or_else(inactive)?;
            let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| inactive())?;
            let plain = master
                .unseal_for(Purpose::OpaqueToken, instance, &bytes)
                .map_err(|_| inactive())?;
            serde_json::from_slice(&plain).map_err(|_| inactive())?
        }
        // Only access tokens: an ID token (or any other JWT of ours) is never one.
        None if super::jwt::typ(token).as_deref() == Some("at+jwt") => {
            keyring::verify(gw, instance, token).await?
        }
        None => return Err(inactive()),
    };
    if claims["exp"].as_i64().unwrap_or(0) <= now_ms() / 1000 {
        return Err(inactive());
    }
    // Deactivated, locked and removed users' tokens stop working, and so do those of a
    // revoked refresh family; an app's own tokens live as long as the app.
    let sub = claims["sub"].as_str().unwrap_or("");
    let (live, user) = if claims["sub"] == claims["client_id"] {
        (client_cache::app(gw, instance, sub).await?.is_some(), None)
    } else {
        let user = client_cache::user(gw, instance, sub)
            .await?
            .filter(|u| u.state == "active");
        (user.is_some(), user)
    };
    if !live {
        return Err(inactive());
    }
    if Revocation::of(&claims).holds(gw, instance).await? {
        return Err(inactive());
    }
    Ok((claims, user))
}

/// What revokes an access token: its refresh family (every token of a login), or for a token
/// outside any family (client credentials) the token's own revocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    Family(String),
    Alone { subject: String, jti: String },
}

impl Revocation {
    pub fn of(claims: &Value) -> Revocation {
        let text = |name: &str| claims[name].as_str().unwrap_or("").to_string();
        match claims["fid"].as_str() {
            Some(fid) => Revocation::Family(fid.to_string()),
            None => Revocation::Alone {
                subject: text("sub"),
                jti: text("jti"),
            },
        }
    }

    /// Whether the token is revoked: as its family's aggregate says now, or (on its own) as
    /// this gateway knows (see [`super::revoked`]).
    pub async fn holds(&self, gw: &Gateway, instance: &str) -> Result<bool, Error> {
        Ok(match self {
            Revocation::Family(fid) => gw.bus.refresh_family(instance, fid).await?.is_none(),
            Revocation::Alone { subject, jti } => {
                super::revoked::holds(gw, instance, subject, jti).await?
            }
        })
    }
}

/// Whether a bearer token has the shape of an access token (a JWT, or sealed opaque claims);
/// personal access tokens have neither.
pub fn is_access_token(token: &str) -> bool {
    token.starts_with(OPAQUE_PREFIX) || token.matches('.').count() == 2
}
