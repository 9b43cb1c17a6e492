//! The token flow's actions: before an access token is made, the `call` targets of the
//! `preaccesstoken` execution are called in order, each with the token's claims so far, and
//! may append claims (and log claims) to it. A target that fails (an answer but 2xx, no answer
//! within its timeout, an answer that is not JSON or is longer than 64 KiB) stops the token
//! when it is `interrupt_on_error` (`temporarily_unavailable`, `ACTION-0007`), and is skipped
//! otherwise. No claim the token has already (`sub`, `aud`, `exp`...) is ever replaced. The
//! instance's actions are cached until they change (the client generation).

use std::collections::HashMap;
use std::sync::Arc;

use domain::actions::{Actions, Condition, Function};
use domain::{Code, Error};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::generational::{weight, Generational};
use crate::Gateway;

/// The instances' actions, for one client generation.
pub type ActionCache = Generational<HashMap<String, Arc<Actions>>>;

/// Where the log claims of the targets go.
pub const LOG_CLAIM: &str = "urn:portcullis:action:log";

/// What a `preaccesstoken` target is sent.
#[derive(Serialize)]
struct PreAccessToken<'a> {
    function: &'static str,
    instance_id: &'a str,
    user_id: &'a str,
    client_id: &'a str,
    scope: &'a [String],
    /// The token's claims so far.
    claims: &'a Map<String, Value>,
}

#[derive(Deserialize)]
struct AppendedClaim {
    key: String,
    value: Value,
}

/// What a target answers.
#[derive(Deserialize)]
struct HookAnswer {
    #[serde(default)]
    append_claims: Vec<AppendedClaim>,
    #[serde(default)]
    append_log_claims: Vec<String>,
}

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

/// Calls the `preaccesstoken` targets of the instance, appending what they answer to `claims`.
pub async fn pre_access_token(
    gw: &Gateway,
    instance: &str,
    user_id: &str,
    client_id: &str,
    scope: &[String],
    claims: &mut Map<String, Value>,
) -> Result<(), Error> {
    let actions = actions_of(gw, instance).await?;
    let key = Condition::Function(Function::Preaccesstoken).key();
    let Some(execution) = actions.executions.get(&key) else {
        return Ok(());
    };
    for target_id in &execution.targets {
        let Some(target) = actions.targets.get(target_id) else {
            continue;
        };
        let body = PreAccessToken {
            function: Function::Preaccesstoken.name(),
            instance_id: instance,
            user_id,
            client_id,
            scope,
            claims,
        };
        let body = serde_json::to_vec(&body).map_err(|e| Error::internal(e.to_string()))?;
        let answer = gw
            .bus
            .call_target(instance, target, body, "preaccesstoken")
            .await
            .and_then(|a| match a.status {
                200..=299 => serde_json::from_str::<HookAnswer>(&a.body).map_err(|e| {
                    format!(
                        "{} answered what is not a hook's answer: {e}",
                        target.endpoint
                    )
                }),
                status => Err(format!("{} answered {status}", target.endpoint)),
            });
        match answer {
            Ok(a) => {
                for c in a.append_claims {
                    if claims.contains_key(&c.key) {
                        tracing::warn!(instance, target_id = %target_id, claim = %c.key, "an action may not replace a claim; it is kept");
                        continue;
                    }
                    claims.insert(c.key, c.value);
                }
                if !a.append_log_claims.is_empty() {
                    let log = claims
                        .entry(LOG_CLAIM)
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(log) = log {
                        log.extend(a.append_log_claims.into_iter().map(Value::String));
                    }
                }
            }
            Err(why) if target.interrupt_on_error => {
                return Err(Error::new(
                    Code::ActionInterrupted,
                    format!("the action {} failed: {why}", target.name),
                )
                .with("target_id", target_id.as_str()));
            }
            Err(why) => {
                tracing::warn!(instance, target_id = %target_id, error = %why, "an action failed and was skipped");
            }
        }
    }
    Ok(())
}
