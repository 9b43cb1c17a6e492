//! The instance's SMTP server and SMS provider (`iam.write` / `iam.read`), and the codes of a
//! user: email and phone verification (the user themself, or `user.write`), password reset and
//! invitation
//! (`user.write`, never on oneself), and a password set with a code (no caller: the code is the
//! proof, within the rate limits of the client's address and of the account).

use std::net::IpAddr;

use authz::{Permission, Target, UserOp};
use command::{CodeRequest, Delivery, SmtpInput};
use domain::user::CodeKind;
use domain::{Code, Error};

use super::users::authorized_user;
use super::{reply, require};
use crate::auth::Authenticated;
use crate::limits::Subject;
use crate::views::{CodeView, SmsSetView, SmsView, SmtpView, WriteReply};
use crate::Gateway;

fn instance_target(auth: &Authenticated) -> Target<'_> {
    Target::Instance {
        instance: &auth.instance,
    }
}

pub async fn set_smtp(
    gw: &Gateway,
    auth: &Authenticated,
    input: SmtpInput,
) -> Result<WriteReply, Error> {
    require(gw, auth, Permission::IAM_WRITE, instance_target(auth))?;
    let w = gw
        .bus
        .set_smtp(&auth.caller, &auth.instance, input, auth.if_match)
        .await?;
    Ok(reply(None, w))
}

pub async fn get_smtp(gw: &Gateway, auth: &Authenticated) -> Result<SmtpView, Error> {
    require(gw, auth, Permission::IAM_READ, instance_target(auth))?;
    let config = gw.bus.smtp(&auth.instance).await?.ok_or_else(|| {
        Error::new(
            Code::SmtpNotConfigured,
            "the instance has no SMTP server: set one with PUT /v1/instance/smtp",
        )
    })?;
    Ok(config.into())
}

pub async fn test_smtp(gw: &Gateway, auth: &Authenticated, to: &str) -> Result<(), Error> {
    require(gw, auth, Permission::IAM_WRITE, instance_target(auth))?;
    gw.bus
        .send_test_mail(&auth.caller, &auth.instance, to)
        .await
}

pub async fn set_sms(
    gw: &Gateway,
    auth: &Authenticated,
    endpoint: &str,
) -> Result<SmsSetView, Error> {
    require(gw, auth, Permission::IAM_WRITE, instance_target(auth))?;
    let (w, signing_key) = gw
        .bus
        .set_sms(&auth.caller, &auth.instance, endpoint, auth.if_match)
        .await?;
    Ok(SmsSetView {
        sequence: w.sequence,
        position: w.position.to_string(),
        signing_key,
    })
}

pub async fn get_sms(gw: &Gateway, auth: &Authenticated) -> Result<SmsView, Error> {
    require(gw, auth, Permission::IAM_READ, instance_target(auth))?;
    let config = gw.bus.sms(&auth.instance).await?.ok_or_else(|| {
        Error::new(
            Code::SmsNotConfigured,
            "the instance has no SMS provider: set one with PUT /v1/instance/sms",
        )
    })?;
    Ok(SmsView {
        endpoint: config.endpoint,
    })
}

/// Makes a code of `kind` for a user and sends it (by email or SMS) or returns it.
pub async fn add_code(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    kind: CodeKind,
    delivery: Delivery,
    base_url: String,
) -> Result<CodeView, Error> {
    let op = match delivery {
        Delivery::Return => UserOp::MarkVerified,
        Delivery::Email | Delivery::Sms => kind.op(),
    };
    authorized_user(gw, auth, id, op).await?;
    let request = CodeRequest {
        kind,
        delivery,
        base_url,
    };
    let (w, code) = gw
        .bus
        .add_code(&auth.caller, &auth.instance, id, request)
        .await?;
    Ok(CodeView {
        sequence: w.sequence,
        position: w.position.to_string(),
        code,
    })
}

/// Verifies a user's email address or phone number (`kind`) with its code (the user themself,
/// or `user.write`).
pub async fn verify(
    gw: &Gateway,
    auth: &Authenticated,
    id: &str,
    kind: CodeKind,
    code: &str,
) -> Result<WriteReply, Error> {
    authorized_user(gw, auth, id, kind.op()).await?;
    let who = code_subject(auth.client_ip, &auth.instance);
    gw.limits.check(&who)?;
    let w = gw
        .bus
        .verify_code(&auth.caller, &auth.instance, id, kind, code)
        .await
        .inspect_err(|e| {
            if e.code == Code::InvalidCode {
                gw.limits.failed(&who);
            }
        })?;
    Ok(reply(None, w))
}

/// A code check names no account an attacker could slow for others: the address counts.
fn code_subject(ip: Option<IpAddr>, instance: &str) -> Subject<'_> {
    Subject {
        ip,
        instance,
        account: None,
    }
}

/// Sets a password with a reset or invitation code, for anyone who holds the code.
pub async fn set_password_by_code(
    gw: &Gateway,
    instance: &str,
    ip: Option<IpAddr>,
    id: &str,
    code: &str,
    new_password: String,
) -> Result<WriteReply, Error> {
    let who = code_subject(ip, instance);
    gw.limits.check(&who)?;
    let w = gw
        .bus
        .set_password_by_code(instance, id, code, new_password)
        .await
        .map_err(|e| match e.code {
            // An unknown user is a wrong code: the answer says nothing of who exists.
            Code::UserNotFound | Code::WrongUserType => Error::new(
                Code::InvalidCode,
                "the code is wrong, used or expired; ask for a new one",
            )
            .with("field", "code"),
            _ => e,
        })
        .inspect_err(|e| {
            if e.code == Code::InvalidCode {
                gw.limits.failed(&who);
            }
        })?;
    Ok(reply(None, w))
}
