//! Device authorization (RFC 8628) on the command side: a device's request gets a user code
//! (the key of its aggregate) and a device code (`<user code>.<secret>`, of which only the
//! secret's hash is kept); the user's answer; and the device's polls, answered from the
//! request's state and recorded.

use domain::oidc::{
    DeviceAuthorization, DeviceCommand, DeviceRequest, Login, PollOutcome, DEVICE_CODE_TTL,
    POLL_INTERVAL,
};
use domain::{Aggregate, AggregateKey, Code, Error};

use crate::actor::Written;
use crate::bus::CommandBus;
use crate::oidc::login_flow;
use crate::sagas::key;
use crypto::secrets::{new_token, normal_code, token_hash, user_code};

/// A device's new request.
#[derive(Debug)]
pub struct NewDevice {
    /// As shown to the user: `XXXX-XXXX`.
    pub user_code: String,
    pub device_code: String,
    /// Seconds.
    pub expires_in: i64,
    pub interval: i64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn device_key(instance: &str, user_code: &str) -> AggregateKey {
    key(instance, DeviceAuthorization::KIND, &normal_code(user_code))
}

/// Whether a typed user code can be one (checked before any actor is asked).
pub fn plausible_user_code(typed: &str) -> bool {
    let normal = normal_code(typed);
    normal.len() == 8 && normal.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl CommandBus {
    /// Starts a device's request for the app's client with `scope`.
    pub async fn start_device(
        &self,
        instance: &str,
        client_id: &str,
        project_id: &str,
        app_id: &str,
        scope: Vec<String>,
    ) -> Result<NewDevice, Error> {
        let mut last = None;
        // A user code still in use by a live request is drawn again.
        for _ in 0..3 {
            let code = user_code();
            let (secret, secret_hash) = new_token();
            let request = DeviceRequest {
                client_id: client_id.into(),
                project_id: project_id.into(),
                app_id: app_id.into(),
                scope: scope.clone(),
                secret_hash,
                expires_at: now_ms() + DEVICE_CODE_TTL,
            };
            let cmd = DeviceCommand::Start(request);
            let k = device_key(instance, &code);
            match self
                .execute::<DeviceAuthorization>(&k, &login_flow(instance), cmd, None)
                .await
            {
                Ok(_) => {
                    return Ok(NewDevice {
                        user_code: format!("{}-{}", &code[..4], &code[4..]),
                        device_code: format!("{code}.{secret}"),
                        expires_in: DEVICE_CODE_TTL / 1000,
                        interval: POLL_INTERVAL,
                    })
                }
                Err(e) if e.code == Code::Internal => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::internal("no free user code")))
    }

    /// The request of a user code (as typed).
    pub async fn device(
        &self,
        instance: &str,
        user_code: &str,
    ) -> Result<DeviceAuthorization, Error> {
        Ok(self
            .state::<DeviceAuthorization>(&device_key(instance, user_code))
            .await?
            .0)
    }

    /// The user's answer to a device: allowed with their login, or denied (`None`).
    pub async fn answer_device(
        &self,
        instance: &str,
        user_code: &str,
        login: Option<Login>,
    ) -> Result<Written, Error> {
        let cmd = match login {
            Some(login) => DeviceCommand::Approve { login },
            None => DeviceCommand::Deny,
        };
        self.execute::<DeviceAuthorization>(
            &device_key(instance, user_code),
            &login_flow(instance),
            cmd,
            None,
        )
        .await
    }

    /// A device's poll with its device code, for the client `client_id`: the login and the
    /// scope asked for once the user allowed it (the device code is then used up); else the
    /// error to answer
    /// (`OIDC-0008` pending, `OIDC-0009` slow down, `OIDC-0006` expired, `OIDC-0007` denied,
    /// `OIDC-0001` not this client's or not a device code).
    pub async fn poll_device(
        &self,
        instance: &str,
        client_id: &str,
        device_code: &str,
    ) -> Result<(Login, Vec<String>), Error> {
        let invalid = || Error::new(Code::InvalidGrant, "the device code is not valid");
        let (code, secret) = device_code.split_once('.').ok_or_else(invalid)?;
        if !plausible_user_code(code) {
            return Err(invalid());
        }
        let k = device_key(instance, code);
        let state = self.state::<DeviceAuthorization>(&k).await?.0;
        let scope = match &state.request {
            Some(r) if r.client_id == client_id => r.scope.clone(),
            _ => return Err(invalid()),
        };
        let secret_hash = token_hash(secret);
        let caller = login_flow(instance);
        match state.outcome(&secret_hash, now_ms()) {
            PollOutcome::Pending { slow_down } => {
                let cmd = DeviceCommand::Poll { secret_hash };
                self.execute::<DeviceAuthorization>(&k, &caller, cmd, None)
                    .await?;
                Err(match slow_down {
                    true => Error::new(Code::DeviceSlowDown, "poll less often: wait 5 s more"),
                    false => Error::new(
                        Code::DeviceAuthorizationPending,
                        "the user has not answered yet",
                    ),
                })
            }
            PollOutcome::Approved(login) => {
                let cmd = DeviceCommand::Exchange { secret_hash };
                self.execute::<DeviceAuthorization>(&k, &caller, cmd, None)
                    .await?;
                Ok((login, scope))
            }
            PollOutcome::Expired => Err(Error::new(
                Code::DeviceCodeExpired,
                "the device code has expired: start again",
            )),
            PollOutcome::Denied => Err(Error::new(
                Code::DeviceAccessDenied,
                "the user denied the device",
            )),
            PollOutcome::Invalid | PollOutcome::Used => Err(invalid()),
        }
    }
}
