//! The hosted login's languages: English (the default) and German, chosen by the client's
//! `ui_locales`, then the browser's `Accept-Language` (actix-web's typed header: the language
//! of highest weight that the login speaks).

use actix_web::http::header::{AcceptLanguage, Header, Preference, Quality};
use actix_web::HttpMessage;
use domain::oidc::PendingAuthRequest;

use super::texts::{Texts, ENGLISH, GERMAN};

/// A language the login speaks, and its texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    English,
    German,
}

impl Language {
    pub fn texts(self) -> &'static Texts {
        match self {
            Language::English => &ENGLISH,
            Language::German => &GERMAN,
        }
    }

    /// Its language tag.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::German => "de",
        }
    }

    fn of_tag(primary: &str) -> Option<Language> {
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Language::English),
            "de" => Some(Language::German),
            _ => None,
        }
    }

    /// The language of a login's pages: the first of the client's `ui_locales` that the
    /// login speaks, else the browser's `Accept-Language`.
    pub fn of_login(request: &PendingAuthRequest, req: &impl HttpMessage) -> Language {
        request
            .ui_locales
            .iter()
            .find_map(|tag| Language::of_tag(tag.split('-').next().unwrap_or_default()))
            .unwrap_or_else(|| Language::of_request(req))
    }

    /// The language a request's `Accept-Language` asks for: of the languages it names with a
    /// weight above 0, the one of highest weight that the login speaks (the earlier on a tie);
    /// English when it names none, or does not parse.
    pub fn of_request(req: &impl HttpMessage) -> Language {
        let Ok(AcceptLanguage(mut named)) = AcceptLanguage::parse(req) else {
            return Language::English;
        };
        named.retain(|n| n.quality > Quality::ZERO);
        // A stable sort: equal weights keep the order they were named in.
        named.sort_by_key(|n| std::cmp::Reverse(n.quality));
        named
            .iter()
            .find_map(|n| match &n.item {
                Preference::Specific(tag) => Language::of_tag(tag.primary_language()),
                Preference::Any => None,
            })
            .unwrap_or(Language::English)
    }
}

#[cfg(test)]
mod tests {
    use super::Language::{self, English, German};

    fn of(header: &str) -> Language {
        let req = actix_web::test::TestRequest::default()
            .insert_header(("accept-language", header))
            .to_http_request();
        Language::of_request(&req)
    }

    #[test]
    fn the_browsers_first_language_the_login_speaks_is_chosen() {
        let none = actix_web::test::TestRequest::default().to_http_request();
        assert_eq!(Language::of_request(&none), English);
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
