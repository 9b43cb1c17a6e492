//! `NotificationService`: the instance's SMTP server, users' codes, and the messages' texts
//! (REST `/v1/instance/smtp`, `/v1/users/{id}/email/...`, `/password/reset`, `/invite`,
//! `/v1/instance/texts` and `/v1/orgs/{org_id}/texts`).

use command::{Delivery, SmtpInput};
use domain::settings::MessageTexts;
use domain::smtp::SmtpTls;
use domain::user::CodeKind;
use domain::{Code, Error};

use super::call::Api;
use super::pb;
use crate::api::{notifications, texts};
use crate::reads::read;
use crate::views::{CodeView, SmtpView};
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

fn delivery(send: &str) -> Result<Delivery, Error> {
    match send {
        "" | "email" => Ok(Delivery::Email),
        "return" => Ok(Delivery::Return),
        _ => Err(Error::new(Code::MalformedBody, "send is email or return").with("field", "send")),
    }
}

/// Where a code's message links to: the instance's first domain at the external URL.
async fn base_url(gw: &Gateway, instance: &str) -> Result<String, Error> {
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
    let delivery = delivery(&send)?;
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

    rpc!(instance send_email_code(pb::SendEmailCodeRequest) -> pb::CodeReply,
        |gw, auth, r| code(&gw, &auth, (r.id, r.send), CodeKind::VerifyEmail).await);

    rpc!(instance verify_email(pb::VerifyEmailRequest) -> pb::WriteReply,
        |gw, auth, r| notifications::verify_email(&gw, &auth, &r.id, &r.code).await);

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
