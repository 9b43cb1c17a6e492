//! A browser session at the hosted login: started by a login, used by later logins of the
//! same browser (single sign-on), ended by a logout or by the user's credentials changing, and
//! over when unused for the idle lifetime or older than the absolute one (the `session`
//! settings in force, passed with each use).

use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::lifecycle::Lifecycle;
use crate::settings::SessionSettings;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub lifecycle: Lifecycle,
    pub user_id: String,
    /// When the user last authenticated in it (unix milliseconds).
    pub auth_time: i64,
    pub secret_hash: String,
    /// When it began, and when a use was last recorded (unix milliseconds).
    #[serde(default)]
    pub started_at: i64,
    #[serde(default)]
    pub last_used: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SessionCommand {
    Start {
        user_id: String,
        secret_hash: String,
    },
    /// A new login in the same session (`prompt=login`, `max_age`).
    Renew,
    /// A login answered by the session: refused when its lifetimes are over.
    Use {
        lifetimes: SessionSettings,
    },
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
    Used {
        at: i64,
    },
}

impl EventType for SessionEvent {
    fn event_type(&self) -> &'static str {
        match self {
            SessionEvent::Started { .. } => "session.started",
            SessionEvent::Renewed { .. } => "session.renewed",
            SessionEvent::Ended => "session.ended",
            SessionEvent::Used { .. } => "session.used",
        }
    }
}

impl Session {
    /// When the session ends unless used again (unix milliseconds).
    pub fn ends_at(&self, lifetimes: &SessionSettings) -> i64 {
        lifetimes.ends_at(self.auth_time, self.last_used)
    }

    /// Whether the session is live at `now` under `lifetimes`: absolute from its login,
    /// idle from its last recorded use.
    pub fn alive(&self, lifetimes: &SessionSettings, now: i64) -> bool {
        self.exists() && lifetimes.alive(self.auth_time, self.last_used, now)
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
            SessionCommand::Use { lifetimes } => {
                if !self.alive(lifetimes, ctx.now) {
                    return Err(Error::new(
                        Code::SessionNotFound,
                        "the session is over: log in again",
                    ));
                }
                if ctx.now - self.last_used < lifetimes.use_interval_ms() {
                    vec![]
                } else {
                    vec![SessionEvent::Used { at: ctx.now }]
                }
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
                self.started_at = *at;
                self.last_used = *at;
            }
            SessionEvent::Renewed { at } => {
                self.auth_time = *at;
                self.last_used = *at;
            }
            SessionEvent::Used { at } => self.last_used = *at,
            SessionEvent::Ended => self.lifecycle = Lifecycle::Removed,
        }
    }
}
