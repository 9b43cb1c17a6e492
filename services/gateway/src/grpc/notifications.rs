//! `NotificationService`: the instance's SMTP server and SMS provider, users' codes, and the
//! messages' texts (REST `/v1/instance/smtp`, `/v1/instance/sms`, `/v1/users/{id}/email/...`,
//! `/phone/...`, `/password/reset`, `/invite`, `/v1/instance/texts` and
//! `/v1/orgs/{org_id}/texts`).

use command::{Delivery, SmtpInput};
use domain::settings::MessageTexts;
use domain::smtp::SmtpTls;
use domain::user::CodeKind;
use domain::{Code, Error};

use super::call::Api;
use super::pb;
use crate::api::{notifications, texts};
use crate::reads::read;
use crate::views::{CodeView, SmsSetView, SmsView, SmtpView};
use crate::Gateway;

impl From<SmtpView> for pb::Smtp {
    fn from(v: SmtpView) -> Self {
        pb::Smtp {
            host: v.host,
            port: u32::from(v.port),
            tls: v.tls.to_string(),
            user: v.user,
            has_password: v.has_password,
            sender_address: v.sender_address,
            sender_name: v.sender_name,
        }
    }
}

impl From<SmsView> for pb::Sms {
    fn from(v: SmsView) -> Self {
        pb::Sms {
            endpoint: v.endpoint,
        }
    }
}

impl From<SmsSetView> for pb::SetSmsReply {
    fn from(v: SmsSetView) -> Self {
        pb::SetSmsReply {
            sequence: v.sequence,
            position: v.position,
            signing_key: v.signing_key,
        }
    }
}

impl From<CodeView> for pb::CodeReply {
    fn from(v: CodeView) -> Self {
        pb::CodeReply {
            sequence: v.sequence,
            position: v.position,
            code: v.code,
        }
    }
}

/// A test message the server took.
struct Sent;

impl From<Sent> for pb::TestSmtpReply {
    fn from(_: Sent) -> Self {
        pb::TestSmtpReply {}
    }
}

/// A message's texts, as answered.
struct Texts(MessageTexts);

impl From<Texts> for pb::MessageTexts {
    fn from(Texts(t): Texts) -> Self {
        pb::MessageTexts {
            subject: t.subject,
            title: t.title,
            greeting: t.greeting,
            text: t.text,
            button_text: t.button_text,
        }
    }
}

fn message_texts(t: Option<pb::MessageTexts>) -> MessageTexts {
    let t = t.unwrap_or_default();
    MessageTexts {
        subject: t.subject,
        title: t.title,
        greeting: t.greeting,
        text: t.text,
        button_text: t.button_text,
    }
}

fn smtp_input(r: pb::SetSmtpRequest) -> Result<SmtpInput, Error> {
    let invalid = |field: &str| {
        Error::new(Code::InvalidSmtp, format!("{field} is not valid")).with("field", field)
    };
    let tls = match r.tls.as_str() {
        "" | "starttls" => SmtpTls::Starttls,
        "tls" => SmtpTls::Tls,
        "none" => SmtpTls::None,
        _ => return Err(invalid("tls")),
    };
    Ok(SmtpInput {
        host: r.host,
        port: u16::try_from(r.port).map_err(|_| invalid("port"))?,
        tls,
        user: r.user,
        password: r.password,
        sender_address: r.sender_address,
        sender_name: r.sender_name,
    })
}

/// Where a code of `kind` goes: as asked, or by default by email (by SMS for a phone's).
fn delivery(send: &str, kind: CodeKind) -> Result<Delivery, Error> {
    match (send, kind) {
        ("", CodeKind::VerifyPhone) | ("sms", _) => Ok(Delivery::Sms),
        ("" | "email", _) => Ok(Delivery::Email),
        ("return", _) => Ok(Delivery::Return),
        _ => Err(
            Error::new(Code::MalformedBody, "send is email, sms or return").with("field", "send"),
        ),
    }
}

/// Where a code's message links to: the instance's first domain at the external URL.
pub(super) async fn base_url(gw: &Gateway, instance: &str) -> Result<String, Error> {
    let i = instance.to_string();
    let row = read(gw, move |m| m.instance(&i)).await?;
    let host = row
        .and_then(|r| r.domains.into_iter().next())
        .ok_or_else(|| Error::new(Code::InstanceNotFound, "the instance does not exist"))?;
    Ok(gw.edge.external_url_of(&host))
}

async fn code(
    gw: &Gateway,
    auth: &crate::auth::Authenticated,
    (id, send): (String, String),
    kind: CodeKind,
) -> Result<CodeView, Error> {
    let delivery = delivery(&send, kind)?;
    let base = base_url(gw, &auth.instance).await?;
    notifications::add_code(gw, auth, &id, kind, delivery, base).await
}

#[tonic::async_trait]
impl pb::notification_service_server::NotificationService for Api {
    rpc!(instance set_smtp(pb::SetSmtpRequest) -> pb::WriteReply,
        |gw, auth, r| notifications::set_smtp(&gw, &auth, smtp_input(r)?).await);

    rpc!(instance get_smtp(pb::GetSmtpRequest) -> pb::Smtp,
        |gw, auth, _r| notifications::get_smtp(&gw, &auth).await);

    rpc!(instance test_smtp(pb::TestSmtpRequest) -> pb::TestSmtpReply,
        |gw, auth, r| notifications::test_smtp(&gw, &auth, &r.to).await.map(|()| Sent));

    rpc!(instance set_sms(pb::SetSmsRequest) -> pb::SetSmsReply,
        |gw, auth, r| notifications::set_sms(&gw, &auth, &r.endpoint).await);

    rpc!(instance get_sms(pb::GetSmsRequest) -> pb::Sms,
        |gw, auth, _r| notifications::get_sms(&gw, &auth).await);

    rpc!(instance send_email_code(pb::SendEmailCodeRequest) -> pb::CodeReply,
        |gw, auth, r| code(&gw, &auth, (r.id, r.send), CodeKind::VerifyEmail).await);

    rpc!(instance verify_email(pb::VerifyEmailRequest) -> pb::WriteReply,
    |gw, auth, r| {
        notifications::verify(&gw, &auth, &r.id, CodeKind::VerifyEmail, &r.code).await
    });

    rpc!(instance send_phone_code(pb::SendPhoneCodeRequest) -> pb::CodeReply,
        |gw, auth, r| code(&gw, &auth, (r.id, r.send), CodeKind::VerifyPhone).await);

    rpc!(instance verify_phone(pb::VerifyPhoneRequest) -> pb::WriteReply,
    |gw, auth, r| {
        notifications::verify(&gw, &auth, &r.id, CodeKind::VerifyPhone, &r.code).await
    });

    rpc!(instance reset_password(pb::ResetPasswordRequest) -> pb::CodeReply,
        |gw, auth, r| code(&gw, &auth, (r.id, r.send), CodeKind::PasswordReset).await);

    rpc!(instance invite_user(pb::InviteUserRequest) -> pb::CodeReply,
        |gw, auth, r| code(&gw, &auth, (r.id, r.send), CodeKind::Init).await);

    rpc!(instance get_instance_texts(pb::GetInstanceTextsRequest) -> pb::MessageTexts,
        |gw, auth, r| texts::get(&gw, &auth, None, &r.template, &r.language).await.map(Texts));

    rpc!(instance set_instance_texts(pb::SetInstanceTextsRequest) -> pb::WriteReply,
    |gw, auth, r| {
        let t = Some(message_texts(r.texts));
        texts::set(&gw, &auth, None, &r.template, &r.language, t).await
    });

    rpc!(instance reset_instance_texts(pb::ResetInstanceTextsRequest) -> pb::WriteReply,
        |gw, auth, r| texts::set(&gw, &auth, None, &r.template, &r.language, None).await);

    rpc!(instance get_org_texts(pb::GetOrgTextsRequest) -> pb::MessageTexts,
    |gw, auth, r| {
        let got = texts::get(&gw, &auth, Some(&r.org_id), &r.template, &r.language).await;
        got.map(Texts)
    });

    rpc!(instance set_org_texts(pb::SetOrgTextsRequest) -> pb::WriteReply,
    |gw, auth, r| {
        let t = Some(message_texts(r.texts));
        texts::set(&gw, &auth, Some(&r.org_id), &r.template, &r.language, t).await
    });

    rpc!(instance reset_org_texts(pb::ResetOrgTextsRequest) -> pb::WriteReply,
        |gw, auth, r| texts::set(&gw, &auth, Some(&r.org_id), &r.template, &r.language, None).await);
}
