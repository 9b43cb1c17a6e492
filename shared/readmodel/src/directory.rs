//! Queries on instances, orgs and memberships.

use authz::ReadScope;
use domain::Error;
use rusqlite::{params, OptionalExtension};

use crate::model::DirectoryQueries;
use crate::queries::{page, seeks, Page};
use crate::store::SqliteReadModel;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceRow {
    pub id: String,
    pub name: String,
    pub domains: Vec<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRow {
    pub user_id: String,
    pub roles: Vec<String>,
}

/// Where a membership is held, as the read model stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberLevel {
    Instance,
    Org,
    Project,
    ProjectGrant,
}

impl MemberLevel {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MemberLevel::Instance => "instance",
            MemberLevel::Org => "org",
            MemberLevel::Project => "project",
            MemberLevel::ProjectGrant => "project_grant",
        }
    }
}

/// A membership of a user as the API lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserMembershipRow {
    /// `system`, `instance`, `org`, `project` or `project_grant`.
    pub level: String,
    /// The org, project or grant id; empty for the instance and the system.
    pub resource_id: String,
    pub roles: Vec<String>,
}

fn org_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrgRow> {
    Ok(OrgRow {
        id: r.get(0)?,
        name: r.get(1)?,
    })
}

fn instance_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InstanceRow> {
    let domains: String = r.get(2)?;
    Ok(InstanceRow {
        id: r.get(0)?,
        name: r.get(1)?,
        domains: domains.split(',').map(str::to_string).collect(),
        created_at: r.get(3)?,
    })
}

impl DirectoryQueries for SqliteReadModel {
    /// The instance a host name belongs to.
    fn instance_by_domain(&self, host: &str) -> Result<Option<String>, Error> {
        self.read(|c| {
            c.query_row(
                "SELECT instance FROM domains WHERE domain = ?1",
                params![host.to_ascii_lowercase()],
                |r| r.get(0),
            )
            .optional()
        })
    }

    fn instance(&self, id: &str) -> Result<Option<InstanceRow>, Error> {
        self.read(|c| {
            c.prepare_cached("SELECT id, name, domains, created_at FROM instances WHERE id = ?1")?
                .query_row(params![id], instance_row)
                .optional()
        })
    }

    fn list_instances(
        &self,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<InstanceRow>, Error> {
        let items = self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, name, domains, created_at FROM instances WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = st.query_map(
                params![cursor.unwrap_or(""), (limit + 1) as i64],
                instance_row,
            )?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(page(items, limit, |i| i.id.clone()))
    }

    fn org(&self, instance: &str, id: &str) -> Result<Option<OrgRow>, Error> {
        self.read(|c| {
            c.prepare_cached("SELECT id, name FROM orgs WHERE instance = ?1 AND id = ?2")?
                .query_row(params![instance, id], org_row)
                .optional()
        })
    }

    /// The orgs inside `scope`, by id, after `cursor`.
    fn list_orgs(
        &self,
        instance: &str,
        scope: &ReadScope,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<OrgRow>, Error> {
        let sql = String::from("SELECT id, name FROM orgs WHERE instance = ? AND id > ?");
        let args = vec![instance.to_string(), cursor.unwrap_or("").to_string()];
        let seeks = seeks(scope, |l| vec![("id", l.orgs.iter().cloned().collect())]);
        self.id_page(&sql, &args, seeks, limit, org_row, |o| o.id.clone())
    }

    /// Every membership of a user, by level and resource.
    fn memberships_of(
        &self,
        instance: &str,
        user_id: &str,
    ) -> Result<Vec<UserMembershipRow>, Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT level, resource_id, roles FROM memberships WHERE instance = ?1 AND user_id = ?2
                 ORDER BY level, resource_id",
            )?;
            let rows = st.query_map(params![instance, user_id], |r| {
                let roles: String = r.get(2)?;
                Ok(UserMembershipRow {
                    level: r.get(0)?,
                    resource_id: r.get(1)?,
                    roles: roles.split(',').map(str::to_string).collect(),
                })
            })?;
            rows.collect()
        })
    }

    /// The members of a resource (`resource` is empty for the instance), by user id.
    fn members(
        &self,
        instance: &str,
        level: MemberLevel,
        resource: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<MemberRow>, Error> {
        let items = self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT user_id, roles FROM memberships WHERE instance = ?1 AND level = ?2 AND resource_id = ?3
                 AND user_id > ?4 ORDER BY user_id LIMIT ?5",
            )?;
            let rows = st.query_map(
                params![
                    instance,
                    level.as_str(),
                    resource,
                    cursor.unwrap_or(""),
                    (limit + 1) as i64
                ],
                |r| {
                    let roles: String = r.get(1)?;
                    Ok(MemberRow {
                        user_id: r.get(0)?,
                        roles: roles.split(',').map(str::to_string).collect(),
                    })
                },
            )?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })?;
        Ok(page(items, limit, |m| m.user_id.clone()))
    }
}
