//! What became of a target's event deliveries: how far it got in each log partition (its
//! checkpoint, so a restart or a crash resumes there), and the deliveries given up (its
//! dead letters), each of which may be replayed. One aggregate per target.

use std::collections::BTreeMap;

use authz::{Permission, Requirement, Target};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};

/// A delivery given up: the event, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedDelivery {
    /// The event's position in the log.
    pub position: u64,
    pub event_type: String,
    pub aggregate_id: String,
    pub attempts: u32,
    /// The last attempt's error (what the receiver answered, or why it could not be called).
    pub error: String,
    /// When it was given up (unix milliseconds).
    pub at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionDelivery {
    /// The last position delivered (or given up) of each log partition.
    pub checkpoint: BTreeMap<i32, u64>,
    /// Deliveries given up, by id.
    pub failed: BTreeMap<String, FailedDelivery>,
    /// Given-up deliveries to try again, by id.
    pub replays: BTreeMap<String, FailedDelivery>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryCommand {
    /// The deliveries got this far (positions never go back).
    Advance { positions: BTreeMap<i32, u64> },
    /// A delivery is given up.
    GiveUp { id: String, failed: FailedDelivery },
    /// A delivery given up is to be tried again (`action.target.write`).
    Replay { id: String },
    /// A replayed delivery was delivered (`failure` absent) or failed again.
    Replayed {
        id: String,
        failure: Option<String>,
        at: i64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryEvent {
    Advanced { positions: BTreeMap<i32, u64> },
    GivenUp { id: String, failed: FailedDelivery },
    ReplayAsked { id: String },
    Redelivered { id: String },
}

impl EventType for DeliveryEvent {
    fn event_type(&self) -> &'static str {
        match self {
            DeliveryEvent::Advanced { .. } => "action.delivery.advanced",
            DeliveryEvent::GivenUp { .. } => "action.delivery.given_up",
            DeliveryEvent::ReplayAsked { .. } => "action.delivery.replay_asked",
            DeliveryEvent::Redelivered { .. } => "action.delivery.redelivered",
        }
    }
}

impl Aggregate for ActionDelivery {
    const KIND: &'static str = "action_delivery";
    type Command = DeliveryCommand;
    type Event = DeliveryEvent;

    fn exists(&self) -> bool {
        true
    }

    fn access<'a>(&'a self, key: &'a AggregateKey, cmd: &'a DeliveryCommand) -> Access<'a> {
        match cmd {
            DeliveryCommand::Replay { .. } => Access::Check(
                Requirement::plain(Permission::ACTION_TARGET_WRITE),
                Target::Instance {
                    instance: &key.instance,
                },
            ),
            // The delivery itself records the rest.
            DeliveryCommand::Advance { .. }
            | DeliveryCommand::GiveUp { .. }
            | DeliveryCommand::Replayed { .. } => Access::ServiceOnly,
        }
    }

    fn decide(&self, cmd: &DeliveryCommand, _: Ctx<'_>) -> Result<Vec<DeliveryEvent>> {
        Ok(match cmd {
            DeliveryCommand::Advance { positions } => {
                let forward: BTreeMap<i32, u64> = positions
                    .iter()
                    .filter(|(p, at)| self.checkpoint.get(p).is_none_or(|seen| *at > seen))
                    .map(|(p, at)| (*p, *at))
                    .collect();
                if forward.is_empty() {
                    vec![]
                } else {
                    vec![DeliveryEvent::Advanced { positions: forward }]
                }
            }
            DeliveryCommand::GiveUp { id, failed } => vec![DeliveryEvent::GivenUp {
                id: id.clone(),
                failed: failed.clone(),
            }],
            DeliveryCommand::Replay { id } => {
                if !self.failed.contains_key(id) {
                    return Err(Error::new(
                        Code::DeliveryNotFound,
                        format!("no delivery {id} was given up"),
                    )
                    .with("delivery_id", id));
                }
                vec![DeliveryEvent::ReplayAsked { id: id.clone() }]
            }
            DeliveryCommand::Replayed { id, failure, at } => {
                let Some(asked) = self.replays.get(id) else {
                    return Ok(vec![]);
                };
                match failure {
                    None => vec![DeliveryEvent::Redelivered { id: id.clone() }],
                    Some(error) => vec![DeliveryEvent::GivenUp {
                        id: id.clone(),
                        failed: FailedDelivery {
                            attempts: asked.attempts + 1,
                            error: error.clone(),
                            at: *at,
                            ..asked.clone()
                        },
                    }],
                }
            }
        })
    }

    fn apply(&mut self, event: &DeliveryEvent) {
        match event {
            DeliveryEvent::Advanced { positions } => {
                for (p, at) in positions {
                    let seen = self.checkpoint.entry(*p).or_insert(*at);
                    *seen = (*seen).max(*at);
                }
            }
            DeliveryEvent::GivenUp { id, failed } => {
                self.replays.remove(id);
                self.failed.insert(id.clone(), failed.clone());
            }
            DeliveryEvent::ReplayAsked { id } => {
                if let Some(f) = self.failed.remove(id) {
                    self.replays.insert(id.clone(), f);
                }
            }
            DeliveryEvent::Redelivered { id } => {
                self.replays.remove(id);
            }
        }
    }
}
