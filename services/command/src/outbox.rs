//! The outbox's sending: one waiting message at a time, read from its user's aggregate (so
//! that a message sent, replaced or given up meanwhile is not sent again), rendered in the
//! user's language and their org's colours, sent, and recorded as sent or failed (the next
//! attempt backs off; past its code's life the message is given up).

use crypto::sealing::Purpose;
use domain::settings::MessageTemplate;
use domain::user::{Channel, CodeKind, PendingCode, User, UserChange, UserCommand, UserKind};
use domain::{Aggregate, Error};
use notify::{CodeMail, Look, Mail, Sms};

use crate::actor::now_ms;
use crate::bus::CommandBus;
use crate::codes::{outbox_caller, unseal};
use crate::sagas::key;

/// The message template of a code of `kind`.
fn template(kind: CodeKind) -> MessageTemplate {
    match kind {
        CodeKind::VerifyEmail => MessageTemplate::VerifyEmail,
        CodeKind::VerifyPhone => MessageTemplate::VerifyPhone,
        CodeKind::PasswordReset => MessageTemplate::PasswordReset,
        CodeKind::Init => MessageTemplate::Init,
        CodeKind::OtpEmail => MessageTemplate::OtpEmail,
        CodeKind::PasskeyRegistration => MessageTemplate::PasskeyRegistration,
        CodeKind::OtpSms => MessageTemplate::OtpSms,
    }
}

/// A message's colours: the branding in force for its user.
fn look(branding: &domain::settings::BrandingSettings) -> Look {
    Look {
        primary_color: branding.primary_color.clone(),
        background_color: branding.background_color.clone(),
        font_color: branding.font_color.clone(),
    }
}

/// The hosted login's page that takes a code of `kind`; none for a login code, which is typed
/// on the page where its login waits.
fn page(kind: CodeKind) -> Option<&'static str> {
    match kind {
        CodeKind::VerifyEmail => Some("verify"),
        CodeKind::VerifyPhone => Some("verify_phone"),
        CodeKind::PasswordReset => Some("reset"),
        CodeKind::Init => Some("invite"),
        CodeKind::PasskeyRegistration => Some("passkey"),
        CodeKind::OtpEmail | CodeKind::OtpSms => None,
    }
}

impl CommandBus {
    /// Sends the message `message_id` of a user if it still waits and its turn has come, and
    /// records the outcome. Returns whether an attempt was made.
    pub async fn deliver(
        &self,
        instance: &str,
        user_id: &str,
        message_id: &str,
    ) -> Result<bool, Error> {
        let k = key(instance, User::KIND, user_id);
        let (user, _) = self.state::<User>(&k).await?;
        let Some((kind, code, _)) = user.pending_message(message_id) else {
            return Ok(false);
        };
        let now = now_ms();
        if code.retry_at.is_some_and(|at| at > now) {
            return Ok(false);
        }
        let outcome = self.send_code(instance, user_id, &user, kind, code).await;
        if let Err(why) = &outcome {
            tracing::warn!(instance, user_id, message_id, kind = kind.name(), error = %why, "a message could not be sent; it is tried again later");
        } else {
            tracing::info!(
                instance,
                user_id,
                message_id,
                kind = kind.name(),
                "message sent"
            );
        }
        let change = UserChange::Delivered {
            message_id: message_id.to_string(),
            failure: outcome.err(),
            at: now_ms(),
        };
        self.execute::<User>(
            &k,
            &outbox_caller(instance),
            UserCommand::Change(change),
            None,
        )
        .await?;
        Ok(true)
    }

    async fn send_code(
        &self,
        instance: &str,
        user_id: &str,
        user: &User,
        kind: CodeKind,
        code: &PendingCode,
    ) -> Result<(), String> {
        let message = code.message.as_ref().ok_or("no message")?;
        let Some(UserKind::Human {
            profile,
            email,
            phone,
        }) = &user.kind
        else {
            return Err("the user is not a human".into());
        };
        let key = self.master_key().map_err(|e| e.message)?;
        let plain = unseal(key, Purpose::MessageCode, instance, &message.sealed_code)
            .map_err(|e| e.message)?;
        let (org, own) = self
            .settings_of_user(instance, user)
            .await
            .map_err(|e| e.message)?;
        let branding = domain::settings::branding(org.as_ref(), &own);
        let language = profile
            .preferred_language
            .as_deref()
            .and_then(|l| domain::settings::language(l).ok())
            .unwrap_or_else(|| "en".to_string());
        let (own_texts, org_texts) = self
            .texts_maps(instance, user.exists().then_some(user.org.as_str()))
            .await
            .unwrap_or_default();
        let texts =
            domain::settings::texts_for(org_texts.as_ref(), &own_texts, template(kind), &language);
        let link = match page(kind) {
            Some(page) => format!(
                "{}/ui/login/{page}?user={user_id}&code={plain}",
                message.base_url.trim_end_matches('/'),
            ),
            None => String::new(),
        };
        let mut m = CodeMail {
            kind,
            code: &plain,
            link: &link,
            display_name: &profile.display_name,
            language: &language,
            texts,
            look: look(&branding),
            sender_name: "",
        };
        match message.channel {
            Channel::Sms => {
                let to = phone.clone().ok_or("the user has no phone number")?;
                let provider = self.sms_provider(instance).await.map_err(|e| e.message)?;
                let sms = Sms {
                    to,
                    text: notify::code_sms(&m),
                };
                let now = now_ms() / 1000;
                notify::send_sms(&provider, &sms, self.allow_private_hosts, now).await
            }
            Channel::Email => {
                let server = self.smtp_server(instance).await.map_err(|e| e.message)?;
                m.sender_name = &server.sender_name;
                let (subject, text, html) = notify::code_mail(&m)?;
                let mail = Mail {
                    to: email.address.clone(),
                    subject,
                    text,
                    html,
                };
                notify::send(&server, &mail, self.allow_private_hosts).await
            }
        }
    }
}
