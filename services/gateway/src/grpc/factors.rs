//! `FactorService`: a user's second factors (REST `/v1/users/{id}/totp`, `/otp_email`,
//! `/otp_sms`, `/recovery_codes`, `/factors`).

use command::KeyAnswer;
use domain::user::{Channel, KeyKind};
use domain::{Code, Error};

use super::call::Api;
use super::notifications::base_url;
use super::pb;
use crate::api::factors;
use crate::auth::Authenticated;
use crate::views::factors::{
    FactorsView, NewKeyView, NewTotpView, PasskeyLinkView, RecoveryCodesView,
};
use crate::Gateway;

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
                    key_id: f.id.unwrap_or_default(),
                    name: f.name.unwrap_or_default(),
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

    rpc!(instance add_u2f(pb::AddU2fRequest) -> pb::AddKeyResponse,
        |gw, auth, r| start_key(&gw, &auth, &r.id, KeyKind::U2f).await);

    rpc!(instance verify_u2f(pb::VerifyU2fRequest) -> pb::WriteReply,
        |gw, auth, r| finish_key(&gw, &auth, (r.id, r.key_id, r.public_key_credential_json, r.name)).await);

    rpc!(instance remove_u2f(pb::RemoveU2fRequest) -> pb::WriteReply,
        |gw, auth, r| factors::remove_key(&gw, &auth, &r.id, KeyKind::U2f, &r.key_id).await);

    rpc!(instance add_passkey(pb::AddPasskeyRequest) -> pb::AddKeyResponse,
        |gw, auth, r| start_key(&gw, &auth, &r.id, KeyKind::Passkey).await);

    rpc!(instance verify_passkey(pb::VerifyPasskeyRequest) -> pb::WriteReply,
        |gw, auth, r| finish_key(&gw, &auth, (r.id, r.key_id, r.public_key_credential_json, r.name)).await);

    rpc!(instance new_passkey_registration_link(pb::NewPasskeyRegistrationLinkRequest)
        -> pb::NewPasskeyRegistrationLinkResponse,
    |gw, auth, r| {
        let send = Some(r.send.as_str()).filter(|s| !s.is_empty());
        let delivery = factors::link_delivery(send)?;
        let base = base_url(&gw, &auth.instance).await?;
        factors::passkey_link(&gw, &auth, &r.id, delivery, base).await
    });

    rpc!(instance remove_passkey(pb::RemovePasskeyRequest) -> pb::WriteReply,
        |gw, auth, r| factors::remove_key(&gw, &auth, &r.id, KeyKind::Passkey, &r.key_id).await);
}

impl From<PasskeyLinkView> for pb::NewPasskeyRegistrationLinkResponse {
    fn from(v: PasskeyLinkView) -> Self {
        pb::NewPasskeyRegistrationLinkResponse {
            link: v.link.unwrap_or_default(),
            sequence: v.sequence,
            position: v.position,
        }
    }
}

impl From<NewKeyView> for pb::AddKeyResponse {
    fn from(v: NewKeyView) -> Self {
        pb::AddKeyResponse {
            key_id: v.id,
            public_key_credential_creation_options_json: v
                .public_key_credential_creation_options
                .to_string(),
            sequence: v.sequence,
            position: v.position,
        }
    }
}

async fn start_key(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    kind: KeyKind,
) -> Result<NewKeyView, Error> {
    let origin = base_url(gw, &auth.instance).await?;
    factors::start_key(gw, auth, id, kind, &origin).await
}

/// A key's registration answered: the user's id, the key's id, the answer as JSON, its name.
async fn finish_key(
    gw: &Gateway,
    auth: &Authenticated,
    (id, key_id, json, name): (String, String, String, String),
) -> Result<crate::views::WriteReply, Error> {
    let credential = serde_json::from_str(&json).map_err(|e| {
        Error::new(
            Code::MalformedBody,
            format!("public_key_credential_json: {e}"),
        )
        .with("field", "public_key_credential_json")
    })?;
    let origin = base_url(gw, &auth.instance).await?;
    let answer = KeyAnswer {
        key_id: &key_id,
        credential: &credential,
        name: &name,
    };
    factors::finish_key(gw, auth, &id, answer, &origin).await
}
