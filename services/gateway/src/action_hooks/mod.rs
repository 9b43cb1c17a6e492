//! Actions that Portcullis calls inline (`call` targets): in the token flow, where they append
//! claims ([`claims`]), and around API calls, where they may change a request or an answer
//! ([`api`]). A target that fails is skipped, or stops what called it when it is
//! `interrupt_on_error` (`ACTION-0007`). The instance's actions are cached until they change
//! (the client generation).

pub mod api;
pub mod claims;
pub mod grpc;
pub mod methods;
pub mod rest;
pub mod saml;

use std::collections::HashMap;
use std::sync::Arc;

use domain::actions::{Actions, Target};
use domain::{Code, Error};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::generational::{weight, Generational};
use crate::Gateway;

pub use claims::{append_claims, ClaimsFor};

/// The instances' actions, for one client generation.
pub type ActionCache = Generational<HashMap<String, Arc<Actions>>>;

/// The instance's actions (cached until they change).
async fn actions_of(gw: &Gateway, instance: &str) -> Result<Arc<Actions>, Error> {
    let generation = gw.model.progress().client_generation();
    if let Some(a) = gw.actions.with(generation, |m| m.get(instance).cloned()) {
        return Ok(a);
    }
    let actions = Arc::new(gw.bus.actions(instance).await?);
    let bytes = weight(&[instance]) + actions.targets.len() * 512;
    gw.actions.put(generation, bytes, |m| {
        m.insert(instance.to_string(), actions.clone());
    });
    Ok(actions)
}

/// Calls a `call` target with `body` (JSON): its answer, when it is 2xx and of the shape `A`,
/// or why not.
pub(crate) async fn call_hook<A: DeserializeOwned>(
    gw: &Gateway,
    instance: &str,
    (target_id, target): (&str, &Target),
    body: &impl Serialize,
    called_for: &str,
) -> Result<A, String> {
    let body = serde_json::to_vec(body).map_err(|e| format!("the call cannot be encoded: {e}"))?;
    let answer = gw
        .bus
        .call_target(instance, (target_id, target), body, called_for)
        .await
        .map_err(|e| e.message)?;
    match answer.status {
        200..=299 => serde_json::from_str::<A>(&answer.body).map_err(|e| {
            format!(
                "{} answered what is not a hook's answer: {e}",
                target.endpoint
            )
        }),
        status => Err(format!("{} answered {status}", target.endpoint)),
    }
}

/// Calls the `call` targets of `function`'s execution of the instance, in order: each is sent
/// what `body` makes of `state` (so far), and what it answers (`A`) is applied to `state` by
/// `apply`. A target that fails is skipped, or stops the function (`ACTION-0007`) when it is
/// `interrupt_on_error`.
pub(crate) async fn call_function<S, A, B>(
    gw: &Gateway,
    instance: &str,
    function: domain::actions::Function,
    state: &mut S,
    body: impl Fn(&S) -> B,
    apply: impl Fn(&mut S, &str, A),
) -> Result<(), Error>
where
    A: DeserializeOwned,
    B: Serialize,
{
    let actions = actions_of(gw, instance).await?;
    let key = domain::actions::Condition::Function(function).key();
    let Some(execution) = actions.executions.get(&key) else {
        return Ok(());
    };
    for (target_id, target) in execution
        .targets
        .iter()
        .filter_map(|id| Some((id, actions.targets.get(id)?)))
    {
        let sent = body(state);
        match call_hook::<A>(gw, instance, (target_id, target), &sent, function.name()).await {
            Ok(answer) => apply(state, target_id, answer),
            Err(why) => skip_or_interrupt(instance, target_id, target, why)?,
        }
    }
    Ok(())
}

/// A target that failed: skipped (logged), or, when it is `interrupt_on_error`, the end of what
/// called it (`ACTION-0007`).
pub(crate) fn skip_or_interrupt(
    instance: &str,
    target_id: &str,
    target: &Target,
    why: String,
) -> Result<(), Error> {
    if target.interrupt_on_error {
        return Err(Error::new(
            Code::ActionInterrupted,
            format!("the action {} failed: {why}", target.name),
        )
        .with("target_id", target_id));
    }
    tracing::warn!(instance, target_id, error = %why, "an action failed and was skipped");
    Ok(())
}
