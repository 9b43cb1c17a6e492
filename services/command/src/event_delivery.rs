//! What the event delivery records: a target's checkpoint, its deliveries given up, and the
//! replays asked for (each target's own aggregate, so that its deliveries write nothing to the
//! instance's).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use authz::Caller;
use crypto::sealing::Purpose;
use domain::action_delivery::{ActionDelivery, DeliveryCommand};
use domain::actions::Target;
use domain::circuit::Circuit;
use domain::{Aggregate, Error};

use tracing::Instrument;

use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::codes::{outbox_caller, unseal};
use crate::sagas::key;
use crate::Written;

impl CommandBus {
    /// How far a target's deliveries got, and what they gave up.
    pub async fn delivery(&self, instance: &str, target_id: &str) -> Result<ActionDelivery, Error> {
        let k = key(instance, ActionDelivery::KIND, target_id);
        Ok(self.state::<ActionDelivery>(&k).await?.0)
    }

    /// Records what a delivery did (a checkpoint, a delivery given up, a replay's outcome).
    pub async fn record_delivery(
        &self,
        instance: &str,
        target_id: &str,
        cmd: DeliveryCommand,
    ) -> Result<Written, Error> {
        let k = key(instance, ActionDelivery::KIND, target_id);
        self.execute::<ActionDelivery>(&k, &outbox_caller(instance), cmd, None)
            .await
    }

    /// Asks for a delivery given up to be tried again (`action.target.write`).
    pub async fn replay_delivery(
        &self,
        caller: &Caller,
        instance: &str,
        target_id: &str,
        delivery_id: &str,
    ) -> Result<Written, Error> {
        let k = key(instance, ActionDelivery::KIND, target_id);
        let cmd = DeliveryCommand::Replay {
            id: delivery_id.to_string(),
        };
        self.execute::<ActionDelivery>(&k, caller, cmd, None).await
    }

    /// POSTs `body` to a target, signed with its key, within its timeout: what it answered,
    /// or why it could not be called. Traced (an `action.call` span with the target and the
    /// outcome) and counted in the metrics by what called it (`called_for`: `event`,
    /// `preaccesstoken`...). An endpoint whose circuit is open is not called (see
    /// [`domain::circuit`]): the error says how long it stays open; nor one with
    /// [`MAX_CALLS_IN_FLIGHT`] calls under way.
    pub async fn call_target(
        &self,
        instance: &str,
        (target_id, target): (&str, &Target),
        body: Vec<u8>,
        called_for: &str,
    ) -> Result<notify::web::Answer, CallError> {
        let span = tracing::info_span!(
            "action.call",
            instance,
            target_id,
            endpoint = %target.endpoint,
            called_for,
            outcome = tracing::field::Empty,
        );
        let answer = self
            .call_endpoint(instance, target, body, called_for)
            .instrument(span.clone())
            .await;
        let outcome = match &answer {
            Ok(a) if (200..300).contains(&a.status) => "delivered",
            Ok(_) => "refused",
            Err(e) => e.outcome,
        };
        span.record("outcome", outcome);
        answer
    }

    async fn call_endpoint(
        &self,
        instance: &str,
        target: &Target,
        body: Vec<u8>,
        called_for: &str,
    ) -> Result<notify::web::Answer, CallError> {
        let endpoint = format!("{instance} {}", target.endpoint);
        let admitted = self
            .endpoints
            .lock()
            .expect("the endpoints")
            .entry(endpoint.clone())
            .or_default()
            .admit(now_ms());
        let refused = match admitted {
            Ok(()) => None,
            Err(Refusal::Open { wait_ms }) => Some((
                "circuit_open",
                format!(
                    "{} failed {} times in a row: not called for {wait_ms} ms",
                    target.endpoint,
                    domain::circuit::FAILURES_TO_OPEN
                ),
                Some(Duration::from_millis(wait_ms.max(1) as u64)),
            )),
            Err(Refusal::Busy) => Some((
                "busy",
                format!(
                    "{} has {MAX_CALLS_IN_FLIGHT} calls waiting on it already (is it calling back into what calls it?)",
                    target.endpoint
                ),
                None,
            )),
        };
        if let Some((outcome, message, open_for)) = refused {
            self.deps.metrics.action_call(called_for, outcome);
            return Err(CallError {
                message,
                open_for,
                outcome,
            });
        }
        let guard = InFlight {
            endpoints: &self.endpoints,
            key: endpoint,
        };
        let answer = self.post_to(instance, target, body).await;
        let delivered = matches!(&answer, Ok(a) if (200..300).contains(&a.status));
        let outcome = match &answer {
            _ if delivered => "delivered",
            Ok(_) => "refused",
            Err(_) => "unreachable",
        };
        self.deps.metrics.action_call(called_for, outcome);
        guard.done(delivered);
        answer.map_err(|message| CallError {
            message,
            open_for: None,
            outcome,
        })
    }

    async fn post_to(
        &self,
        instance: &str,
        target: &Target,
        body: Vec<u8>,
    ) -> Result<notify::web::Answer, String> {
        let key = unseal(
            self.master_key().map_err(|e| e.message)?,
            Purpose::CallSigningKey,
            instance,
            &target.sealed_signing_key,
        )
        .map_err(|e| e.message)?;
        notify::web::post_signed(
            &target.endpoint,
            body,
            &key,
            now_ms() / 1000,
            Duration::from_millis(u64::from(target.timeout_ms)),
            self.allow_private_hosts,
        )
        .await
    }
}

/// The most calls waiting on one endpoint at once: a target that calls back into what calls it
/// (a `preaccesstoken` hook asking for a token) stops there, and its circuit ends the loop.
pub const MAX_CALLS_IN_FLIGHT: u32 = 32;

/// What is known of an endpoint that failed lately or is being called.
#[derive(Default)]
pub(crate) struct EndpointState {
    circuit: Circuit,
    in_flight: u32,
}

enum Refusal {
    Open { wait_ms: i64 },
    Busy,
}

impl EndpointState {
    fn admit(&mut self, now_ms: i64) -> Result<(), Refusal> {
        if self.in_flight >= MAX_CALLS_IN_FLIGHT {
            return Err(Refusal::Busy);
        }
        self.circuit
            .admit(now_ms)
            .map_err(|wait_ms| Refusal::Open { wait_ms })?;
        self.in_flight += 1;
        Ok(())
    }
}

/// A call under way: counted until it ends, also when the caller gives up on it (a dropped
/// future); an endpoint with nothing under way and no failure counted is forgotten.
struct InFlight<'a> {
    endpoints: &'a Mutex<HashMap<String, EndpointState>>,
    key: String,
}

impl InFlight<'_> {
    fn done(self, delivered: bool) {
        let mut endpoints = self.endpoints.lock().expect("the endpoints");
        if let Some(e) = endpoints.get_mut(&self.key) {
            match delivered {
                true => e.circuit.succeeded(),
                false => e.circuit.failed(now_ms()),
            }
        }
        drop(endpoints);
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut endpoints = self.endpoints.lock().expect("the endpoints");
        if let Some(e) = endpoints.get_mut(&self.key) {
            e.in_flight = e.in_flight.saturating_sub(1);
            if e.in_flight == 0 && e.circuit == Circuit::default() {
                endpoints.remove(&self.key);
            }
        }
    }
}

/// Why a target was not called or did not answer.
#[derive(Debug)]
pub struct CallError {
    pub message: String,
    /// Set when the endpoint's circuit is open: no call was made, and none is for this long.
    pub open_for: Option<Duration>,
    /// As counted: `unreachable`, `circuit_open` or `busy`.
    pub outcome: &'static str,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
