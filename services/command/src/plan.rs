//! A plan of new aggregates decided by the pure domain and appended in one atomic, durable
//! step (the first start's setup). Each aggregate's commands run through `decide` and `apply`
//! exactly as an actor would run them.

use authz::Caller;
use domain::{Aggregate, AggregateKey, Ctx};
use eventlog::{Append, StreamId};

use crate::actor::to_log;

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
