//! A plan of new aggregates decided by the pure domain and appended in one atomic, durable
//! step per partition (the first start's setup, a new instance). Each aggregate's commands run through `decide` and `apply`
//! exactly as an actor would run them.

use authz::Caller;
use domain::{Aggregate, AggregateKey, Code, Ctx};
use std::collections::BTreeMap;

use eventlog::position::{partition_for, Positions};
use eventlog::{Append, StreamId};

use crate::actor::{to_log, Written};

pub struct Plan {
    caller: Caller,
    now: i64,
    pub appends: Vec<Append>,
}

impl Plan {
    pub fn new(caller: Caller, now: i64) -> Plan {
        Plan {
            caller,
            now,
            appends: Vec::new(),
        }
    }

    /// Decides `commands` on a new aggregate `A` with this id and adds its events to the plan.
    pub fn new_aggregate<A: Aggregate>(
        &mut self,
        instance: &str,
        id: &str,
        commands: Vec<A::Command>,
    ) -> domain::Result<()> {
        let key = AggregateKey {
            instance: instance.to_string(),
            kind: A::KIND,
            id: id.to_string(),
        };
        let mut state = A::default();
        let mut events = Vec::new();
        for cmd in commands {
            let decided = state.decide(
                &cmd,
                Ctx {
                    key: &key,
                    caller: &self.caller,
                    now: self.now,
                },
            )?;
            for e in &decided {
                state.apply(e);
            }
            events.extend(decided);
        }
        self.appends.push(Append {
            stream: StreamId::new(instance, A::KIND, id),
            expected_version: 0,
            events: to_log(&events, &self.caller, self.now),
            owners: state
                .owners()
                .into_iter()
                .chain(events.iter().flat_map(A::event_owners))
                .collect(),
        });
        Ok(())
    }
}

/// What appending a plan did.
pub struct PlanWritten {
    pub written: Written,
    /// Shares found written already by an earlier run of the same plan (same ids).
    pub found: usize,
}

impl crate::CommandBus {
    /// Appends a plan's new aggregates. On one partition that is one atomic step. Across
    /// partitions each partition's share is atomic, and the share holding the plan's first
    /// aggregate (the one that makes the others reachable: the instance) is appended last,
    /// so a failure midway leaves only aggregates that nothing reaches. With `may_exist`, a
    /// share whose streams exist already was written by an earlier run of the same plan (the
    /// same ids: a retry, or another node making the same plan) and is taken as written.
    /// With `not_after` (unix milliseconds), no share is appended after then.
    pub async fn append_plan(
        &self,
        appends: Vec<Append>,
        may_exist: bool,
        not_after: Option<i64>,
    ) -> domain::Result<PlanWritten> {
        let mut done = PlanWritten {
            written: Written {
                sequence: 0,
                position: Positions::default(),
            },
            found: 0,
        };
        let Some(first) = appends.first() else {
            return Ok(done);
        };
        let partitions = self.placement.partitions();
        let home = partition_for(&first.stream.id, partitions);
        let mut shares: BTreeMap<i32, Vec<Append>> = BTreeMap::new();
        for a in appends {
            shares
                .entry(partition_for(&a.stream.id, partitions))
                .or_default()
                .push(a);
        }
        let last = shares.remove(&home).unwrap_or_default();
        for share in shares.into_values().chain([last]) {
            match self.append_new(share, not_after).await {
                Ok(appended) => {
                    done.written.sequence = appended.first().map_or(0, |a| a.version);
                    for a in appended {
                        done.written.position.add(a.position);
                    }
                }
                Err(e) if may_exist && e.code == Code::VersionConflict => done.found += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}
