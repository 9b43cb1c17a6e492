//! Instances, orgs and memberships as CQL writes.

use domain::instance::InstanceEvent;
use domain::org::OrgEvent;
use domain::Error;

use super::{storage, CqlReadModel};

impl CqlReadModel {
    pub(super) async fn set_member(
        &self,
        i: &str,
        user: &str,
        level: &str,
        resource: &str,
        roles: &[String],
    ) -> Result<(), Error> {
        self.run(
            "INSERT INTO memberships_by_user (instance, user_id, level, resource_id, roles) VALUES (?, ?, ?, ?, ?)",
            (i, user, level, resource, roles),
        )
        .await?;
        self.run(
            "INSERT INTO memberships_by_resource (instance, level, resource_id, user_id, roles) VALUES (?, ?, ?, ?, ?)",
            (i, level, resource, user, roles),
        )
        .await?;
        Ok(())
    }

    pub(super) async fn remove_member(
        &self,
        i: &str,
        user: &str,
        level: &str,
        resource: &str,
    ) -> Result<(), Error> {
        self.run(
            "DELETE FROM memberships_by_user WHERE instance = ? AND user_id = ? AND level = ? AND resource_id = ?",
            (i, user, level, resource),
        )
        .await?;
        self.run(
            "DELETE FROM memberships_by_resource WHERE instance = ? AND level = ? AND resource_id = ? AND user_id = ?",
            (i, level, resource, user),
        )
        .await?;
        Ok(())
    }

    /// Removes every membership in a resource.
    pub(super) async fn remove_members_of(
        &self,
        i: &str,
        level: &str,
        resource: &str,
    ) -> Result<(), Error> {
        let users = self
            .column(
                "SELECT user_id FROM memberships_by_resource WHERE instance = ? AND level = ? AND resource_id = ?",
                (i, level, resource),
            )
            .await?;
        for user in users {
            self.run(
                "DELETE FROM memberships_by_user WHERE instance = ? AND user_id = ? AND level = ? AND resource_id = ?",
                (i, &user, level, resource),
            )
            .await?;
        }
        self.run(
            "DELETE FROM memberships_by_resource WHERE instance = ? AND level = ? AND resource_id = ?",
            (i, level, resource),
        )
        .await?;
        Ok(())
    }

    pub(super) async fn instance(&self, i: &str, e: &InstanceEvent, at: i64) -> Result<(), Error> {
        match e {
            InstanceEvent::Added { name, domains } => {
                self.run(
                    "INSERT INTO instances (bucket, id, name, domains, created_at) VALUES (0, ?, ?, ?, ?)",
                    (i, name, domains, at),
                )
                .await?;
                for d in domains {
                    self.run(
                        "INSERT INTO instances_by_domain (domain, instance) VALUES (?, ?)",
                        (d, i),
                    )
                    .await?;
                }
                Ok(())
            }
            InstanceEvent::MemberSet { user_id, roles } => {
                self.set_member(i, user_id, "instance", "", roles).await
            }
            InstanceEvent::MemberRemoved { user_id } => {
                self.remove_member(i, user_id, "instance", "").await
            }
            InstanceEvent::SystemMemberSet { user_id, roles } => {
                self.set_member(i, user_id, "system", "", roles).await
            }
            InstanceEvent::SystemMemberRemoved { user_id } => {
                self.remove_member(i, user_id, "system", "").await
            }
            InstanceEvent::Removed { .. } => self.remove_instance(i).await,
            // Settings are read from their aggregates; the audit trail has the events.
            InstanceEvent::SettingsSet { .. }
            | InstanceEvent::SmtpSet { .. }
            | InstanceEvent::SmsSet { .. }
            | InstanceEvent::IdpAdded { .. }
            | InstanceEvent::IdpChanged { .. }
            | InstanceEvent::IdpRemoved { .. }
            | InstanceEvent::ActionTargetAdded { .. }
            | InstanceEvent::ActionTargetChanged { .. }
            | InstanceEvent::ActionTargetRemoved { .. }
            | InstanceEvent::ActionExecutionSet { .. }
            | InstanceEvent::ActionExecutionRemoved { .. }
            | InstanceEvent::TextsSet { .. } => Ok(()),
        }
    }

    /// Everything of an instance but its audit trail.
    pub(super) async fn remove_instance(&self, i: &str) -> Result<(), Error> {
        for org in self
            .column("SELECT id FROM orgs WHERE instance = ?", (i,))
            .await?
        {
            self.remove_members_of(i, "org", &org).await?;
            self.run(
                "DELETE FROM users_by_org WHERE instance = ? AND org_id = ?",
                (i, &org),
            )
            .await?;
            self.run(
                "DELETE FROM projects_by_org WHERE instance = ? AND org_id = ?",
                (i, &org),
            )
            .await?;
        }
        for user in self
            .column("SELECT id FROM users WHERE instance = ?", (i,))
            .await?
        {
            self.remove_user(i, &user).await?;
            self.run(
                "DELETE FROM user_grants_by_user WHERE instance = ? AND user_id = ?",
                (i, &user),
            )
            .await?;
        }
        for project in self
            .column("SELECT id FROM projects WHERE instance = ?", (i,))
            .await?
        {
            self.remove_project(i, &project).await?;
        }
        for level in ["instance", "system"] {
            self.remove_members_of(i, level, "").await?;
        }
        let domains = self
            .rows(
                "SELECT domains FROM instances WHERE bucket = 0 AND id = ?",
                (i,),
            )
            .await?
            .maybe_first_row::<(Option<Vec<String>>,)>()
            .map_err(storage)?
            .and_then(|(d,)| d)
            .unwrap_or_default();
        for d in domains {
            self.run("DELETE FROM instances_by_domain WHERE domain = ?", (&d,))
                .await?;
        }
        for table in ["orgs", "users", "projects", "user_grants", "signing_keys"] {
            self.run(&format!("DELETE FROM {table} WHERE instance = ?"), (i,))
                .await?;
        }
        self.run("DELETE FROM instances WHERE bucket = 0 AND id = ?", (i,))
            .await?;
        Ok(())
    }

    pub(super) async fn org(&self, i: &str, id: &str, e: &OrgEvent) -> Result<(), Error> {
        match e {
            OrgEvent::Added { name } | OrgEvent::Renamed { name } => {
                self.run(
                    "UPDATE orgs SET name = ? WHERE instance = ? AND id = ?",
                    (name, i, id),
                )
                .await?;
            }
            OrgEvent::MemberSet { user_id, roles } => {
                self.set_member(i, user_id, "org", id, roles).await?
            }
            OrgEvent::MemberRemoved { user_id } => {
                self.remove_member(i, user_id, "org", id).await?
            }
            OrgEvent::Removed { .. } => {
                self.run("DELETE FROM orgs WHERE instance = ? AND id = ?", (i, id))
                    .await?;
                self.remove_members_of(i, "org", id).await?;
            }
            // Settings are read from their aggregates; the audit trail has the events.
            OrgEvent::SettingsSet { .. }
            | OrgEvent::SettingsReset { .. }
            | OrgEvent::IdpAdded { .. }
            | OrgEvent::IdpChanged { .. }
            | OrgEvent::IdpRemoved { .. }
            | OrgEvent::DomainAdded { .. }
            | OrgEvent::DomainVerified { .. }
            | OrgEvent::DomainRemoved { .. }
            | OrgEvent::TextsSet { .. } => {}
        }
        Ok(())
    }
}
