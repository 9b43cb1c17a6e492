//! What the event delivery records: a target's checkpoint, its deliveries given up, and the
//! replays asked for (each target's own aggregate, so that its deliveries write nothing to the
//! instance's).

use std::time::Duration;

use authz::Caller;
use crypto::sealing::Purpose;
use domain::action_delivery::{ActionDelivery, DeliveryCommand};
use domain::actions::Target;
use domain::{Aggregate, Error};

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
    /// or why it could not be called. Counted in the metrics by what called it (`called_for`:
    /// `event`, `preaccesstoken`).
    pub async fn call_target(
        &self,
        instance: &str,
        target: &Target,
        body: Vec<u8>,
        called_for: &str,
    ) -> Result<notify::web::Answer, String> {
        let key = unseal(
            self.master_key().map_err(|e| e.message)?,
            Purpose::CallSigningKey,
            instance,
            &target.sealed_signing_key,
        )
        .map_err(|e| e.message)?;
        let answer = notify::web::post_signed(
            &target.endpoint,
            body,
            &key,
            now_ms() / 1000,
            Duration::from_millis(u64::from(target.timeout_ms)),
            self.allow_private_hosts,
        )
        .await;
        let outcome = match &answer {
            Ok(a) if (200..300).contains(&a.status) => "delivered",
            Ok(_) => "refused",
            Err(_) => "unreachable",
        };
        self.deps.metrics.action_call(called_for, outcome);
        answer
    }
}
