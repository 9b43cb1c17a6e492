//! Access tokens revoked one by one: those outside any refresh family (client credentials),
//! which revoking a family cannot reach. One aggregate per token subject (a machine user or
//! an app's client id) holds the ids (`jti`) of its revoked tokens until they expire: an entry
//! is dropped once its token could no longer be used anyway.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::Result;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRevocations {
    /// Revoked token ids, and when their tokens expire (unix seconds).
    pub revoked: BTreeMap<String, i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TokenRevocationCommand {
    /// Revokes the token `jti`, which expires at `expires_at` (unix seconds).
    Revoke { jti: String, expires_at: i64 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenRevocationEvent {
    Revoked {
        jti: String,
        expires_at: i64,
        /// When (unix milliseconds): entries of tokens expired by then are dropped.
        at: i64,
    },
}

impl EventType for TokenRevocationEvent {
    fn event_type(&self) -> &'static str {
        match self {
            TokenRevocationEvent::Revoked { .. } => "oidc.access_token.revoked",
        }
    }
}

impl TokenRevocations {
    /// Whether the token `jti` is revoked.
    pub fn holds(&self, jti: &str) -> bool {
        self.revoked.contains_key(jti)
    }
}

impl Aggregate for TokenRevocations {
    const KIND: &'static str = "token_revocations";
    type Command = TokenRevocationCommand;
    type Event = TokenRevocationEvent;

    fn exists(&self) -> bool {
        !self.revoked.is_empty()
    }

    fn access<'a>(&'a self, _: &'a AggregateKey, _: &'a TokenRevocationCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(
        &self,
        cmd: &TokenRevocationCommand,
        ctx: Ctx<'_>,
    ) -> Result<Vec<TokenRevocationEvent>> {
        Ok(match cmd {
            // Revoked already, or expired already: nothing to record.
            TokenRevocationCommand::Revoke { jti, expires_at }
                if self.holds(jti) || expires_at * 1000 <= ctx.now =>
            {
                vec![]
            }
            TokenRevocationCommand::Revoke { jti, expires_at } => {
                vec![TokenRevocationEvent::Revoked {
                    jti: jti.clone(),
                    expires_at: *expires_at,
                    at: ctx.now,
                }]
            }
        })
    }

    fn apply(&mut self, event: &TokenRevocationEvent) {
        match event {
            TokenRevocationEvent::Revoked {
                jti,
                expires_at,
                at,
            } => {
                self.revoked.retain(|_, exp| *exp * 1000 > *at);
                self.revoked.insert(jti.clone(), *expires_at);
            }
        }
    }
}
