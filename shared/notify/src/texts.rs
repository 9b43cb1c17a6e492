//! What a code's message says, in English and German, and how it looks (the org's branding).

use askama::Template;
use domain::settings::MessageTexts;
use domain::user::CodeKind;

/// The colours of the message: the branding in force for the user's org.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Look {
    pub primary_color: String,
    pub background_color: String,
    pub font_color: String,
}

/// A code's message, as the outbox renders it.
#[derive(Clone, Debug)]
pub struct CodeMail<'a> {
    pub kind: CodeKind,
    pub code: &'a str,
    /// The page of the hosted login that takes the code (empty for a login code: it is typed
    /// where the login waits).
    pub link: &'a str,
    pub display_name: &'a str,
    /// The message's language (BCP 47, lower case); German for `de…`, else English.
    pub language: &'a str,
    /// The instance's and org's texts for this template and language: what they set
    /// replaces the built-in text.
    pub texts: MessageTexts,
    pub look: Look,
    /// The instance's or org's name, for the greeting line.
    pub sender_name: &'a str,
}

struct Texts {
    tag: &'static str,
    subject: String,
    title: String,
    greeting: String,
    text: String,
    code_label: &'static str,
    button: String,
    ignore: &'static str,
}

fn texts(kind: CodeKind, german: bool, overrides: &MessageTexts) -> Texts {
    let (subject, text, button) = match (kind, german) {
        (CodeKind::VerifyEmail, false) => (
            "Verify your email address",
            "Enter this code to confirm that this is your email address. It is good for 60 minutes.",
            "Verify email address",
        ),
        (CodeKind::VerifyEmail, true) => (
            "Bestätigen Sie Ihre E-Mail-Adresse",
            "Geben Sie diesen Code ein, um zu bestätigen, dass dies Ihre E-Mail-Adresse ist. Er gilt 60 Minuten.",
            "E-Mail-Adresse bestätigen",
        ),
        (CodeKind::VerifyPhone, false) => (
            "Verify your phone number",
            "Enter this code to confirm your phone number. It is good for 60 minutes.",
            "Verify phone number",
        ),
        (CodeKind::VerifyPhone, true) => (
            "Bestätigen Sie Ihre Telefonnummer",
            "Geben Sie diesen Code ein, um Ihre Telefonnummer zu bestätigen. Er gilt 60 Minuten.",
            "Telefonnummer bestätigen",
        ),
        (CodeKind::PasswordReset, false) => (
            "Reset your password",
            "Someone asked to reset the password of your account. Enter this code to choose a new one; it is good for 30 minutes.",
            "Choose a new password",
        ),
        (CodeKind::PasswordReset, true) => (
            "Setzen Sie Ihr Passwort zurück",
            "Jemand hat verlangt, das Passwort Ihres Kontos zurückzusetzen. Geben Sie diesen Code ein, um ein neues zu wählen; er gilt 30 Minuten.",
            "Neues Passwort wählen",
        ),
        (CodeKind::Init, false) => (
            "Your new account",
            "An account was made for you. Enter this code to choose your password; it is good for 3 days.",
            "Choose your password",
        ),
        (CodeKind::Init, true) => (
            "Ihr neues Konto",
            "Für Sie wurde ein Konto angelegt. Geben Sie diesen Code ein, um Ihr Passwort zu wählen; er gilt 3 Tage.",
            "Passwort wählen",
        ),
        (CodeKind::PasskeyRegistration, false) => (
            "Register a passkey",
            "Open the link to register a passkey: you will log in with your device's screen lock or a security key, without a password. The link is good for 60 minutes.",
            "Register a passkey",
        ),
        (CodeKind::PasskeyRegistration, true) => (
            "Passkey registrieren",
            "Öffnen Sie den Link, um einen Passkey zu registrieren: Sie melden sich dann mit der Bildschirmsperre Ihres Geräts oder einem Sicherheitsschlüssel an, ohne Passwort. Der Link gilt 60 Minuten.",
            "Passkey registrieren",
        ),
        (CodeKind::OtpEmail | CodeKind::OtpSms, false) => (
            "Your login code",
            "Enter this code where you are logging in. It is good for 5 minutes.",
            "Log in",
        ),
        (CodeKind::OtpEmail | CodeKind::OtpSms, true) => (
            "Ihr Anmeldecode",
            "Geben Sie diesen Code dort ein, wo Sie sich gerade anmelden. Er gilt 5 Minuten.",
            "Anmelden",
        ),
    };
    let (tag, greeting, code_label, ignore) = match german {
        false => (
            "en",
            "Hello",
            "Your code",
            "If you did not ask for this, ignore this message: nothing changes.",
        ),
        true => (
            "de",
            "Hallo",
            "Ihr Code",
            "Wenn Sie das nicht verlangt haben, ignorieren Sie diese Nachricht: es ändert sich nichts.",
        ),
    };
    let own = |set: &Option<String>, built_in: &str| set.clone().unwrap_or(built_in.to_string());
    let subject = own(&overrides.subject, subject);
    Texts {
        tag,
        title: own(&overrides.title, &subject),
        subject,
        greeting: own(&overrides.greeting, greeting),
        text: own(&overrides.text, text),
        code_label,
        button: own(&overrides.button_text, button),
        ignore,
    }
}

#[derive(Template)]
#[template(path = "code.html")]
struct Html<'a> {
    t: &'a Texts,
    m: &'a CodeMail<'a>,
}

#[derive(Template)]
#[template(path = "code.txt")]
struct Text<'a> {
    t: &'a Texts,
    m: &'a CodeMail<'a>,
}

/// The subject, plain text and HTML of a code's message.
pub fn code_mail(m: &CodeMail<'_>) -> Result<(String, String, String), String> {
    let german = m.language.to_ascii_lowercase().starts_with("de");
    let t = texts(m.kind, german, &m.texts);
    let html = Html { t: &t, m }.render().map_err(|e| e.to_string())?;
    let text = Text { t: &t, m }.render().map_err(|e| e.to_string())?;
    Ok((t.subject.clone(), text, html))
}

/// A code's text message: the template's text, the code and the link, nothing else (a text
/// message is short, and plain).
pub fn code_sms(m: &CodeMail<'_>) -> String {
    let german = m.language.to_ascii_lowercase().starts_with("de");
    let t = texts(m.kind, german, &m.texts);
    match m.link {
        "" => format!("{}\n{}: {}", t.text, t.code_label, m.code),
        link => format!("{}\n{}: {}\n{}", t.text, t.code_label, m.code, link),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(language: &'static str) -> CodeMail<'static> {
        CodeMail {
            kind: CodeKind::PasswordReset,
            code: "K7QX2M9P",
            link: "https://acme.test/ui/login/reset?code=K7QX2M9P&user=u1",
            display_name: "Ada <script>",
            language,
            texts: MessageTexts::default(),
            look: Look {
                primary_color: "#5469d4".into(),
                background_color: "#fafafa".into(),
                font_color: "#000000".into(),
            },
            sender_name: "Acme",
        }
    }

    #[test]
    fn a_text_message_is_the_text_the_code_and_the_link() {
        let sms = code_sms(&CodeMail {
            kind: CodeKind::VerifyPhone,
            ..mail("de")
        });
        assert_eq!(
            sms,
            "Geben Sie diesen Code ein, um Ihre Telefonnummer zu bestätigen. Er gilt 60 Minuten.\nIhr Code: K7QX2M9P\nhttps://acme.test/ui/login/reset?code=K7QX2M9P&user=u1"
        );
    }

    #[test]
    fn messages_carry_the_code_and_link_in_the_users_language_escaped() {
        let (subject, text, html) = code_mail(&mail("en")).unwrap();
        assert_eq!(subject, "Reset your password");
        assert!(text.contains("K7QX2M9P") && text.contains("Hello Ada <script>"));
        assert!(html.contains("K7QX2M9P") && html.contains("#5469d4"));
        assert!(html.contains("Ada &#60;script&#62;") || html.contains("Ada &lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(
            html.contains("code=K7QX2M9P&#38;user=u1")
                || html.contains("code=K7QX2M9P&amp;user=u1")
        );
        let (subject, text, _) = code_mail(&mail("de-ch")).unwrap();
        assert_eq!(subject, "Setzen Sie Ihr Passwort zurück");
        assert!(text.contains("Hallo Ada"));
        // What the instance or org sets replaces the built-in text.
        let own = CodeMail {
            texts: MessageTexts {
                subject: Some("Neues Passwort für Acme".into()),
                text: Some("Ihr Code für Acme.".into()),
                ..MessageTexts::default()
            },
            ..mail("de")
        };
        let (subject, text, html) = code_mail(&own).unwrap();
        assert_eq!(subject, "Neues Passwort für Acme");
        assert!(
            text.contains("Ihr Code für Acme.")
                && html.contains(
                    "<h1 style=\"font-size:22px;margin:0 0 16px\">Neues Passwort für Acme</h1>"
                )
        );
    }
}
