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

pub(crate) fn invalid_grant(why: &str) -> Error {
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
    /// The `acr` values the client asked for, in its order of preference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acr_values: Vec<String>,
    /// `response_mode=form_post`: the answer goes back in a form the browser posts, not in
    /// the redirect's query.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub form_post: bool,
    /// `dpop_jkt` (RFC 9449 10): the code goes only to a token request with a DPoP proof of
    /// this key (its thumbprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// A SAML login: the answer is a SAML response posted to the SP's assertion consumer
    /// service (`redirect_uri`), not a code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml: Option<Box<crate::saml::SamlRequest>>,
}

impl AuthParams {
    /// Whether the client asked for a login with two factors.
    pub fn wants_mfa(&self) -> bool {
        self.acr_values.iter().any(|v| v == session::ACR_MFA)
    }
}

/// Who logged in for an authorization request, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    pub user_id: String,
    pub session_id: String,
    /// Unix milliseconds.
    pub auth_time: i64,
    /// How the user authenticated (RFC 8176 values); absent in logins before it was recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
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

/// An authorization request waiting for its login. It is no aggregate and writes nothing:
/// the browser carries it (sealed) to the hosted login, and only a login that succeeds makes
/// it an [`AuthRequest`], so anonymous traffic at the authorization endpoint leaves no trace
/// in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthRequest {
    /// The id the request will have (its code is `<id>.<secret>`).
    pub id: String,
    pub params: AuthParams,
    /// Unix milliseconds; it expires [`AUTH_REQUEST_TTL`] later.
    pub started_at: i64,
    /// The issuer the client reached the authorization endpoint at: the `iss` of its answer.
    #[serde(default)]
    pub issuer: String,
    /// The languages the client asked the login to speak (`ui_locales`), first choice first.
    #[serde(default)]
    pub ui_locales: Vec<String>,
}

impl PendingAuthRequest {
    /// Whether it may still be completed at `now`.
    pub fn live_at(&self, now: i64) -> bool {
        now <= self.started_at + AUTH_REQUEST_TTL
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AuthRequestCommand {
    /// A user logged in (or had a session) for a pending request: it is recorded with its
    /// code, once.
    Complete {
        pending: Box<PendingAuthRequest>,
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
            AuthRequestCommand::Complete {
                pending,
                login,
                code_hash,
            } => {
                if !pending.live_at(ctx.now) {
                    return Err(Error::new(
                        Code::AuthRequestExpired,
                        "this login has expired: start again from the application",
                    ));
                }
                if self.lifecycle != Lifecycle::New {
                    return Err(Error::new(
                        Code::AuthRequestExpired,
                        "this login was completed already: start again from the application",
                    ));
                }
                Ok(vec![
                    E::Added {
                        params: pending.params.clone(),
                        at: pending.started_at,
                    },
                    E::CodeIssued {
                        login: login.clone(),
                        code_hash: code_hash.clone(),
                        at: ctx.now,
                    },
                ])
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

mod assertions;
mod device;
pub mod dpop;
mod idp_intent;
mod refresh;
mod revocations;
mod session;

pub use assertions::{
    AssertionClaims, AssertionCommand, AssertionEvent, Audience, UsedAssertions,
    MAX_ASSERTION_LIFETIME,
};
pub use device::{
    DeviceAuthorization, DeviceCommand, DeviceEvent, DeviceRequest, DeviceState, PollOutcome,
    DEVICE_CODE_TTL, POLL_INTERVAL,
};
pub use idp_intent::{IdpIntent, IdpIntentCommand, IdpIntentEvent, IDP_INTENT_TTL};
pub use refresh::{Grant, RefreshCommand, RefreshEvent, RefreshFamily};
pub use revocations::{TokenRevocationCommand, TokenRevocationEvent, TokenRevocations};
pub use session::{
    acr, Check, KeyChallenge, Needs, Session, SessionCommand, SessionEvent, ACR_MFA, ACR_ONE_FACTOR,
};
