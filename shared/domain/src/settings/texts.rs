//! The texts of the messages and of the hosted login's page, overridable per instance and per
//! org, per template and language: a field left out keeps the built-in text. An org's texts
//! come before the instance's, field by field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Code, Error, Result};

/// A message template, or a page of the hosted login (`login_page`, `register_page`,
/// `reset_page`, `invite_page`, `verify_email_page`, `verify_phone_page`,
/// `expired_password_page`, `accounts_page`, `logout_page`: its `title`, a `text` under it and
/// the `button_text`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageTemplate {
    Init,
    VerifyEmail,
    VerifyPhone,
    PasswordReset,
    OtpEmail,
    OtpSms,
    PasskeyRegistration,
    LoginPage,
    RegisterPage,
    ResetPage,
    AccountsPage,
    LogoutPage,
    ExpiredPasswordPage,
    InvitePage,
    VerifyEmailPage,
    VerifyPhonePage,
    MfaPage,
    MfaSetupPage,
}

impl MessageTemplate {
    pub const ALL: [MessageTemplate; 18] = [
        MessageTemplate::Init,
        MessageTemplate::VerifyEmail,
        MessageTemplate::VerifyPhone,
        MessageTemplate::PasswordReset,
        MessageTemplate::OtpEmail,
        MessageTemplate::OtpSms,
        MessageTemplate::PasskeyRegistration,
        MessageTemplate::LoginPage,
        MessageTemplate::RegisterPage,
        MessageTemplate::ResetPage,
        MessageTemplate::AccountsPage,
        MessageTemplate::LogoutPage,
        MessageTemplate::ExpiredPasswordPage,
        MessageTemplate::InvitePage,
        MessageTemplate::VerifyEmailPage,
        MessageTemplate::VerifyPhonePage,
        MessageTemplate::MfaPage,
        MessageTemplate::MfaSetupPage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MessageTemplate::Init => "init",
            MessageTemplate::VerifyEmail => "verify_email",
            MessageTemplate::VerifyPhone => "verify_phone",
            MessageTemplate::PasswordReset => "password_reset",
            MessageTemplate::OtpEmail => "otp_email",
            MessageTemplate::OtpSms => "otp_sms",
            MessageTemplate::PasskeyRegistration => "passkey_registration",
            MessageTemplate::LoginPage => "login_page",
            MessageTemplate::RegisterPage => "register_page",
            MessageTemplate::ResetPage => "reset_page",
            MessageTemplate::AccountsPage => "accounts_page",
            MessageTemplate::LogoutPage => "logout_page",
            MessageTemplate::ExpiredPasswordPage => "expired_password_page",
            MessageTemplate::InvitePage => "invite_page",
            MessageTemplate::VerifyEmailPage => "verify_email_page",
            MessageTemplate::VerifyPhonePage => "verify_phone_page",
            MessageTemplate::MfaPage => "mfa_page",
            MessageTemplate::MfaSetupPage => "mfa_setup_page",
        }
    }

    /// Whether it is a page of the hosted login (which has no subject and no greeting).
    pub fn is_page(self) -> bool {
        match self {
            MessageTemplate::LoginPage
            | MessageTemplate::RegisterPage
            | MessageTemplate::ResetPage
            | MessageTemplate::AccountsPage
            | MessageTemplate::LogoutPage
            | MessageTemplate::ExpiredPasswordPage
            | MessageTemplate::InvitePage
            | MessageTemplate::VerifyEmailPage
            | MessageTemplate::VerifyPhonePage
            | MessageTemplate::MfaPage
            | MessageTemplate::MfaSetupPage => true,
            MessageTemplate::Init
            | MessageTemplate::VerifyEmail
            | MessageTemplate::VerifyPhone
            | MessageTemplate::PasswordReset
            | MessageTemplate::OtpEmail
            | MessageTemplate::OtpSms
            | MessageTemplate::PasskeyRegistration => false,
        }
    }

    pub fn parse(name: &str) -> Result<MessageTemplate> {
        MessageTemplate::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                Error::new(
                    Code::UnknownSettingsKind,
                    format!("no template is named {name:?}; the templates are init, verify_email, verify_phone, password_reset, otp_email, otp_sms, passkey_registration, login_page, register_page, reset_page, invite_page, verify_email_page, verify_phone_page, expired_password_page, accounts_page and logout_page"),
                )
                .with("template", name)
            })
    }
}

/// The texts of one message template in one language; `None` keeps the built-in text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageTexts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_text: Option<String>,
}

fn invalid(field: &str, why: &str) -> Error {
    Error::new(Code::InvalidSettings, format!("{field} {why}")).with("field", field)
}

/// A one-line text: at most 200 characters, no control characters (a subject with a line
/// break would add headers).
fn line(value: &Option<String>, field: &str) -> Result<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > 200 || v.chars().any(char::is_control) => Err(invalid(
            field,
            "is at most 200 characters on one line, without control characters",
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

impl MessageTexts {
    pub fn validated(self) -> Result<MessageTexts> {
        let text = match self.text.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v)
                if v.chars().count() > 2000 || v.chars().any(|c| c.is_control() && c != '\n') =>
            {
                return Err(invalid(
                    "text",
                    "is at most 2000 characters, without control characters but line breaks",
                ))
            }
            Some(v) => Some(v.to_string()),
        };
        Ok(MessageTexts {
            subject: line(&self.subject, "subject")?,
            title: line(&self.title, "title")?,
            greeting: line(&self.greeting, "greeting")?,
            text,
            button_text: line(&self.button_text, "button_text")?,
        })
    }

    /// These texts, with what they leave out taken from `fallback`.
    pub fn or(self, fallback: &MessageTexts) -> MessageTexts {
        MessageTexts {
            subject: self.subject.or(fallback.subject.clone()),
            title: self.title.or(fallback.title.clone()),
            greeting: self.greeting.or(fallback.greeting.clone()),
            text: self.text.or(fallback.text.clone()),
            button_text: self.button_text.or(fallback.button_text.clone()),
        }
    }
}

/// A language tag (BCP 47's shape: a 2 or 3 letter language, then subtags of 1 to 8 letters
/// or digits), lower-cased.
pub fn language(tag: &str) -> Result<String> {
    let tag = tag.trim().to_ascii_lowercase();
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let ok = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && tag.len() <= 35;
    if !ok {
        return Err(Error::new(
            Code::InvalidSettings,
            format!("{tag:?} is not a language tag"),
        )
        .with("field", "language"));
    }
    Ok(tag)
}

/// The texts an instance or an org sets, by `template/language`.
pub type TextsMap = BTreeMap<String, MessageTexts>;

/// The key of a template's texts in a language.
pub fn texts_key(template: MessageTemplate, language: &str) -> String {
    format!("{}/{language}", template.name())
}

/// A change of a template's texts in a language (`None`: back to the built-in, or the
/// instance's), as a map holding `map` decides it: the validated change, or `None` when it
/// changes nothing.
pub fn decide_texts(
    map: &TextsMap,
    template: MessageTemplate,
    language_tag: &str,
    texts: Option<&MessageTexts>,
) -> Result<Option<(String, Option<MessageTexts>)>> {
    let language = language(language_tag)?;
    let texts = texts.cloned().map(MessageTexts::validated).transpose()?;
    if let Some(t) = texts.as_ref().filter(|_| template.is_page()) {
        for (field, set) in [("subject", &t.subject), ("greeting", &t.greeting)] {
            if set.is_some() {
                return Err(invalid(
                    field,
                    "is not a text of a page: set title, text and button_text",
                ));
            }
        }
    }
    let texts = texts.filter(|t| *t != MessageTexts::default());
    let key = texts_key(template, &language);
    if map.get(&key) == texts.as_ref() {
        return Ok(None);
    }
    Ok(Some((language, texts)))
}

/// Applies a change [`decide_texts`] decided.
pub fn apply_texts(
    map: &mut TextsMap,
    template: MessageTemplate,
    language: &str,
    texts: &Option<MessageTexts>,
) {
    let key = texts_key(template, language);
    match texts {
        Some(t) => {
            map.insert(key, t.clone());
        }
        None => {
            map.remove(&key);
        }
    }
}

/// The texts in force for a message: the org's, then the instance's, field by field, for the
/// language and then for its primary language (`de` for `de-ch`).
pub fn texts_for(
    org: Option<&TextsMap>,
    instance: &TextsMap,
    template: MessageTemplate,
    language: &str,
) -> MessageTexts {
    let primary = language.split('-').next().unwrap_or(language);
    let mut found = MessageTexts::default();
    for map in org.into_iter().chain([instance]) {
        for tag in [language, primary] {
            if let Some(t) = map.get(&texts_key(template, tag)) {
                found = found.or(t);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_checked_and_lower_cased() {
        assert_eq!(language("de-CH").unwrap(), "de-ch");
        for bad in ["", "d", "deutsch", "de_CH", "de-", "en-toolongsubtag", "e1"] {
            assert!(language(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_orgs_texts_come_first_field_by_field_then_the_primary_language() {
        let t = |subject: Option<&str>, text: Option<&str>| MessageTexts {
            subject: subject.map(String::from),
            text: text.map(String::from),
            ..MessageTexts::default()
        };
        let org = TextsMap::from([(
            texts_key(MessageTemplate::VerifyEmail, "de"),
            t(Some("Org-Betreff"), None),
        )]);
        let instance = TextsMap::from([(
            texts_key(MessageTemplate::VerifyEmail, "de"),
            t(Some("Instanz-Betreff"), Some("Instanz-Text")),
        )]);
        let found = texts_for(Some(&org), &instance, MessageTemplate::VerifyEmail, "de-ch");
        assert_eq!(found, t(Some("Org-Betreff"), Some("Instanz-Text")));
        let other = texts_for(Some(&org), &instance, MessageTemplate::Init, "de");
        assert_eq!(other, MessageTexts::default());
    }

    #[test]
    fn a_page_has_a_title_a_text_and_a_button_only() {
        let page = MessageTexts {
            title: Some("Sign in to Acme".into()),
            text: Some("Use your Acme account.".into()),
            button_text: Some("Sign in".into()),
            ..MessageTexts::default()
        };
        let map = TextsMap::new();
        let decided = decide_texts(&map, MessageTemplate::LoginPage, "EN", Some(&page));
        assert_eq!(decided.unwrap(), Some(("en".into(), Some(page.clone()))));
        for field in ["subject", "greeting"] {
            let mut bad = page.clone();
            match field {
                "subject" => bad.subject = Some("Hi".into()),
                _ => bad.greeting = Some("Hi".into()),
            }
            let e = decide_texts(&map, MessageTemplate::LoginPage, "en", Some(&bad)).unwrap_err();
            assert_eq!(e.details, vec![("field".to_string(), field.to_string())]);
        }
    }

    #[test]
    fn a_subject_cannot_add_headers() {
        let bad = MessageTexts {
            subject: Some("Hi\r\nBcc: x@y.z".into()),
            ..MessageTexts::default()
        };
        assert_eq!(bad.validated().unwrap_err().code, Code::InvalidSettings);
        let text = MessageTexts {
            text: Some("Line one\nLine two".into()),
            ..MessageTexts::default()
        };
        assert!(text.validated().is_ok());
    }
}
