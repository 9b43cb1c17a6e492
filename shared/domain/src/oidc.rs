//! The state of OpenID Connect flows, as aggregates like everything else (so that they work the
//! same in a cluster): authorization requests with their codes, browser sessions, and refresh
//! token families. Only hashes of codes, session secrets and refresh tokens are stored.

use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::lifecycle::Lifecycle;

/// How long a code may be exchanged, and an authorization request completed (milliseconds).
pub const CODE_TTL: i64 = 60_000;
pub const AUTH_REQUEST_TTL: i64 = 10 * 60_000;

fn invalid_grant(why: &str) -> Error {
    Error::new(Code::InvalidGrant, why.to_string())
}

/// What a client asked for at the authorization endpoint (validated by the service layer).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthParams {
    pub client_id: String,
    pub project_id: String,
    pub app_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    pub prompt_login: bool,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
}

/// Who logged in for an authorization request, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub user_id: String,
    pub session_id: String,
    /// Unix milliseconds.
    pub auth_time: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub lifecycle: Lifecycle,
    pub params: AuthParams,
    pub created_at: i64,
    pub login: Option<Login>,
    pub code_hash: Option<String>,
    pub code_issued_at: i64,
    pub exchanged: bool,
    /// The refresh family the exchange started (revoked if the code is used again).
    pub family_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AuthRequestCommand {
    Create(AuthParams),
    /// A user logged in (or had a session); a code is issued.
    Complete {
        login: Login,
        code_hash: String,
    },
    /// The client exchanges the code; the tokens start `family_id`.
    Exchange {
        code_hash: String,
        family_id: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthRequestEvent {
    Added {
        params: AuthParams,
        at: i64,
    },
    CodeIssued {
        login: Login,
        code_hash: String,
        at: i64,
    },
    CodeExchanged {
        family_id: String,
    },
    /// A second use: what the first one issued is revoked.
    CodeReused {
        family_id: Option<String>,
    },
}

impl EventType for AuthRequestEvent {
    fn event_type(&self) -> &'static str {
        match self {
            AuthRequestEvent::Added { .. } => "oidc.auth_request.added",
            AuthRequestEvent::CodeIssued { .. } => "oidc.code.issued",
            AuthRequestEvent::CodeExchanged { .. } => "oidc.code.exchanged",
            AuthRequestEvent::CodeReused { .. } => "oidc.code.reused",
        }
    }
}

impl Aggregate for AuthRequest {
    const KIND: &'static str = "auth_request";
    type Command = AuthRequestCommand;
    type Event = AuthRequestEvent;

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    /// Reached only through the OIDC endpoints, which authenticate clients and users.
    fn access<'a>(&'a self, _: &'a AggregateKey, _: &'a AuthRequestCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(&self, cmd: &AuthRequestCommand, ctx: Ctx<'_>) -> Result<Vec<AuthRequestEvent>> {
        use AuthRequestEvent as E;
        match cmd {
            AuthRequestCommand::Create(params) => {
                if self.lifecycle != Lifecycle::New {
                    return Err(Error::internal("the auth request id is in use"));
                }
                Ok(vec![E::Added {
                    params: params.clone(),
                    at: ctx.now,
                }])
            }
            AuthRequestCommand::Complete { login, code_hash } => {
                if !self.exists() || ctx.now > self.created_at + AUTH_REQUEST_TTL {
                    return Err(Error::new(
                        Code::AuthRequestExpired,
                        "this login has expired: start again from the application",
                    ));
                }
                if self.code_hash.is_some() {
                    return Err(Error::new(
                        Code::AuthRequestExpired,
                        "this login was completed already: start again from the application",
                    ));
                }
                Ok(vec![E::CodeIssued {
                    login: login.clone(),
                    code_hash: code_hash.clone(),
                    at: ctx.now,
                }])
            }
            AuthRequestCommand::Exchange {
                code_hash,
                family_id,
            } => {
                let Some(expected) = &self.code_hash else {
                    return Err(invalid_grant("the code is not valid"));
                };
                if !crate::validate::same_secret(expected, code_hash) {
                    return Err(invalid_grant("the code is not valid"));
                }
                if self.exchanged {
                    return Ok(vec![E::CodeReused {
                        family_id: self.family_id.clone(),
                    }]);
                }
                if ctx.now > self.code_issued_at + CODE_TTL {
                    return Err(invalid_grant("the code has expired"));
                }
                Ok(vec![E::CodeExchanged {
                    family_id: family_id.clone(),
                }])
            }
        }
    }

    fn apply(&mut self, event: &AuthRequestEvent) {
        match event {
            AuthRequestEvent::Added { params, at } => {
                self.lifecycle = Lifecycle::Active;
                self.params = params.clone();
                self.created_at = *at;
            }
            AuthRequestEvent::CodeIssued {
                login,
                code_hash,
                at,
            } => {
                self.login = Some(login.clone());
                self.code_hash = Some(code_hash.clone());
                self.code_issued_at = *at;
            }
            AuthRequestEvent::CodeExchanged { family_id } => {
                self.exchanged = true;
                self.family_id = Some(family_id.clone());
            }
            AuthRequestEvent::CodeReused { .. } => {}
        }
    }
}

/// A browser session at the hosted login.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub lifecycle: Lifecycle,
    pub user_id: String,
    pub auth_time: i64,
    pub secret_hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SessionCommand {
    Start {
        user_id: String,
        secret_hash: String,
    },
    /// A new login in the same session (`prompt=login`, `max_age`).
    Renew,
    End,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionEvent {
    Started {
        user_id: String,
        secret_hash: String,
        at: i64,
    },
    Renewed {
        at: i64,
    },
    Ended,
}

impl EventType for SessionEvent {
    fn event_type(&self) -> &'static str {
        match self {
            SessionEvent::Started { .. } => "session.started",
            SessionEvent::Renewed { .. } => "session.renewed",
            SessionEvent::Ended => "session.ended",
        }
    }
}

impl Aggregate for Session {
    const KIND: &'static str = "session";
    type Command = SessionCommand;
    type Event = SessionEvent;

    fn owners(&self) -> Vec<String> {
        vec![self.user_id.clone()]
    }

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    fn access<'a>(&'a self, _: &'a AggregateKey, _: &'a SessionCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(&self, cmd: &SessionCommand, ctx: Ctx<'_>) -> Result<Vec<SessionEvent>> {
        Ok(match cmd {
            SessionCommand::Start {
                user_id,
                secret_hash,
            } => {
                if self.lifecycle != Lifecycle::New {
                    return Err(Error::internal("the session id is in use"));
                }
                vec![SessionEvent::Started {
                    user_id: user_id.clone(),
                    secret_hash: secret_hash.clone(),
                    at: ctx.now,
                }]
            }
            SessionCommand::Renew if self.exists() => vec![SessionEvent::Renewed { at: ctx.now }],
            SessionCommand::End if self.exists() => vec![SessionEvent::Ended],
            SessionCommand::Renew | SessionCommand::End => vec![],
        })
    }

    fn apply(&mut self, event: &SessionEvent) {
        match event {
            SessionEvent::Started {
                user_id,
                secret_hash,
                at,
            } => {
                self.lifecycle = Lifecycle::Active;
                self.user_id = user_id.clone();
                self.secret_hash = secret_hash.clone();
                self.auth_time = *at;
            }
            SessionEvent::Renewed { at } => self.auth_time = *at,
            SessionEvent::Ended => self.lifecycle = Lifecycle::Removed,
        }
    }
}

/// What a refresh token family grants: a user's login at a client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub user_id: String,
    pub client_id: String,
    pub project_id: String,
    pub scope: Vec<String>,
    pub auth_time: i64,
    pub session_id: Option<String>,
}

/// A refresh token family: each use rotates the token; using a rotated one revokes them all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshFamily {
    pub lifecycle: Lifecycle,
    pub grant: Grant,
    pub token_hash: String,
    pub previous: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RefreshCommand {
    Issue {
        grant: Grant,
        token_hash: String,
    },
    /// Uses the token with `presented` hash and replaces it with `next`.
    Rotate {
        presented: String,
        next: String,
    },
    /// Revokes the family, also before it was issued: a code used twice revokes what its
    /// first exchange issues, even when that exchange has not got that far yet.
    Revoke,
    /// Revokes the family only if `presented` is the hash of one of its tokens (the current
    /// one or a rotated one): a client revoking a refresh token must show all of it.
    RevokeToken {
        presented: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefreshEvent {
    Issued {
        grant: Grant,
        token_hash: String,
    },
    Rotated {
        token_hash: String,
    },
    /// Revoked by the client, by a reused token, or by a reused code.
    Revoked,
}

impl EventType for RefreshEvent {
    fn event_type(&self) -> &'static str {
        match self {
            RefreshEvent::Issued { .. } => "oidc.refresh.issued",
            RefreshEvent::Rotated { .. } => "oidc.refresh.rotated",
            RefreshEvent::Revoked => "oidc.refresh.revoked",
        }
    }
}

impl Aggregate for RefreshFamily {
    const KIND: &'static str = "refresh_family";
    type Command = RefreshCommand;
    type Event = RefreshEvent;

    /// The user, and the browser session the family was issued in: a logout finds the
    /// session's families without reading every family of the user.
    fn owners(&self) -> Vec<String> {
        let mut owners = vec![self.grant.user_id.clone()];
        owners.extend(self.grant.session_id.clone());
        owners
    }

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    fn access<'a>(&'a self, _: &'a AggregateKey, _: &'a RefreshCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(&self, cmd: &RefreshCommand, _ctx: Ctx<'_>) -> Result<Vec<RefreshEvent>> {
        Ok(match cmd {
            RefreshCommand::Issue { grant, token_hash } => {
                if self.lifecycle == Lifecycle::Removed {
                    return Err(invalid_grant(
                        "the code was used twice: what it issued is revoked",
                    ));
                }
                if self.lifecycle != Lifecycle::New {
                    return Err(Error::internal("the refresh family id is in use"));
                }
                vec![RefreshEvent::Issued {
                    grant: grant.clone(),
                    token_hash: token_hash.clone(),
                }]
            }
            RefreshCommand::Rotate { presented, next } => {
                if !self.exists() {
                    return Err(invalid_grant("the refresh token was revoked"));
                }
                if !self.token_hash.is_empty()
                    && crate::validate::same_secret(&self.token_hash, presented)
                {
                    vec![RefreshEvent::Rotated {
                        token_hash: next.clone(),
                    }]
                } else if self
                    .previous
                    .iter()
                    .any(|p| crate::validate::same_secret(p, presented))
                {
                    // A rotated token used again: someone else has it. Revoke the family.
                    vec![RefreshEvent::Revoked]
                } else {
                    return Err(invalid_grant("the refresh token is not valid"));
                }
            }
            RefreshCommand::Revoke if self.lifecycle == Lifecycle::Removed => vec![],
            RefreshCommand::Revoke => vec![RefreshEvent::Revoked],
            RefreshCommand::RevokeToken { presented } => {
                // A family without a refresh token (an empty hash) matches no token.
                let same = |h: &String| !h.is_empty() && crate::validate::same_secret(h, presented);
                if self.exists() && (same(&self.token_hash) || self.previous.iter().any(same)) {
                    vec![RefreshEvent::Revoked]
                } else {
                    vec![]
                }
            }
        })
    }

    fn apply(&mut self, event: &RefreshEvent) {
        match event {
            RefreshEvent::Issued { grant, token_hash } => {
                self.lifecycle = Lifecycle::Active;
                self.grant = grant.clone();
                self.token_hash = token_hash.clone();
            }
            RefreshEvent::Rotated { token_hash } => {
                let old = std::mem::replace(&mut self.token_hash, token_hash.clone());
                self.previous.push(old);
            }
            RefreshEvent::Revoked => self.lifecycle = Lifecycle::Removed,
        }
    }
}
