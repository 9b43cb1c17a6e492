//! The hosted login's languages: English (the default) and German, chosen by the browser's
//! `Accept-Language` (the first language it names that the login speaks, by weight).

/// A language the login speaks, and its texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    English,
    German,
}

/// Every text of the login form, in one language.
pub struct Texts {
    /// The BCP 47 tag, for `<html lang>`.
    pub tag: &'static str,
    pub log_in: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub wrong: &'static str,
    pub too_many: &'static str,
    pub busy: &'static str,
}

const ENGLISH: Texts = Texts {
    tag: "en",
    log_in: "Log in",
    username: "Username",
    password: "Password",
    wrong: "Wrong username or password, or the account cannot log in.",
    too_many: "Too many failed attempts. Wait a moment, then try again.",
    busy: "The service is busy. Try again in a moment.",
};

const GERMAN: Texts = Texts {
    tag: "de",
    log_in: "Anmelden",
    username: "Benutzername",
    password: "Passwort",
    wrong: "Benutzername oder Passwort ist falsch, oder das Konto kann sich nicht anmelden.",
    too_many: "Zu viele Fehlversuche. Warten Sie einen Moment und versuchen Sie es dann erneut.",
    busy: "Der Dienst ist ausgelastet. Versuchen Sie es gleich noch einmal.",
};

impl Language {
    pub fn texts(self) -> &'static Texts {
        match self {
            Language::English => &ENGLISH,
            Language::German => &GERMAN,
        }
    }

    fn of_tag(tag: &str) -> Option<Language> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Language::English),
            "de" => Some(Language::German),
            _ => None,
        }
    }

    /// The language of an `Accept-Language` header: the one of highest weight the login
    /// speaks (the earlier on a tie); English when it names none (or is garbled).
    pub fn from_accept_language(header: Option<&str>) -> Language {
        let Some(header) = header else {
            return Language::English;
        };
        let mut best: Option<(f32, Language)> = None;
        // A header is short; a longer one is not a browser's.
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let Some(language) = parts.next().and_then(Language::of_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| (0.0..=1.0).contains(q) && *q > 0.0);
            if let Some(q) = weight {
                if best.is_none_or(|(b, _)| q > b) {
                    best = Some((q, language));
                }
            }
        }
        best.map_or(Language::English, |(_, l)| l)
    }
}

#[cfg(test)]
mod tests {
    use super::Language::{self, English, German};

    #[test]
    fn the_browsers_first_language_the_login_speaks_is_chosen() {
        let of = |h: &str| Language::from_accept_language(Some(h));
        assert_eq!(Language::from_accept_language(None), English);
        assert_eq!(of("de-CH, de;q=0.9, en;q=0.8"), German);
        assert_eq!(of("fr-FR, fr;q=0.9, de;q=0.7, en;q=0.5"), German);
        assert_eq!(of("en-GB,en;q=0.9,de;q=0.8"), English);
        assert_eq!(of("fr, it"), English);
        assert_eq!(of("de;q=0, en;q=0.1"), English);
        assert_eq!(of("DE"), German);
        // Garbled weights and tags count for nothing.
        assert_eq!(of("de;q=2, en"), English);
        assert_eq!(of("de;q=abc"), English);
        assert_eq!(of(";;;,,,"), English);
    }
}
