//! Project grants: some of the project's roles granted to another org, and the grant's own
//! (PROJECT_GRANT_*) members. A grant holds only roles the project has.

use authz::{Level, Permission};

use super::{Project, ProjectEvent as E};
use crate::error::{Code, Error, Result};
use crate::members::{decide_member, MemberChange, MemberCommand};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GrantCommand {
    Add {
        grant_id: String,
        granted_org_id: String,
        role_keys: Vec<String>,
    },
    /// Replaces the granted roles.
    Change {
        grant_id: String,
        role_keys: Vec<String>,
    },
    Remove {
        grant_id: String,
    },
    Member {
        grant_id: String,
        cmd: MemberCommand,
    },
}

impl GrantCommand {
    pub(crate) fn permission(&self) -> Permission {
        match self {
            GrantCommand::Add { .. } | GrantCommand::Change { .. } => {
                Permission::PROJECT_GRANT_WRITE
            }
            GrantCommand::Remove { .. } => Permission::PROJECT_GRANT_DELETE,
            GrantCommand::Member { cmd, .. } => {
                cmd.permission(&authz::MemberPermissions::PROJECT_GRANT)
            }
        }
    }
}

impl Project {
    fn granted_roles(&self, keys: &[String]) -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for k in keys {
            if !self.roles.contains_key(k) {
                return Err(Error::new(
                    Code::ProjectRoleNotFound,
                    format!("the project has no role {k} to grant"),
                )
                .with("key", k.as_str()));
            }
            if !out.contains(k) {
                out.push(k.clone());
            }
        }
        out.sort();
        Ok(out)
    }

    fn grant(&self, grant_id: &str) -> Result<&super::Grant> {
        self.grants.get(grant_id).ok_or_else(|| {
            Error::new(
                Code::GrantNotFound,
                format!("the project has no grant {grant_id}"),
            )
            .with("grant_id", grant_id)
        })
    }

    pub(crate) fn decide_grant(&self, cmd: &GrantCommand) -> Result<Vec<E>> {
        Ok(match cmd {
            GrantCommand::Add {
                grant_id,
                granted_org_id,
                role_keys,
            } => {
                if *granted_org_id == self.org {
                    return Err(Error::new(
                        Code::GrantToOwnOrg,
                        "a project is not granted to the org that owns it",
                    )
                    .with("field", "granted_org_id"));
                }
                if self
                    .grants
                    .values()
                    .any(|g| g.granted_org == *granted_org_id)
                {
                    return Err(Error::new(
                        Code::GrantExists,
                        "the project is granted to this org already: change that grant",
                    )
                    .with("granted_org_id", granted_org_id.as_str()));
                }
                vec![E::GrantAdded {
                    grant_id: grant_id.clone(),
                    granted_org_id: granted_org_id.clone(),
                    roles: self.granted_roles(role_keys)?,
                }]
            }
            GrantCommand::Change {
                grant_id,
                role_keys,
            } => {
                let current = self.grant(grant_id)?;
                let roles = self.granted_roles(role_keys)?;
                if roles == current.roles {
                    vec![]
                } else {
                    vec![E::GrantChanged {
                        grant_id: grant_id.clone(),
                        roles,
                    }]
                }
            }
            GrantCommand::Remove { grant_id } => {
                self.grant(grant_id)?;
                vec![E::GrantRemoved {
                    grant_id: grant_id.clone(),
                }]
            }
            GrantCommand::Member { grant_id, cmd } => {
                let grant = self.grant(grant_id)?;
                match decide_member(&grant.members, Level::ProjectGrant, cmd)? {
                    None => vec![],
                    Some(MemberChange::Set { user_id, roles }) => vec![E::GrantMemberSet {
                        grant_id: grant_id.clone(),
                        user_id,
                        roles,
                    }],
                    Some(MemberChange::Removed { user_id }) => vec![E::GrantMemberRemoved {
                        grant_id: grant_id.clone(),
                        user_id,
                    }],
                }
            }
        })
    }
}
