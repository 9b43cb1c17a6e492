//! The UniqueConstraint aggregate: one per normalized value (a login name in an instance, an
//! org name, an instance domain). Claimed by one owner at a time; sagas claim before they act
//! and release on failure or removal.

use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unique {
    pub owner: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UniqueCommand {
    /// Claims the value for `owner`; `taken` is the error code when another owner holds it.
    Claim { owner: String, taken: Code },
    /// Releases the value if `owner` holds it; otherwise does nothing.
    Release { owner: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UniqueEvent {
    Claimed { owner: String },
    Released { owner: String },
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
        Ok(match (cmd, &self.owner) {
            (UniqueCommand::Claim { owner, .. }, Some(current)) if current == owner => vec![],
            (UniqueCommand::Claim { taken, .. }, Some(_)) => {
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
            (UniqueCommand::Claim { owner, .. }, None) => vec![UniqueEvent::Claimed {
                owner: owner.clone(),
            }],
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
            UniqueEvent::Claimed { owner } => self.owner = Some(owner.clone()),
            UniqueEvent::Released { .. } => self.owner = None,
        }
    }
}
