//! A user's second factors: the user themself, or a caller with `user.write` on the user's org
//! who holds what the user holds (the actor checks that again against the real owner).

use authz::UserOp;
use command::KeyAnswer;
use domain::user::{Channel, KeyKind};
use domain::Error;

use super::reply;
use super::users::authorized_user;
use crate::auth::Authenticated;
use crate::views::factors::{
    FactorView, FactorsView, NewKeyView, NewTotpView, PasskeyLinkView, RecoveryCodesView,
};
use crate::views::WriteReply;
use crate::Gateway;

/// A new authenticator app: its secret and `otpauth://` URI, until its first code verifies it.
pub async fn add_totp(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<NewTotpView, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let t = gw.bus.add_totp(&auth.caller, &auth.instance, id).await?;
    Ok(NewTotpView {
        uri: t.key.uri,
        secret: t.key.secret,
        sequence: t.written.sequence,
        position: t.written.position.to_string(),
    })
}

/// Verifies the new authenticator app with its first code.
pub async fn verify_totp(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    code: &str,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let w = gw
        .bus
        .verify_totp(&auth.caller, &auth.instance, id, code)
        .await?;
    Ok(reply(None, w))
}

pub async fn remove_totp(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let change = domain::user::UserChange::RemoveTotp;
    let w = gw
        .bus
        .change_user(&auth.caller, &auth.instance, id, change, None)
        .await?;
    Ok(reply(None, w))
}

/// Turns login codes by email or SMS on (`on`) or off.
pub async fn set_otp(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    channel: Channel,
    on: bool,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let (caller, instance) = (&auth.caller, &auth.instance);
    let w = match on {
        true => gw.bus.add_otp(caller, instance, id, channel).await?,
        false => {
            let change = domain::user::UserChange::RemoveOtp { channel };
            gw.bus
                .change_user(caller, instance, id, change, None)
                .await?
        }
    };
    Ok(reply(None, w))
}

/// Ten new recovery codes, shown once.
pub async fn recovery_codes(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
) -> Result<RecoveryCodesView, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let (w, codes) = gw
        .bus
        .new_recovery_codes(&auth.caller, &auth.instance, id)
        .await?;
    Ok(RecoveryCodesView {
        codes,
        sequence: w.sequence,
        position: w.position.to_string(),
    })
}

/// The user's factors (never a secret).
pub async fn list(gw: &Gateway, auth: &Authenticated, id: &str) -> Result<FactorsView, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let user = gw.bus.user(&auth.instance, id).await?;
    let f = &user.factors;
    let mut items = Vec::new();
    if let Some(t) = &f.totp {
        items.push(FactorView::of("totp", t.verified, None));
    }
    if f.otp_email {
        items.push(FactorView::of("otp_email", true, None));
    }
    if f.otp_sms {
        items.push(FactorView::of("otp_sms", true, None));
    }
    for (id, k) in &f.keys {
        items.push(FactorView {
            id: Some(id.clone()),
            name: Some(k.name.clone()),
            ..FactorView::of(k.kind.name(), true, None)
        });
    }
    if !f.recovery_codes.is_empty() {
        let left = f.recovery_codes.len() as u32;
        items.push(FactorView::of("recovery_codes", true, Some(left)));
    }
    Ok(FactorsView { items })
}

/// Begins registering a security key or a passkey: the options for
/// `navigator.credentials.create()` at `origin` (the instance's external URL).
pub async fn start_key(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    kind: KeyKind,
    origin: &str,
) -> Result<NewKeyView, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let k = gw
        .bus
        .start_key(&auth.caller, &auth.instance, id, kind, origin)
        .await?;
    Ok(NewKeyView {
        id: k.key_id,
        public_key_credential_creation_options: k.options,
        sequence: k.written.sequence,
        position: k.written.position.to_string(),
    })
}

pub async fn finish_key(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    answer: KeyAnswer<'_>,
    origin: &str,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let key_id = answer.key_id.to_string();
    let w = gw
        .bus
        .finish_key(&auth.caller, &auth.instance, id, answer, origin)
        .await?;
    Ok(reply(Some(key_id), w))
}

pub async fn remove_key(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    kind: KeyKind,
    key_id: &str,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let change = domain::user::UserChange::RemoveKey {
        key_id: key_id.to_string(),
        kind,
    };
    let w = gw
        .bus
        .change_user(&auth.caller, &auth.instance, id, change, None)
        .await?;
    Ok(reply(None, w))
}

/// A link that registers a passkey for the user without their password: sent by email, or
/// returned (`user.write`, never on oneself: a link one gets back proves nothing).
pub async fn passkey_link(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    delivery: command::Delivery,
    base_url: String,
) -> Result<PasskeyLinkView, Error> {
    authorized_user(gw, auth, id, UserOp::ManageMfa).await?;
    let (w, link) = gw
        .bus
        .passkey_link(&auth.caller, &auth.instance, id, delivery, base_url)
        .await?;
    Ok(PasskeyLinkView {
        link,
        sequence: w.sequence,
        position: w.position.to_string(),
    })
}

/// Where a registration link goes: `email` (or nothing) or `return`.
pub fn link_delivery(send: Option<&str>) -> Result<command::Delivery, Error> {
    match send {
        None | Some("email") => Ok(command::Delivery::Email),
        Some("return") => Ok(command::Delivery::Return),
        Some(_) => Err(
            Error::new(domain::Code::MalformedBody, "send is email or return")
                .with("field", "send"),
        ),
    }
}
