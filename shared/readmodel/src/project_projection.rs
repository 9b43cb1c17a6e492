//! Project events -> the projects, project_roles, apps, project_grants and (project and grant)
//! memberships tables; user grant events -> user_grants.

use domain::project::ProjectEvent;
use domain::user_grant::UserGrantEvent;
use rusqlite::{params, Connection};

use crate::projection::{exec, remove_member, set_member};

pub(crate) fn apply(tx: &Connection, i: &str, id: &str, e: &ProjectEvent) -> rusqlite::Result<()> {
    match e {
        ProjectEvent::Added {
            org_id,
            name,
            assert_roles,
        } => {
            exec(tx,
                "INSERT OR REPLACE INTO projects (instance, id, org_id, name, assert_roles) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![i, id, org_id, name, assert_roles],
            )?;
        }
        ProjectEvent::Changed { name, assert_roles } => {
            exec(
                tx,
                "UPDATE projects SET name = ?3, assert_roles = ?4 WHERE instance = ?1 AND id = ?2",
                params![i, id, name, assert_roles],
            )?;
        }
        ProjectEvent::RoleAdded {
            key,
            display_name,
            group,
        } => {
            exec(tx,
                "INSERT OR REPLACE INTO project_roles (instance, project_id, key, display_name, grp) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![i, id, key, display_name, group],
            )?;
        }
        ProjectEvent::RoleRemoved { key } => {
            exec(
                tx,
                "DELETE FROM project_roles WHERE instance = ?1 AND project_id = ?2 AND key = ?3",
                params![i, id, key],
            )?;
        }
        ProjectEvent::AppAdded {
            app_id,
            client_id,
            config,
            secret_hash,
            ..
        } => {
            exec(tx,
                "INSERT OR REPLACE INTO apps (instance, project_id, id, client_id, config, secret_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![i, id, app_id, client_id, json(config), secret_hash],
            )?;
        }
        ProjectEvent::AppChanged { app_id, config } => {
            exec(
                tx,
                "UPDATE apps SET config = ?4 WHERE instance = ?1 AND project_id = ?2 AND id = ?3",
                params![i, id, app_id, json(config)],
            )?;
        }
        ProjectEvent::AppSecretRotated {
            app_id,
            secret_hash,
            ..
        } => {
            exec(
                tx,
                "UPDATE apps SET secret_hash = ?4 WHERE instance = ?1 AND project_id = ?2 AND id = ?3",
                params![i, id, app_id, secret_hash],
            )?;
        }
        ProjectEvent::AppSigningSet { app_id, signing } => {
            exec(
                tx,
                "UPDATE apps SET id_token_alg = ?4, access_token_alg = ?5 WHERE instance = ?1 AND project_id = ?2 AND id = ?3",
                params![i, id, app_id, signing.id_token_alg, signing.access_token_alg],
            )?;
        }
        ProjectEvent::AppRemoved { app_id, .. } => {
            exec(
                tx,
                "DELETE FROM apps WHERE instance = ?1 AND project_id = ?2 AND id = ?3",
                params![i, id, app_id],
            )?;
        }
        // Keys are read from the project's actor when they sign.
        // Keys and SAML apps are read from the project's own state.
        ProjectEvent::AppKeyAdded { .. }
        | ProjectEvent::AppKeyRemoved { .. }
        | ProjectEvent::SamlAppAdded { .. }
        | ProjectEvent::SamlAppChanged { .. } => {}
        ProjectEvent::MemberSet { user_id, roles } => {
            set_member(tx, i, user_id, "project", id, roles)?
        }
        ProjectEvent::MemberRemoved { user_id } => remove_member(tx, i, user_id, "project", id)?,
        ProjectEvent::GrantAdded {
            grant_id,
            granted_org_id,
            roles,
        } => {
            exec(tx,
                "INSERT OR REPLACE INTO project_grants (instance, project_id, id, granted_org_id, roles) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![i, id, grant_id, granted_org_id, roles.join(",")],
            )?;
        }
        ProjectEvent::GrantChanged { grant_id, roles } => {
            exec(
                tx,
                "UPDATE project_grants SET roles = ?4 WHERE instance = ?1 AND project_id = ?2 AND id = ?3",
                params![i, id, grant_id, roles.join(",")],
            )?;
        }
        ProjectEvent::GrantRemoved { grant_id } => {
            exec(
                tx,
                "DELETE FROM project_grants WHERE instance = ?1 AND project_id = ?2 AND id = ?3",
                params![i, id, grant_id],
            )?;
            exec(tx, "DELETE FROM memberships WHERE instance = ?1 AND level = 'project_grant' AND resource_id = ?2", params![i, grant_id])?;
        }
        ProjectEvent::GrantMemberSet {
            grant_id,
            user_id,
            roles,
        } => set_member(tx, i, user_id, "project_grant", grant_id, roles)?,
        ProjectEvent::GrantMemberRemoved { grant_id, user_id } => {
            remove_member(tx, i, user_id, "project_grant", grant_id)?
        }
        ProjectEvent::Removed { .. } => {
            exec(tx,
                "DELETE FROM memberships WHERE instance = ?1 AND level = 'project_grant' AND resource_id IN
                 (SELECT id FROM project_grants WHERE instance = ?1 AND project_id = ?2)",
                params![i, id],
            )?;
            for table in ["project_roles", "apps", "project_grants"] {
                exec(
                    tx,
                    &format!("DELETE FROM {table} WHERE instance = ?1 AND project_id = ?2"),
                    params![i, id],
                )?;
            }
            exec(
                tx,
                "DELETE FROM projects WHERE instance = ?1 AND id = ?2",
                params![i, id],
            )?;
            exec(tx, "DELETE FROM memberships WHERE instance = ?1 AND level = 'project' AND resource_id = ?2", params![i, id])?;
        }
    }
    Ok(())
}

fn json(config: &domain::app::OidcConfig) -> String {
    serde_json::to_string(config).unwrap_or_default()
}

pub(crate) fn user_grant(
    tx: &Connection,
    i: &str,
    id: &str,
    e: &UserGrantEvent,
) -> rusqlite::Result<()> {
    match e {
        UserGrantEvent::Added {
            user_id,
            project_id,
            project_org,
            project_grant,
            roles,
        } => {
            exec(tx,
                "INSERT OR REPLACE INTO user_grants (instance, id, user_id, project_id, project_org, project_grant_id, granted_org, roles)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![i, id, user_id, project_id, project_org, project_grant.as_ref().map(|(g, _)| g),
                    project_grant.as_ref().map(|(_, o)| o), roles.join(",")],
            )?;
        }
        UserGrantEvent::Changed { roles } => {
            exec(
                tx,
                "UPDATE user_grants SET roles = ?3 WHERE instance = ?1 AND id = ?2",
                params![i, id, roles.join(",")],
            )?;
        }
        UserGrantEvent::Removed => {
            exec(
                tx,
                "DELETE FROM user_grants WHERE instance = ?1 AND id = ?2",
                params![i, id],
            )?;
        }
    }
    Ok(())
}
