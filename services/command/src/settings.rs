//! Settings of an instance and of its orgs, read from and written to their aggregates (they
//! are few and read where a decision needs them, so no read model holds them).

use authz::Caller;
use domain::instance::{Instance, InstanceCommand};
use domain::org::{Org, OrgCommand};
use domain::settings::{
    LockoutSettings, MessageTemplate, MessageTexts, PasswordComplexitySettings, Settings,
    SettingsKind, SettingsMap, TextsMap,
};
use domain::user::User;
use domain::{Aggregate, Code, Error};

use crate::bus::CommandBus;
use crate::sagas::key;
use crate::Written;

/// The settings and texts an instance sets, and those of an org.
#[derive(Clone, Debug, Default)]
pub struct Appearance {
    pub settings: SettingsMap,
    pub org_settings: Option<SettingsMap>,
    pub texts: TextsMap,
    pub org_texts: Option<TextsMap>,
}

impl CommandBus {
    /// The instance, and the org if one is given (an org that does not exist is `ORG-0001`).
    async fn instance_and_org(
        &self,
        instance: &str,
        org: Option<&str>,
    ) -> Result<(Instance, Option<Org>), Error> {
        let (own, _) = self
            .state::<Instance>(&key(instance, Instance::KIND, instance))
            .await?;
        let org = match org {
            Some(id) => {
                let (org, _) = self.state::<Org>(&key(instance, Org::KIND, id)).await?;
                if !org.exists() {
                    return Err(Error::new(Code::OrgNotFound, "the org does not exist"));
                }
                Some(org)
            }
            None => None,
        };
        Ok((own, org))
    }

    /// The settings the instance sets, and those the org sets (if an org is given; an org
    /// that does not exist is `ORG-0001`).
    pub async fn settings_maps(
        &self,
        instance: &str,
        org: Option<&str>,
    ) -> Result<(SettingsMap, Option<SettingsMap>), Error> {
        let (own, org) = self.instance_and_org(instance, org).await?;
        Ok((own.settings, org.map(|o| o.settings)))
    }

    /// The settings that apply to a user: their org's and their instance's. A user (or an
    /// org) removed since gets the instance's.
    pub(crate) async fn settings_of_user(
        &self,
        instance: &str,
        user: &User,
    ) -> Result<(Option<SettingsMap>, SettingsMap), Error> {
        let (own, _) = self.settings_maps(instance, None).await?;
        let org = match user.exists() {
            true => {
                let (org, _) = self
                    .state::<Org>(&key(instance, Org::KIND, &user.org))
                    .await?;
                org.exists().then_some(org.settings)
            }
            false => None,
        };
        Ok((org, own))
    }

    /// The lockout settings in force for a user.
    pub async fn lockout_settings(
        &self,
        instance: &str,
        user: &User,
    ) -> Result<LockoutSettings, Error> {
        let (org, own) = self.settings_of_user(instance, user).await?;
        Ok(domain::settings::lockout(org.as_ref(), &own))
    }

    /// The password rules in force in an org (an org that does not exist is `ORG-0001`).
    pub async fn password_complexity(
        &self,
        instance: &str,
        org: &str,
    ) -> Result<PasswordComplexitySettings, Error> {
        let (own, org) = self.settings_maps(instance, Some(org)).await?;
        Ok(domain::settings::password_complexity(org.as_ref(), &own))
    }

    pub async fn set_instance_settings(
        &self,
        caller: &Caller,
        instance: &str,
        settings: Settings,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let k = key(instance, Instance::KIND, instance);
        self.execute::<Instance>(&k, caller, InstanceCommand::SetSettings(settings), if_match)
            .await
    }

    /// Sets the org's own value of a kind (`Some`), or returns it to the instance's (`None`).
    pub async fn set_org_settings(
        &self,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        kind: SettingsKind,
        settings: Option<Settings>,
        if_match: Option<u64>,
    ) -> Result<Written, Error> {
        let cmd = match settings {
            Some(s) => OrgCommand::SetSettings(s),
            None => OrgCommand::ResetSettings(kind),
        };
        self.execute::<Org>(&key(instance, Org::KIND, org_id), caller, cmd, if_match)
            .await
    }
}

impl CommandBus {
    /// Sets (or with `None` removes) a message template's texts in a language, of the
    /// instance (`org` absent) or of an org.
    pub async fn set_texts(
        &self,
        caller: &Caller,
        instance: &str,
        org: Option<&str>,
        template: MessageTemplate,
        language: &str,
        texts: Option<MessageTexts>,
    ) -> Result<Written, Error> {
        let language = language.to_string();
        match org {
            Some(id) => {
                let cmd = OrgCommand::SetTexts {
                    template,
                    language,
                    texts,
                };
                self.execute::<Org>(&key(instance, Org::KIND, id), caller, cmd, None)
                    .await
            }
            None => {
                let cmd = InstanceCommand::SetTexts {
                    template,
                    language,
                    texts,
                };
                self.execute::<Instance>(
                    &key(instance, Instance::KIND, instance),
                    caller,
                    cmd,
                    None,
                )
                .await
            }
        }
    }

    /// What the hosted login shows for the instance and an org (if one is given; an org that
    /// does not exist is `ORG-0001`): the settings and the texts each sets, in one read.
    pub async fn appearance(&self, instance: &str, org: Option<&str>) -> Result<Appearance, Error> {
        let (own, org) = self.instance_and_org(instance, org).await?;
        let (org_settings, org_texts) = match org {
            Some(o) => (Some(o.settings), Some(o.texts)),
            None => (None, None),
        };
        Ok(Appearance {
            settings: own.settings,
            org_settings,
            texts: own.texts,
            org_texts,
        })
    }

    /// The message texts the instance sets, and those the org sets (if an org is given; an
    /// org that does not exist is `ORG-0001`).
    pub async fn texts_maps(
        &self,
        instance: &str,
        org: Option<&str>,
    ) -> Result<(TextsMap, Option<TextsMap>), Error> {
        let (own, org) = self.instance_and_org(instance, org).await?;
        Ok((own.texts, org.map(|o| o.texts)))
    }
}
