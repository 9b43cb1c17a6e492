//! A caller's memberships, in the form the check wants: effective permissions precomputed per
//! membership, updatable in place from membership events so a gateway can keep a cache warm.

use crate::target::Resource;
use crate::{PermSet, RoleMap, RoleSet};

/// One membership: roles held on a resource, and the union of their permissions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Membership {
    pub resource: Resource,
    pub roles: RoleSet,
    pub perms: PermSet,
}

/// All memberships of one user.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Memberships {
    list: Vec<Membership>,
}

impl Memberships {
    pub fn new() -> Memberships {
        Memberships::default()
    }

    /// Builds the set from (resource, roles) pairs, as stored in a read model.
    pub fn from_grants<I>(grants: I, map: &RoleMap) -> Memberships
    where
        I: IntoIterator<Item = (Resource, RoleSet)>,
    {
        let mut m = Memberships::new();
        for (resource, roles) in grants {
            m.set(resource, roles, map);
        }
        m
    }

    /// A membership was added or its roles changed (membership added / changed events).
    /// Setting no roles removes it.
    pub fn set(&mut self, resource: Resource, roles: RoleSet, map: &RoleMap) {
        if roles.is_empty() {
            return self.remove(&resource);
        }
        let perms = map.permissions_of(roles);
        match self.list.iter_mut().find(|m| m.resource == resource) {
            Some(m) => {
                m.roles = roles;
                m.perms = perms;
            }
            None => self.list.push(Membership {
                resource,
                roles,
                perms,
            }),
        }
    }

    /// A membership was removed, or the resource it was on (membership removed, org / project /
    /// grant removed events).
    pub fn remove(&mut self, resource: &Resource) {
        self.list.retain(|m| &m.resource != resource);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Membership> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Permission, Role};

    #[test]
    fn events_update_the_cached_form_in_place() {
        let map = RoleMap::default_map();
        let org = Resource::Org("o1".into());
        let mut m = Memberships::new();
        m.set(
            org.clone(),
            [Role::OrgOwnerViewer].into_iter().collect(),
            &map,
        );
        let write = Permission::USER_WRITE;
        assert!(!m.iter().any(|x| x.perms.contains(write)));
        // membership changed: roles replaced, permissions recomputed
        m.set(
            org.clone(),
            [Role::OrgUserManager].into_iter().collect(),
            &map,
        );
        assert_eq!(m.len(), 1);
        assert!(m.iter().any(|x| x.perms.contains(write)));
        // org removed
        m.set(
            Resource::Instance,
            [Role::IamOwnerViewer].into_iter().collect(),
            &map,
        );
        m.remove(&org);
        assert_eq!(
            m.iter().map(|x| &x.resource).collect::<Vec<_>>(),
            [&Resource::Instance]
        );
        // setting no roles removes the membership
        m.set(Resource::Instance, RoleSet::default(), &map);
        assert!(m.is_empty());
    }
}
