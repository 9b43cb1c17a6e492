//! What a page of the hosted login shows for an org (else the instance): its look (the
//! branding settings), the login settings (what it offers), and the page's own texts in its
//! language, all from one read of the instance and the org.

use domain::settings::{BrandingSettings, LoginSettings, MessageTemplate, MessageTexts};

use super::language::Language;
use crate::Gateway;

pub(super) struct PageLook {
    pub look: BrandingSettings,
    pub login: LoginSettings,
    /// The instance's or org's texts of the page (what they leave out is built in).
    pub texts: MessageTexts,
}

impl PageLook {
    /// The page's title: its own, else `built_in`.
    pub fn title(&self, built_in: &'static str) -> &str {
        self.texts.title.as_deref().unwrap_or(built_in)
    }

    /// Its button's text: its own, else `built_in`.
    pub fn button(&self, built_in: &'static str) -> &str {
        self.texts.button_text.as_deref().unwrap_or(built_in)
    }
}

/// The page `template` of `org` (else of the instance; an org gone since counts as none) in
/// `language`, or the defaults if the settings cannot be read now: the login goes on.
pub(super) async fn page_look(
    gw: &Gateway,
    instance: &str,
    org: Option<&str>,
    template: MessageTemplate,
    language: Language,
) -> PageLook {
    let appearance = match gw.bus.appearance(instance, org).await {
        Ok(found) => Ok(found),
        Err(_) => gw.bus.appearance(instance, None).await,
    };
    match appearance {
        Ok(a) => PageLook {
            look: domain::settings::branding(a.org_settings.as_ref(), &a.settings),
            login: domain::settings::login(a.org_settings.as_ref(), &a.settings),
            texts: domain::settings::texts_for(
                a.org_texts.as_ref(),
                &a.texts,
                template,
                language.tag(),
            ),
        },
        Err(e) => {
            tracing::warn!(error = %e, "the login's settings cannot be read now; showing the defaults");
            PageLook {
                look: BrandingSettings::default(),
                login: LoginSettings::default(),
                texts: MessageTexts::default(),
            }
        }
    }
}
