//! Signed assertions used up: a client assertion (`private_key_jwt`, `client_secret_jwt`) or a
//! JWT bearer grant's assertion is good once (RFC 7523 section 3, `jti`), and so is a pushed
//! authorization request's `request_uri` (RFC 9126). One aggregate per signer (an app's client
//! id, a machine user's id; `par:<client id>` for pushed requests) holds the ids of what it
//! used until they expire: presented again before then, they are refused, and an entry is
//! dropped once it could no longer be used anyway.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::Result;

use super::invalid_grant;

/// The longest an assertion may live (seconds): its id is remembered that long.
pub const MAX_ASSERTION_LIFETIME: i64 = 3600;
/// How far the signer's clock may be ahead of ours (seconds).
pub const CLOCK_SKEW: i64 = 60;
/// The longest `jti` kept.
const MAX_JTI: usize = 200;

/// One audience or several (RFC 7519 4.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn names(&self, wanted: &str) -> bool {
        match self {
            Audience::One(a) => a == wanted,
            Audience::Many(all) => all.iter().any(|a| a == wanted),
        }
    }
}

/// The claims of a signed assertion (RFC 7523 section 3), whose signature was checked.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    /// Unix seconds.
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub jti: Option<String>,
}

impl AssertionClaims {
    /// Checks an assertion of `signer` at `now` (unix seconds): issued and about the signer,
    /// for one of `audiences` (the issuer, the endpoint it was sent to), good now, and living
    /// at most [`MAX_ASSERTION_LIFETIME`].
    pub fn check(&self, signer: &str, audiences: &[&str], now: i64) -> Result<()> {
        if self.iss != signer || self.sub != signer {
            return Err(invalid_grant(
                "the assertion's iss and sub must both name its signer",
            ));
        }
        if !audiences.iter().any(|a| self.aud.names(a)) {
            return Err(invalid_grant("the assertion's aud must name this issuer"));
        }
        if self.exp <= now {
            return Err(invalid_grant("the assertion has expired"));
        }
        if self.exp > now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW {
            return Err(invalid_grant("the assertion may live an hour at most"));
        }
        if self.iat.is_some_and(|t| t > now + CLOCK_SKEW)
            || self.nbf.is_some_and(|t| t > now + CLOCK_SKEW)
        {
            return Err(invalid_grant("the assertion is not valid yet"));
        }
        if self
            .jti
            .as_ref()
            .is_some_and(|j| j.is_empty() || j.len() > MAX_JTI)
        {
            return Err(invalid_grant("the assertion's jti is 1 to 200 bytes"));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedAssertions {
    /// Ids of used assertions, and when they expire (unix seconds).
    pub used: BTreeMap<String, i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AssertionCommand {
    /// Uses the assertion `jti`, which expires at `expires_at` (unix seconds).
    Use { jti: String, expires_at: i64 },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssertionEvent {
    Used {
        jti: String,
        expires_at: i64,
        /// When (unix milliseconds): entries of assertions expired by then are dropped.
        at: i64,
    },
}

impl EventType for AssertionEvent {
    fn event_type(&self) -> &'static str {
        match self {
            AssertionEvent::Used { .. } => "oidc.assertion.used",
        }
    }
}

impl UsedAssertions {
    /// Whether the assertion `jti` was used and could still be used again at `now` (ms).
    pub fn holds(&self, jti: &str, now: i64) -> bool {
        self.used.get(jti).is_some_and(|exp| exp * 1000 > now)
    }
}

impl Aggregate for UsedAssertions {
    const KIND: &'static str = "used_assertions";
    type Command = AssertionCommand;
    type Event = AssertionEvent;

    fn exists(&self) -> bool {
        !self.used.is_empty()
    }

    fn access<'a>(&'a self, _: &'a AggregateKey, _: &'a AssertionCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(&self, cmd: &AssertionCommand, ctx: Ctx<'_>) -> Result<Vec<AssertionEvent>> {
        let AssertionCommand::Use { jti, expires_at } = cmd;
        if self.holds(jti, ctx.now) {
            return Err(invalid_grant("the assertion was used already"));
        }
        if expires_at * 1000 <= ctx.now {
            return Err(invalid_grant("the assertion has expired"));
        }
        Ok(vec![AssertionEvent::Used {
            jti: jti.clone(),
            expires_at: *expires_at,
            at: ctx.now,
        }])
    }

    fn apply(&mut self, event: &AssertionEvent) {
        match event {
            AssertionEvent::Used {
                jti,
                expires_at,
                at,
            } => {
                self.used.retain(|_, exp| *exp * 1000 > *at);
                self.used.insert(jti.clone(), *expires_at);
            }
        }
    }
}
