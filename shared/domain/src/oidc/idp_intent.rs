//! An IdP intent: a login at an external identity provider that a login UI of one's own began
//! (through the Sessions API) and that came back, holding the user it was for. A session's
//! `idp_intent` check consumes it, once, with its token, before it expires. Only the token's
//! hash is kept. Nothing is written before the IdP vouched for the user.

use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::validate::same_secret;

/// How long a login UI has to use an intent that came back (milliseconds).
pub const IDP_INTENT_TTL: i64 = 5 * 60_000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpIntent {
    pub idp_id: String,
    pub user_id: String,
    /// Hex SHA-256 of the intent's token.
    pub token_hash: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub consumed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IdpIntentCommand {
    /// The IdP vouched for a user, linked to `user_id`.
    Succeed {
        idp_id: String,
        user_id: String,
        token_hash: String,
    },
    /// A session's check uses the intent, with its token.
    Consume { token_hash: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdpIntentEvent {
    Succeeded {
        idp_id: String,
        user_id: String,
        token_hash: String,
        expires_at: i64,
    },
    Consumed,
}

impl EventType for IdpIntentEvent {
    fn event_type(&self) -> &'static str {
        match self {
            IdpIntentEvent::Succeeded { .. } => "idp_intent.succeeded",
            IdpIntentEvent::Consumed => "idp_intent.consumed",
        }
    }
}

fn not_valid() -> Error {
    Error::new(
        Code::SessionCheckFailed,
        "the IdP intent is not valid: it is unknown, used, expired, or its token is another's",
    )
    .with("check", "idp_intent")
}

impl Aggregate for IdpIntent {
    const KIND: &'static str = "idp_intent";
    type Command = IdpIntentCommand;
    type Event = IdpIntentEvent;

    fn exists(&self) -> bool {
        !self.user_id.is_empty()
    }

    fn owners(&self) -> Vec<String> {
        vec![self.user_id.clone()]
    }

    /// Reached only through the login's callback and the Sessions API.
    fn access<'a>(&'a self, _: &'a AggregateKey, _: &'a IdpIntentCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(&self, cmd: &IdpIntentCommand, ctx: Ctx<'_>) -> Result<Vec<IdpIntentEvent>> {
        Ok(match cmd {
            IdpIntentCommand::Succeed {
                idp_id,
                user_id,
                token_hash,
            } => {
                if self.exists() {
                    return Err(Error::internal("the intent id is in use"));
                }
                vec![IdpIntentEvent::Succeeded {
                    idp_id: idp_id.clone(),
                    user_id: user_id.clone(),
                    token_hash: token_hash.clone(),
                    expires_at: ctx.now + IDP_INTENT_TTL,
                }]
            }
            IdpIntentCommand::Consume { token_hash } => {
                let usable = self.exists()
                    && !self.consumed
                    && ctx.now < self.expires_at
                    && same_secret(token_hash, &self.token_hash);
                if !usable {
                    return Err(not_valid());
                }
                vec![IdpIntentEvent::Consumed]
            }
        })
    }

    fn apply(&mut self, event: &IdpIntentEvent) {
        match event {
            IdpIntentEvent::Succeeded {
                idp_id,
                user_id,
                token_hash,
                expires_at,
            } => {
                self.idp_id = idp_id.clone();
                self.user_id = user_id.clone();
                self.token_hash = token_hash.clone();
                self.expires_at = *expires_at;
            }
            IdpIntentEvent::Consumed => self.consumed = true,
        }
    }
}
