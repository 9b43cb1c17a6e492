//! Memberships held inside an aggregate (instance, org): user -> roles of that level.

use std::collections::BTreeMap;

use authz::{Level, Place, Requirement, Role, Target};

use crate::aggregate::Access;

use crate::error::{Code, Error, Result};

/// Validates role names for a membership at `level`: known, of that level, at least one.
pub fn roles_for(level: Level, roles: &[String]) -> Result<Vec<String>> {
    if roles.is_empty() {
        return Err(
            Error::new(Code::NoRoles, "a membership needs at least one role")
                .with("field", "roles"),
        );
    }
    let mut out: Vec<String> = Vec::with_capacity(roles.len());
    for name in roles {
        match Role::from_name(name) {
            Some(r) if r.level() == level => {
                if !out.contains(name) {
                    out.push(name.clone());
                }
            }
            Some(r) => {
                return Err(Error::new(
                    Code::InvalidRole,
                    format!(
                        "{name} is a {} role and cannot be granted on the {}",
                        r.level().name(),
                        level.name()
                    ),
                )
                .with("role", name.as_str()))
            }
            None => {
                return Err(
                    Error::new(Code::InvalidRole, format!("unknown role {name}"))
                        .with("role", name.as_str()),
                )
            }
        }
    }
    out.sort();
    Ok(out)
}

/// user id -> role names.
pub type MemberMap = BTreeMap<String, Vec<String>>;

/// A change of a membership, the same at every level (instance, org, project).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MemberCommand {
    /// Only a new membership (POST): `MEMBER-0005` if the user is a member already.
    Add {
        user_id: String,
        roles: Vec<String>,
    },
    /// New or changed roles (PUT).
    Set {
        user_id: String,
        roles: Vec<String>,
    },
    Remove {
        user_id: String,
    },
}

impl MemberCommand {
    /// Checks what can be checked without the resource: a user id, and roles of `level`.
    pub fn validate(&self, level: Level) -> Result<()> {
        let (user_id, roles) = match self {
            MemberCommand::Add { user_id, roles } | MemberCommand::Set { user_id, roles } => {
                (user_id, Some(roles))
            }
            MemberCommand::Remove { user_id } => (user_id, None),
        };
        if user_id.trim().is_empty() {
            return Err(Error::new(Code::MalformedBody, "user_id must not be empty")
                .with("field", "user_id"));
        }
        if let Some(roles) = roles {
            roles_for(level, roles)?;
        }
        Ok(())
    }

    /// The permission it needs at a level with these member permissions.
    pub fn permission(&self, level: &authz::MemberPermissions) -> authz::Permission {
        match self {
            MemberCommand::Add { .. } | MemberCommand::Set { .. } => level.write,
            MemberCommand::Remove { .. } => level.delete,
        }
    }
}

impl MemberCommand {
    /// How the command is authorized on `target`: the level's member permission (write or
    /// delete), and for new roles the no-escalation rule at `place`.
    pub fn access<'a>(
        &'a self,
        level: &authz::MemberPermissions,
        target: Target<'a>,
        place: Place,
    ) -> Access<'a> {
        let req = Requirement::plain(self.permission(level));
        match self {
            MemberCommand::Add { roles, .. } | MemberCommand::Set { roles, .. } => {
                Access::Grant(req, target, place, roles)
            }
            MemberCommand::Remove { .. } => Access::Check(req, target),
        }
    }
}

/// What a member command changes: every aggregate records it as its own event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MemberChange {
    Set { user_id: String, roles: Vec<String> },
    Removed { user_id: String },
}

/// Decides a member command on `members` at `level`; None when nothing changes.
pub(crate) fn decide_member(
    members: &MemberMap,
    level: Level,
    cmd: &MemberCommand,
) -> Result<Option<MemberChange>> {
    let (user_id, roles, add) = match cmd {
        MemberCommand::Remove { user_id } => {
            if !members.contains_key(user_id) {
                return Err(Error::new(
                    Code::MemberNotFound,
                    format!("the user is not a member of the {}", level.name()),
                )
                .with("user_id", user_id.as_str()));
            }
            return Ok(Some(MemberChange::Removed {
                user_id: user_id.clone(),
            }));
        }
        MemberCommand::Add { user_id, roles } => (user_id, roles, true),
        MemberCommand::Set { user_id, roles } => (user_id, roles, false),
    };
    let roles = roles_for(level, roles)?;
    match members.get(user_id) {
        Some(_) if add => Err(Error::new(
            Code::MemberExists,
            format!(
                "the user is a member of the {} already: change the roles with PUT",
                level.name()
            ),
        )
        .with("user_id", user_id.as_str())),
        Some(current) if *current == roles => Ok(None),
        _ => Ok(Some(MemberChange::Set {
            user_id: user_id.clone(),
            roles,
        })),
    }
}
