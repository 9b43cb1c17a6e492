//! The gateway's queries on the CQL tables. Lists page by their clustering key (the last id of
//! a page is the next one's cursor), so a cursor stays valid across gateways and restarts; a
//! limited readable scope reads one partition per org it holds, merged by id.

use std::collections::BTreeSet;
use std::future::Future;

use authz::{Memberships, ReadScope, RoleMap};
use domain::app::Signing;
use domain::{DomainEvent, Error};
use scylla::DeserializeRow;
use serde_json::Value;

use super::{storage, CqlReadModel};
use crate::model::{DirectoryQueries, ProjectQueries, TrailQueries, UserQueries};
use crate::queries::{memberships_from, page};
use crate::{
    AppRow, EventFilter, EventRow, InstanceRow, KeyRow, MemberLevel, MemberRow, OrgRow, Page,
    ProjectGrantRow, ProjectRow, RoleRow, UserFilter, UserGrantRow, UserMembershipRow, UserRow,
};

/// Where a list's ids come from: a partition of ids in order (its statement takes the partition
/// key's values, then the cursor), or ids already known to belong.
enum Ids {
    Partition(String, Vec<String>),
    Known(Vec<String>),
}

#[derive(DeserializeRow)]
struct User {
    id: String,
    org_id: Option<String>,
    username: Option<String>,
    kind: Option<String>,
    state: Option<String>,
    display_name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    preferred_language: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    phone: Option<String>,
    phone_verified: Option<bool>,
    description: Option<String>,
    secret_hash: Option<String>,
}

const USER: &str = "id, org_id, username, kind, state, display_name, given_name, family_name,
    preferred_language, email, email_verified, phone, phone_verified, description, secret_hash";

impl User {
    fn row(self) -> (UserRow, Option<String>) {
        let row = UserRow {
            id: self.id,
            org_id: self.org_id.unwrap_or_default(),
            username: self.username.unwrap_or_default(),
            kind: self.kind.unwrap_or_default(),
            state: self.state.unwrap_or_default(),
            display_name: self.display_name.unwrap_or_default(),
            given_name: self.given_name,
            family_name: self.family_name,
            preferred_language: self.preferred_language,
            email: self.email,
            email_verified: self.email_verified.unwrap_or(false),
            phone: self.phone,
            phone_verified: self.phone_verified.unwrap_or(false),
            description: self.description,
            has_secret: self.secret_hash.is_some(),
        };
        (row, self.secret_hash)
    }
}

#[derive(DeserializeRow)]
struct App {
    id: String,
    project_id: String,
    client_id: Option<String>,
    config: Option<String>,
    secret_hash: Option<String>,
    id_token_alg: Option<String>,
    access_token_alg: Option<String>,
}

const APP: &str = "id, project_id, client_id, config, secret_hash, id_token_alg, access_token_alg";

impl App {
    fn row(self) -> Result<(AppRow, Option<String>), Error> {
        let config = serde_json::from_str(&self.config.unwrap_or_default())
            .map_err(|e| storage(format!("app {} has an unreadable config: {e}", self.id)))?;
        let row = AppRow {
            id: self.id,
            project_id: self.project_id,
            client_id: self.client_id.unwrap_or_default(),
            config,
            has_secret: self.secret_hash.is_some(),
            signing: Signing {
                id_token_alg: self.id_token_alg.unwrap_or_else(|| "RS256".into()),
                access_token_alg: self.access_token_alg.unwrap_or_else(|| "ES256".into()),
            },
        };
        Ok((row, self.secret_hash))
    }
}

#[derive(DeserializeRow)]
struct UserGrant {
    id: String,
    user_id: Option<String>,
    project_id: Option<String>,
    project_org: Option<String>,
    project_grant_id: Option<String>,
    granted_org: Option<String>,
    roles: Option<Vec<String>>,
}

const USER_GRANT: &str =
    "id, user_id, project_id, project_org, project_grant_id, granted_org, roles";

impl UserGrant {
    fn row(self) -> UserGrantRow {
        UserGrantRow {
            id: self.id,
            user_id: self.user_id.unwrap_or_default(),
            project_id: self.project_id.unwrap_or_default(),
            project_org: self.project_org.unwrap_or_default(),
            project_grant_id: self.project_grant_id,
            granted_org: self.granted_org,
            roles: self.roles.unwrap_or_default(),
        }
    }
}

#[derive(DeserializeRow)]
struct Event {
    position: i64,
    instance: String,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    r#type: String,
    creator: String,
    created_at: i64,
    schema_version: i32,
    payload: Vec<u8>,
}

const EVENT: &str = "position, instance, aggregate_type, aggregate_id, sequence, type, creator,
    created_at, schema_version, payload";

impl Event {
    fn row(self) -> EventRow {
        let payload = DomainEvent::decode(
            &self.aggregate_type,
            self.schema_version as _,
            &self.payload,
        )
        .map(|e| crate::event_payload(&e))
        .unwrap_or(Value::Null);
        EventRow {
            position: self.position as u64,
            instance_id: self.instance,
            aggregate_type: self.aggregate_type,
            aggregate_id: self.aggregate_id,
            sequence: self.sequence as u64,
            event_type: self.r#type,
            creator: self.creator,
            created_at: self.created_at,
            payload,
        }
    }
}

impl CqlReadModel {
    /// Runs an async query of an owned clone of the model, blocking.
    fn query<T: Send + 'static, F>(&self, f: impl FnOnce(CqlReadModel) -> F) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>> + Send + 'static,
    {
        self.block(f(self.clone()))
    }

    /// All rows of a query, deserialized.
    async fn all<R>(
        &self,
        cql: &str,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<Vec<R>, Error>
    where
        R: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm>,
    {
        self.rows(cql, values)
            .await?
            .rows::<R>()
            .map_err(storage)?
            .map(|r| r.map_err(storage))
            .collect()
    }

    /// The first `n` ids after `cursor` of all the sources, in order, once each.
    async fn merged(
        &self,
        sources: Vec<Ids>,
        cursor: &str,
        n: usize,
    ) -> Result<Vec<String>, Error> {
        let mut ids = BTreeSet::new();
        for source in sources {
            match source {
                Ids::Partition(cql, mut keys) => {
                    keys.push(cursor.to_string());
                    ids.extend(self.column(&format!("{cql} LIMIT {n}"), keys).await?);
                }
                Ids::Known(known) => {
                    ids.extend(known.into_iter().filter(|id| id.as_str() > cursor))
                }
            }
        }
        Ok(ids.into_iter().take(n).collect())
    }

    async fn users(
        &self,
        instance: &str,
        ids: Vec<String>,
    ) -> Result<Vec<(UserRow, Option<String>)>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut users: Vec<_> = self
            .all::<User>(
                &format!("SELECT {USER} FROM users WHERE instance = ? AND id IN ?"),
                (instance, ids),
            )
            .await?
            .into_iter()
            .map(User::row)
            .collect();
        users.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        Ok(users)
    }

    async fn one_user(
        &self,
        instance: &str,
        id: &str,
    ) -> Result<Option<(UserRow, Option<String>)>, Error> {
        Ok(self.users(instance, vec![id.to_string()]).await?.pop())
    }

    async fn user_page(
        &self,
        i: String,
        scope: ReadScope,
        filter: UserFilter,
        limit: usize,
        cursor: String,
    ) -> Result<Page<UserRow>, Error> {
        let in_scope = |u: &UserRow| match &scope {
            ReadScope::Instance => true,
            ReadScope::Limited(l) => {
                l.orgs.contains(&u.org_id) || l.own_user.as_ref() == Some(&u.id)
            }
        };
        let in_filter = |u: &UserRow| filter.org_id.as_ref().is_none_or(|o| &u.org_id == o);
        let by_org = "SELECT id FROM users_by_org WHERE instance = ? AND org_id = ? AND id > ?";
        let sources = if let Some(name) = &filter.username {
            let login = domain::validate::normalized_username(name);
            let found = self
                .column(
                    "SELECT id FROM users_by_login WHERE instance = ? AND username_lower = ?",
                    (&i, login),
                )
                .await?;
            vec![Ids::Known(
                self.checked(&i, found, |u| in_scope(u) && in_filter(u))
                    .await?,
            )]
        } else {
            let orgs: Vec<String> = match (&scope, &filter.org_id) {
                (ReadScope::Instance, None) => {
                    vec![]
                }
                (ReadScope::Instance, Some(org)) => vec![org.clone()],
                (ReadScope::Limited(l), None) => l.orgs.iter().cloned().collect(),
                (ReadScope::Limited(l), Some(org)) => l
                    .orgs
                    .contains(org)
                    .then(|| org.clone())
                    .into_iter()
                    .collect(),
            };
            let mut sources: Vec<Ids> = orgs
                .into_iter()
                .map(|org| Ids::Partition(by_org.into(), vec![i.clone(), org]))
                .collect();
            match &scope {
                ReadScope::Instance if filter.org_id.is_none() => sources.push(Ids::Partition(
                    "SELECT id FROM users WHERE instance = ? AND id > ?".into(),
                    vec![i.clone()],
                )),
                ReadScope::Instance => {}
                ReadScope::Limited(l) => {
                    let own = l.own_user.iter().cloned().collect();
                    sources.push(Ids::Known(self.checked(&i, own, |u| in_filter(u)).await?));
                }
            }
            sources
        };
        let ids = self.merged(sources, &cursor, limit + 1).await?;
        let users = self
            .users(&i, ids)
            .await?
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        Ok(page(users, limit, |u: &UserRow| u.id.clone()))
    }

    /// The ids of those users that exist and pass `keep`.
    async fn checked(
        &self,
        i: &str,
        ids: Vec<String>,
        keep: impl Fn(&UserRow) -> bool,
    ) -> Result<Vec<String>, Error> {
        Ok(self
            .users(i, ids)
            .await?
            .into_iter()
            .filter(|(u, _)| keep(u))
            .map(|(u, _)| u.id)
            .collect())
    }
}

impl UserQueries for CqlReadModel {
    fn user(&self, instance: &str, id: &str) -> Result<Option<UserRow>, Error> {
        let (i, id) = (instance.to_string(), id.to_string());
        self.query(|m| async move { Ok(m.one_user(&i, &id).await?.map(|(u, _)| u)) })
    }

    fn list_users(
        &self,
        instance: &str,
        scope: &ReadScope,
        filter: &UserFilter,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<UserRow>, Error> {
        let args = (
            instance.to_string(),
            scope.clone(),
            filter.clone(),
            cursor.unwrap_or("").to_string(),
        );
        self.query(|m| async move {
            let (i, scope, filter, cursor) = args;
            m.user_page(i, scope, filter, limit, cursor).await
        })
    }

    fn user_by_login(
        &self,
        instance: &str,
        username: &str,
    ) -> Result<Option<(UserRow, Option<String>)>, Error> {
        let (i, login) = (
            instance.to_string(),
            domain::validate::normalized_username(username),
        );
        self.query(|m| async move {
            let ids = m
                .column(
                    "SELECT id FROM users_by_login WHERE instance = ? AND username_lower = ?",
                    (&i, &login),
                )
                .await?;
            Ok(m.users(&i, ids).await?.pop())
        })
    }

    fn metadata(&self, instance: &str, user_id: &str) -> Result<Vec<(String, Vec<u8>)>, Error> {
        let (i, u) = (instance.to_string(), user_id.to_string());
        self.query(|m| async move {
            m.all::<(String, Vec<u8>)>(
                "SELECT key, value FROM user_metadata WHERE instance = ? AND user_id = ?",
                (&i, &u),
            )
            .await
        })
    }

    fn pats(&self, instance: &str, user_id: &str) -> Result<Vec<(String, Option<i64>)>, Error> {
        let (i, u) = (instance.to_string(), user_id.to_string());
        self.query(|m| async move {
            m.all::<(String, Option<i64>)>(
                "SELECT pat_id, expires_at FROM pats_by_user WHERE instance = ? AND user_id = ?",
                (&i, &u),
            )
            .await
        })
    }

    fn pat_owner(&self, token_hash: &str) -> Result<Option<(String, String, Option<i64>)>, Error> {
        let hash = token_hash.to_string();
        self.query(|m| async move {
            Ok(m.all::<(String, String, Option<i64>)>(
                "SELECT instance, user_id, expires_at FROM pats_by_hash WHERE token_hash = ?",
                (&hash,),
            )
            .await?
            .pop())
        })
    }

    fn memberships(
        &self,
        instance: &str,
        user_id: &str,
        map: &RoleMap,
    ) -> Result<Memberships, Error> {
        let rows = self.memberships_of(instance, user_id)?;
        Ok(memberships_from(
            rows.into_iter().map(|r| (r.level, r.resource_id, r.roles)),
            map,
        ))
    }
}

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
                    &format!(
                        "SELECT id, name, domains, created_at FROM instances WHERE bucket = 0 AND id > ? LIMIT {}",
                        limit + 1
                    ),
                    (&cursor,),
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
                    let cql = format!(
                        "SELECT id FROM orgs WHERE instance = ? AND id > ? LIMIT {}",
                        limit + 1
                    );
                    m.column(&cql, (&i, &cursor)).await?
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
                    &format!(
                        "SELECT user_id, roles FROM memberships_by_resource
                         WHERE instance = ? AND level = ? AND resource_id = ? AND user_id > ? LIMIT {}",
                        limit + 1
                    ),
                    (&i, level.as_str(), &r, &cursor),
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

fn project_row(
    (id, org_id, name, assert_roles): (String, Option<String>, Option<String>, Option<bool>),
) -> ProjectRow {
    ProjectRow {
        id,
        org_id: org_id.unwrap_or_default(),
        name: name.unwrap_or_default(),
        assert_roles: assert_roles.unwrap_or(false),
    }
}

type ProjectColumns = (String, Option<String>, Option<String>, Option<bool>);

impl CqlReadModel {
    async fn projects(&self, i: &str, ids: Vec<String>) -> Result<Vec<ProjectRow>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows: Vec<ProjectRow> = self
            .all::<ProjectColumns>(
                "SELECT id, org_id, name, assert_roles FROM projects WHERE instance = ? AND id IN ?",
                (i, ids),
            )
            .await?
            .into_iter()
            .map(project_row)
            .collect();
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(rows)
    }

    async fn apps_where(
        &self,
        cql: &str,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<Vec<(AppRow, Option<String>)>, Error> {
        self.all::<App>(cql, values)
            .await?
            .into_iter()
            .map(App::row)
            .collect()
    }
}

impl ProjectQueries for CqlReadModel {
    fn project(&self, instance: &str, id: &str) -> Result<Option<ProjectRow>, Error> {
        let (i, id) = (instance.to_string(), id.to_string());
        self.query(|m| async move { Ok(m.projects(&i, vec![id]).await?.pop()) })
    }

    fn list_projects(
        &self,
        instance: &str,
        scope: &ReadScope,
        org_id: Option<&str>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<ProjectRow>, Error> {
        let (i, scope, org, cursor) = (
            instance.to_string(),
            scope.clone(),
            org_id.map(str::to_string),
            cursor.unwrap_or("").to_string(),
        );
        self.query(|m| async move {
            let by_org =
                "SELECT id FROM projects_by_org WHERE instance = ? AND org_id = ? AND id > ?";
            let partition = |org: String| Ids::Partition(by_org.into(), vec![i.clone(), org]);
            let sources = match (scope, org) {
                (ReadScope::Instance, None) => vec![Ids::Partition(
                    "SELECT id FROM projects WHERE instance = ? AND id > ?".into(),
                    vec![i.clone()],
                )],
                (ReadScope::Instance, Some(org)) => vec![partition(org)],
                (ReadScope::Limited(l), org) => {
                    let orgs: Vec<String> = match &org {
                        None => l.orgs.iter().cloned().collect(),
                        Some(o) => l.orgs.contains(o).then(|| o.clone()).into_iter().collect(),
                    };
                    let known = m
                        .projects(&i, l.projects.into_iter().collect())
                        .await?
                        .into_iter()
                        .filter(|p| org.as_ref().is_none_or(|o| &p.org_id == o))
                        .map(|p| p.id)
                        .collect();
                    let mut sources: Vec<Ids> = orgs.into_iter().map(partition).collect();
                    sources.push(Ids::Known(known));
                    sources
                }
            };
            let ids = m.merged(sources, &cursor, limit + 1).await?;
            let projects = m.projects(&i, ids).await?;
            Ok(page(projects, limit, |p: &ProjectRow| p.id.clone()))
        })
    }

    fn project_roles(&self, instance: &str, project_id: &str) -> Result<Vec<RoleRow>, Error> {
        let (i, p) = (instance.to_string(), project_id.to_string());
        self.query(|m| async move {
            let rows = m
                .all::<(String, Option<String>, Option<String>)>(
                    "SELECT key, display_name, grp FROM project_roles WHERE instance = ? AND project_id = ?",
                    (&i, &p),
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|(key, display_name, group)| RoleRow {
                    key,
                    display_name: display_name.unwrap_or_default(),
                    group,
                })
                .collect())
        })
    }

    fn project_grants(
        &self,
        instance: &str,
        project_id: &str,
    ) -> Result<Vec<ProjectGrantRow>, Error> {
        let (i, p) = (instance.to_string(), project_id.to_string());
        self.query(|m| async move {
            let rows = m
                .all::<(String, String, Option<String>, Option<Vec<String>>)>(
                    "SELECT id, project_id, granted_org_id, roles FROM project_grants WHERE instance = ? AND project_id = ?",
                    (&i, &p),
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|(id, project_id, granted_org_id, roles)| ProjectGrantRow {
                    id,
                    project_id,
                    granted_org_id: granted_org_id.unwrap_or_default(),
                    roles: roles.unwrap_or_default(),
                })
                .collect())
        })
    }

    fn user_grants(
        &self,
        instance: &str,
        user_id: &str,
        scope: &ReadScope,
    ) -> Result<Vec<UserGrantRow>, Error> {
        let (i, u, scope) = (instance.to_string(), user_id.to_string(), scope.clone());
        self.query(|m| async move {
            let ids = m
                .column(
                    "SELECT id FROM user_grants_by_user WHERE instance = ? AND user_id = ?",
                    (&i, &u),
                )
                .await?;
            // One by one: Cassandra before 2.2 refuses IN with a collection selected.
            let mut found = Vec::with_capacity(ids.len());
            for id in ids {
                found.extend(
                    m.all::<UserGrant>(
                        &format!(
                            "SELECT {USER_GRANT} FROM user_grants WHERE instance = ? AND id = ?"
                        ),
                        (&i, &id),
                    )
                    .await?,
                );
            }
            let mut grants: Vec<UserGrantRow> = found
                .into_iter()
                .map(UserGrant::row)
                .filter(|g| match &scope {
                    ReadScope::Instance => true,
                    ReadScope::Limited(l) => {
                        l.orgs.contains(&g.project_org)
                            || g.granted_org.as_ref().is_some_and(|o| l.orgs.contains(o))
                            || l.projects.contains(&g.project_id)
                            || g.project_grant_id
                                .as_ref()
                                .is_some_and(|p| l.grants.contains(p))
                    }
                })
                .collect();
            grants.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(grants)
        })
    }

    fn user_grant(&self, instance: &str, id: &str) -> Result<Option<UserGrantRow>, Error> {
        let (i, id) = (instance.to_string(), id.to_string());
        self.query(|m| async move {
            Ok(m.all::<UserGrant>(
                &format!("SELECT {USER_GRANT} FROM user_grants WHERE instance = ? AND id = ?"),
                (&i, &id),
            )
            .await?
            .pop()
            .map(UserGrant::row))
        })
    }

    fn apps(&self, instance: &str, project_id: &str) -> Result<Vec<AppRow>, Error> {
        let (i, p) = (instance.to_string(), project_id.to_string());
        self.query(|m| async move {
            Ok(m.apps_where(
                &format!("SELECT {APP} FROM apps WHERE instance = ? AND project_id = ?"),
                (&i, &p),
            )
            .await?
            .into_iter()
            .map(|(a, _)| a)
            .collect())
        })
    }

    fn app_by_client_id(
        &self,
        instance: &str,
        client_id: &str,
    ) -> Result<Option<(AppRow, Option<String>)>, Error> {
        let (i, c) = (instance.to_string(), client_id.to_string());
        self.query(|m| async move {
            let found = m
                .all::<(String, String, String)>(
                    "SELECT instance, project_id, id FROM apps_by_client WHERE client_id = ?",
                    (&c,),
                )
                .await?
                .pop();
            let Some((owner, project, app)) = found.filter(|(owner, _, _)| owner == &i) else {
                return Ok(None);
            };
            Ok(m.apps_where(
                &format!("SELECT {APP} FROM apps WHERE instance = ? AND project_id = ? AND id = ?"),
                (&owner, &project, &app),
            )
            .await?
            .pop())
        })
    }

    fn app(&self, instance: &str, project_id: &str, app_id: &str) -> Result<Option<AppRow>, Error> {
        let (i, p, a) = (
            instance.to_string(),
            project_id.to_string(),
            app_id.to_string(),
        );
        self.query(|m| async move {
            Ok(m.apps_where(
                &format!("SELECT {APP} FROM apps WHERE instance = ? AND project_id = ? AND id = ?"),
                (&i, &p, &a),
            )
            .await?
            .pop()
            .map(|(a, _)| a))
        })
    }
}

impl TrailQueries for CqlReadModel {
    fn signing_keys(&self, instance: &str) -> Result<Vec<KeyRow>, Error> {
        let i = instance.to_string();
        self.query(|m| async move {
            let rows = m
                .all::<(String, Option<String>, Option<String>, Option<Vec<u8>>, Option<String>)>(
                    "SELECT kid, alg, public_jwk, sealed, status FROM signing_keys WHERE instance = ?",
                    (&i,),
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|(kid, alg, public_jwk, sealed, status)| KeyRow {
                    kid,
                    alg: alg.unwrap_or_default(),
                    public_jwk: public_jwk.unwrap_or_default(),
                    sealed: sealed.unwrap_or_default(),
                    status: status.unwrap_or_default(),
                })
                .collect())
        })
    }

    fn events(
        &self,
        instance: &str,
        filter: &EventFilter,
        limit: usize,
    ) -> Result<Vec<EventRow>, Error> {
        let (i, filter) = (instance.to_string(), filter.clone());
        self.query(|m| async move {
            // The narrowest table for the filter; an aggregate of one id but another type is
            // skipped as it is read.
            let (table, key) = match (&filter.aggregate_id, &filter.aggregate_type) {
                (Some(id), _) => ("events_by_aggregate", Some(("aggregate_id", id.clone()))),
                (None, Some(t)) => ("events_by_type", Some(("aggregate_type", t.clone()))),
                (None, None) => ("events", None),
            };
            let cql = match &key {
                Some((column, _)) => format!(
                    "SELECT {EVENT} FROM {table} WHERE instance = ? AND {column} = ? AND position > ? LIMIT {limit}"
                ),
                None => format!(
                    "SELECT {EVENT} FROM {table} WHERE instance = ? AND position > ? LIMIT {limit}"
                ),
            };
            let mut out = Vec::new();
            let mut after = filter.after_position as i64;
            loop {
                let rows = match &key {
                    Some((_, value)) => m.all::<Event>(&cql, (&i, value, after)).await?,
                    None => m.all::<Event>(&cql, (&i, after)).await?,
                };
                let read = rows.len();
                if let Some(last) = rows.last() {
                    after = last.position;
                }
                out.extend(rows.into_iter().map(Event::row).filter(|e| {
                    filter
                        .aggregate_type
                        .as_ref()
                        .is_none_or(|t| &e.aggregate_type == t)
                }));
                if read < limit || out.len() >= limit {
                    out.truncate(limit);
                    return Ok(out);
                }
            }
        })
    }
}
