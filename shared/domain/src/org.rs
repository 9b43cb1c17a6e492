//! The Org aggregate: an organization and its org-level (ORG_*) members.

use authz::{Level, Permission, Place, Requirement, Target};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::idp::{decide_idp, Idp, IdpChange, IdpCommand, Idps};
use crate::lifecycle::Lifecycle;
use crate::members::{decide_member, MemberChange, MemberCommand, MemberMap};
use crate::org_domain::{apply_domain, decide_domain, DomainChange, DomainCommand, OrgDomains};
use crate::settings::{
    apply_texts, decide_texts, MessageTemplate, MessageTexts, Settings, SettingsKind, SettingsMap,
    TextsMap,
};
use crate::validate;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    pub lifecycle: Lifecycle,
    pub name: String,
    pub members: MemberMap,
    /// The kinds of settings the org overrides (`policy.write`).
    #[serde(default)]
    pub settings: SettingsMap,
    /// The messages' texts the org sets, by `template/language`.
    #[serde(default)]
    pub texts: TextsMap,
    /// The external identity providers the org's users may log in with, by id.
    #[serde(default)]
    pub idps: Idps,
    /// Its domains, verified or not.
    #[serde(default)]
    pub domains: OrgDomains,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OrgCommand {
    Create {
        name: String,
    },
    /// Org-level (ORG_*) memberships.
    Member(MemberCommand),
    Remove,
    /// A new name (the service claims it first).
    Rename {
        name: String,
    },
    /// The org's own value of one kind of settings (`policy.write`).
    SetSettings(Settings),
    /// Back to the instance's value (`policy.delete`).
    ResetSettings(SettingsKind),
    /// A message template's texts in a language (`policy.write`; `None`: the instance's
    /// again, `policy.delete`).
    SetTexts {
        template: MessageTemplate,
        language: String,
        texts: Option<MessageTexts>,
    },
    /// Its external identity providers (`org.idp.write`, `org.idp.delete`).
    Idp(IdpCommand),
    /// Its domains (`org.write`).
    Domain(DomainCommand),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrgEvent {
    Added {
        name: String,
    },
    MemberSet {
        user_id: String,
        roles: Vec<String>,
    },
    MemberRemoved {
        user_id: String,
    },
    Removed {
        name: String,
    },
    // Release 0.1's payloads name variants by index: keep the order of those it knew.
    Renamed {
        name: String,
    },
    SettingsSet {
        settings: Settings,
    },
    SettingsReset {
        kind: SettingsKind,
    },
    TextsSet {
        template: MessageTemplate,
        language: String,
        texts: Option<MessageTexts>,
    },
    IdpAdded {
        id: String,
        idp: Idp,
    },
    IdpChanged {
        id: String,
        idp: Idp,
    },
    IdpRemoved {
        id: String,
    },
    DomainAdded {
        domain: String,
        token: String,
    },
    DomainVerified {
        domain: String,
    },
    DomainRemoved {
        domain: String,
    },
}

impl EventType for OrgEvent {
    fn event_type(&self) -> &'static str {
        match self {
            OrgEvent::Added { .. } => "org.added",
            OrgEvent::MemberSet { .. } => "org.member.set",
            OrgEvent::MemberRemoved { .. } => "org.member.removed",
            OrgEvent::Removed { .. } => "org.removed",
            OrgEvent::Renamed { .. } => "org.renamed",
            OrgEvent::SettingsSet { .. } => "org.settings.set",
            OrgEvent::SettingsReset { .. } => "org.settings.reset",
            OrgEvent::TextsSet { .. } => "org.texts.set",
            OrgEvent::IdpAdded { .. } => "org.idp.added",
            OrgEvent::IdpChanged { .. } => "org.idp.changed",
            OrgEvent::IdpRemoved { .. } => "org.idp.removed",
            OrgEvent::DomainAdded { .. } => "org.domain.added",
            OrgEvent::DomainVerified { .. } => "org.domain.verified",
            OrgEvent::DomainRemoved { .. } => "org.domain.removed",
        }
    }
}

/// The validated org name (also what its uniqueness claim is made on, lower-cased).
pub fn org_name(name: &str) -> Result<String> {
    validate::name(name, Code::InvalidOrgName, "name")
}

impl Aggregate for Org {
    const KIND: &'static str = "org";
    type Command = OrgCommand;
    type Event = OrgEvent;

    fn event_owners(event: &OrgEvent) -> Vec<String> {
        match event {
            OrgEvent::MemberSet { user_id, .. } => vec![user_id.clone()],
            OrgEvent::Added { .. }
            | OrgEvent::MemberRemoved { .. }
            | OrgEvent::Removed { .. }
            | OrgEvent::Renamed { .. }
            | OrgEvent::SettingsSet { .. }
            | OrgEvent::SettingsReset { .. }
            | OrgEvent::TextsSet { .. }
            | OrgEvent::IdpAdded { .. }
            | OrgEvent::IdpChanged { .. }
            | OrgEvent::IdpRemoved { .. }
            | OrgEvent::DomainAdded { .. }
            | OrgEvent::DomainVerified { .. }
            | OrgEvent::DomainRemoved { .. } => Vec::new(),
        }
    }

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    fn access<'a>(&'a self, key: &'a AggregateKey, cmd: &'a OrgCommand) -> Access<'a> {
        let org = Target::Org {
            instance: &key.instance,
            org: &key.id,
        };
        if let OrgCommand::Member(m) = cmd {
            let place = Place::Org {
                org: key.id.clone(),
            };
            return m.access(&authz::MemberPermissions::ORG, org, place);
        }
        let (perm, target) = match cmd {
            OrgCommand::Create { .. } => (
                Permission::ORG_CREATE,
                Target::Instance {
                    instance: &key.instance,
                },
            ),
            OrgCommand::Member(_) => unreachable!("handled above"),
            OrgCommand::Remove => (Permission::ORG_DELETE, org),
            OrgCommand::Rename { .. } => (Permission::ORG_WRITE, org),
            OrgCommand::SetSettings(_) => (Permission::POLICY_WRITE, org),
            OrgCommand::ResetSettings(_) => (Permission::POLICY_DELETE, org),
            OrgCommand::SetTexts { texts: Some(_), .. } => (Permission::POLICY_WRITE, org),
            OrgCommand::SetTexts { texts: None, .. } => (Permission::POLICY_DELETE, org),
            OrgCommand::Idp(IdpCommand::Remove { .. }) => (Permission::ORG_IDP_DELETE, org),
            OrgCommand::Idp(_) => (Permission::ORG_IDP_WRITE, org),
            OrgCommand::Domain(_) => (Permission::ORG_WRITE, org),
        };
        Access::Check(Requirement::plain(perm), target)
    }

    fn decide(&self, cmd: &OrgCommand, _ctx: Ctx<'_>) -> Result<Vec<OrgEvent>> {
        if let OrgCommand::Create { name } = cmd {
            if self.lifecycle != Lifecycle::New {
                return Err(Error::new(Code::OrgNameTaken, "the org exists already"));
            }
            return Ok(vec![OrgEvent::Added {
                name: org_name(name)?,
            }]);
        }
        if !self.exists() {
            return Err(Error::new(Code::OrgNotFound, "the org does not exist"));
        }
        Ok(match cmd {
            OrgCommand::Create { .. } => unreachable!("handled above"),
            OrgCommand::Member(m) => match decide_member(&self.members, Level::Org, m)? {
                None => vec![],
                Some(MemberChange::Set { user_id, roles }) => {
                    vec![OrgEvent::MemberSet { user_id, roles }]
                }
                Some(MemberChange::Removed { user_id }) => {
                    vec![OrgEvent::MemberRemoved { user_id }]
                }
            },
            OrgCommand::Remove => vec![OrgEvent::Removed {
                name: self.name.clone(),
            }],
            OrgCommand::Rename { name } => {
                let name = org_name(name)?;
                if name == self.name {
                    vec![]
                } else {
                    vec![OrgEvent::Renamed { name }]
                }
            }
            OrgCommand::SetSettings(settings) => {
                let settings = settings.clone().validated()?;
                if self.settings.get(&settings.kind()) == Some(&settings) {
                    return Ok(vec![]);
                }
                vec![OrgEvent::SettingsSet { settings }]
            }
            OrgCommand::ResetSettings(kind) if self.settings.contains_key(kind) => {
                vec![OrgEvent::SettingsReset { kind: *kind }]
            }
            OrgCommand::ResetSettings(_) => vec![],
            OrgCommand::SetTexts {
                template,
                language,
                texts,
            } => match decide_texts(&self.texts, *template, language, texts.as_ref())? {
                None => vec![],
                Some((language, texts)) => vec![OrgEvent::TextsSet {
                    template: *template,
                    language,
                    texts,
                }],
            },
            OrgCommand::Idp(c) => match decide_idp(&self.idps, c)? {
                None => vec![],
                Some(IdpChange::Added { id, idp }) => vec![OrgEvent::IdpAdded { id, idp }],
                Some(IdpChange::Changed { id, idp }) => vec![OrgEvent::IdpChanged { id, idp }],
                Some(IdpChange::Removed { id }) => vec![OrgEvent::IdpRemoved { id }],
            },
            OrgCommand::Domain(c) => match decide_domain(&self.domains, c)? {
                None => vec![],
                Some(DomainChange::Added { domain, token }) => {
                    vec![OrgEvent::DomainAdded { domain, token }]
                }
                Some(DomainChange::Verified { domain }) => {
                    vec![OrgEvent::DomainVerified { domain }]
                }
                Some(DomainChange::Removed { domain }) => vec![OrgEvent::DomainRemoved { domain }],
            },
        })
    }

    fn apply(&mut self, event: &OrgEvent) {
        match event {
            OrgEvent::Added { name } => {
                self.lifecycle = Lifecycle::Active;
                self.name = name.clone();
            }
            OrgEvent::MemberSet { user_id, roles } => {
                self.members.insert(user_id.clone(), roles.clone());
            }
            OrgEvent::MemberRemoved { user_id } => {
                self.members.remove(user_id);
            }
            OrgEvent::Removed { .. } => self.lifecycle = Lifecycle::Removed,
            OrgEvent::Renamed { name } => self.name = name.clone(),
            OrgEvent::SettingsSet { settings } => {
                self.settings.insert(settings.kind(), settings.clone());
            }
            OrgEvent::SettingsReset { kind } => {
                self.settings.remove(kind);
            }
            OrgEvent::TextsSet {
                template,
                language,
                texts,
            } => apply_texts(&mut self.texts, *template, language, texts),
            OrgEvent::IdpAdded { id, idp } | OrgEvent::IdpChanged { id, idp } => {
                self.idps.insert(id.clone(), idp.clone());
            }
            OrgEvent::IdpRemoved { id } => {
                self.idps.remove(id);
            }
            OrgEvent::DomainAdded { domain, token } => apply_domain(
                &mut self.domains,
                DomainChange::Added {
                    domain: domain.clone(),
                    token: token.clone(),
                },
            ),
            OrgEvent::DomainVerified { domain } => apply_domain(
                &mut self.domains,
                DomainChange::Verified {
                    domain: domain.clone(),
                },
            ),
            OrgEvent::DomainRemoved { domain } => apply_domain(
                &mut self.domains,
                DomainChange::Removed {
                    domain: domain.clone(),
                },
            ),
        }
    }
}
