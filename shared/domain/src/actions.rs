//! An instance's actions: targets (HTTP endpoints Portcullis calls, each with a signing key of
//! its own) and executions (which targets a condition calls: events, functions of the token
//! flow, API requests and responses). What the calls send and when is the outbox's and the
//! gateway's; this is what the instance configured, and the rules it must hold to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};
use crate::validate;

/// The most targets an instance has.
pub const MAX_TARGETS: usize = 100;
/// The most executions an instance has.
pub const MAX_EXECUTIONS: usize = 500;
/// The most targets one condition calls.
pub const MAX_TARGETS_PER_EXECUTION: usize = 20;
/// A target's timeout bounds, and its default (milliseconds).
pub const TIMEOUT_MS: std::ops::RangeInclusive<u32> = 100..=30_000;
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;

/// How a target is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Events are POSTed; a 2xx answer is a delivery, anything else is tried again.
    Webhook,
    /// Called inline (functions, API requests and responses); its answer is used.
    Call,
    /// Events are POSTed; the answer is not waited for beyond the timeout, nor tried again.
    Async,
}

impl TargetKind {
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Webhook => "webhook",
            TargetKind::Call => "call",
            TargetKind::Async => "async",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    pub endpoint: String,
    pub kind: TargetKind,
    pub timeout_ms: u32,
    /// A failing `call` target stops what called it (else it is skipped).
    pub interrupt_on_error: bool,
    /// The key calls are signed with, sealed with the master key for this instance.
    pub sealed_signing_key: String,
}

/// A function of the token flow that calls targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Function {
    /// Before an access token is made: may append claims.
    Preaccesstoken,
    /// Before userinfo answers: may append claims.
    Preuserinfo,
    /// Before a SAML response is made: may append attributes.
    Presamlresponse,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Function::Preaccesstoken => "preaccesstoken",
            Function::Preuserinfo => "preuserinfo",
            Function::Presamlresponse => "presamlresponse",
        }
    }
}

/// When an execution's targets are called.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Events of one type (`user.human.added`).
    EventType(String),
    /// Events of a group: the types that start with it and a dot (`user`).
    EventGroup(String),
    AllEvents,
    Function(Function),
    /// An API request, by its gRPC method's full name (REST calls of it too).
    Request(String),
    /// An API response, by its gRPC method's full name.
    Response(String),
}

impl Condition {
    /// The condition as one key: executions are kept by it.
    pub fn key(&self) -> String {
        match self {
            Condition::EventType(t) => format!("event/type/{t}"),
            Condition::EventGroup(g) => format!("event/group/{g}"),
            Condition::AllEvents => "event/all".into(),
            Condition::Function(f) => format!("function/{}", f.name()),
            Condition::Request(m) => format!("request/{m}"),
            Condition::Response(m) => format!("response/{m}"),
        }
    }

    /// Whether its targets are event deliveries (else inline calls).
    pub fn on_events(&self) -> bool {
        matches!(
            self,
            Condition::EventType(_) | Condition::EventGroup(_) | Condition::AllEvents
        )
    }

    /// Whether an event of `event_type` meets it. Actions' own events meet none, so that no
    /// delivery is ever about a delivery.
    pub fn matches_event(&self, event_type: &str) -> bool {
        if event_type.starts_with("instance.action.") || event_type.starts_with("action.") {
            return false;
        }
        match self {
            Condition::EventType(t) => t == event_type,
            Condition::EventGroup(g) => event_type
                .strip_prefix(g.as_str())
                .is_some_and(|rest| rest.starts_with('.')),
            Condition::AllEvents => true,
            Condition::Function(_) | Condition::Request(_) | Condition::Response(_) => false,
        }
    }
}

/// Which targets a condition calls, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    pub condition: Condition,
    pub targets: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actions {
    pub targets: BTreeMap<String, Target>,
    /// By [`Condition::key`].
    pub executions: BTreeMap<String, Execution>,
}

/// What a target's change sets (the rest stays).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetPatch {
    pub name: Option<String>,
    pub endpoint: Option<String>,
    pub timeout_ms: Option<u32>,
    pub interrupt_on_error: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionCommand {
    AddTarget { id: String, target: Target },
    ChangeTarget { id: String, patch: TargetPatch },
    RemoveTarget { id: String },
    SetExecution(Execution),
    RemoveExecution(Condition),
}

/// What a command changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionChange {
    TargetAdded { id: String, target: Target },
    TargetChanged { id: String, target: Target },
    TargetRemoved { id: String },
    ExecutionSet(Execution),
    ExecutionRemoved(Condition),
}

fn invalid_target(field: &str, why: impl std::fmt::Display) -> Error {
    Error::new(Code::InvalidTarget, format!("{field} {why}")).with("field", field)
}

fn invalid_execution(field: &str, why: impl std::fmt::Display) -> Error {
    Error::new(Code::InvalidExecution, format!("{field} {why}")).with("field", field)
}

fn target_not_found(id: &str) -> Error {
    Error::new(Code::TargetNotFound, format!("no target {id}")).with("target_id", id)
}

/// A target as it may be kept: a name, an http(s) endpoint, a timeout in bounds.
fn checked(t: &Target) -> Result<Target> {
    let endpoint = crate::sms::endpoint_or(&t.endpoint, Code::InvalidTarget)?;
    if !TIMEOUT_MS.contains(&t.timeout_ms) {
        return Err(invalid_target(
            "timeout_ms",
            format!(
                "is {} to {} milliseconds",
                TIMEOUT_MS.start(),
                TIMEOUT_MS.end()
            ),
        ));
    }
    Ok(Target {
        name: validate::name(&t.name, Code::InvalidTarget, "name")?,
        endpoint: endpoint.url,
        ..t.clone()
    })
}

/// An event type or group: dot-separated lowercase words, at most 200 characters.
fn event_name(value: &str, field: &str) -> Result<()> {
    let ok = !value.is_empty()
        && value.len() <= validate::MAX_NAME
        && value.split('.').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(invalid_execution(
            field,
            "is dot-separated lowercase words, such as user.human.added",
        ))
    }
}

/// A gRPC method's full name: `portcullis.v1.UserService/GetUser` (a leading `/` allowed).
fn method(value: &str) -> Result<String> {
    let v = value.strip_prefix('/').unwrap_or(value);
    let ok = v.split_once('/').is_some_and(|(service, m)| {
        service.starts_with("portcullis.v1.")
            && service.len() > "portcullis.v1.".len()
            && !m.is_empty()
            && service
                .chars()
                .chain(m.chars())
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    });
    if ok {
        Ok(v.to_string())
    } else {
        Err(invalid_execution(
            "condition.method",
            "is a gRPC method's full name, such as portcullis.v1.UserService/GetUser",
        ))
    }
}

/// A condition as it may be kept.
fn condition(c: &Condition) -> Result<Condition> {
    Ok(match c {
        Condition::EventType(t) => {
            event_name(t, "condition.event.type")?;
            c.clone()
        }
        Condition::EventGroup(g) => {
            event_name(g, "condition.event.group")?;
            c.clone()
        }
        Condition::Request(m) => Condition::Request(method(m)?),
        Condition::Response(m) => Condition::Response(method(m)?),
        Condition::AllEvents | Condition::Function(_) => c.clone(),
    })
}

/// Decides an action command on `actions` (`None`: nothing changes).
pub fn decide_action(actions: &Actions, cmd: &ActionCommand) -> Result<Option<ActionChange>> {
    Ok(match cmd {
        ActionCommand::AddTarget { id, target } => {
            if actions.targets.contains_key(id) {
                return Err(invalid_target("id", "is taken"));
            }
            if actions.targets.len() >= MAX_TARGETS {
                return Err(Error::new(
                    Code::TooManyTargets,
                    format!("an instance has at most {MAX_TARGETS} targets"),
                ));
            }
            Some(ActionChange::TargetAdded {
                id: id.clone(),
                target: checked(target)?,
            })
        }
        ActionCommand::ChangeTarget { id, patch } => {
            let old = actions
                .targets
                .get(id)
                .ok_or_else(|| target_not_found(id))?;
            let new = checked(&Target {
                name: patch.name.clone().unwrap_or(old.name.clone()),
                endpoint: patch.endpoint.clone().unwrap_or(old.endpoint.clone()),
                timeout_ms: patch.timeout_ms.unwrap_or(old.timeout_ms),
                interrupt_on_error: patch.interrupt_on_error.unwrap_or(old.interrupt_on_error),
                ..old.clone()
            })?;
            (new != *old).then(|| ActionChange::TargetChanged {
                id: id.clone(),
                target: new,
            })
        }
        ActionCommand::RemoveTarget { id } => {
            actions
                .targets
                .get(id)
                .ok_or_else(|| target_not_found(id))?;
            Some(ActionChange::TargetRemoved { id: id.clone() })
        }
        ActionCommand::SetExecution(e) => {
            let condition = condition(&e.condition)?;
            if e.targets.is_empty() || e.targets.len() > MAX_TARGETS_PER_EXECUTION {
                return Err(invalid_execution(
                    "targets",
                    format!("names 1 to {MAX_TARGETS_PER_EXECUTION} targets"),
                ));
            }
            for (i, id) in e.targets.iter().enumerate() {
                if e.targets[..i].contains(id) {
                    return Err(invalid_execution("targets", format!("names {id} twice")));
                }
                let t = actions
                    .targets
                    .get(id)
                    .ok_or_else(|| target_not_found(id))?;
                // Events are delivered; functions, requests and responses call inline.
                let fits = match t.kind {
                    TargetKind::Webhook | TargetKind::Async => condition.on_events(),
                    TargetKind::Call => !condition.on_events(),
                };
                if !fits {
                    return Err(invalid_execution(
                        "targets",
                        format!(
                            "names the {} target {id}: events go to webhook and async targets, functions, requests and responses to call targets",
                            t.kind.name()
                        ),
                    ));
                }
            }
            let key = condition.key();
            if !actions.executions.contains_key(&key) && actions.executions.len() >= MAX_EXECUTIONS
            {
                return Err(Error::new(
                    Code::TooManyTargets,
                    format!("an instance has at most {MAX_EXECUTIONS} executions"),
                ));
            }
            let execution = Execution {
                condition,
                targets: e.targets.clone(),
            };
            (actions.executions.get(&key) != Some(&execution))
                .then_some(ActionChange::ExecutionSet(execution))
        }
        ActionCommand::RemoveExecution(c) => {
            let c = condition(c)?;
            if !actions.executions.contains_key(&c.key()) {
                return Err(Error::new(
                    Code::ExecutionNotFound,
                    "no execution of that condition",
                ));
            }
            Some(ActionChange::ExecutionRemoved(c))
        }
    })
}

impl Actions {
    /// Applies a change: a removed target leaves every execution (one left without targets
    /// is gone).
    pub fn apply(&mut self, change: ActionChange) {
        match change {
            ActionChange::TargetAdded { id, target }
            | ActionChange::TargetChanged { id, target } => {
                self.targets.insert(id, target);
            }
            ActionChange::TargetRemoved { id } => {
                self.targets.remove(&id);
                for e in self.executions.values_mut() {
                    e.targets.retain(|t| *t != id);
                }
                self.executions.retain(|_, e| !e.targets.is_empty());
            }
            ActionChange::ExecutionSet(e) => {
                self.executions.insert(e.condition.key(), e);
            }
            ActionChange::ExecutionRemoved(c) => {
                self.executions.remove(&c.key());
            }
        }
    }

    /// The targets events of `event_type` go to, each once.
    pub fn event_targets(&self, event_type: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for e in self.executions.values() {
            if e.condition.matches_event(event_type) {
                for t in &e.targets {
                    if !out.contains(&t.as_str()) {
                        out.push(t);
                    }
                }
            }
        }
        out
    }
}
