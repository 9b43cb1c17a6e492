//! Projects (roles, apps, grants, members), user grants and signing keys as CQL writes.

use domain::project::ProjectEvent;
use domain::signing_keys::SigningKeysEvent;
use domain::user_grant::UserGrantEvent;
use domain::Error;

use super::CqlReadModel;

impl CqlReadModel {
    /// A project's rows and everything hanging off them: roles, apps, grants, memberships.
    pub(super) async fn remove_project(&self, i: &str, id: &str) -> Result<(), Error> {
        for grant in self
            .column(
                "SELECT id FROM project_grants WHERE instance = ? AND project_id = ?",
                (i, id),
            )
            .await?
        {
            self.remove_members_of(i, "project_grant", &grant).await?;
        }
        for client in self
            .column(
                "SELECT client_id FROM apps WHERE instance = ? AND project_id = ?",
                (i, id),
            )
            .await?
        {
            self.run("DELETE FROM apps_by_client WHERE client_id = ?", (&client,))
                .await?;
        }
        for table in ["project_roles", "apps", "project_grants"] {
            self.run(
                &format!("DELETE FROM {table} WHERE instance = ? AND project_id = ?"),
                (i, id),
            )
            .await?;
        }
        for org in self
            .column(
                "SELECT org_id FROM projects WHERE instance = ? AND id = ?",
                (i, id),
            )
            .await?
        {
            self.run(
                "DELETE FROM projects_by_org WHERE instance = ? AND org_id = ? AND id = ?",
                (i, &org, id),
            )
            .await?;
        }
        self.run(
            "DELETE FROM projects WHERE instance = ? AND id = ?",
            (i, id),
        )
        .await?;
        self.remove_members_of(i, "project", id).await
    }

    pub(super) async fn project(&self, i: &str, id: &str, e: &ProjectEvent) -> Result<(), Error> {
        match e {
            ProjectEvent::Added {
                org_id,
                name,
                assert_roles,
            } => {
                self.run(
                    "INSERT INTO projects (instance, id, org_id, name, assert_roles) VALUES (?, ?, ?, ?, ?)",
                    (i, id, org_id, name, assert_roles),
                )
                .await?;
                self.run(
                    "INSERT INTO projects_by_org (instance, org_id, id) VALUES (?, ?, ?)",
                    (i, org_id, id),
                )
                .await?;
            }
            ProjectEvent::Changed { name, assert_roles } => {
                self.run(
                    "UPDATE projects SET name = ?, assert_roles = ? WHERE instance = ? AND id = ?",
                    (name, assert_roles, i, id),
                )
                .await?;
            }
            ProjectEvent::RoleAdded {
                key,
                display_name,
                group,
            } => {
                self.run(
                    "INSERT INTO project_roles (instance, project_id, key, display_name, grp) VALUES (?, ?, ?, ?, ?)",
                    (i, id, key, display_name, group),
                )
                .await?;
            }
            ProjectEvent::RoleRemoved { key } => {
                self.run(
                    "DELETE FROM project_roles WHERE instance = ? AND project_id = ? AND key = ?",
                    (i, id, key),
                )
                .await?;
            }
            ProjectEvent::AppAdded {
                app_id,
                client_id,
                config,
                secret_hash,
                ..
            } => {
                self.run(
                    "INSERT INTO apps (instance, project_id, id, client_id, config, secret_hash, id_token_alg, access_token_alg)
                     VALUES (?, ?, ?, ?, ?, ?, 'RS256', 'ES256')",
                    (i, id, app_id, client_id, json(config), secret_hash),
                )
                .await?;
                self.run(
                    "INSERT INTO apps_by_client (client_id, instance, project_id, id) VALUES (?, ?, ?, ?)",
                    (client_id, i, id, app_id),
                )
                .await?;
            }
            ProjectEvent::AppChanged { app_id, config } => {
                self.run(
                    "UPDATE apps SET config = ? WHERE instance = ? AND project_id = ? AND id = ?",
                    (json(config), i, id, app_id),
                )
                .await?;
            }
            ProjectEvent::AppSecretRotated {
                app_id,
                secret_hash,
                ..
            } => {
                self.run(
                    "UPDATE apps SET secret_hash = ? WHERE instance = ? AND project_id = ? AND id = ?",
                    (secret_hash, i, id, app_id),
                )
                .await?;
            }
            ProjectEvent::AppSigningSet { app_id, signing } => {
                self.run(
                    "UPDATE apps SET id_token_alg = ?, access_token_alg = ? WHERE instance = ? AND project_id = ? AND id = ?",
                    (&signing.id_token_alg, &signing.access_token_alg, i, id, app_id),
                )
                .await?;
            }
            ProjectEvent::AppRemoved { app_id, .. } => {
                for client in self
                    .column(
                        "SELECT client_id FROM apps WHERE instance = ? AND project_id = ? AND id = ?",
                        (i, id, app_id),
                    )
                    .await?
                {
                    self.run("DELETE FROM apps_by_client WHERE client_id = ?", (&client,))
                        .await?;
                }
                self.run(
                    "DELETE FROM apps WHERE instance = ? AND project_id = ? AND id = ?",
                    (i, id, app_id),
                )
                .await?;
            }
            // Keys are read from the project's actor when they sign.
            // Keys and SAML apps are read from the project's own state.
            ProjectEvent::AppKeyAdded { .. }
            | ProjectEvent::AppKeyRemoved { .. }
            | ProjectEvent::SamlAppAdded { .. }
            | ProjectEvent::SamlAppChanged { .. } => {}
            ProjectEvent::MemberSet { user_id, roles } => {
                self.set_member(i, user_id, "project", id, roles).await?
            }
            ProjectEvent::MemberRemoved { user_id } => {
                self.remove_member(i, user_id, "project", id).await?
            }
            ProjectEvent::GrantAdded {
                grant_id,
                granted_org_id,
                roles,
            } => {
                self.run(
                    "INSERT INTO project_grants (instance, project_id, id, granted_org_id, roles) VALUES (?, ?, ?, ?, ?)",
                    (i, id, grant_id, granted_org_id, roles),
                )
                .await?;
            }
            ProjectEvent::GrantChanged { grant_id, roles } => {
                self.run(
                    "UPDATE project_grants SET roles = ? WHERE instance = ? AND project_id = ? AND id = ?",
                    (roles, i, id, grant_id),
                )
                .await?;
            }
            ProjectEvent::GrantRemoved { grant_id } => {
                self.run(
                    "DELETE FROM project_grants WHERE instance = ? AND project_id = ? AND id = ?",
                    (i, id, grant_id),
                )
                .await?;
                self.remove_members_of(i, "project_grant", grant_id).await?;
            }
            ProjectEvent::GrantMemberSet {
                grant_id,
                user_id,
                roles,
            } => {
                self.set_member(i, user_id, "project_grant", grant_id, roles)
                    .await?
            }
            ProjectEvent::GrantMemberRemoved { grant_id, user_id } => {
                self.remove_member(i, user_id, "project_grant", grant_id)
                    .await?
            }
            ProjectEvent::Removed { .. } => self.remove_project(i, id).await?,
        }
        Ok(())
    }

    pub(super) async fn user_grant(
        &self,
        i: &str,
        id: &str,
        e: &UserGrantEvent,
    ) -> Result<(), Error> {
        match e {
            UserGrantEvent::Added {
                user_id,
                project_id,
                project_org,
                project_grant,
                roles,
            } => {
                self.run(
                    "INSERT INTO user_grants (instance, id, user_id, project_id, project_org, project_grant_id, granted_org, roles)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (i, id, user_id, project_id, project_org, project_grant.as_ref().map(|(g, _)| g),
                        project_grant.as_ref().map(|(_, o)| o), roles),
                )
                .await?;
                self.run(
                    "INSERT INTO user_grants_by_user (instance, user_id, id) VALUES (?, ?, ?)",
                    (i, user_id, id),
                )
                .await?;
            }
            UserGrantEvent::Changed { roles } => {
                self.run(
                    "UPDATE user_grants SET roles = ? WHERE instance = ? AND id = ?",
                    (roles, i, id),
                )
                .await?;
            }
            UserGrantEvent::Removed => {
                for user in self
                    .column(
                        "SELECT user_id FROM user_grants WHERE instance = ? AND id = ?",
                        (i, id),
                    )
                    .await?
                {
                    self.run(
                        "DELETE FROM user_grants_by_user WHERE instance = ? AND user_id = ? AND id = ?",
                        (i, &user, id),
                    )
                    .await?;
                }
                self.run(
                    "DELETE FROM user_grants WHERE instance = ? AND id = ?",
                    (i, id),
                )
                .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn keys(&self, i: &str, e: &SigningKeysEvent) -> Result<(), Error> {
        match e {
            SigningKeysEvent::KeyAdded {
                kid,
                alg,
                public_jwk,
                sealed,
            } => {
                self.run(
                    "INSERT INTO signing_keys (instance, kid, alg, public_jwk, sealed, status, retired_at)
                     VALUES (?, ?, ?, ?, ?, 'published', null)",
                    (i, kid, alg, public_jwk, sealed),
                )
                .await?;
            }
            SigningKeysEvent::KeyActivated { kid } => {
                self.run(
                    "UPDATE signing_keys SET status = 'active' WHERE instance = ? AND kid = ?",
                    (i, kid),
                )
                .await?;
            }
            SigningKeysEvent::KeyRetired { kid, at } => {
                self.run(
                    "UPDATE signing_keys SET status = 'retired', retired_at = ? WHERE instance = ? AND kid = ?",
                    (at, i, kid),
                )
                .await?;
            }
            SigningKeysEvent::KeyRemoved { kid } => {
                self.run(
                    "DELETE FROM signing_keys WHERE instance = ? AND kid = ?",
                    (i, kid),
                )
                .await?;
            }
        }
        Ok(())
    }
}

fn json(config: &domain::app::OidcConfig) -> String {
    serde_json::to_string(config).unwrap_or_default()
}
