//! Refresh token families: each use rotates the token, a rotated token used again revokes
//! the family, and a family is over when unused for the idle lifetime or older than the
//! absolute one after its login (the `session` settings in force, passed with each use).

use serde::{Deserialize, Serialize};

use super::invalid_grant;
use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::lifecycle::Lifecycle;
use crate::settings::SessionSettings;

/// What a refresh token family grants: a user's login at a client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub user_id: String,
    pub client_id: String,
    pub project_id: String,
    pub scope: Vec<String>,
    pub auth_time: i64,
    pub session_id: Option<String>,
    /// How the user authenticated (RFC 8176), for the ID tokens of refreshes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// The DPoP key (its thumbprint) the family's tokens are bound to: a public client's,
    /// when it asked with a proof; refreshing then needs a proof of that key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// The issuer the login's tokens name (the instance's URL at the domain the user logged in
    /// at), for the app's logout token when the session ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// A refresh token family: each use rotates the token; using a rotated one revokes them all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshFamily {
    pub lifecycle: Lifecycle,
    pub grant: Grant,
    pub token_hash: String,
    pub previous: Vec<String>,
    /// When its token was last issued (unix milliseconds; 0 for families of release 0.1 that
    /// were not used since, whose idle time is not known).
    #[serde(default)]
    pub last_used: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RefreshCommand {
    Issue {
        grant: Grant,
        token_hash: String,
    },
    /// Uses the token with `presented` hash and replaces it with `next`, if the family's
    /// lifetimes are not over.
    Rotate {
        presented: String,
        next: String,
        lifetimes: SessionSettings,
        /// The thumbprint of the DPoP key the request proved (none: no proof). A family
        /// bound to a key rotates only with a proof of that key.
        #[serde(default)]
        jkt: Option<String>,
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

/// `at` was added in release 0.2: events of 0.1 read it as 0 (not known).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefreshEvent {
    Issued {
        grant: Grant,
        token_hash: String,
        #[serde(default)]
        at: i64,
    },
    Rotated {
        token_hash: String,
        #[serde(default)]
        at: i64,
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

impl RefreshFamily {
    /// Whether the family is live at `now` under `lifetimes`: absolute from its login,
    /// idle from its token's last issue.
    pub fn alive(&self, lifetimes: &SessionSettings, now: i64) -> bool {
        self.exists() && lifetimes.alive(self.grant.auth_time, self.last_used, now)
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

    fn decide(&self, cmd: &RefreshCommand, ctx: Ctx<'_>) -> Result<Vec<RefreshEvent>> {
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
                    at: ctx.now,
                }]
            }
            RefreshCommand::Rotate {
                presented,
                next,
                lifetimes,
                jkt,
            } => {
                if !self.exists() {
                    return Err(invalid_grant("the refresh token was revoked"));
                }
                // Checked before the token is looked at, so that a thief's try (without the
                // key) neither uses up the holder's token nor revokes the family.
                if self.grant.jkt.is_some() && self.grant.jkt != *jkt {
                    return Err(Error::new(
                        Code::InvalidDpopProof,
                        "the refresh token is bound to a DPoP key: send a proof of that key",
                    ));
                }
                let same = |h: &String| crate::validate::same_secret(h, presented);
                if !self.token_hash.is_empty() && same(&self.token_hash) {
                    if !self.alive(lifetimes, ctx.now) {
                        return Err(invalid_grant("the refresh token expired: log in again"));
                    }
                    vec![RefreshEvent::Rotated {
                        token_hash: next.clone(),
                        at: ctx.now,
                    }]
                } else if self.previous.iter().any(same) {
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
            RefreshEvent::Issued {
                grant,
                token_hash,
                at,
            } => {
                self.lifecycle = Lifecycle::Active;
                self.grant = grant.clone();
                self.token_hash = token_hash.clone();
                self.last_used = *at;
            }
            RefreshEvent::Rotated { token_hash, at } => {
                let old = std::mem::replace(&mut self.token_hash, token_hash.clone());
                self.previous.push(old);
                self.last_used = *at;
            }
            RefreshEvent::Revoked => self.lifecycle = Lifecycle::Removed,
        }
    }
}
