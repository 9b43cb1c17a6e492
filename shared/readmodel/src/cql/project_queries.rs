//! Projects, their roles, apps and grants, and users' grants, from CQL.

use authz::ReadScope;
use domain::app::Signing;
use domain::Error;
use scylla::DeserializeRow;

use super::paging::{first, Source};
use super::{storage, CqlReadModel};
use crate::model::ProjectQueries;
use crate::{AppRow, Page, ProjectGrantRow, ProjectRow, RoleRow, UserGrantRow};

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
    pub(super) async fn projects(
        &self,
        i: &str,
        ids: Vec<String>,
    ) -> Result<Vec<ProjectRow>, Error> {
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

    pub(super) async fn apps_where(
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
            cursor.map(str::to_string),
        );
        self.query(|m| async move {
            let by_org = "SELECT id FROM projects_by_org WHERE instance = ? AND org_id = ?";
            let partition =
                |org: String| Source::partition(format!("org:{org}"), by_org, &[&i, &org]);
            let sources = match (scope, org) {
                (ReadScope::Instance, None) => vec![Source::partition(
                    "instance",
                    "SELECT id FROM projects WHERE instance = ?",
                    &[&i],
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
                        .map(|p| (p.id,))
                        .collect();
                    let mut sources: Vec<Source<(String,)>> =
                        orgs.into_iter().map(partition).collect();
                    sources.push(Source::Known(known));
                    sources
                }
            };
            let (ids, next_cursor) = m.paged(sources, cursor.as_deref(), limit, first).await?;
            let mut items = m
                .projects(&i, ids.into_iter().map(|(id,)| id).collect())
                .await?;
            items.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(Page { items, next_cursor })
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
