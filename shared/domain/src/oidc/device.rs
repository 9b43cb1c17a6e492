//! Device authorization (RFC 8628): a device without a browser asks for a user code, its user
//! enters the code on the hosted login of another device, logs in and allows (or denies) it,
//! while the device polls the token endpoint with its device code. One aggregate per user
//! code (its key); only the device code's hash is kept.

use serde::{Deserialize, Serialize};

use super::{invalid_grant, Login};
use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};

/// How long a device code and its user code live (milliseconds).
pub const DEVICE_CODE_TTL: i64 = 10 * 60_000;
/// The seconds a device waits between polls at first; each `slow_down` adds 5.
pub const POLL_INTERVAL: i64 = 5;

/// What a device asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRequest {
    pub client_id: String,
    pub project_id: String,
    pub app_id: String,
    pub scope: Vec<String>,
    /// Hex SHA-256 of the device code's secret.
    pub secret_hash: String,
    /// Unix milliseconds.
    pub expires_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceState {
    #[default]
    Pending,
    Approved(Login),
    Denied,
    /// The tokens were issued: the device code is used up.
    Exchanged,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    pub request: Option<DeviceRequest>,
    pub state: DeviceState,
    /// The last poll (unix milliseconds).
    pub last_poll: Option<i64>,
    /// Seconds between polls.
    pub interval: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DeviceCommand {
    Start(DeviceRequest),
    /// The user logged in and allowed the device.
    Approve {
        login: Login,
    },
    Deny,
    /// The device polled while the user had not yet answered.
    Poll {
        secret_hash: String,
    },
    /// The device takes its tokens.
    Exchange {
        secret_hash: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceEvent {
    Started {
        request: DeviceRequest,
        interval: i64,
    },
    Approved {
        login: Login,
    },
    Denied,
    /// A poll at `at`; `slow_down`: sooner than the interval allowed, which grows by 5 s.
    Polled {
        at: i64,
        slow_down: bool,
    },
    Exchanged,
}

impl EventType for DeviceEvent {
    fn event_type(&self) -> &'static str {
        match self {
            DeviceEvent::Started { .. } => "oidc.device.started",
            DeviceEvent::Approved { .. } => "oidc.device.approved",
            DeviceEvent::Denied => "oidc.device.denied",
            DeviceEvent::Polled { .. } => "oidc.device.polled",
            DeviceEvent::Exchanged => "oidc.device.exchanged",
        }
    }
}

/// What a poll with a device code finds at a moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PollOutcome {
    /// Not this device code (or no such request).
    Invalid,
    Expired,
    Denied,
    /// The tokens were issued already.
    Used,
    /// The user has not answered yet; `slow_down` when the device polls too often.
    Pending {
        slow_down: bool,
    },
    Approved(Login),
}

fn expired() -> Error {
    Error::new(
        Code::DeviceCodeExpired,
        "the device code has expired: start again on the device",
    )
}

impl DeviceAuthorization {
    /// The request, if it is still live at `now`.
    pub fn live(&self, now: i64) -> Option<&DeviceRequest> {
        self.request.as_ref().filter(|r| r.expires_at > now)
    }

    /// What a poll with `secret_hash` at `now` finds (the caller compares nothing itself).
    pub fn outcome(&self, secret_hash: &str, now: i64) -> PollOutcome {
        let Some(request) = &self.request else {
            return PollOutcome::Invalid;
        };
        if !crate::validate::same_secret(&request.secret_hash, secret_hash) {
            return PollOutcome::Invalid;
        }
        match &self.state {
            DeviceState::Exchanged => PollOutcome::Used,
            _ if request.expires_at <= now => PollOutcome::Expired,
            DeviceState::Denied => PollOutcome::Denied,
            DeviceState::Approved(login) => PollOutcome::Approved(login.clone()),
            DeviceState::Pending => PollOutcome::Pending {
                slow_down: self
                    .last_poll
                    .is_some_and(|last| now - last < self.interval * 1000),
            },
        }
    }

    fn pending(&self, now: i64) -> Result<()> {
        if self.live(now).is_none() {
            return Err(expired());
        }
        match self.state {
            DeviceState::Pending => Ok(()),
            _ => Err(Error::new(
                Code::DeviceCodeExpired,
                "this code was answered already: start again on the device",
            )),
        }
    }
}

impl Aggregate for DeviceAuthorization {
    const KIND: &'static str = "device_authorization";
    type Command = DeviceCommand;
    type Event = DeviceEvent;

    fn exists(&self) -> bool {
        self.request.is_some()
    }

    /// Reached only through the OIDC endpoints and the hosted login.
    fn access<'a>(&'a self, _: &'a AggregateKey, _: &'a DeviceCommand) -> Access<'a> {
        Access::ServiceOnly
    }

    fn decide(&self, cmd: &DeviceCommand, ctx: Ctx<'_>) -> Result<Vec<DeviceEvent>> {
        let now = ctx.now;
        Ok(match cmd {
            DeviceCommand::Start(request) => {
                if self.live(now).is_some() {
                    return Err(Error::internal("the user code is in use already"));
                }
                vec![DeviceEvent::Started {
                    request: request.clone(),
                    interval: POLL_INTERVAL,
                }]
            }
            DeviceCommand::Approve { login } => {
                self.pending(now)?;
                vec![DeviceEvent::Approved {
                    login: login.clone(),
                }]
            }
            DeviceCommand::Deny => {
                self.pending(now)?;
                vec![DeviceEvent::Denied]
            }
            DeviceCommand::Poll { secret_hash } => match self.outcome(secret_hash, now) {
                PollOutcome::Pending { slow_down } => {
                    vec![DeviceEvent::Polled { at: now, slow_down }]
                }
                PollOutcome::Approved(_) => vec![],
                PollOutcome::Invalid | PollOutcome::Used => {
                    return Err(invalid_grant("the device code is not valid"))
                }
                PollOutcome::Expired => return Err(expired()),
                PollOutcome::Denied => {
                    return Err(Error::new(
                        Code::DeviceAccessDenied,
                        "the user denied the device",
                    ))
                }
            },
            DeviceCommand::Exchange { secret_hash } => match self.outcome(secret_hash, now) {
                PollOutcome::Approved(_) => vec![DeviceEvent::Exchanged],
                PollOutcome::Expired => return Err(expired()),
                _ => return Err(invalid_grant("the device code is not approved")),
            },
        })
    }

    fn apply(&mut self, event: &DeviceEvent) {
        match event {
            DeviceEvent::Started { request, interval } => {
                *self = DeviceAuthorization {
                    request: Some(request.clone()),
                    state: DeviceState::Pending,
                    last_poll: None,
                    interval: *interval,
                }
            }
            DeviceEvent::Approved { login } => self.state = DeviceState::Approved(login.clone()),
            DeviceEvent::Denied => self.state = DeviceState::Denied,
            DeviceEvent::Polled { at, slow_down } => {
                self.last_poll = Some(*at);
                if *slow_down {
                    self.interval += 5;
                }
            }
            DeviceEvent::Exchanged => self.state = DeviceState::Exchanged,
        }
    }
}
