//! What a code's message says, in English and German, and how it looks (the org's branding).

use askama::Template;
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
    /// The page of the hosted login that takes the code.
    pub link: &'a str,
    pub display_name: &'a str,
    /// The user's preferred language (BCP 47); German for `de…`, else English.
    pub language: Option<&'a str>,
    pub look: Look,
    /// The instance's or org's name, for the greeting line.
    pub sender_name: &'a str,
}

struct Texts {
    tag: &'static str,
    subject: &'static str,
    greeting: &'static str,
    text: &'static str,
    code_label: &'static str,
    button: &'static str,
    ignore: &'static str,
}

fn texts(kind: CodeKind, german: bool) -> Texts {
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
    };
    match german {
        false => Texts {
            tag: "en",
            subject,
            greeting: "Hello",
            text,
            code_label: "Your code",
            button,
            ignore: "If you did not ask for this, ignore this message: nothing changes.",
        },
        true => Texts {
            tag: "de",
            subject,
            greeting: "Hallo",
            text,
            code_label: "Ihr Code",
            button,
            ignore: "Wenn Sie das nicht verlangt haben, ignorieren Sie diese Nachricht: es ändert sich nichts.",
        },
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
    let german = m
        .language
        .is_some_and(|l| l.to_ascii_lowercase().starts_with("de"));
    let t = texts(m.kind, german);
    let html = Html { t: &t, m }.render().map_err(|e| e.to_string())?;
    let text = Text { t: &t, m }.render().map_err(|e| e.to_string())?;
    Ok((t.subject.to_string(), text, html))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(language: Option<&'static str>) -> CodeMail<'static> {
        CodeMail {
            kind: CodeKind::PasswordReset,
            code: "K7QX2M9P",
            link: "https://acme.test/ui/login/reset?code=K7QX2M9P&user=u1",
            display_name: "Ada <script>",
            language,
            look: Look {
                primary_color: "#5469d4".into(),
                background_color: "#fafafa".into(),
                font_color: "#000000".into(),
            },
            sender_name: "Acme",
        }
    }

    #[test]
    fn messages_carry_the_code_and_link_in_the_users_language_escaped() {
        let (subject, text, html) = code_mail(&mail(None)).unwrap();
        assert_eq!(subject, "Reset your password");
        assert!(text.contains("K7QX2M9P") && text.contains("Hello Ada <script>"));
        assert!(html.contains("K7QX2M9P") && html.contains("#5469d4"));
        assert!(html.contains("Ada &#60;script&#62;") || html.contains("Ada &lt;script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(
            html.contains("code=K7QX2M9P&#38;user=u1")
                || html.contains("code=K7QX2M9P&amp;user=u1")
        );
        let (subject, text, _) = code_mail(&mail(Some("de-CH"))).unwrap();
        assert_eq!(subject, "Setzen Sie Ihr Passwort zurück");
        assert!(text.contains("Hallo Ada"));
    }
}
