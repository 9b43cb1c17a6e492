//! `FactorService`: a user's second factors (REST `/v1/users/{id}/totp`, `/otp_email`,
//! `/otp_sms`, `/recovery_codes`, `/factors`).

use domain::user::Channel;

use super::call::Api;
use super::pb;
use crate::api::factors;
use crate::views::factors::{FactorsView, NewTotpView, RecoveryCodesView};

impl From<NewTotpView> for pb::AddTotpResponse {
    fn from(v: NewTotpView) -> Self {
        pb::AddTotpResponse {
            uri: v.uri,
            secret: v.secret,
            sequence: v.sequence,
            position: v.position,
        }
    }
}

impl From<RecoveryCodesView> for pb::NewRecoveryCodesResponse {
    fn from(v: RecoveryCodesView) -> Self {
        pb::NewRecoveryCodesResponse {
            codes: v.codes,
            sequence: v.sequence,
            position: v.position,
        }
    }
}

impl From<FactorsView> for pb::ListFactorsResponse {
    fn from(v: FactorsView) -> Self {
        pb::ListFactorsResponse {
            items: v
                .items
                .into_iter()
                .map(|f| pb::Factor {
                    r#type: f.kind.to_string(),
                    verified: f.verified,
                    remaining: f.remaining.unwrap_or_default(),
                })
                .collect(),
        }
    }
}

#[tonic::async_trait]
impl pb::factor_service_server::FactorService for Api {
    rpc!(instance add_totp(pb::AddTotpRequest) -> pb::AddTotpResponse,
        |gw, auth, r| factors::add_totp(&gw, &auth, &r.id).await);

    rpc!(instance verify_totp(pb::VerifyTotpRequest) -> pb::WriteReply,
        |gw, auth, r| factors::verify_totp(&gw, &auth, &r.id, &r.code).await);

    rpc!(instance remove_totp(pb::RemoveTotpRequest) -> pb::WriteReply,
        |gw, auth, r| factors::remove_totp(&gw, &auth, &r.id).await);

    rpc!(instance add_otp_email(pb::AddOtpEmailRequest) -> pb::WriteReply,
        |gw, auth, r| factors::set_otp(&gw, &auth, &r.id, Channel::Email, true).await);

    rpc!(instance remove_otp_email(pb::RemoveOtpEmailRequest) -> pb::WriteReply,
        |gw, auth, r| factors::set_otp(&gw, &auth, &r.id, Channel::Email, false).await);

    rpc!(instance add_otp_sms(pb::AddOtpSmsRequest) -> pb::WriteReply,
        |gw, auth, r| factors::set_otp(&gw, &auth, &r.id, Channel::Sms, true).await);

    rpc!(instance remove_otp_sms(pb::RemoveOtpSmsRequest) -> pb::WriteReply,
        |gw, auth, r| factors::set_otp(&gw, &auth, &r.id, Channel::Sms, false).await);

    rpc!(instance new_recovery_codes(pb::NewRecoveryCodesRequest) -> pb::NewRecoveryCodesResponse,
        |gw, auth, r| factors::recovery_codes(&gw, &auth, &r.id).await);

    rpc!(instance list_factors(pb::ListFactorsRequest) -> pb::ListFactorsResponse,
        |gw, auth, r| factors::list(&gw, &auth, &r.id).await);
}
