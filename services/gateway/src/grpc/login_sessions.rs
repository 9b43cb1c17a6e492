//! `LoginSessionService`: the Sessions API for login UIs (REST `/v1/sessions` and
//! `/v1/auth_requests/{id}/finalize`).

use super::call::Api;
use super::notifications::base_url;
use super::pb;
use crate::api::login_sessions::{self, key_kind, Challenges, Checks, SecondCheck, UserCheck};
use crate::views::{
    CallbackView, ChallengesView, CheckedView, CreatedSessionView, FactorsView, LoginSessionView,
};
use domain::user::{Channel, Factor};
use domain::{Code, Error};

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
            u2f: f.u2f.map(checked),
            passkey: f.passkey.map(checked),
            idp: f.idp.map(|c| pb::IdpFactor {
                idp_id: c.idp_id,
                checked_at: Some(crate::times::timestamp(c.checked_at)),
            }),
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
            webauthn_request_options_json: options_json(s.challenges),
        }
    }
}

/// The WebAuthn options of a request's challenges, as JSON (empty: none asked for).
fn options_json(challenges: Option<ChallengesView>) -> String {
    challenges.map_or(String::new(), |c| c.webauthn.to_string())
}

impl From<CreatedSessionView> for pb::CreateSessionResponse {
    fn from(s: CreatedSessionView) -> Self {
        pb::CreateSessionResponse {
            session_id: s.session_id,
            session_token: s.session_token,
            factors: Some(s.factors.into()),
            webauthn_request_options_json: options_json(s.challenges),
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

/// The checks of a request, held to the limits REST holds them to; `origin` is the
/// instance's external URL, the WebAuthn origin unless the request names another.
fn checks(
    c: Option<pb::Checks>,
    asked: Option<pb::Challenges>,
    origin: String,
) -> Result<Checks, Error> {
    let c = c.unwrap_or_default();
    let user = c.user.and_then(|u| u.user).map(|u| match u {
        pb::user_check::User::LoginName(n) => UserCheck::LoginName(n),
        pb::user_check::User::UserId(id) => UserCheck::UserId(id),
    });
    let mut seconds: Vec<SecondCheck> = [
        (Factor::Totp, c.totp),
        (Factor::OtpEmail, c.otp_email),
        (Factor::OtpSms, c.otp_sms),
        (Factor::RecoveryCode, c.recovery_code),
    ]
    .into_iter()
    .filter_map(|(f, check)| check.map(|check| SecondCheck::Code(f, check.code)))
    .collect();
    if let Some(w) = c.webauthn {
        let answer = serde_json::from_str(&w.credential_json).map_err(|e| {
            Error::new(Code::MalformedBody, format!("credential_json: {e}"))
                .with("field", "checks.webauthn.credential_json")
        })?;
        seconds.push(SecondCheck::Key(Box::new(answer)));
    }
    let asked = asked.unwrap_or_default();
    let codes = [
        (Channel::Email, asked.otp_email),
        (Channel::Sms, asked.otp_sms),
    ]
    .into_iter()
    .filter_map(|(channel, ask)| ask.then_some(channel))
    .collect();
    let key = match asked.webauthn {
        None => None,
        Some(w) => {
            let kind = key_kind(Some(w.kind.as_str()).filter(|k| !k.is_empty()))?;
            let origin = Some(w.origin).filter(|o| !o.is_empty()).unwrap_or(origin);
            Some((kind, origin))
        }
    };
    let password = c.password.map(|p| p.password);
    let intent = c.idp_intent.map(|i| (i.id, i.token));
    Ok(
        Checks::bounded(user, password, seconds, Challenges { codes, key })?
            .with_idp_intent(intent),
    )
}

impl From<crate::views::IdpIntentStartView> for pb::StartIdpIntentResponse {
    fn from(v: crate::views::IdpIntentStartView) -> Self {
        pb::StartIdpIntentResponse {
            auth_url: v.auth_url,
        }
    }
}

#[tonic::async_trait]
impl pb::login_session_service_server::LoginSessionService for Api {
    rpc!(instance create_session(pb::CreateSessionRequest) -> pb::CreateSessionResponse,
    |gw, auth, r| {
        let origin = base_url(&gw, &auth.instance).await?;
        login_sessions::create(&gw, &auth, checks(r.checks, r.challenges, origin)?).await
    });

    rpc!(instance set_session(pb::SetSessionRequest) -> pb::LoginSession,
    |gw, auth, r| {
        let origin = base_url(&gw, &auth.instance).await?;
        let checks = checks(r.checks, r.challenges, origin)?;
        login_sessions::set(&gw, &auth, &r.session_id, checks).await
    });

    rpc!(instance get_session(pb::GetSessionRequest) -> pb::LoginSession,
        |gw, auth, r| login_sessions::get(&gw, &auth, &r.session_id).await);

    rpc!(instance finalize_auth_request(pb::FinalizeAuthRequestRequest) -> pb::FinalizeAuthRequestResponse,
        |gw, auth, r| login_sessions::finalize(
            &gw, &auth, &r.auth_request_id, &r.session_id, &r.session_token).await);

    rpc!(instance start_idp_intent(pb::StartIdpIntentRequest) -> pb::StartIdpIntentResponse,
    |gw, auth, r| {
        let host = crate::edge::host_name(&auth.host).unwrap_or_default();
        let iss = gw.edge.external_url_of(&host);
        let urls = crate::oidc::idp_login::IntentUrls {
            org: r.org_id,
            success_url: r.success_url,
            failure_url: r.failure_url,
        };
        login_sessions::start_idp_intent(&gw, &auth, &iss, &r.idp_id, urls).await
    });
}
