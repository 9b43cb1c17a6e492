//! Memberships held inside an aggregate (instance, org): user -> roles of that level.

use std::collections::BTreeMap;

use authz::{Level, Role};

use crate::error::{Code, Error, Result};

/// Validates role names for a membership at `level`: known, of that level, at least one.
pub(crate) fn roles_for(level: Level, roles: &[String]) -> Result<Vec<String>> {
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
