//! Actions around API calls. Before a call reaches its operation, the `call` targets of the
//! `request` execution of its method (by gRPC full name; a REST route counts as its method,
//! see [`super::methods`]) are called in order with the request, and each may answer it
//! changed; after a successful answer, those of the `response` execution are called with the
//! request and the answer, and each may change the answer. The caller is authenticated
//! first, and the operation checks its permissions on the request as the hooks left it.

use std::sync::Arc;

use domain::actions::{Actions, Condition, Execution};
use domain::Error;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{actions_of, call_hook, skip_or_interrupt};
use crate::Gateway;

/// The call the hooks are about.
pub struct ApiCall {
    pub instance: String,
    /// The authenticated caller.
    pub user_id: String,
    /// The gRPC full name (`portcullis.v1.UserService/GetUser`).
    pub method: String,
    /// `rest` (the request is the JSON body) or `grpc` (the message in proto3 JSON, with
    /// the proto field names).
    pub transport: &'static str,
}

#[derive(Serialize)]
struct RequestCall<'a> {
    method: &'a str,
    transport: &'a str,
    instance_id: &'a str,
    user_id: &'a str,
    request: &'a Value,
}

#[derive(Serialize)]
struct ResponseCall<'a> {
    method: &'a str,
    transport: &'a str,
    instance_id: &'a str,
    user_id: &'a str,
    request: &'a Value,
    response: &'a Value,
}

/// What a request target answers: the request to go on with (unchanged when absent).
#[derive(Deserialize)]
struct RequestAnswer {
    #[serde(default)]
    request: Option<Value>,
}

/// What a response target answers: the answer to give (unchanged when absent).
#[derive(Deserialize)]
struct ResponseAnswer {
    #[serde(default)]
    response: Option<Value>,
}

/// The hooks of one call.
pub struct Hooks {
    call: ApiCall,
    actions: Arc<Actions>,
}

/// Whether the instance has actions around any API call (most have none: one cached look).
pub async fn any(gw: &Gateway, instance: &str) -> Result<bool, Error> {
    let actions = actions_of(gw, instance).await?;
    Ok(actions
        .executions
        .values()
        .any(|e| matches!(e.condition, Condition::Request(_) | Condition::Response(_))))
}

impl Hooks {
    /// The hooks of `call`: none when its instance has no execution for its method.
    pub async fn of(gw: &Gateway, call: ApiCall) -> Result<Option<Hooks>, Error> {
        let actions = actions_of(gw, &call.instance).await?;
        let hooks = Hooks { call, actions };
        Ok(
            (hooks.request_execution().is_some() || hooks.response_execution().is_some())
                .then_some(hooks),
        )
    }

    fn request_execution(&self) -> Option<&Execution> {
        let key = Condition::Request(self.call.method.clone()).key();
        self.actions.executions.get(&key)
    }

    fn response_execution(&self) -> Option<&Execution> {
        let key = Condition::Response(self.call.method.clone()).key();
        self.actions.executions.get(&key)
    }

    pub fn on_response(&self) -> bool {
        self.response_execution().is_some()
    }

    /// The request as the request targets leave it.
    pub async fn request(&self, gw: &Gateway, mut request: Value) -> Result<Value, Error> {
        let Some(execution) = self.request_execution() else {
            return Ok(request);
        };
        let c = &self.call;
        for (id, target) in self.targets(execution) {
            let body = RequestCall {
                method: &c.method,
                transport: c.transport,
                instance_id: &c.instance,
                user_id: &c.user_id,
                request: &request,
            };
            match call_hook::<RequestAnswer>(gw, &c.instance, (id, target), &body, "request").await
            {
                Ok(RequestAnswer {
                    request: Some(changed),
                }) => request = changed,
                Ok(_) => {}
                Err(why) => skip_or_interrupt(&c.instance, id, target, why)?,
            }
        }
        Ok(request)
    }

    /// The answer as the response targets leave it.
    pub async fn response(
        &self,
        gw: &Gateway,
        request: &Value,
        mut response: Value,
    ) -> Result<Value, Error> {
        let Some(execution) = self.response_execution() else {
            return Ok(response);
        };
        let c = &self.call;
        for (id, target) in self.targets(execution) {
            let body = ResponseCall {
                method: &c.method,
                transport: c.transport,
                instance_id: &c.instance,
                user_id: &c.user_id,
                request,
                response: &response,
            };
            match call_hook::<ResponseAnswer>(gw, &c.instance, (id, target), &body, "response")
                .await
            {
                Ok(ResponseAnswer {
                    response: Some(changed),
                }) => response = changed,
                Ok(_) => {}
                Err(why) => skip_or_interrupt(&c.instance, id, target, why)?,
            }
        }
        Ok(response)
    }

    fn targets<'a>(
        &'a self,
        execution: &'a Execution,
    ) -> impl Iterator<Item = (&'a str, &'a domain::actions::Target)> {
        execution
            .targets
            .iter()
            .filter_map(|id| Some((id.as_str(), self.actions.targets.get(id)?)))
    }
}
