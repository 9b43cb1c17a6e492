//! The instance's action targets and executions: a target is made with a signing key of its
//! own (sealed with the master key, answered once); its endpoint is one the service may call.

use std::collections::BTreeMap;

use authz::Caller;
use crypto::call_signature::new_signing_key;
use crypto::sealing::Purpose;
use domain::action_delivery::DeliveryCommand;
use domain::actions::{
    ActionCommand, Actions, Condition, Execution, Target, TargetKind, TargetPatch,
};
use domain::instance::{Instance, InstanceCommand};
use domain::{Aggregate, Code, Error};
use eventlog::position::untag;

use crate::bus::CommandBus;
use crate::codes::seal;
use crate::sagas::key;
use crate::Written;

/// A target as the API asks for it.
pub struct NewTarget {
    pub name: String,
    pub endpoint: String,
    pub kind: TargetKind,
    pub timeout_ms: u32,
    pub interrupt_on_error: bool,
}

impl CommandBus {
    async fn change_actions(
        &self,
        caller: &Caller,
        instance: &str,
        cmd: ActionCommand,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let k = key(instance, Instance::KIND, instance);
        self.execute::<Instance>(&k, caller, InstanceCommand::Action(cmd), if_match)
            .await
    }

    /// Adds a target (`action.target.write`) and answers its signing key, never shown again.
    pub async fn add_target(
        &self,
        caller: &Caller,
        instance: &str,
        id: &str,
        t: NewTarget,
    ) -> Result<(Written, String), Error> {
        let checked = domain::sms::endpoint_or(&t.endpoint, Code::InvalidTarget)?;
        self.reachable(&checked, Code::InvalidTarget)?;
        let signing_key = new_signing_key();
        let target = Target {
            name: t.name,
            endpoint: checked.url,
            kind: t.kind,
            timeout_ms: t.timeout_ms,
            interrupt_on_error: t.interrupt_on_error,
            sealed_signing_key: seal(
                self.master_key()?,
                Purpose::CallSigningKey,
                instance,
                &signing_key,
            ),
        };
        let cmd = ActionCommand::AddTarget {
            id: id.to_string(),
            target,
        };
        let written = self.change_actions(caller, instance, cmd, None).await?;
        Ok((written, signing_key))
    }

    /// Changes a target (`action.target.write`); its signing key stays.
    pub async fn change_target(
        &self,
        caller: &Caller,
        instance: &str,
        id: &str,
        patch: TargetPatch,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        if let Some(endpoint) = &patch.endpoint {
            let checked = domain::sms::endpoint_or(endpoint, Code::InvalidTarget)?;
            self.reachable(&checked, Code::InvalidTarget)?;
        }
        let cmd = ActionCommand::ChangeTarget {
            id: id.to_string(),
            patch,
        };
        self.change_actions(caller, instance, cmd, if_match).await
    }

    /// Removes a target (`action.target.delete`) from the instance and every execution.
    pub async fn remove_target(
        &self,
        caller: &Caller,
        instance: &str,
        id: &str,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let cmd = ActionCommand::RemoveTarget { id: id.to_string() };
        self.change_actions(caller, instance, cmd, if_match).await
    }

    /// Sets which targets a condition calls (`action.execution.write`). A target that events
    /// went to under no execution before gets the events from now on: its deliveries start at
    /// the log's heads.
    pub async fn set_execution(
        &self,
        caller: &Caller,
        instance: &str,
        execution: Execution,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let before = self.actions(instance).await?;
        let starting: Vec<&String> = match execution.condition.on_events() {
            true => execution
                .targets
                .iter()
                .filter(|t| before.targets.contains_key(*t))
                .filter(|t| {
                    !before
                        .executions
                        .values()
                        .any(|e| e.condition.on_events() && e.targets.contains(t))
                })
                .collect(),
            false => Vec::new(),
        };
        // Before the execution is written, so that no delivery ever starts without it.
        if !starting.is_empty() {
            let positions: BTreeMap<i32, u64> = self
                .heads()
                .await?
                .into_iter()
                .map(|h| (untag(h).0, h))
                .collect();
            for target in starting {
                let cmd = DeliveryCommand::Advance {
                    positions: positions.clone(),
                };
                self.record_delivery(instance, target, cmd).await?;
            }
        }
        let cmd = ActionCommand::SetExecution(execution);
        let written = self.change_actions(caller, instance, cmd, if_match).await?;
        Ok(written)
    }

    /// Removes a condition's execution (`action.execution.write`).
    pub async fn remove_execution(
        &self,
        caller: &Caller,
        instance: &str,
        condition: Condition,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let cmd = ActionCommand::RemoveExecution(condition);
        self.change_actions(caller, instance, cmd, if_match).await
    }

    /// The instance's targets and executions (signing keys sealed).
    pub async fn actions(&self, instance: &str) -> Result<Actions, Error> {
        let (own, _) = self
            .state::<Instance>(&key(instance, Instance::KIND, instance))
            .await?;
        Ok(own.actions)
    }
}
