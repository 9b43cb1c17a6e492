//! Instances, their domains, orgs and members, from CQL.

use authz::ReadScope;
use domain::Error;

use super::queries::rows_for;
use super::CqlReadModel;
use crate::model::DirectoryQueries;
use crate::queries::page;
use crate::{InstanceRow, MemberLevel, MemberRow, OrgRow, Page, UserMembershipRow};

impl DirectoryQueries for CqlReadModel {
    fn instance(&self, id: &str) -> Result<Option<InstanceRow>, Error> {
        let id = id.to_string();
        self.query(|m| async move {
            let rows = m
                .all::<(String, Option<String>, Option<Vec<String>>, Option<i64>)>(
                    "SELECT id, name, domains, created_at FROM instances WHERE bucket = 0 AND id = ?",
                    (&id,),
                )
                .await?;
            Ok(rows.into_iter().next().map(instance_row))
        })
    }

    fn list_instances(
        &self,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<InstanceRow>, Error> {
        let cursor = cursor.unwrap_or("").to_string();
        self.query(|m| async move {
            let rows = m
                .all::<(String, Option<String>, Option<Vec<String>>, Option<i64>)>(
                    "SELECT id, name, domains, created_at FROM instances WHERE bucket = 0 AND id > ? LIMIT ?",
                    (&cursor, rows_for(limit)),
                )
                .await?;
            let rows = rows.into_iter().map(instance_row).collect();
            Ok(page(rows, limit, |i: &InstanceRow| i.id.clone()))
        })
    }

    fn instance_by_domain(&self, host: &str) -> Result<Option<String>, Error> {
        let host = host.to_ascii_lowercase();
        self.query(|m| async move {
            Ok(m.column(
                "SELECT instance FROM instances_by_domain WHERE domain = ?",
                (&host,),
            )
            .await?
            .pop())
        })
    }

    fn org(&self, instance: &str, id: &str) -> Result<Option<OrgRow>, Error> {
        let (i, id) = (instance.to_string(), id.to_string());
        self.query(|m| async move {
            Ok(m.all::<(String, Option<String>)>(
                "SELECT id, name FROM orgs WHERE instance = ? AND id = ?",
                (&i, &id),
            )
            .await?
            .pop()
            .map(|(id, name)| OrgRow {
                id,
                name: name.unwrap_or_default(),
            }))
        })
    }

    fn list_orgs(
        &self,
        instance: &str,
        scope: &ReadScope,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<OrgRow>, Error> {
        let (i, scope, cursor) = (
            instance.to_string(),
            scope.clone(),
            cursor.unwrap_or("").to_string(),
        );
        self.query(|m| async move {
            let ids: Vec<String> = match scope {
                ReadScope::Instance => {
                    m.column(
                        "SELECT id FROM orgs WHERE instance = ? AND id > ? LIMIT ?",
                        (&i, &cursor, rows_for(limit)),
                    )
                    .await?
                }
                ReadScope::Limited(l) => l.orgs.into_iter().filter(|o| *o > cursor).collect(),
            };
            // Orgs of a scope may be gone: read until a page and one more are found.
            let mut orgs = Vec::new();
            for chunk in ids.chunks(limit + 1) {
                let rows = m
                    .all::<(String, Option<String>)>(
                        "SELECT id, name FROM orgs WHERE instance = ? AND id IN ?",
                        (&i, chunk.to_vec()),
                    )
                    .await?;
                orgs.extend(rows.into_iter().map(|(id, name)| OrgRow {
                    id,
                    name: name.unwrap_or_default(),
                }));
                if orgs.len() > limit {
                    break;
                }
            }
            orgs.sort_by(|a, b| a.id.cmp(&b.id));
            orgs.truncate(limit + 1);
            Ok(page(orgs, limit, |o: &OrgRow| o.id.clone()))
        })
    }

    fn memberships_of(
        &self,
        instance: &str,
        user_id: &str,
    ) -> Result<Vec<UserMembershipRow>, Error> {
        let (i, u) = (instance.to_string(), user_id.to_string());
        self.query(|m| async move {
            let rows = m
                .all::<(String, String, Option<Vec<String>>)>(
                    "SELECT level, resource_id, roles FROM memberships_by_user WHERE instance = ? AND user_id = ?",
                    (&i, &u),
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|(level, resource_id, roles)| UserMembershipRow {
                    level,
                    resource_id,
                    roles: roles.unwrap_or_default(),
                })
                .collect())
        })
    }

    fn members(
        &self,
        instance: &str,
        level: MemberLevel,
        resource: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<MemberRow>, Error> {
        let (i, r, cursor) = (
            instance.to_string(),
            resource.to_string(),
            cursor.unwrap_or("").to_string(),
        );
        self.query(|m| async move {
            let rows = m
                .all::<(String, Option<Vec<String>>)>(
                    "SELECT user_id, roles FROM memberships_by_resource
                     WHERE instance = ? AND level = ? AND resource_id = ? AND user_id > ? LIMIT ?",
                    (&i, level.as_str(), &r, &cursor, rows_for(limit)),
                )
                .await?;
            let members = rows
                .into_iter()
                .map(|(user_id, roles)| MemberRow {
                    user_id,
                    roles: roles.unwrap_or_default(),
                })
                .collect();
            Ok(page(members, limit, |m: &MemberRow| m.user_id.clone()))
        })
    }
}

fn instance_row(
    (id, name, domains, created_at): (String, Option<String>, Option<Vec<String>>, Option<i64>),
) -> InstanceRow {
    InstanceRow {
        id,
        name: name.unwrap_or_default(),
        domains: domains.unwrap_or_default(),
        created_at: created_at.unwrap_or(0),
    }
}
