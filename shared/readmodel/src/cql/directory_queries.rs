//! Instances, their domains, orgs and members, from CQL.

use authz::ReadScope;
use domain::Error;

use super::paging::{self, Source};
use super::CqlReadModel;
use crate::model::DirectoryQueries;
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
        let cursor = cursor.map(str::to_string);
        self.query(|m| async move {
            let instances = Source::partition(
                "instances",
                "SELECT id, name, domains, created_at FROM instances WHERE bucket = 0",
                &[],
            );
            let (rows, next_cursor) = m
                .paged(
                    vec![instances],
                    cursor.as_deref(),
                    limit,
                    |r: &InstanceTuple| r.0.as_str(),
                )
                .await?;
            Ok(Page {
                items: rows.into_iter().map(instance_row).collect(),
                next_cursor,
            })
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
            cursor.map(str::to_string),
        );
        self.query(|m| async move {
            let source = match scope {
                ReadScope::Instance => Source::partition(
                    "orgs",
                    "SELECT id, name FROM orgs WHERE instance = ?",
                    &[&i],
                ),
                ReadScope::Limited(l) => {
                    // The orgs of the scope after the cursor that still exist, in order,
                    // until a page and one more are found.
                    let after = paging::after(cursor.as_deref())?;
                    let ids: Vec<String> = l.orgs.into_iter().filter(|o| *o > after).collect();
                    let mut known = Vec::new();
                    for chunk in ids.chunks(limit + 1) {
                        known.extend(
                            m.all::<(String, Option<String>)>(
                                "SELECT id, name FROM orgs WHERE instance = ? AND id IN ?",
                                (&i, chunk.to_vec()),
                            )
                            .await?,
                        );
                        if known.len() > limit {
                            break;
                        }
                    }
                    Source::Known(known)
                }
            };
            let (rows, next_cursor) = m
                .paged(
                    vec![source],
                    cursor.as_deref(),
                    limit,
                    |r: &(String, Option<String>)| r.0.as_str(),
                )
                .await?;
            let items = rows
                .into_iter()
                .map(|(id, name)| OrgRow {
                    id,
                    name: name.unwrap_or_default(),
                })
                .collect();
            Ok(Page { items, next_cursor })
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
            cursor.map(str::to_string),
        );
        self.query(|m| async move {
            let members = Source::partition(
                "members",
                "SELECT user_id, roles FROM memberships_by_resource WHERE instance = ? AND level = ? AND resource_id = ?",
                &[&i, level.as_str(), &r],
            );
            let (rows, next_cursor) = m
                .paged(vec![members], cursor.as_deref(), limit, |r: &(String, Option<Vec<String>>)| {
                    r.0.as_str()
                })
                .await?;
            let items = rows
                .into_iter()
                .map(|(user_id, roles)| MemberRow {
                    user_id,
                    roles: roles.unwrap_or_default(),
                })
                .collect();
            Ok(Page { items, next_cursor })
        })
    }
}

type InstanceTuple = (String, Option<String>, Option<Vec<String>>, Option<i64>);

fn instance_row((id, name, domains, created_at): InstanceTuple) -> InstanceRow {
    InstanceRow {
        id,
        name: name.unwrap_or_default(),
        domains: domains.unwrap_or_default(),
        created_at: created_at.unwrap_or(0),
    }
}
