//! Queries on projects, their roles and their apps.

use authz::ReadScope;
use domain::app::{OidcConfig, Signing};
use domain::Error;
use rusqlite::{params, params_from_iter, OptionalExtension};

use crate::model::ProjectQueries;
use crate::queries::{scope_sql, seeks, Page};
use crate::store::SqliteReadModel;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRow {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub assert_roles: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRow {
    pub key: String,
    pub display_name: String,
    pub group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRow {
    pub id: String,
    pub project_id: String,
    pub client_id: String,
    pub config: OidcConfig,
    pub has_secret: bool,
    pub signing: Signing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectGrantRow {
    pub id: String,
    pub project_id: String,
    pub granted_org_id: String,
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserGrantRow {
    pub id: String,
    pub user_id: String,
    pub project_id: String,
    pub project_org: String,
    pub project_grant_id: Option<String>,
    pub granted_org: Option<String>,
    pub roles: Vec<String>,
}

fn user_grant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserGrantRow> {
    Ok(UserGrantRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        project_id: r.get(2)?,
        project_org: r.get(3)?,
        project_grant_id: r.get(4)?,
        granted_org: r.get(5)?,
        roles: split(r.get(6)?),
    })
}

const USER_GRANT_COLUMNS: &str =
    "id, user_id, project_id, project_org, project_grant_id, granted_org, roles";

fn split(roles: String) -> Vec<String> {
    roles
        .split(',')
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

fn project_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProjectRow> {
    Ok(ProjectRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        name: r.get(2)?,
        assert_roles: r.get(3)?,
    })
}

fn app_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AppRow> {
    let config: String = r.get(3)?;
    Ok(AppRow {
        id: r.get(0)?,
        project_id: r.get(1)?,
        client_id: r.get(2)?,
        config: serde_json::from_str(&config).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        has_secret: r.get(4)?,
        signing: Signing {
            id_token_alg: r.get(5)?,
            access_token_alg: r.get(6)?,
        },
    })
}

const APP_COLUMNS: &str =
    "id, project_id, client_id, config, secret_hash IS NOT NULL, id_token_alg, access_token_alg";

impl ProjectQueries for SqliteReadModel {
    fn project(&self, instance: &str, id: &str) -> Result<Option<ProjectRow>, Error> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT id, org_id, name, assert_roles FROM projects WHERE instance = ?1 AND id = ?2",
            )?
            .query_row(params![instance, id], project_row)
            .optional()
        })
    }

    /// Projects inside `scope` (their org or the project itself), optionally of one org.
    fn list_projects(
        &self,
        instance: &str,
        scope: &ReadScope,
        org_id: Option<&str>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<ProjectRow>, Error> {
        let mut sql = String::from(
            "SELECT id, org_id, name, assert_roles FROM projects WHERE instance = ? AND id > ?",
        );
        let mut args = vec![instance.to_string(), cursor.unwrap_or("").to_string()];
        if let Some(org) = org_id {
            sql.push_str(" AND org_id = ?");
            args.push(org.to_string());
        }
        let seeks = seeks(scope, |l| {
            vec![
                ("org_id", l.orgs.iter().cloned().collect()),
                ("id", l.projects.iter().cloned().collect()),
            ]
        });
        self.id_page(&sql, &args, seeks, limit, project_row, |p| p.id.clone())
    }

    fn project_roles(&self, instance: &str, project_id: &str) -> Result<Vec<RoleRow>, Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT key, display_name, grp FROM project_roles WHERE instance = ?1 AND project_id = ?2 ORDER BY key",
            )?;
            let rows = st.query_map(params![instance, project_id], |r| {
                Ok(RoleRow {
                    key: r.get(0)?,
                    display_name: r.get(1)?,
                    group: r.get(2)?,
                })
            })?;
            rows.collect()
        })
    }

    fn project_grants(
        &self,
        instance: &str,
        project_id: &str,
    ) -> Result<Vec<ProjectGrantRow>, Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, project_id, granted_org_id, roles FROM project_grants
                 WHERE instance = ?1 AND project_id = ?2 ORDER BY id",
            )?;
            let rows = st.query_map(params![instance, project_id], |r| {
                Ok(ProjectGrantRow {
                    id: r.get(0)?,
                    project_id: r.get(1)?,
                    granted_org_id: r.get(2)?,
                    roles: split(r.get(3)?),
                })
            })?;
            rows.collect()
        })
    }

    /// A user's grants (authorizations) inside `scope` (the project's org or the project,
    /// the grant, or the org it is granted to), by id.
    fn user_grants(
        &self,
        instance: &str,
        user_id: &str,
        scope: &ReadScope,
    ) -> Result<Vec<UserGrantRow>, Error> {
        let mut sql = format!(
            "SELECT {USER_GRANT_COLUMNS} FROM user_grants WHERE instance = ? AND user_id = ?"
        );
        let mut args = vec![instance.to_string(), user_id.to_string()];
        if let ReadScope::Limited(l) = scope {
            let orgs: Vec<String> = l.orgs.iter().cloned().collect();
            let sets = [
                ("project_org", orgs.clone()),
                ("granted_org", orgs),
                ("project_id", l.projects.iter().cloned().collect()),
                ("project_grant_id", l.grants.iter().cloned().collect()),
            ];
            match scope_sql(&sets, &mut args) {
                Some(clause) => sql.push_str(&clause),
                None => return Ok(vec![]),
            }
        }
        sql.push_str(" ORDER BY id");
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), user_grant_row)?;
            rows.collect()
        })
    }

    fn user_grant(&self, instance: &str, id: &str) -> Result<Option<UserGrantRow>, Error> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {USER_GRANT_COLUMNS} FROM user_grants WHERE instance = ?1 AND id = ?2"
            ))?
            .query_row(params![instance, id], user_grant_row)
            .optional()
        })
    }

    fn apps(&self, instance: &str, project_id: &str) -> Result<Vec<AppRow>, Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {APP_COLUMNS} FROM apps WHERE instance = ?1 AND project_id = ?2 ORDER BY id"
            ))?;
            let rows = st.query_map(params![instance, project_id], app_row)?;
            rows.collect()
        })
    }

    /// An app by its client id, within an instance: the app, and its secret's hash.
    fn app_by_client_id(
        &self,
        instance: &str,
        client_id: &str,
    ) -> Result<Option<(AppRow, Option<String>)>, Error> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {APP_COLUMNS}, secret_hash FROM apps WHERE client_id = ?1 AND instance = ?2"
            ))?
            .query_row(params![client_id, instance], |r| {
                Ok((app_row(r)?, r.get(7)?))
            })
            .optional()
        })
    }

    fn app(&self, instance: &str, project_id: &str, app_id: &str) -> Result<Option<AppRow>, Error> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {APP_COLUMNS} FROM apps WHERE instance = ?1 AND project_id = ?2 AND id = ?3"
            ))?
            .query_row(params![instance, project_id, app_id], app_row)
            .optional()
        })
    }
}
