//! Action targets and executions as the API shows them, and the condition's JSON shape:
//! `{event: {type} | {group} | {all: true}}`, `{function}`, `{request: {method}}` or
//! `{response: {method}}`.

use domain::action_delivery::FailedDelivery;
use domain::actions::{Condition, Execution, Function, Target, TargetKind};
use domain::{Code, Error};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Events of one type, of a group (the types that start with it and a dot), or all.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventCondition {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
}

/// An API method by its gRPC full name (`portcullis.v1.UserService/GetUser`); its REST
/// routes count too.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodCondition {
    pub method: String,
}

/// When an execution's targets are called: exactly one of the four.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventCondition>,
    /// `preaccesstoken`, `preuserinfo` or `presamlresponse`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub function: Option<Function>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<MethodCondition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<MethodCondition>,
}

fn invalid(why: &str) -> Error {
    Error::new(Code::InvalidExecution, format!("condition {why}")).with("field", "condition")
}

/// A method actions may run around: one of the API's (the actions and system APIs have none).
fn hookable(method: String) -> Result<String, Error> {
    match crate::action_hooks::methods::hookable(&method) {
        true => Ok(method),
        false => Err(Error::new(
            Code::InvalidExecution,
            format!("condition.method {method} is not an API method actions run around"),
        )
        .with("field", "condition.method")),
    }
}

impl TryFrom<ConditionBody> for Condition {
    type Error = Error;

    fn try_from(c: ConditionBody) -> Result<Condition, Error> {
        let given = [
            c.event.is_some(),
            c.function.is_some(),
            c.request.is_some(),
            c.response.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(invalid("is one of event, function, request and response"));
        }
        Ok(match (c.event, c.function, c.request, c.response) {
            (Some(e), ..) => match (e.event_type, e.group, e.all) {
                (Some(t), None, None) => Condition::EventType(t),
                (None, Some(g), None) => Condition::EventGroup(g),
                (None, None, Some(true)) => Condition::AllEvents,
                _ => return Err(invalid("event is one of {type}, {group} and {all: true}")),
            },
            (_, Some(f), ..) => Condition::Function(f),
            (_, _, Some(r), _) => Condition::Request(hookable(r.method)?),
            (.., Some(r)) => Condition::Response(hookable(r.method)?),
            _ => unreachable!("one of them is given"),
        })
    }
}

impl From<&Condition> for ConditionBody {
    fn from(c: &Condition) -> Self {
        let event = |e: EventCondition| ConditionBody {
            event: Some(e),
            ..Default::default()
        };
        match c {
            Condition::EventType(t) => event(EventCondition {
                event_type: Some(t.clone()),
                ..Default::default()
            }),
            Condition::EventGroup(g) => event(EventCondition {
                group: Some(g.clone()),
                ..Default::default()
            }),
            Condition::AllEvents => event(EventCondition {
                all: Some(true),
                ..Default::default()
            }),
            Condition::Function(f) => ConditionBody {
                function: Some(*f),
                ..Default::default()
            },
            Condition::Request(m) => ConditionBody {
                request: Some(MethodCondition { method: m.clone() }),
                ..Default::default()
            },
            Condition::Response(m) => ConditionBody {
                response: Some(MethodCondition { method: m.clone() }),
                ..Default::default()
            },
        }
    }
}

/// A target, without its signing key.
#[derive(Serialize, ToSchema)]
pub struct TargetView {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    /// `webhook`, `call` or `async`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub timeout_ms: u32,
    pub interrupt_on_error: bool,
}

impl TargetView {
    pub fn of(id: &str, t: &Target) -> TargetView {
        TargetView {
            id: id.to_string(),
            name: t.name.clone(),
            endpoint: t.endpoint.clone(),
            kind: t.kind.name(),
            timeout_ms: t.timeout_ms,
            interrupt_on_error: t.interrupt_on_error,
        }
    }
}

/// A new target: its id, and the key its calls are signed with, shown this once.
#[derive(Serialize, ToSchema)]
pub struct TargetAddedView {
    pub id: String,
    /// `Portcullis-Signature: t=<unix>,v1=<hex HMAC-SHA256(signing_key, "<t>.<body>")>`.
    pub signing_key: String,
    pub sequence: u64,
    pub position: String,
}

/// Which targets a condition calls, in order.
#[derive(Serialize, ToSchema)]
pub struct ExecutionView {
    pub condition: ConditionBody,
    pub targets: Vec<String>,
}

impl From<&Execution> for ExecutionView {
    fn from(e: &Execution) -> Self {
        ExecutionView {
            condition: ConditionBody::from(&e.condition),
            targets: e.targets.clone(),
        }
    }
}

/// All of a list.
#[derive(Serialize, ToSchema)]
pub struct ItemsView<T> {
    pub items: Vec<T>,
}

/// A target kind as the API names it.
pub fn kind(name: &str) -> Result<TargetKind, Error> {
    match name {
        "webhook" => Ok(TargetKind::Webhook),
        "call" => Ok(TargetKind::Call),
        "async" => Ok(TargetKind::Async),
        _ => Err(
            Error::new(Code::InvalidTarget, "type is webhook, call or async").with("field", "type"),
        ),
    }
}

/// A delivery given up (a dead letter), or being tried again.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    /// `given_up`, or `replaying` once a replay is asked for.
    pub state: &'static str,
    /// The event's position in the trail (`/v1/events`).
    pub position: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub aggregate_id: String,
    pub attempts: u32,
    /// What the last attempt got.
    pub error: String,
    /// RFC 3339.
    #[serde(serialize_with = "crate::times::as_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub given_up_at: i64,
}

impl DeliveryView {
    pub fn of(id: &str, state: &'static str, f: &FailedDelivery) -> DeliveryView {
        DeliveryView {
            id: id.to_string(),
            state,
            position: f.position.to_string(),
            event_type: f.event_type.clone(),
            aggregate_id: f.aggregate_id.clone(),
            attempts: f.attempts,
            error: f.error.clone(),
            given_up_at: f.at,
        }
    }
}
