//! The Instance aggregate: a tenant, its domains and its instance-level (IAM_*) members. The
//! system scope is an Instance aggregate too, of no tenant: it holds the system memberships
//! (SYSTEM_*) of the system users, who live in it, outside every instance.

use authz::{Caller, Level, Permission, Place, Requirement, Target};
use serde::{Deserialize, Serialize};

use crate::actions::{
    self, decide_action, ActionChange, ActionCommand, Actions, Condition, Execution,
};
use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::idp::{decide_idp, Idp, IdpChange, IdpCommand, Idps};
use crate::lifecycle::Lifecycle;
use crate::members::{decide_member, roles_for, MemberChange, MemberCommand, MemberMap};
use crate::settings::{
    apply_texts, decide_texts, MessageTemplate, MessageTexts, Settings, SettingsMap, TextsMap,
};
use crate::sms::SmsConfig;
use crate::smtp::SmtpConfig;
use crate::validate;

/// The scope of system principals: the instance id of their users and memberships. No tenant
/// has it (tenants' ids are UUIDs), no host reaches it, and no instance route, role or cascade
/// reaches what is in it.
pub const SYSTEM_SCOPE: &str = "system";

/// The org id of system users (the system scope has no orgs).
pub const SYSTEM_ORG: &str = "system";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub lifecycle: Lifecycle,
    pub name: String,
    pub domains: Vec<String>,
    pub members: MemberMap,
    pub system_members: MemberMap,
    #[serde(default)]
    pub settings: SettingsMap,
    /// Where the instance's messages leave (`None`: no messages are sent).
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    /// The messages' texts the instance sets, by `template/language`.
    #[serde(default)]
    pub texts: TextsMap,
    /// Where the instance's text messages leave (`None`: none are sent).
    #[serde(default)]
    pub sms: Option<SmsConfig>,
    /// The external identity providers every org's users may log in with, by id.
    #[serde(default)]
    pub idps: Idps,
    /// Its action targets and executions.
    #[serde(default)]
    pub actions: Actions,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InstanceCommand {
    Create {
        name: String,
        domains: Vec<String>,
    },
    /// Instance-level (IAM_*) memberships.
    Member(MemberCommand),
    /// System memberships come from the first start and configuration only.
    SetSystemMember {
        user_id: String,
        roles: Vec<String>,
    },
    Remove,
    /// A system membership leaves an instance: earlier releases kept the system user in the
    /// default instance, and the upgrade moves it to the system scope.
    RemoveSystemMember {
        user_id: String,
    },
    /// The instance's value of one kind of settings (`iam.policy.write`).
    SetSettings(Settings),
    /// The instance's SMTP server (`iam.write`). `keep_password`: the stored password stays
    /// (a form that does not show it sends none back).
    SetSmtp {
        config: SmtpConfig,
        keep_password: bool,
    },
    /// A message template's texts in a language (`None`: the built-in ones again)
    /// (`iam.policy.write`).
    SetTexts {
        template: MessageTemplate,
        language: String,
        texts: Option<MessageTexts>,
    },
    /// The instance's SMS provider, with a new signing key (`iam.write`).
    SetSms(SmsConfig),
    /// Its external identity providers (`iam.idp.write`, `iam.idp.delete`).
    Idp(IdpCommand),
    /// Its action targets (`action.target.write`, `action.target.delete`) and executions
    /// (`action.execution.write`).
    Action(ActionCommand),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceEvent {
    Added {
        name: String,
        domains: Vec<String>,
    },
    MemberSet {
        user_id: String,
        roles: Vec<String>,
    },
    MemberRemoved {
        user_id: String,
    },
    SystemMemberSet {
        user_id: String,
        roles: Vec<String>,
    },
    Removed {
        domains: Vec<String>,
    },
    // Release 0.1's payloads name variants by index: keep the order of those it knew.
    SystemMemberRemoved {
        user_id: String,
    },
    SettingsSet {
        settings: Settings,
    },
    SmtpSet {
        config: SmtpConfig,
    },
    TextsSet {
        template: MessageTemplate,
        language: String,
        texts: Option<MessageTexts>,
    },
    SmsSet {
        config: SmsConfig,
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
    ActionTargetAdded {
        id: String,
        target: actions::Target,
    },
    ActionTargetChanged {
        id: String,
        target: actions::Target,
    },
    ActionTargetRemoved {
        id: String,
    },
    ActionExecutionSet {
        execution: Execution,
    },
    ActionExecutionRemoved {
        condition: Condition,
    },
}

impl EventType for InstanceEvent {
    fn event_type(&self) -> &'static str {
        match self {
            InstanceEvent::Added { .. } => "instance.added",
            InstanceEvent::MemberSet { .. } => "instance.member.set",
            InstanceEvent::MemberRemoved { .. } => "instance.member.removed",
            InstanceEvent::SystemMemberSet { .. } => "system.member.set",
            InstanceEvent::Removed { .. } => "instance.removed",
            InstanceEvent::SystemMemberRemoved { .. } => "system.member.removed",
            InstanceEvent::SettingsSet { .. } => "instance.settings.set",
            InstanceEvent::SmtpSet { .. } => "instance.smtp.set",
            InstanceEvent::TextsSet { .. } => "instance.texts.set",
            InstanceEvent::SmsSet { .. } => "instance.sms.set",
            InstanceEvent::IdpAdded { .. } => "instance.idp.added",
            InstanceEvent::IdpChanged { .. } => "instance.idp.changed",
            InstanceEvent::IdpRemoved { .. } => "instance.idp.removed",
            InstanceEvent::ActionTargetAdded { .. } => "instance.action.target.added",
            InstanceEvent::ActionTargetChanged { .. } => "instance.action.target.changed",
            InstanceEvent::ActionTargetRemoved { .. } => "instance.action.target.removed",
            InstanceEvent::ActionExecutionSet { .. } => "instance.action.execution.set",
            InstanceEvent::ActionExecutionRemoved { .. } => "instance.action.execution.removed",
        }
    }
}

/// Validated, lower-cased, de-duplicated domains; at least one.
pub fn domains(list: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for d in list {
        let d = validate::domain(d)?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.is_empty() {
        return Err(
            Error::new(Code::InvalidDomain, "an instance needs at least one domain")
                .with("field", "domains"),
        );
    }
    Ok(out)
}

impl Aggregate for Instance {
    const KIND: &'static str = "instance";
    type Command = InstanceCommand;
    type Event = InstanceEvent;

    fn event_owners(event: &InstanceEvent) -> Vec<String> {
        match event {
            InstanceEvent::MemberSet { user_id, .. } => vec![user_id.clone()],
            // System memberships are of the system scope, which no cascade reaches.
            InstanceEvent::Added { .. }
            | InstanceEvent::MemberRemoved { .. }
            | InstanceEvent::SystemMemberSet { .. }
            | InstanceEvent::Removed { .. }
            | InstanceEvent::SystemMemberRemoved { .. }
            | InstanceEvent::SettingsSet { .. }
            | InstanceEvent::SmtpSet { .. }
            | InstanceEvent::TextsSet { .. }
            | InstanceEvent::SmsSet { .. }
            | InstanceEvent::IdpAdded { .. }
            | InstanceEvent::IdpChanged { .. }
            | InstanceEvent::IdpRemoved { .. }
            | InstanceEvent::ActionTargetAdded { .. }
            | InstanceEvent::ActionTargetChanged { .. }
            | InstanceEvent::ActionTargetRemoved { .. }
            | InstanceEvent::ActionExecutionSet { .. }
            | InstanceEvent::ActionExecutionRemoved { .. } => Vec::new(),
        }
    }

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    fn access<'a>(&'a self, key: &'a AggregateKey, cmd: &'a InstanceCommand) -> Access<'a> {
        let instance = Target::Instance {
            instance: &key.instance,
        };
        match cmd {
            InstanceCommand::Create { .. } => Access::Check(
                Requirement::plain(Permission::SYSTEM_INSTANCE_WRITE),
                Target::System,
            ),
            InstanceCommand::Remove => Access::Check(
                Requirement::plain(Permission::SYSTEM_INSTANCE_DELETE),
                Target::System,
            ),
            InstanceCommand::Member(m) => {
                m.access(&authz::MemberPermissions::IAM, instance, Place::Instance)
            }
            InstanceCommand::SetSettings(_) | InstanceCommand::SetTexts { .. } => {
                Access::Check(Requirement::plain(Permission::IAM_POLICY_WRITE), instance)
            }
            InstanceCommand::SetSmtp { .. } | InstanceCommand::SetSms(_) => {
                Access::Check(Requirement::plain(Permission::IAM_WRITE), instance)
            }
            InstanceCommand::Idp(IdpCommand::Remove { .. }) => {
                Access::Check(Requirement::plain(Permission::IAM_IDP_DELETE), instance)
            }
            InstanceCommand::Idp(_) => {
                Access::Check(Requirement::plain(Permission::IAM_IDP_WRITE), instance)
            }
            InstanceCommand::Action(a) => {
                let permission = match a {
                    ActionCommand::AddTarget { .. } | ActionCommand::ChangeTarget { .. } => {
                        Permission::ACTION_TARGET_WRITE
                    }
                    ActionCommand::RemoveTarget { .. } => Permission::ACTION_TARGET_DELETE,
                    ActionCommand::SetExecution(_) | ActionCommand::RemoveExecution(_) => {
                        Permission::ACTION_EXECUTION_WRITE
                    }
                };
                Access::Check(Requirement::plain(permission), instance)
            }
            InstanceCommand::SetSystemMember { .. }
            | InstanceCommand::RemoveSystemMember { .. } => Access::ServiceOnly,
        }
    }

    fn decide(&self, cmd: &InstanceCommand, ctx: Ctx<'_>) -> Result<Vec<InstanceEvent>> {
        if let InstanceCommand::Create {
            name,
            domains: list,
        } = cmd
        {
            if self.lifecycle != Lifecycle::New {
                return Err(Error::new(Code::DomainTaken, "the instance exists already"));
            }
            let name = validate::name(name, Code::InvalidInstanceName, "name")?;
            return Ok(vec![InstanceEvent::Added {
                name,
                domains: domains(list)?,
            }]);
        }
        // The system scope is never created as a tenant: it only holds system memberships.
        let system_scope = ctx.key.id == SYSTEM_SCOPE && ctx.key.instance == SYSTEM_SCOPE;
        let on_members = matches!(
            cmd,
            InstanceCommand::SetSystemMember { .. } | InstanceCommand::RemoveSystemMember { .. }
        );
        let may_act = self.exists() || (system_scope && on_members);
        if !may_act {
            return Err(Error::new(
                Code::InstanceNotFound,
                "the instance does not exist",
            ));
        }
        Ok(match cmd {
            InstanceCommand::Create { .. } => unreachable!("handled above"),
            InstanceCommand::Member(m) => match decide_member(&self.members, Level::Instance, m)? {
                None => vec![],
                Some(MemberChange::Set { user_id, roles }) => {
                    vec![InstanceEvent::MemberSet { user_id, roles }]
                }
                Some(MemberChange::Removed { user_id }) => {
                    vec![InstanceEvent::MemberRemoved { user_id }]
                }
            },
            InstanceCommand::SetSystemMember { user_id, roles } => {
                let roles = roles_for(Level::System, roles)?;
                vec![InstanceEvent::SystemMemberSet {
                    user_id: user_id.clone(),
                    roles,
                }]
            }
            InstanceCommand::RemoveSystemMember { user_id } => {
                if !self.system_members.contains_key(user_id) {
                    return Ok(vec![]);
                }
                vec![InstanceEvent::SystemMemberRemoved {
                    user_id: user_id.clone(),
                }]
            }
            InstanceCommand::SetSettings(settings) => {
                let settings = settings.clone().validated()?;
                if self.settings.get(&settings.kind()) == Some(&settings) {
                    return Ok(vec![]);
                }
                vec![InstanceEvent::SettingsSet { settings }]
            }
            InstanceCommand::SetSmtp {
                config,
                keep_password,
            } => {
                let mut config = config.clone();
                if *keep_password {
                    config.sealed_password = self
                        .smtp
                        .as_ref()
                        .filter(|old| {
                            old.user == config.user.as_ref().map(|u| u.trim().to_string())
                        })
                        .and_then(|old| old.sealed_password.clone());
                }
                let config = config.validated()?;
                if self.smtp.as_ref() == Some(&config) {
                    return Ok(vec![]);
                }
                vec![InstanceEvent::SmtpSet { config }]
            }
            InstanceCommand::SetTexts {
                template,
                language,
                texts,
            } => match decide_texts(&self.texts, *template, language, texts.as_ref())? {
                None => vec![],
                Some((language, texts)) => vec![InstanceEvent::TextsSet {
                    template: *template,
                    language,
                    texts,
                }],
            },
            InstanceCommand::SetSms(config) => {
                let endpoint = crate::sms::endpoint(&config.endpoint)?;
                vec![InstanceEvent::SmsSet {
                    config: SmsConfig {
                        endpoint: endpoint.url,
                        sealed_signing_key: config.sealed_signing_key.clone(),
                    },
                }]
            }
            InstanceCommand::Idp(c) => match decide_idp(&self.idps, c)? {
                None => vec![],
                Some(IdpChange::Added { id, idp }) => vec![InstanceEvent::IdpAdded { id, idp }],
                Some(IdpChange::Changed { id, idp }) => {
                    vec![InstanceEvent::IdpChanged { id, idp }]
                }
                Some(IdpChange::Removed { id }) => vec![InstanceEvent::IdpRemoved { id }],
            },
            InstanceCommand::Action(c) => match decide_action(&self.actions, c)? {
                None => vec![],
                Some(ActionChange::TargetAdded { id, target }) => {
                    vec![InstanceEvent::ActionTargetAdded { id, target }]
                }
                Some(ActionChange::TargetChanged { id, target }) => {
                    vec![InstanceEvent::ActionTargetChanged { id, target }]
                }
                Some(ActionChange::TargetRemoved { id }) => {
                    vec![InstanceEvent::ActionTargetRemoved { id }]
                }
                Some(ActionChange::ExecutionSet(execution)) => {
                    vec![InstanceEvent::ActionExecutionSet { execution }]
                }
                Some(ActionChange::ExecutionRemoved(condition)) => {
                    vec![InstanceEvent::ActionExecutionRemoved { condition }]
                }
            },
            InstanceCommand::Remove => {
                // An instance's own users (of data made before system users had a scope of
                // their own) cannot remove it.
                if let Caller::Principal(p) = ctx.caller {
                    if p.instance == ctx.key.instance {
                        return Err(Error::new(
                            Code::InstanceHoldsCaller,
                            "an instance cannot be removed by one of its own users",
                        ));
                    }
                }
                vec![InstanceEvent::Removed {
                    domains: self.domains.clone(),
                }]
            }
        })
    }

    fn apply(&mut self, event: &InstanceEvent) {
        match event {
            InstanceEvent::Added { name, domains } => {
                self.lifecycle = Lifecycle::Active;
                self.name = name.clone();
                self.domains = domains.clone();
            }
            InstanceEvent::MemberSet { user_id, roles } => {
                self.members.insert(user_id.clone(), roles.clone());
            }
            InstanceEvent::MemberRemoved { user_id } => {
                self.members.remove(user_id);
            }
            InstanceEvent::SystemMemberSet { user_id, roles } => {
                self.system_members.insert(user_id.clone(), roles.clone());
            }
            InstanceEvent::Removed { .. } => self.lifecycle = Lifecycle::Removed,
            InstanceEvent::SystemMemberRemoved { user_id } => {
                self.system_members.remove(user_id);
            }
            InstanceEvent::SettingsSet { settings } => {
                self.settings.insert(settings.kind(), settings.clone());
            }
            InstanceEvent::SmtpSet { config } => self.smtp = Some(config.clone()),
            InstanceEvent::TextsSet {
                template,
                language,
                texts,
            } => apply_texts(&mut self.texts, *template, language, texts),
            InstanceEvent::SmsSet { config } => self.sms = Some(config.clone()),
            InstanceEvent::IdpAdded { id, idp } | InstanceEvent::IdpChanged { id, idp } => {
                self.idps.insert(id.clone(), idp.clone());
            }
            InstanceEvent::IdpRemoved { id } => {
                self.idps.remove(id);
            }
            InstanceEvent::ActionTargetAdded { id, target } => {
                self.actions.apply(ActionChange::TargetAdded {
                    id: id.clone(),
                    target: target.clone(),
                });
            }
            InstanceEvent::ActionTargetChanged { id, target } => {
                self.actions.apply(ActionChange::TargetChanged {
                    id: id.clone(),
                    target: target.clone(),
                });
            }
            InstanceEvent::ActionTargetRemoved { id } => {
                self.actions
                    .apply(ActionChange::TargetRemoved { id: id.clone() });
            }
            InstanceEvent::ActionExecutionSet { execution } => {
                self.actions
                    .apply(ActionChange::ExecutionSet(execution.clone()));
            }
            InstanceEvent::ActionExecutionRemoved { condition } => {
                self.actions
                    .apply(ActionChange::ExecutionRemoved(condition.clone()));
            }
        }
    }
}
