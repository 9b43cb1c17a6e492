//! `LoginSessionService`: the Sessions API for login UIs (REST `/v1/sessions` and
//! `/v1/auth_requests/{id}/finalize`).

use super::call::Api;
use super::pb;
use crate::api::login_sessions::{self, Checks, UserCheck};
use crate::views::{CallbackView, CheckedView, CreatedSessionView, FactorsView, LoginSessionView};
use domain::user::{Channel, Factor};
use domain::Error;

fn checked(c: CheckedView) -> pb::CheckedFactor {
    pb::CheckedFactor {
        checked_at: Some(crate::times::timestamp(c.checked_at)),
    }
}

impl From<FactorsView> for pb::Factors {
    fn from(f: FactorsView) -> Self {
        pb::Factors {
            user: Some(pb::UserFactor {
                id: f.user.id,
                login_name: f.user.login_name,
                org_id: f.user.org_id,
                checked_at: Some(crate::times::timestamp(f.user.checked_at)),
            }),
            password: f.password.map(checked),
            totp: f.totp.map(checked),
            otp_email: f.otp_email.map(checked),
            otp_sms: f.otp_sms.map(checked),
            recovery_code: f.recovery_code.map(checked),
        }
    }
}

impl From<LoginSessionView> for pb::LoginSession {
    fn from(s: LoginSessionView) -> Self {
        pb::LoginSession {
            id: s.id,
            created_at: Some(crate::times::timestamp(s.created_at)),
            expires_at: Some(crate::times::timestamp(s.expires_at)),
            factors: Some(s.factors.into()),
        }
    }
}

impl From<CreatedSessionView> for pb::CreateSessionResponse {
    fn from(s: CreatedSessionView) -> Self {
        pb::CreateSessionResponse {
            session_id: s.session_id,
            session_token: s.session_token,
            factors: Some(s.factors.into()),
        }
    }
}

impl From<CallbackView> for pb::FinalizeAuthRequestResponse {
    fn from(c: CallbackView) -> Self {
        pb::FinalizeAuthRequestResponse {
            callback_url: c.callback_url,
        }
    }
}

/// The checks of a request, held to the limits REST holds them to.
fn checks(c: Option<pb::Checks>, asked: Option<pb::Challenges>) -> Result<Checks, Error> {
    let c = c.unwrap_or_default();
    let user = c.user.and_then(|u| u.user).map(|u| match u {
        pb::user_check::User::LoginName(n) => UserCheck::LoginName(n),
        pb::user_check::User::UserId(id) => UserCheck::UserId(id),
    });
    let factors: Vec<(Factor, String)> = [
        (Factor::Totp, c.totp),
        (Factor::OtpEmail, c.otp_email),
        (Factor::OtpSms, c.otp_sms),
        (Factor::RecoveryCode, c.recovery_code),
    ]
    .into_iter()
    .filter_map(|(f, check)| check.map(|check| (f, check.code)))
    .collect();
    let asked = asked.unwrap_or_default();
    let challenges = [
        (Channel::Email, asked.otp_email),
        (Channel::Sms, asked.otp_sms),
    ]
    .into_iter()
    .filter_map(|(channel, ask)| ask.then_some(channel))
    .collect();
    let password = c.password.map(|p| p.password);
    Checks::bounded(user, password, factors, challenges)
}

#[tonic::async_trait]
impl pb::login_session_service_server::LoginSessionService for Api {
    rpc!(instance create_session(pb::CreateSessionRequest) -> pb::CreateSessionResponse,
        |gw, auth, r| login_sessions::create(&gw, &auth, checks(r.checks, r.challenges)?).await);

    rpc!(instance set_session(pb::SetSessionRequest) -> pb::LoginSession,
        |gw, auth, r| login_sessions::set(&gw, &auth, &r.session_id, checks(r.checks, r.challenges)?).await);

    rpc!(instance get_session(pb::GetSessionRequest) -> pb::LoginSession,
        |gw, auth, r| login_sessions::get(&gw, &auth, &r.session_id).await);

    rpc!(instance finalize_auth_request(pb::FinalizeAuthRequestRequest) -> pb::FinalizeAuthRequestResponse,
        |gw, auth, r| login_sessions::finalize(
            &gw, &auth, &r.auth_request_id, &r.session_id, &r.session_token).await);
}
