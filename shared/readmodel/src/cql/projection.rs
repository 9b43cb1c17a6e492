//! Event -> CQL writes. The projector is the only writer, so a write that needs what a row
//! holds (a user's login name before removing it) reads it first. Every event type of every
//! aggregate is matched, so a new event cannot be forgotten here.
//!
//! A batch is applied event by event, each followed by its stream's version; the partitions'
//! checkpoints come last. A crash midway replays from the checkpoint: the versions skip what was
//! applied, and the one event that may have been half applied is applied again whole (every
//! write here is an upsert or a delete, safe to repeat).

use std::collections::{BTreeMap, HashMap};

use domain::oidc::{
    AssertionEvent, AuthRequestEvent, RefreshEvent, SessionEvent, TokenRevocationEvent,
};
use domain::unique::UniqueEvent;
use domain::{DomainEvent, Error};
use eventlog::follow::{Checkpoint, Resume};
use eventlog::position::untag;
use eventlog::{StoredEvent, StreamId};

use super::{storage, CqlReadModel};
use crate::model::Projection;
use crate::progress::Progress;
use crate::projection::{stale, Stale};

/// How many streams' versions the projector keeps in memory.
const REMEMBERED: usize = 1 << 20;

/// Every table, for a rebuild.
const TABLES: [&str; 30] = [
    "checkpoints",
    "versions",
    "instances",
    "instances_by_domain",
    "orgs",
    "users",
    "users_by_org",
    "users_by_login",
    "users_by_login_prefix",
    "users_by_email",
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
    "events_by_day",
    "event_days",
    "outbox",
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
    pub(super) async fn apply(
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
                &stored.event.event_type,
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
            self.remember(s, stored.version);
            let stale = stale(&event);
            made.auth |= stale.auth;
            made.clients |= stale.clients;
        }
        // The generations after this batch, published here only once the rows hold them.
        let p = &self.inner.progress;
        let written_at = batch.last().map(|e| e.event.created_at);
        let generations = (
            (p.auth_generation() + u64::from(made.auth)) as i64,
            (p.client_generation() + u64::from(made.clients)) as i64,
            written_at.unwrap_or(p.last_applied_at()),
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
        p.advance(reached, made, written_at);
        Ok(p.position())
    }

    /// Keeps a stream's applied version; past [`REMEMBERED`] streams the cache starts again
    /// (each is read back from `versions` when next met).
    fn remember(&self, stream: &StreamId, version: u64) {
        let mut versions = self.inner.versions.lock().expect("versions lock");
        if versions.len() >= REMEMBERED {
            versions.clear();
        }
        versions.insert(stream.clone(), version);
    }

    /// The last version of a stream applied (0: none).
    pub(super) async fn version(&self, stream: &StreamId) -> Result<u64, Error> {
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
        self.remember(stream, v);
        Ok(v)
    }

    /// The audit trail's rows of an event, as stored. The cluster's own streams (outside any
    /// instance: its first start's claim) are in no instance's trail, and CQL keys may not be
    /// empty.
    pub(super) async fn record(&self, stored: &StoredEvent) -> Result<(), Error> {
        let (s, e) = (&stored.stream, &stored.event);
        if s.instance.is_empty() {
            return Ok(());
        }
        let (position, sequence) = (stored.position as i64, stored.version as i64);
        let schema = e.schema_version as i32;
        let day = super::trail_queries::day_of(e.created_at);
        // The tables of the trail's filters and of its newest-first pages, written at once.
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
            self.run(
                "INSERT INTO events_by_day (instance, day, created_at, position, aggregate_type, aggregate_id, sequence, type, creator, schema_version, payload)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (&s.instance, day, e.created_at, position, &s.kind, &s.id, sequence, &e.event_type, &e.creator, schema, &e.payload),
            ),
            self.run(
                "INSERT INTO event_days (instance, day) VALUES (?, ?)",
                (&s.instance, day),
            ),
        )?;
        Ok(())
    }

    pub(super) async fn event(
        &self,
        stored: &StoredEvent,
        event: &DomainEvent,
    ) -> Result<(), Error> {
        let (i, id) = (stored.stream.instance.as_str(), stored.stream.id.as_str());
        match event {
            DomainEvent::Instance(e) => self.instance(i, e, stored.event.created_at).await,
            DomainEvent::Org(e) => self.org(i, id, e).await,
            DomainEvent::User(e) => self.user(i, id, e, stored.event.created_at).await,
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
                SessionEvent::Started { .. }
                | SessionEvent::Renewed { .. }
                | SessionEvent::Used { .. }
                | SessionEvent::Ended
                | SessionEvent::Created { .. }
                | SessionEvent::PasswordChecked { .. }
                | SessionEvent::FactorChecked { .. }
                | SessionEvent::KeyChallenged { .. }
                | SessionEvent::IdpChecked { .. },
            )
            | DomainEvent::RefreshFamily(
                RefreshEvent::Issued { .. } | RefreshEvent::Rotated { .. } | RefreshEvent::Revoked,
            )
            | DomainEvent::TokenRevocations(TokenRevocationEvent::Revoked { .. })
            | DomainEvent::UsedAssertions(AssertionEvent::Used { .. })
            | DomainEvent::DeviceAuthorization(_)
            | DomainEvent::IdpIntent(_)
            | DomainEvent::ActionDelivery(_) => Ok(()),
            // Claims are the write side's business; nothing reads them.
            DomainEvent::Unique(UniqueEvent::Claimed { .. } | UniqueEvent::Released { .. }) => {
                Ok(())
            }
        }
    }
}
