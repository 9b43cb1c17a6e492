//! Event delivery: every event an execution names goes to its webhook and async targets,
//! read from the audit trail (so nothing recorded is lost by a restart or a crash), each
//! target's in log order per partition (so in order per aggregate), from the checkpoint it
//! recorded last. A webhook target is tried again with exponential backoff and jitter until
//! it answers 2xx, up to [`ATTEMPTS`] times; then the delivery is given up (a dead letter the
//! API lists and can replay) and the next event goes; while the target's endpoint has failed
//! so often that its circuit is open, delivery waits for it instead of spending attempts
//! (`domain::circuit`). An async target is called once. Each target is delivered to on its
//! own, so one failing receiver holds up no other. It runs in `portcullis start`, and in a
//! cluster on the projector.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use command::{CallError, CommandBus};
use domain::action_delivery::{DeliveryCommand, FailedDelivery};
use domain::actions::{Actions, Target, TargetKind};
use eventlog::position::{tag, untag};
use readmodel::{EventFilter, EventRow, ReadModel};

/// How often targets are caught up.
const POLL: Duration = Duration::from_millis(500);
/// Events read at once per partition.
const BATCH: usize = 100;
/// Calls of a webhook target for one event before it is given up.
pub const ATTEMPTS: u32 = 6;
/// The first retry's wait; each one after waits twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The wait before attempt `n` (from 1): doubling, capped, with up to a quarter of jitter.
fn backoff(n: u32) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1 << n.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    let jitter = base.as_millis() as u64 / 4;
    let spread = if jitter == 0 {
        0
    } else {
        u64::from(rand_u32()) % jitter
    };
    base + Duration::from_millis(spread)
}

/// Enough spread for jitter (no secret depends on it).
fn rand_u32() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default()
}

/// How often a delivery waiting on an open circuit reads its target again.
const CIRCUIT_LOOK: Duration = Duration::from_secs(5);

/// How often the instances' targets and executions are looked for.
const DISCOVERY: Duration = Duration::from_secs(1);

type Found = Vec<(String, String, Target, Arc<Actions>)>;

/// Delivers until the process ends.
pub async fn run(bus: Arc<CommandBus>, model: Arc<dyn ReadModel>) {
    let mut running: HashMap<(String, String), actix_web::rt::task::JoinHandle<()>> =
        HashMap::new();
    let mut found: Found = Vec::new();
    let mut discovery = Discovery::default();
    let mut discovered: Option<std::time::Instant> = None;
    loop {
        if discovered.is_none_or(|at| at.elapsed() >= DISCOVERY) {
            match discovery.targets(&bus, &model).await {
                Ok(now) => found = now,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the action targets; trying again")
                }
            }
            discovered = Some(std::time::Instant::now());
        }
        running.retain(|_, task| !task.is_finished());
        for (instance, target_id, target, actions) in &found {
            let key = (instance.clone(), target_id.clone());
            if running.contains_key(&key) {
                continue;
            }
            let round = Round {
                bus: bus.clone(),
                model: model.clone(),
                instance: instance.clone(),
                target_id: target_id.clone(),
                target: target.clone(),
                actions: actions.clone(),
                fresh: false,
            };
            let task = actix_web::rt::spawn(async move {
                let (instance, target_id) = (round.instance.clone(), round.target_id.clone());
                if let Err(e) = round.run().await {
                    tracing::warn!(instance = %instance, target_id = %target_id, error = %e, "event delivery stopped; it goes on from its checkpoint");
                }
            });
            running.insert(key, task);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// What discovery knows of an instance: how far its own events were read from the trail, and
/// its actions as last read from its actor (read again only when the trail shows them
/// changed, so a quiet instance costs one trail query a discovery).
#[derive(Default)]
struct Known {
    after: u64,
    actions: Option<Arc<Actions>>,
}

/// The instances and what is known of them.
#[derive(Default)]
struct Discovery {
    instances: HashMap<String, Known>,
}

impl Discovery {
    /// Every instance's targets that events go to.
    async fn targets(
        &mut self,
        bus: &CommandBus,
        model: &Arc<dyn ReadModel>,
    ) -> Result<Found, domain::Error> {
        let m = model.clone();
        let mut after: Vec<(String, u64)> = Vec::new();
        let ids = tokio::task::spawn_blocking(move || {
            let (mut all, mut cursor) = (Vec::new(), None::<String>);
            loop {
                let page = m.list_instances(1000, cursor.as_deref())?;
                all.extend(page.items.into_iter().map(|i| i.id));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => return Ok::<_, domain::Error>(all),
                }
            }
        })
        .await
        .map_err(|e| domain::Error::internal(format!("the read failed: {e}")))??;
        self.instances.retain(|id, _| ids.contains(id));
        for id in &ids {
            after.push((id.clone(), self.instances.get(id).map_or(0, |k| k.after)));
        }
        // Which instances' actions changed since the last look, from their own events.
        let m = model.clone();
        let changed = tokio::task::spawn_blocking(move || {
            let mut changed = Vec::new();
            for (id, mut from) in after {
                let mut touched = false;
                loop {
                    let filter = EventFilter {
                        aggregate_type: Some("instance".into()),
                        aggregate_id: Some(id.clone()),
                        after_position: from,
                    };
                    let rows = m.events(&id, &filter, 1000)?;
                    touched |= rows
                        .iter()
                        .any(|e| e.event_type.starts_with("instance.action."));
                    let Some(last) = rows.last() else { break };
                    from = last.position;
                    if rows.len() < 1000 {
                        break;
                    }
                }
                changed.push((id, from, touched));
            }
            Ok::<_, domain::Error>(changed)
        })
        .await
        .map_err(|e| domain::Error::internal(format!("the read failed: {e}")))??;
        for (id, from, touched) in changed {
            let known = self.instances.entry(id.clone()).or_default();
            known.after = from;
            if touched {
                known.actions = Some(Arc::new(bus.actions(&id).await?));
            }
        }
        let mut found = Vec::new();
        for (instance, known) in &self.instances {
            let Some(actions) = &known.actions else {
                continue;
            };
            for (id, target) in &actions.targets {
                let named = actions
                    .executions
                    .values()
                    .any(|e| e.condition.on_events() && e.targets.contains(id));
                if named && target.kind != TargetKind::Call {
                    found.push((
                        instance.clone(),
                        id.clone(),
                        target.clone(),
                        actions.clone(),
                    ));
                }
            }
        }
        Ok(found)
    }
}

/// Why a call did not deliver, and whether it counts as one of the event's attempts: a call
/// that found the receiver unreachable once its circuit had opened does not (a receiver that
/// is down for long gets its events when it is back), an answer but 2xx does.
struct Failed {
    message: String,
    counts: bool,
}

impl Failed {
    fn counted(message: String) -> Failed {
        Failed {
            message,
            counts: true,
        }
    }
}

/// One target's catching up: replays asked for, then the events after its checkpoint.
struct Round {
    bus: Arc<CommandBus>,
    model: Arc<dyn ReadModel>,
    instance: String,
    target_id: String,
    /// The target and the executions as last read.
    target: Target,
    actions: Arc<Actions>,
    /// Whether they were read in this round.
    fresh: bool,
}

impl Round {
    /// Reads the target and the executions again before anything is sent (an endpoint
    /// changed a moment ago is called): whether the target still exists.
    async fn refresh(&mut self) -> Result<bool, domain::Error> {
        if !self.fresh {
            let actions = self.bus.actions(&self.instance).await?;
            match actions.targets.get(&self.target_id) {
                Some(t) => self.target = t.clone(),
                None => return Ok(false),
            }
            self.actions = Arc::new(actions);
            self.fresh = true;
        }
        Ok(true)
    }

    async fn run(mut self) -> Result<(), domain::Error> {
        let state = self.bus.delivery(&self.instance, &self.target_id).await?;
        if !state.replays.is_empty() && !self.refresh().await? {
            return Ok(());
        }
        for (id, asked) in &state.replays {
            let outcome = match self.event_at(asked.position).await? {
                Some(event) => self.send_once(&event).await.map_err(|f| f.message),
                None => Err("the event is no longer in the trail".to_string()),
            };
            let cmd = DeliveryCommand::Replayed {
                id: id.clone(),
                failure: outcome.err(),
                at: now_ms(),
            };
            self.bus
                .record_delivery(&self.instance, &self.target_id, cmd)
                .await?;
        }
        // The partitions the read model follows; one a target has no checkpoint in had no
        // event when its execution was set (see `set_execution`): all of it is new.
        let partitions: Vec<i32> = self.model.progress().applied().0.into_keys().collect();
        for partition in partitions {
            let mut after = state
                .checkpoint
                .get(&partition)
                .copied()
                .unwrap_or(tag(partition, 0));
            loop {
                let events = self.events_after(partition, after).await?;
                if events.is_empty() {
                    break;
                }
                if !self.refresh().await? {
                    return Ok(());
                }
                for event in &events {
                    if self
                        .actions
                        .event_targets(&event.event_type)
                        .contains(&self.target_id.as_str())
                    {
                        self.deliver(event).await?;
                    }
                    after = event.position;
                }
                self.advance(BTreeMap::from([(partition, after)])).await?;
            }
        }
        Ok(())
    }

    async fn advance(&self, positions: BTreeMap<i32, u64>) -> Result<(), domain::Error> {
        self.bus
            .record_delivery(
                &self.instance,
                &self.target_id,
                DeliveryCommand::Advance { positions },
            )
            .await
            .map(|_| ())
    }

    /// The partition's events after `after`, in log order.
    async fn events_after(
        &self,
        partition: i32,
        after: u64,
    ) -> Result<Vec<EventRow>, domain::Error> {
        let (m, instance) = (self.model.clone(), self.instance.clone());
        let filter = EventFilter {
            after_position: after,
            ..Default::default()
        };
        let rows = tokio::task::spawn_blocking(move || m.events(&instance, &filter, BATCH))
            .await
            .map_err(|e| domain::Error::internal(format!("the read failed: {e}")))??;
        Ok(rows
            .into_iter()
            .take_while(|e| untag(e.position).0 == partition)
            .collect())
    }

    async fn event_at(&self, position: u64) -> Result<Option<EventRow>, domain::Error> {
        let events = self
            .events_after(untag(position).0, position.saturating_sub(1))
            .await?;
        Ok(events.into_iter().find(|e| e.position == position))
    }

    /// One call with the event, in the shape of `/v1/events`: a 2xx answer or why not. While
    /// the endpoint's circuit is open it waits (reading the target again now and then, so a
    /// mended endpoint is called at once), so an attempt is always a call.
    async fn send_once(&self, event: &EventRow) -> Result<(), Failed> {
        let body = serde_json::to_vec(&gateway::EventView::from(event.clone()))
            .map_err(|e| Failed::counted(format!("the event cannot be encoded: {e}")))?;
        let mut target = self.target.clone();
        let mut waited = false;
        loop {
            let started = std::time::Instant::now();
            let answer = self
                .bus
                .call_target(
                    &self.instance,
                    (&self.target_id, &target),
                    body.clone(),
                    "event",
                )
                .await;
            if let Err(CallError {
                open_for: Some(wait),
                message,
                ..
            }) = &answer
            {
                tracing::info!(instance = %self.instance, target_id = %self.target_id, why = %message, "the target's circuit is open: delivery waits");
                tokio::time::sleep((*wait).min(CIRCUIT_LOOK)).await;
                waited = true;
                let actions = self.bus.actions(&self.instance).await;
                let actions = actions.map_err(|e| Failed::counted(e.message))?;
                match actions.targets.get(&self.target_id) {
                    Some(t) => target = t.clone(),
                    None => return Err(Failed::counted("the target was removed".into())),
                }
                continue;
            }
            let outcome = match &answer {
                Ok(a) if (200..300).contains(&a.status) => "delivered",
                Ok(_) => "refused",
                Err(_) => "unreachable",
            };
            tracing::info!(
                instance = %self.instance,
                target_id = %self.target_id,
                event_type = %event.event_type,
                position = event.position,
                outcome,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "action target called"
            );
            return match answer {
                Ok(a) if (200..300).contains(&a.status) => Ok(()),
                Ok(a) => Err(Failed::counted(format!(
                    "{} answered {}",
                    target.endpoint, a.status
                ))),
                // Down, as its open circuit said: the event is not to blame.
                Err(e) => Err(Failed {
                    message: e.message,
                    counts: !waited,
                }),
            };
        }
    }

    /// Delivers one event: a webhook target until it answers 2xx (or is given up), an async
    /// one once.
    async fn deliver(&self, event: &EventRow) -> Result<(), domain::Error> {
        let attempts = match self.target.kind {
            TargetKind::Webhook => ATTEMPTS,
            TargetKind::Async | TargetKind::Call => 1,
        };
        let (mut made, mut last) = (0, String::new());
        while made < attempts {
            if made > 0 {
                tokio::time::sleep(backoff(made)).await;
            }
            match self.send_once(event).await {
                Ok(()) => return Ok(()),
                Err(f) => {
                    // An async target is called once, whatever came of it.
                    made += u32::from(f.counts || self.target.kind != TargetKind::Webhook);
                    last = f.message;
                }
            }
        }
        if self.target.kind == TargetKind::Webhook {
            let failed = FailedDelivery {
                position: event.position,
                event_type: event.event_type.clone(),
                aggregate_id: event.aggregate_id.clone(),
                attempts,
                error: last,
                at: now_ms(),
            };
            let cmd = DeliveryCommand::GiveUp {
                id: event.position.to_string(),
                failed,
            };
            self.bus
                .record_delivery(&self.instance, &self.target_id, cmd)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_with_some_jitter_up_to_a_cap() {
        for n in 1..=20 {
            let wait = backoff(n);
            let base = FIRST_BACKOFF
                .saturating_mul(1 << (n - 1).min(16))
                .min(MAX_BACKOFF);
            assert!(wait >= base && wait <= base + base / 4, "{n}: {wait:?}");
        }
        assert!(backoff(20) <= MAX_BACKOFF + MAX_BACKOFF / 4);
    }
}
