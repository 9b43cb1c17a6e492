//! Event -> CQL writes. The projector is the only writer, so a write that needs what a row
//! holds (a user's login name before removing it) reads it first. Every event type of every
//! aggregate is matched, so a new event cannot be forgotten here.
//!
//! A batch is applied event by event, each followed by its stream's version; the partitions'
//! checkpoints come last. A crash midway replays from the checkpoint: the versions skip what was
//! applied, and the one event that may have been half applied is applied again whole (every
//! write here is an upsert or a delete, safe to repeat).

use std::collections::{BTreeMap, HashMap};

use domain::instance::InstanceEvent;
use domain::oidc::{AuthRequestEvent, RefreshEvent, SessionEvent};
use domain::org::OrgEvent;
use domain::project::ProjectEvent;
use domain::signing_keys::SigningKeysEvent;
use domain::unique::UniqueEvent;
use domain::user::{UserEvent, UserState};
use domain::user_grant::UserGrantEvent;
use domain::{DomainEvent, Error};
use eventlog::kafka::follower::Checkpoint;
use eventlog::kafka::Resume;
use eventlog::position::untag;
use eventlog::{StoredEvent, StreamId};

use super::{storage, CqlReadModel};
use crate::model::Projection;
use crate::progress::Progress;
use crate::projection::{stale, Stale};

/// Every table, for a rebuild.
const TABLES: [&str; 25] = [
    "checkpoints",
    "versions",
    "instances",
    "instances_by_domain",
    "orgs",
    "users",
    "users_by_org",
    "users_by_login",
    "user_metadata",
    "pats_by_hash",
    "pats_by_user",
    "memberships_by_user",
    "memberships_by_resource",
    "projects",
    "projects_by_org",
    "project_roles",
    "apps",
    "apps_by_client",
    "project_grants",
    "user_grants",
    "user_grants_by_user",
    "signing_keys",
    "events",
    "events_by_aggregate",
    "events_by_type",
];

impl Projection for CqlReadModel {
    fn apply_followed(
        &self,
        batch: &[StoredEvent],
        resumes: &[(i32, Resume)],
    ) -> Result<u64, Error> {
        let m = self.clone();
        let (batch, resumes) = (batch.to_vec(), resumes.to_vec());
        self.block(async move { m.apply(batch, resumes).await })
    }

    fn checkpoints(&self) -> Result<HashMap<i32, Checkpoint>, Error> {
        let m = self.clone();
        self.block(async move {
            let rows = m
                .rows(
                    "SELECT partition, position, resume_offset, resume_epoch FROM checkpoints",
                    (),
                )
                .await?;
            let mut out = HashMap::new();
            for row in rows
                .rows::<(i32, Option<i64>, Option<i64>, Option<i64>)>()
                .map_err(storage)?
            {
                let (partition, position, offset, epoch) = row.map_err(storage)?;
                out.insert(
                    partition,
                    Checkpoint {
                        applied: position.unwrap_or(0) as u64,
                        resume: Resume {
                            offset: offset.unwrap_or(0),
                            epoch,
                        },
                    },
                );
            }
            Ok(out)
        })
    }

    fn version_of(&self, stream: &StreamId) -> Result<u64, Error> {
        let m = self.clone();
        let stream = stream.clone();
        self.block(async move { m.version(&stream).await })
    }

    fn reset(&self) -> Result<(), Error> {
        let m = self.clone();
        self.block(async move {
            for table in TABLES {
                m.run(&format!("TRUNCATE {table}"), ()).await?;
            }
            Ok(())
        })?;
        self.inner.versions.lock().expect("versions lock").clear();
        self.inner.progress.reset();
        Ok(())
    }

    fn progress(&self) -> &Progress {
        &self.inner.progress
    }
}

impl CqlReadModel {
    async fn apply(
        &self,
        batch: Vec<StoredEvent>,
        resumes: Vec<(i32, Resume)>,
    ) -> Result<u64, Error> {
        let mut reached = BTreeMap::new();
        let mut made = Stale::default();
        for stored in &batch {
            let (partition, at) = untag(stored.position);
            reached.insert(partition, at);
            if stored.version <= self.version(&stored.stream).await? {
                continue;
            }
            let event = DomainEvent::decode(
                &stored.stream.kind,
                stored.event.schema_version,
                &stored.event.payload,
            )?;
            self.record(stored).await?;
            self.event(stored, &event).await?;
            let s = &stored.stream;
            self.run(
                "UPDATE versions SET version = ? WHERE instance = ? AND kind = ? AND id = ?",
                (stored.version as i64, &s.instance, &s.kind, &s.id),
            )
            .await?;
            self.inner
                .versions
                .lock()
                .expect("versions lock")
                .insert(s.clone(), stored.version);
            let stale = stale(&event);
            made.auth |= stale.auth;
            made.clients |= stale.clients;
        }
        let p = &self.inner.progress;
        p.advance(
            reached.clone(),
            made,
            batch.last().map(|e| e.event.created_at),
        );
        let generations = (
            p.auth_generation() as i64,
            p.client_generation() as i64,
            p.last_applied_at(),
        );
        // One row per partition: its position with the generations that cover it, and where
        // its reader resumes (never ahead of what is applied: a crash before the row is written
        // reads the partition again from the older resume, and the versions skip the replay).
        let resumes: BTreeMap<i32, Resume> = resumes.into_iter().collect();
        for (partition, at) in &reached {
            let (auth, client, last) = generations;
            match resumes.get(partition) {
                Some(r) => self.run(
                    "UPDATE checkpoints SET position = ?, auth_generation = ?, client_generation = ?, last_applied_at = ?,
                     resume_offset = ?, resume_epoch = ? WHERE partition = ?",
                    (*at as i64, auth, client, last, r.offset, r.epoch, *partition),
                ).await?,
                None => self.run(
                    "UPDATE checkpoints SET position = ?, auth_generation = ?, client_generation = ?, last_applied_at = ?
                     WHERE partition = ?",
                    (*at as i64, auth, client, last, *partition),
                ).await?,
            };
        }
        for (partition, r) in resumes.iter().filter(|(p, _)| !reached.contains_key(p)) {
            self.run(
                "UPDATE checkpoints SET resume_offset = ?, resume_epoch = ? WHERE partition = ?",
                (r.offset, r.epoch, *partition),
            )
            .await?;
        }
        Ok(p.position())
    }

    /// The last version of a stream applied (0: none).
    async fn version(&self, stream: &StreamId) -> Result<u64, Error> {
        if let Some(v) = self
            .inner
            .versions
            .lock()
            .expect("versions lock")
            .get(stream)
        {
            return Ok(*v);
        }
        let v = self
            .rows(
                "SELECT version FROM versions WHERE instance = ? AND kind = ? AND id = ?",
                (&stream.instance, &stream.kind, &stream.id),
            )
            .await?
            .maybe_first_row::<(Option<i64>,)>()
            .map_err(storage)?
            .and_then(|(v,)| v)
            .unwrap_or(0) as u64;
        self.inner
            .versions
            .lock()
            .expect("versions lock")
            .insert(stream.clone(), v);
        Ok(v)
    }

    /// The audit trail's rows of an event, as stored. The cluster's own streams (outside any
    /// instance: its first start's claim) are in no instance's trail, and CQL keys may not be
    /// empty.
    async fn record(&self, stored: &StoredEvent) -> Result<(), Error> {
        let (s, e) = (&stored.stream, &stored.event);
        if s.instance.is_empty() {
            return Ok(());
        }
        let (position, sequence) = (stored.position as i64, stored.version as i64);
        let schema = e.schema_version as i32;
        // Three tables, one per filter of the trail, written at once.
        tokio::try_join!(
            self.run(
                "INSERT INTO events (instance, position, aggregate_type, aggregate_id, sequence, type, creator, created_at, schema_version, payload)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (&s.instance, position, &s.kind, &s.id, sequence, &e.event_type, &e.creator, e.created_at, schema, &e.payload),
            ),
            self.run(
                "INSERT INTO events_by_aggregate (instance, aggregate_id, position, aggregate_type, sequence, type, creator, created_at, schema_version, payload)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (&s.instance, &s.id, position, &s.kind, sequence, &e.event_type, &e.creator, e.created_at, schema, &e.payload),
            ),
            self.run(
                "INSERT INTO events_by_type (instance, aggregate_type, position, aggregate_id, sequence, type, creator, created_at, schema_version, payload)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (&s.instance, &s.kind, position, &s.id, sequence, &e.event_type, &e.creator, e.created_at, schema, &e.payload),
            ),
        )?;
        Ok(())
    }

    async fn event(&self, stored: &StoredEvent, event: &DomainEvent) -> Result<(), Error> {
        let (i, id) = (stored.stream.instance.as_str(), stored.stream.id.as_str());
        match event {
            DomainEvent::Instance(e) => self.instance(i, e, stored.event.created_at).await,
            DomainEvent::Org(e) => self.org(i, id, e).await,
            DomainEvent::User(e) => self.user(i, id, e).await,
            DomainEvent::Project(e) => self.project(i, id, e).await,
            DomainEvent::UserGrant(e) => self.user_grant(i, id, e).await,
            DomainEvent::SigningKeys(e) => self.keys(i, e).await,
            // The flows' state is read from their actors; the audit trail has the events.
            DomainEvent::AuthRequest(
                AuthRequestEvent::Added { .. }
                | AuthRequestEvent::CodeIssued { .. }
                | AuthRequestEvent::CodeExchanged { .. }
                | AuthRequestEvent::CodeReused { .. },
            )
            | DomainEvent::Session(
                SessionEvent::Started { .. } | SessionEvent::Renewed { .. } | SessionEvent::Ended,
            )
            | DomainEvent::RefreshFamily(
                RefreshEvent::Issued { .. } | RefreshEvent::Rotated { .. } | RefreshEvent::Revoked,
            ) => Ok(()),
            // Claims are the write side's business; nothing reads them.
            DomainEvent::Unique(UniqueEvent::Claimed { .. } | UniqueEvent::Released { .. }) => {
                Ok(())
            }
        }
    }

    async fn set_member(
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

    async fn remove_member(
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
    async fn remove_members_of(&self, i: &str, level: &str, resource: &str) -> Result<(), Error> {
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

    /// The first column of each row, as text.
    pub(crate) async fn column(
        &self,
        cql: &str,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<Vec<String>, Error> {
        self.rows(cql, values)
            .await?
            .rows::<(String,)>()
            .map_err(storage)?
            .map(|r| r.map(|(v,)| v).map_err(storage))
            .collect()
    }

    async fn instance(&self, i: &str, e: &InstanceEvent, at: i64) -> Result<(), Error> {
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
            InstanceEvent::Removed { .. } => self.remove_instance(i).await,
        }
    }

    /// Everything of an instance but its audit trail.
    async fn remove_instance(&self, i: &str) -> Result<(), Error> {
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

    async fn org(&self, i: &str, id: &str, e: &OrgEvent) -> Result<(), Error> {
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
        }
        Ok(())
    }

    async fn set_state(&self, i: &str, id: &str, state: UserState) -> Result<(), Error> {
        self.run(
            "UPDATE users SET state = ? WHERE instance = ? AND id = ?",
            (state.name(), i, id),
        )
        .await?;
        Ok(())
    }

    /// A new user's rows: by id, by org and by login name.
    async fn add_user(&self, i: &str, id: &str, org_id: &str, username: &str) -> Result<(), Error> {
        self.run(
            "INSERT INTO users_by_org (instance, org_id, id) VALUES (?, ?, ?)",
            (i, org_id, id),
        )
        .await?;
        self.run(
            "INSERT INTO users_by_login (instance, username_lower, id) VALUES (?, ?, ?)",
            (i, domain::validate::normalized_username(username), id),
        )
        .await?;
        Ok(())
    }

    /// A user's rows and everything hanging off them: tokens, memberships, metadata.
    async fn remove_user(&self, i: &str, id: &str) -> Result<(), Error> {
        let found = self
            .rows(
                "SELECT org_id, username FROM users WHERE instance = ? AND id = ?",
                (i, id),
            )
            .await?
            .maybe_first_row::<(Option<String>, Option<String>)>()
            .map_err(storage)?;
        if let Some((org, username)) = found {
            self.run(
                "DELETE FROM users_by_org WHERE instance = ? AND org_id = ? AND id = ?",
                (i, org.unwrap_or_default(), id),
            )
            .await?;
            self.run(
                "DELETE FROM users_by_login WHERE instance = ? AND username_lower = ?",
                (
                    i,
                    domain::validate::normalized_username(&username.unwrap_or_default()),
                ),
            )
            .await?;
        }
        for hash in self
            .column(
                "SELECT token_hash FROM pats_by_user WHERE instance = ? AND user_id = ?",
                (i, id),
            )
            .await?
        {
            self.run("DELETE FROM pats_by_hash WHERE token_hash = ?", (&hash,))
                .await?;
        }
        self.run(
            "DELETE FROM pats_by_user WHERE instance = ? AND user_id = ?",
            (i, id),
        )
        .await?;
        let held = self
            .rows(
                "SELECT level, resource_id FROM memberships_by_user WHERE instance = ? AND user_id = ?",
                (i, id),
            )
            .await?;
        for row in held.rows::<(String, String)>().map_err(storage)? {
            let (level, resource) = row.map_err(storage)?;
            self.run(
                "DELETE FROM memberships_by_resource WHERE instance = ? AND level = ? AND resource_id = ? AND user_id = ?",
                (i, &level, &resource, id),
            )
            .await?;
        }
        for table in ["memberships_by_user", "user_metadata"] {
            self.run(
                &format!("DELETE FROM {table} WHERE instance = ? AND user_id = ?"),
                (i, id),
            )
            .await?;
        }
        self.run("DELETE FROM users WHERE instance = ? AND id = ?", (i, id))
            .await?;
        Ok(())
    }

    async fn user(&self, i: &str, id: &str, e: &UserEvent) -> Result<(), Error> {
        match e {
            UserEvent::HumanAdded {
                org_id,
                username,
                profile,
                email,
                phone,
                ..
            } => {
                self.run(
                    "INSERT INTO users (instance, id, org_id, username, kind, state, display_name, given_name, family_name,
                        preferred_language, email, email_verified, phone, phone_verified, description, secret_hash)
                     VALUES (?, ?, ?, ?, 'human', 'active', ?, ?, ?, ?, ?, ?, ?, false, null, null)",
                    (i, id, org_id, username, &profile.display_name, &profile.given_name, &profile.family_name,
                        &profile.preferred_language, &email.address, email.verified, phone),
                )
                .await?;
                self.add_user(i, id, org_id, username).await?;
            }
            UserEvent::MachineAdded {
                org_id,
                username,
                name,
                description,
            } => {
                self.run(
                    "INSERT INTO users (instance, id, org_id, username, kind, state, display_name, given_name, family_name,
                        preferred_language, email, email_verified, phone, phone_verified, description, secret_hash)
                     VALUES (?, ?, ?, ?, 'machine', 'active', ?, null, null, null, null, null, null, null, ?, null)",
                    (i, id, org_id, username, name, description),
                )
                .await?;
                self.add_user(i, id, org_id, username).await?;
            }
            UserEvent::PatAdded {
                pat_id,
                token_hash,
                expires_at,
            } => {
                self.run(
                    "INSERT INTO pats_by_hash (token_hash, instance, user_id, pat_id, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (token_hash, i, id, pat_id, expires_at),
                )
                .await?;
                self.run(
                    "INSERT INTO pats_by_user (instance, user_id, pat_id, token_hash, expires_at) VALUES (?, ?, ?, ?, ?)",
                    (i, id, pat_id, token_hash, expires_at),
                )
                .await?;
            }
            UserEvent::PatRemoved { pat_id } => {
                for hash in self
                    .column(
                        "SELECT token_hash FROM pats_by_user WHERE instance = ? AND user_id = ? AND pat_id = ?",
                        (i, id, pat_id),
                    )
                    .await?
                {
                    self.run("DELETE FROM pats_by_hash WHERE token_hash = ?", (&hash,))
                        .await?;
                }
                self.run(
                    "DELETE FROM pats_by_user WHERE instance = ? AND user_id = ? AND pat_id = ?",
                    (i, id, pat_id),
                )
                .await?;
            }
            UserEvent::Removed { .. } => self.remove_user(i, id).await?,
            UserEvent::ProfileChanged { profile } => {
                self.run(
                    "UPDATE users SET display_name = ?, given_name = ?, family_name = ?, preferred_language = ?
                     WHERE instance = ? AND id = ?",
                    (&profile.display_name, &profile.given_name, &profile.family_name, &profile.preferred_language, i, id),
                )
                .await?;
            }
            UserEvent::MachineChanged { name, description } => {
                self.run(
                    "UPDATE users SET display_name = ?, description = ? WHERE instance = ? AND id = ?",
                    (name, description, i, id),
                )
                .await?;
            }
            UserEvent::EmailChanged { email } => {
                self.run(
                    "UPDATE users SET email = ?, email_verified = ? WHERE instance = ? AND id = ?",
                    (&email.address, email.verified, i, id),
                )
                .await?;
            }
            UserEvent::PhoneChanged { phone, verified } => {
                self.run(
                    "UPDATE users SET phone = ?, phone_verified = ? WHERE instance = ? AND id = ?",
                    (phone, verified, i, id),
                )
                .await?;
            }
            UserEvent::PasswordChanged { .. }
            | UserEvent::PasswordCheckFailed
            | UserEvent::PasswordCheckSucceeded => {}
            UserEvent::Deactivated => self.set_state(i, id, UserState::Inactive).await?,
            UserEvent::Reactivated | UserEvent::Unlocked => {
                self.set_state(i, id, UserState::Active).await?
            }
            UserEvent::Locked => self.set_state(i, id, UserState::Locked).await?,
            UserEvent::MetadataSet { key, value } => {
                self.run(
                    "INSERT INTO user_metadata (instance, user_id, key, value) VALUES (?, ?, ?, ?)",
                    (i, id, key, value),
                )
                .await?;
            }
            UserEvent::MetadataRemoved { key } => {
                self.run(
                    "DELETE FROM user_metadata WHERE instance = ? AND user_id = ? AND key = ?",
                    (i, id, key),
                )
                .await?;
            }
            UserEvent::SecretSet { secret_hash } => {
                self.run(
                    "UPDATE users SET secret_hash = ? WHERE instance = ? AND id = ?",
                    (secret_hash, i, id),
                )
                .await?;
            }
            UserEvent::SecretRemoved => {
                self.run(
                    "UPDATE users SET secret_hash = null WHERE instance = ? AND id = ?",
                    (i, id),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// A project's rows and everything hanging off them: roles, apps, grants, memberships.
    async fn remove_project(&self, i: &str, id: &str) -> Result<(), Error> {
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

    async fn project(&self, i: &str, id: &str, e: &ProjectEvent) -> Result<(), Error> {
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

    async fn user_grant(&self, i: &str, id: &str, e: &UserGrantEvent) -> Result<(), Error> {
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

    async fn keys(&self, i: &str, e: &SigningKeysEvent) -> Result<(), Error> {
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
