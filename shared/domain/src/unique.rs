//! The UniqueConstraint aggregate: one per normalized value (a login name in an instance, an
//! org name, an instance domain). Claimed by one owner at a time; sagas claim before they act
//! and release on failure or removal. A claim whose holder never came to hold the value (its
//! saga was cut off between the claim and the act) is taken over by the next claimant once it
//! is old enough that the holder's act can no longer land ([`UniqueCommand::Reclaim`]).

use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unique {
    pub owner: Option<String>,
    /// When the current owner claimed it (unix milliseconds; 0 for claims written before
    /// claims recorded it).
    #[serde(default)]
    pub claimed_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UniqueCommand {
    /// Claims the value for `owner`; `taken` is the error code when another owner holds it.
    Claim { owner: String, taken: Code },
    /// Claims the value for `owner` although `stale` holds it, if `stale` has held it for
    /// `after_ms` at least (the caller found that `stale` never came to hold the value);
    /// refused with `taken` otherwise. Claiming for the owner that holds it does nothing.
    Reclaim {
        stale: String,
        owner: String,
        taken: Code,
        after_ms: i64,
    },
    /// Releases the value if `owner` holds it; otherwise does nothing.
    Release { owner: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UniqueEvent {
    Claimed {
        owner: String,
        /// When (unix milliseconds; 0 in claims written before claims recorded it).
        #[serde(default)]
        at: i64,
    },
    Released {
        owner: String,
    },
}

impl EventType for UniqueEvent {
    fn event_type(&self) -> &'static str {
        match self {
            UniqueEvent::Claimed { .. } => "unique.claimed",
            UniqueEvent::Released { .. } => "unique.released",
        }
    }
}

/// The id of the constraint aggregate for a value in a namespace (`login`, `org`, `domain`).
pub fn unique_id(namespace: &str, normalized: &str) -> String {
    format!("{namespace}:{normalized}")
}

impl Aggregate for Unique {
    const KIND: &'static str = "unique";
    type Command = UniqueCommand;
    type Event = UniqueEvent;

    fn exists(&self) -> bool {
        self.owner.is_some()
    }

    fn access<'a>(&'a self, _key: &'a AggregateKey, _cmd: &'a UniqueCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(&self, cmd: &UniqueCommand, ctx: Ctx<'_>) -> Result<Vec<UniqueEvent>> {
        let claimed = |owner: &String| UniqueEvent::Claimed {
            owner: owner.clone(),
            at: ctx.now,
        };
        Ok(match (cmd, &self.owner) {
            (
                UniqueCommand::Claim { owner, .. } | UniqueCommand::Reclaim { owner, .. },
                Some(current),
            ) if current == owner => vec![],
            (
                UniqueCommand::Reclaim {
                    stale,
                    owner,
                    after_ms,
                    ..
                },
                Some(current),
            ) if current == stale && ctx.now - self.claimed_at >= *after_ms => vec![
                UniqueEvent::Released {
                    owner: stale.clone(),
                },
                claimed(owner),
            ],
            (
                UniqueCommand::Claim { taken, .. } | UniqueCommand::Reclaim { taken, .. },
                Some(_),
            ) => {
                let value = ctx
                    .key
                    .id
                    .split_once(':')
                    .map_or(ctx.key.id.as_str(), |(_, v)| v);
                return Err(
                    Error::new(*taken, format!("{value:?} is taken: choose another"))
                        .with("value", value),
                );
            }
            (UniqueCommand::Claim { owner, .. } | UniqueCommand::Reclaim { owner, .. }, None) => {
                vec![claimed(owner)]
            }
            (UniqueCommand::Release { owner }, Some(current)) if current == owner => {
                vec![UniqueEvent::Released {
                    owner: owner.clone(),
                }]
            }
            (UniqueCommand::Release { .. }, _) => vec![],
        })
    }

    fn apply(&mut self, event: &UniqueEvent) {
        match event {
            UniqueEvent::Claimed { owner, at } => {
                self.owner = Some(owner.clone());
                self.claimed_at = *at;
            }
            UniqueEvent::Released { .. } => {
                self.owner = None;
                self.claimed_at = 0;
            }
        }
    }
}
