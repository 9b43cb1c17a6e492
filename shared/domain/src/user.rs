//! The User aggregate: a human (profile, email, password hash) or a machine user, owned by an
//! org, with its personal access tokens (stored as SHA-256 hashes only).

use std::collections::BTreeMap;

use authz::{Permission, Requirement, Target, UserOp};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Access, Aggregate, AggregateKey, Ctx, EventType};
use crate::error::{Code, Error, Result};
use crate::lifecycle::Lifecycle;
use crate::validate;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub preferred_language: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub address: String,
    pub verified: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserKind {
    Human {
        profile: Profile,
        email: Email,
        phone: Option<String>,
    },
    Machine {
        name: String,
        description: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pat {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Unix milliseconds; None for no expiry.
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub lifecycle: Lifecycle,
    pub org: String,
    pub username: String,
    pub kind: Option<UserKind>,
    pub password_hash: Option<String>,
    pub pats: BTreeMap<String, Pat>,
}

/// A new human, as asked for. The password arrives already hashed (argon2id, off the async
/// runtime, by the service layer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHuman {
    pub org_id: String,
    pub username: String,
    pub profile: Profile,
    pub email: Email,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserCommand {
    AddHuman(NewHuman),
    AddMachine {
        org_id: String,
        username: String,
        name: String,
        description: String,
    },
    AddPat {
        pat_id: String,
        token_hash: String,
        expires_at: Option<i64>,
    },
    RemovePat {
        pat_id: String,
    },
    Remove,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserEvent {
    HumanAdded {
        org_id: String,
        username: String,
        profile: Profile,
        email: Email,
        phone: Option<String>,
        password_hash: Option<String>,
    },
    MachineAdded {
        org_id: String,
        username: String,
        name: String,
        description: String,
    },
    PatAdded {
        pat_id: String,
        token_hash: String,
        expires_at: Option<i64>,
    },
    PatRemoved {
        pat_id: String,
    },
    Removed {
        username: String,
    },
}

impl EventType for UserEvent {
    fn event_type(&self) -> &'static str {
        match self {
            UserEvent::HumanAdded { .. } => "user.human.added",
            UserEvent::MachineAdded { .. } => "user.machine.added",
            UserEvent::PatAdded { .. } => "user.pat.added",
            UserEvent::PatRemoved { .. } => "user.pat.removed",
            UserEvent::Removed { .. } => "user.removed",
        }
    }
}

fn profile(p: &Profile) -> Result<Profile> {
    let given_name = validate::name(&p.given_name, Code::InvalidProfile, "profile.given_name")?;
    let family_name = validate::name(&p.family_name, Code::InvalidProfile, "profile.family_name")?;
    let display_name = if p.display_name.trim().is_empty() {
        format!("{given_name} {family_name}")
    } else {
        validate::name(
            &p.display_name,
            Code::InvalidProfile,
            "profile.display_name",
        )?
    };
    let preferred_language = match &p.preferred_language {
        Some(l) if !l.is_empty() => Some(validate::name(
            l,
            Code::InvalidProfile,
            "profile.preferred_language",
        )?),
        _ => None,
    };
    Ok(Profile {
        given_name,
        family_name,
        display_name,
        preferred_language,
    })
}

impl User {
    pub fn is_machine(&self) -> bool {
        matches!(self.kind, Some(UserKind::Machine { .. }))
    }
}

impl Aggregate for User {
    const KIND: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;

    fn exists(&self) -> bool {
        self.lifecycle == Lifecycle::Active
    }

    fn access<'a>(&'a self, key: &'a AggregateKey, cmd: &'a UserCommand) -> Access<'a> {
        let org = match cmd {
            UserCommand::AddHuman(h) => h.org_id.as_str(),
            UserCommand::AddMachine { org_id, .. } => org_id.as_str(),
            UserCommand::AddPat { .. } | UserCommand::RemovePat { .. } | UserCommand::Remove => {
                &self.org
            }
        };
        let target = Target::User {
            instance: &key.instance,
            org,
            user: &key.id,
        };
        let req = match cmd {
            UserCommand::AddHuman(_) | UserCommand::AddMachine { .. } => {
                Requirement::plain(Permission::named("user.write"))
            }
            UserCommand::AddPat { .. } | UserCommand::RemovePat { .. } => {
                UserOp::ManagePersonalAccessTokens.requirement()
            }
            UserCommand::Remove => UserOp::Delete.requirement(),
        };
        Access::Check(req, target)
    }

    fn decide(&self, cmd: &UserCommand, ctx: Ctx<'_>) -> Result<Vec<UserEvent>> {
        let created = || Error::new(Code::UsernameTaken, "the user exists already");
        match cmd {
            UserCommand::AddHuman(h) => {
                if self.lifecycle != Lifecycle::New {
                    return Err(created());
                }
                return Ok(vec![UserEvent::HumanAdded {
                    org_id: h.org_id.clone(),
                    username: validate::username(&h.username)?,
                    profile: profile(&h.profile)?,
                    email: Email {
                        address: validate::email(&h.email.address)?,
                        verified: h.email.verified,
                    },
                    phone: h.phone.clone().filter(|p| !p.trim().is_empty()),
                    password_hash: h.password_hash.clone(),
                }]);
            }
            UserCommand::AddMachine {
                org_id,
                username,
                name,
                description,
            } => {
                if self.lifecycle != Lifecycle::New {
                    return Err(created());
                }
                if description.chars().count() > 1000 {
                    return Err(Error::new(
                        Code::InvalidProfile,
                        "description is at most 1000 characters",
                    )
                    .with("field", "description"));
                }
                return Ok(vec![UserEvent::MachineAdded {
                    org_id: org_id.clone(),
                    username: validate::username(username)?,
                    name: validate::name(name, Code::InvalidProfile, "name")?,
                    description: description.trim().to_string(),
                }]);
            }
            UserCommand::AddPat { .. } | UserCommand::RemovePat { .. } | UserCommand::Remove => {}
        }
        if !self.exists() {
            return Err(Error::new(Code::UserNotFound, "the user does not exist"));
        }
        Ok(match cmd {
            UserCommand::AddHuman(_) | UserCommand::AddMachine { .. } => {
                unreachable!("handled above")
            }
            UserCommand::AddPat {
                pat_id,
                token_hash,
                expires_at,
            } => {
                if expires_at.is_some_and(|t| t <= ctx.now) {
                    return Err(Error::new(
                        Code::InvalidExpiry,
                        "expires_at must be in the future",
                    )
                    .with("field", "expires_at"));
                }
                vec![UserEvent::PatAdded {
                    pat_id: pat_id.clone(),
                    token_hash: token_hash.clone(),
                    expires_at: *expires_at,
                }]
            }
            UserCommand::RemovePat { pat_id } => {
                if !self.pats.contains_key(pat_id) {
                    return Err(Error::new(
                        Code::PatNotFound,
                        "no such personal access token",
                    ));
                }
                vec![UserEvent::PatRemoved {
                    pat_id: pat_id.clone(),
                }]
            }
            UserCommand::Remove => vec![UserEvent::Removed {
                username: self.username.clone(),
            }],
        })
    }

    fn apply(&mut self, event: &UserEvent) {
        match event {
            UserEvent::HumanAdded {
                org_id,
                username,
                profile,
                email,
                phone,
                password_hash,
            } => {
                self.lifecycle = Lifecycle::Active;
                self.org = org_id.clone();
                self.username = username.clone();
                self.password_hash = password_hash.clone();
                self.kind = Some(UserKind::Human {
                    profile: profile.clone(),
                    email: email.clone(),
                    phone: phone.clone(),
                });
            }
            UserEvent::MachineAdded {
                org_id,
                username,
                name,
                description,
            } => {
                self.lifecycle = Lifecycle::Active;
                self.org = org_id.clone();
                self.username = username.clone();
                self.kind = Some(UserKind::Machine {
                    name: name.clone(),
                    description: description.clone(),
                });
            }
            UserEvent::PatAdded {
                pat_id,
                token_hash,
                expires_at,
            } => {
                self.pats.insert(
                    pat_id.clone(),
                    Pat {
                        token_hash: token_hash.clone(),
                        expires_at: *expires_at,
                    },
                );
            }
            UserEvent::PatRemoved { pat_id } => {
                self.pats.remove(pat_id);
            }
            UserEvent::Removed { .. } => {
                self.lifecycle = Lifecycle::Removed;
                self.pats.clear();
            }
        }
    }
}
