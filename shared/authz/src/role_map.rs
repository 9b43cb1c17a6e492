//! The role -> permission map: data, loaded from YAML. The default is the copy of
//! `reference/role-permissions.yaml` kept beside this crate; an operator may replace it.

use crate::catalog::{Level, PermSet, Permission, Role, RoleSet};
use yaml_rust2::{Yaml, YamlLoader};

/// The default map, bundled into the binary.
pub const DEFAULT_ROLE_MAP_YAML: &str = include_str!("../role-permissions.yaml");

/// Which permissions each of the 26 roles holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleMap {
    perms: [PermSet; 26],
}

/// Why a configured role map was refused. Every variant names the line, so an operator can go
/// straight to the typo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleMapError {
    #[error("line {line}: not valid YAML: {message}")]
    Syntax { line: usize, message: String },
    #[error("line {line}: expected a top-level `roles:` mapping of ROLE: [permission, ...]")]
    Shape { line: usize },
    #[error("line {line}: unknown role {role:?}; the roles are the 26 of the default map")]
    UnknownRole { line: usize, role: String },
    #[error("line {line}: unknown permission {permission:?} in role {role}")]
    UnknownPermission {
        line: usize,
        role: String,
        permission: String,
    },
    #[error("line {line}: role {role} ({level} level) cannot hold {permission}: system.* permissions belong to system roles, and system roles hold nothing else")]
    WrongLevel {
        line: usize,
        role: String,
        level: &'static str,
        permission: String,
    },
    #[error("line {line}: role {role} is listed twice")]
    Duplicate { line: usize, role: String },
}

impl RoleMap {
    /// The default map. It is tested to parse, so this cannot fail in a released build.
    pub fn default_map() -> RoleMap {
        RoleMap::from_yaml(DEFAULT_ROLE_MAP_YAML).expect("the bundled role map is valid")
    }

    /// Parses a map of the form `roles: { ROLE: [permission, ...] }`. Roles left out hold no
    /// permission.
    pub fn from_yaml(text: &str) -> Result<RoleMap, RoleMapError> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| RoleMapError::Syntax {
            line: e.marker().line(),
            message: e.info().to_string(),
        })?;
        let roles = docs
            .first()
            .and_then(|d| d["roles"].as_hash())
            .ok_or(RoleMapError::Shape { line: 1 })?;
        let mut perms = [PermSet::EMPTY; 26];
        let mut seen = [false; 26];
        for (key, value) in roles {
            let name = key.as_str().ok_or(RoleMapError::Shape { line: 1 })?;
            let line = line_of(text, &format!("{name}:"), 0);
            let role = Role::from_name(name).ok_or_else(|| RoleMapError::UnknownRole {
                line,
                role: name.to_string(),
            })?;
            if std::mem::replace(&mut seen[role as usize], true) {
                return Err(RoleMapError::Duplicate {
                    line,
                    role: name.to_string(),
                });
            }
            let list = match value {
                Yaml::Array(list) => list.as_slice(),
                Yaml::Null => &[],
                _ => return Err(RoleMapError::Shape { line }),
            };
            for item in list {
                let pname = item.as_str().ok_or(RoleMapError::Shape { line })?;
                let pline = line_of(text, pname, line.saturating_sub(1));
                let permission = Permission::from_name(pname).ok_or_else(|| {
                    RoleMapError::UnknownPermission {
                        line: pline,
                        role: name.to_string(),
                        permission: pname.to_string(),
                    }
                })?;
                if permission.is_system() != (role.level() == Level::System) {
                    return Err(RoleMapError::WrongLevel {
                        line: pline,
                        role: name.to_string(),
                        level: role.level().name(),
                        permission: pname.to_string(),
                    });
                }
                perms[role as usize].insert(permission);
            }
        }
        Ok(RoleMap { perms })
    }

    pub fn permissions(&self, role: Role) -> PermSet {
        self.perms[role as usize]
    }

    /// What a set of roles gives together.
    pub fn permissions_of(&self, roles: RoleSet) -> PermSet {
        roles
            .iter()
            .fold(PermSet::EMPTY, |acc, r| acc.union(self.permissions(r)))
    }
}

/// The 1-based number of the first line at or after `from` (0-based) that contains `needle`.
fn line_of(text: &str, needle: &str, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.contains(needle))
        .map_or(from + 1, |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_holds_all_26_roles_and_all_125_permissions() {
        let map = RoleMap::default_map();
        let used: PermSet = Role::ALL
            .iter()
            .fold(PermSet::EMPTY, |acc, r| acc.union(map.permissions(*r)));
        assert_eq!(used.iter().count(), 125);
        assert!(Role::ALL.iter().all(|r| !map.permissions(*r).is_empty()));
    }

    #[test]
    fn an_unknown_role_is_refused_with_its_line() {
        let err = RoleMap::from_yaml("roles:\n  IAM_OWNER: [iam.read]\n  ORG_OWNR: [org.read]\n")
            .unwrap_err();
        assert_eq!(
            err,
            RoleMapError::UnknownRole {
                line: 3,
                role: "ORG_OWNR".into()
            }
        );
        assert!(err.to_string().starts_with("line 3:"));
    }

    #[test]
    fn an_unknown_permission_is_refused_with_its_line() {
        let text = "roles:\n  IAM_OWNER:\n    - iam.read\n    - user.wirte\n";
        assert_eq!(
            RoleMap::from_yaml(text).unwrap_err(),
            RoleMapError::UnknownPermission {
                line: 4,
                role: "IAM_OWNER".into(),
                permission: "user.wirte".into()
            }
        );
    }

    #[test]
    fn system_permissions_stay_with_system_roles() {
        let err = RoleMap::from_yaml("roles:\n  IAM_OWNER: [system.instance.write]\n").unwrap_err();
        assert!(
            matches!(err, RoleMapError::WrongLevel { line: 2, .. }),
            "{err}"
        );
        let err = RoleMap::from_yaml("roles:\n  SYSTEM_OWNER: [iam.read]\n").unwrap_err();
        assert!(
            matches!(err, RoleMapError::WrongLevel { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn broken_yaml_and_wrong_shapes_are_refused() {
        assert!(matches!(
            RoleMap::from_yaml("roles: [\n").unwrap_err(),
            RoleMapError::Syntax { .. }
        ));
        assert!(matches!(
            RoleMap::from_yaml("IAM_OWNER: [iam.read]\n").unwrap_err(),
            RoleMapError::Shape { .. }
        ));
    }

    #[test]
    fn an_operator_map_replaces_the_default() {
        let map = RoleMap::from_yaml("roles:\n  ORG_OWNER: [org.read]\n").unwrap();
        let org_read = Permission::ORG_READ;
        assert_eq!(
            map.permissions(Role::OrgOwner).iter().collect::<Vec<_>>(),
            [org_read]
        );
        assert!(map.permissions(Role::IamOwner).is_empty());
    }
}
