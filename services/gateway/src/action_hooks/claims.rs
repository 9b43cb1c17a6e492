//! The token flow's actions: before an access token is made (`preaccesstoken`) or userinfo
//! answers (`preuserinfo`), the `call` targets of the function's execution are called in
//! order, each with the claims so far, and may append claims (and log claims) to them. A
//! target that fails (an answer but 2xx, no answer within its timeout, an answer that is not
//! JSON or is longer than 64 KiB) stops the token when it is `interrupt_on_error`
//! (`temporarily_unavailable`, `ACTION-0007`), and is skipped otherwise. No claim the token
//! has already (`sub`, `aud`, `exp`...) is ever replaced.

use domain::actions::Function;
use domain::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::call_function;
use crate::Gateway;

/// Where the log claims of the targets go.
pub const LOG_CLAIM: &str = "urn:portcullis:action:log";

/// Who the claims are for: the token's user, app and scope.
pub struct ClaimsFor<'a> {
    pub instance: &'a str,
    pub user_id: &'a str,
    pub client_id: &'a str,
    pub scope: &'a [String],
}

/// What a `preaccesstoken` or `preuserinfo` target is sent.
#[derive(Serialize)]
struct ClaimsCall<'a> {
    function: &'static str,
    instance_id: &'a str,
    user_id: &'a str,
    client_id: &'a str,
    scope: &'a [String],
    /// The claims so far.
    claims: Map<String, Value>,
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

/// Calls the targets of `function` (`preaccesstoken` or `preuserinfo`) of the instance,
/// appending what they answer to `claims`.
pub async fn append_claims(
    gw: &Gateway,
    function: Function,
    to: &ClaimsFor<'_>,
    claims: &mut Map<String, Value>,
) -> Result<(), Error> {
    let instance = to.instance;
    let body = |claims: &Map<String, Value>| ClaimsCall {
        function: function.name(),
        instance_id: instance,
        user_id: to.user_id,
        client_id: to.client_id,
        scope: to.scope,
        claims: claims.clone(),
    };
    let apply = |claims: &mut Map<String, Value>, target_id: &str, a: HookAnswer| {
        for c in a.append_claims {
            if claims.contains_key(&c.key) {
                tracing::warn!(instance, target_id, claim = %c.key, "an action may not replace a claim; it is kept");
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
    };
    call_function(gw, instance, function, claims, body, apply).await
}
