//! The instance's action targets (`action.target.*`) and executions (`action.execution.*`),
//! read from the instance's actor (so what was just written is read back).

use authz::{Permission, Target as Place};
use command::NewTarget;
use domain::actions::{Condition, Execution, TargetPatch, DEFAULT_TIMEOUT_MS};
use domain::{Code, Error};

use super::{new_id, reply, require};
use crate::auth::Authenticated;
use crate::views::actions::{
    kind, ConditionBody, DeliveryView, ExecutionView, ItemsView, TargetAddedView, TargetView,
};
use crate::views::WriteReply;
use crate::Gateway;

/// The caller holds `permission` on the instance.
fn may(gw: &Gateway, auth: &Authenticated, permission: Permission) -> Result<(), Error> {
    let instance = Place::Instance {
        instance: &auth.instance,
    };
    require(gw, auth, permission, instance)
}

/// A target as the API receives it.
pub struct TargetInput {
    pub name: String,
    pub endpoint: String,
    pub kind: String,
    pub timeout_ms: Option<u32>,
    pub interrupt_on_error: bool,
}

/// Adds a target; its signing key is answered this once.
pub async fn add_target(
    gw: &Gateway,
    auth: &Authenticated,
    t: TargetInput,
) -> Result<TargetAddedView, Error> {
    may(gw, auth, Permission::ACTION_TARGET_WRITE)?;
    let target = NewTarget {
        name: t.name,
        endpoint: t.endpoint,
        kind: kind(&t.kind)?,
        timeout_ms: t.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
        interrupt_on_error: t.interrupt_on_error,
    };
    let id = new_id();
    let (w, signing_key) = gw
        .bus
        .add_target(&auth.caller, &auth.instance, &id, target)
        .await?;
    Ok(TargetAddedView {
        id,
        signing_key,
        sequence: w.sequence,
        position: w.position.to_string(),
    })
}

pub async fn list_targets(
    gw: &Gateway,
    auth: &Authenticated,
) -> Result<ItemsView<TargetView>, Error> {
    may(gw, auth, Permission::ACTION_TARGET_READ)?;
    let actions = gw.bus.actions(&auth.instance).await?;
    Ok(ItemsView {
        items: actions
            .targets
            .iter()
            .map(|(id, t)| TargetView::of(id, t))
            .collect(),
    })
}

pub async fn get_target(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<TargetView, Error> {
    may(gw, auth, Permission::ACTION_TARGET_READ)?;
    let actions = gw.bus.actions(&auth.instance).await?;
    actions
        .targets
        .get(id)
        .map(|t| TargetView::of(id, t))
        .ok_or_else(|| {
            Error::new(Code::TargetNotFound, format!("no target {id}")).with("target_id", id)
        })
}

pub async fn change_target(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    patch: TargetPatch,
) -> Result<WriteReply, Error> {
    may(gw, auth, Permission::ACTION_TARGET_WRITE)?;
    let w = gw
        .bus
        .change_target(&auth.caller, &auth.instance, id, patch, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

pub async fn remove_target(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
) -> Result<WriteReply, Error> {
    may(gw, auth, Permission::ACTION_TARGET_DELETE)?;
    let w = gw
        .bus
        .remove_target(&auth.caller, &auth.instance, id, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

pub async fn set_execution(
    gw: &Gateway,
    auth: &Authenticated,
    condition: ConditionBody,
    targets: Vec<String>,
) -> Result<WriteReply, Error> {
    may(gw, auth, Permission::ACTION_EXECUTION_WRITE)?;
    let execution = Execution {
        condition: condition.try_into()?,
        targets,
    };
    let w = gw
        .bus
        .set_execution(&auth.caller, &auth.instance, execution, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

pub async fn list_executions(
    gw: &Gateway,
    auth: &Authenticated,
) -> Result<ItemsView<ExecutionView>, Error> {
    may(gw, auth, Permission::ACTION_EXECUTION_READ)?;
    let actions = gw.bus.actions(&auth.instance).await?;
    Ok(ItemsView {
        items: actions
            .executions
            .values()
            .map(ExecutionView::from)
            .collect(),
    })
}

pub async fn remove_execution(
    gw: &Gateway,
    auth: &Authenticated,
    condition: ConditionBody,
) -> Result<WriteReply, Error> {
    may(gw, auth, Permission::ACTION_EXECUTION_WRITE)?;
    let condition: Condition = condition.try_into()?;
    let w = gw
        .bus
        .remove_execution(&auth.caller, &auth.instance, condition, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

fn existing_target(actions: &domain::actions::Actions, id: &str) -> Result<(), Error> {
    actions
        .targets
        .contains_key(id)
        .then_some(())
        .ok_or_else(|| {
            Error::new(Code::TargetNotFound, format!("no target {id}")).with("target_id", id)
        })
}

/// A target's deliveries given up, and those being tried again. `action.target.read`.
pub async fn list_deliveries(
    gw: &Gateway,
    auth: &Authenticated,
    target_id: &str,
) -> Result<ItemsView<DeliveryView>, Error> {
    may(gw, auth, Permission::ACTION_TARGET_READ)?;
    existing_target(&gw.bus.actions(&auth.instance).await?, target_id)?;
    let d = gw.bus.delivery(&auth.instance, target_id).await?;
    let given_up = d
        .failed
        .iter()
        .map(|(id, f)| DeliveryView::of(id, "given_up", f));
    let replaying = d
        .replays
        .iter()
        .map(|(id, f)| DeliveryView::of(id, "replaying", f));
    Ok(ItemsView {
        items: given_up.chain(replaying).collect(),
    })
}

/// Tries a delivery given up again. `action.target.write`.
pub async fn replay_delivery(
    gw: &Gateway,
    auth: &Authenticated,
    target_id: &str,
    delivery_id: &str,
) -> Result<WriteReply, Error> {
    may(gw, auth, Permission::ACTION_TARGET_WRITE)?;
    existing_target(&gw.bus.actions(&auth.instance).await?, target_id)?;
    let w = gw
        .bus
        .replay_delivery(&auth.caller, &auth.instance, target_id, delivery_id)
        .await?;
    Ok(reply(None, w))
}
