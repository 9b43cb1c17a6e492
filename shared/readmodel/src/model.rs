//! What every read-model adapter answers (the embedded SQLite one, the CQL one of a cluster):
//! the gateway's queries, grouped by what they read, and the projector's writes. The gateway
//! and the projector hold a `dyn ReadModel` and never know which adapter it is.

use std::collections::HashMap;

use authz::{Memberships, ReadScope, RoleMap};
use domain::Error;
use eventlog::follow::{Checkpoint, Resume};
use eventlog::{StoredEvent, StreamId};

use crate::{
    AppRow, EventFilter, EventRow, InstanceRow, KeyRow, LatestPage, MemberLevel, MemberRow, Older,
    OrgRow, Page, ProjectGrantRow, ProjectRow, RoleRow, UserFilter, UserGrantRow,
    UserMembershipRow, UserRow,
};

/// Users, their tokens and metadata, and who they are to the permission check. Blocking: call
/// off the async runtime.
pub trait UserQueries {
    fn user(&self, instance: &str, id: &str) -> Result<Option<UserRow>, Error>;
    /// Users of the instance inside `scope` matching `filter`, ordered by id, after `cursor`
    /// (the last id of the previous page).
    fn list_users(
        &self,
        instance: &str,
        scope: &ReadScope,
        filter: &UserFilter,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<UserRow>, Error>;
    /// A user by login name (without regard to case), with a machine user's secret hash.
    fn user_by_login(
        &self,
        instance: &str,
        username: &str,
    ) -> Result<Option<(UserRow, Option<String>)>, Error>;
    /// The users of `org_id` whose verified email is `email` (without regard to case): the
    /// accounts an IdP's identity with that verified address may be linked to.
    fn users_with_verified_email(
        &self,
        instance: &str,
        org_id: &str,
        email: &str,
    ) -> Result<Vec<String>, Error>;
    /// A user's metadata, by key.
    fn metadata(&self, instance: &str, user_id: &str) -> Result<Vec<(String, Vec<u8>)>, Error>;
    /// A user's personal access tokens: (id, expiry), never the hashes.
    fn pats(&self, instance: &str, user_id: &str) -> Result<Vec<(String, Option<i64>)>, Error>;
    /// The owner of a personal access token, by the token's hash: (instance, user id, expiry).
    fn pat_owner(&self, token_hash: &str) -> Result<Option<(String, String, Option<i64>)>, Error>;
    /// A user's memberships in the form the permission check takes.
    fn memberships(
        &self,
        instance: &str,
        user_id: &str,
        map: &RoleMap,
    ) -> Result<Memberships, Error>;
}

/// Instances, their domains, orgs and the members of every level.
pub trait DirectoryQueries {
    fn instance(&self, id: &str) -> Result<Option<InstanceRow>, Error>;
    fn list_instances(
        &self,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<InstanceRow>, Error>;
    /// The instance a host name belongs to.
    fn instance_by_domain(&self, host: &str) -> Result<Option<String>, Error>;
    fn org(&self, instance: &str, id: &str) -> Result<Option<OrgRow>, Error>;
    /// The orgs inside `scope`, by id, after `cursor`.
    fn list_orgs(
        &self,
        instance: &str,
        scope: &ReadScope,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<OrgRow>, Error>;
    /// Every membership of a user, by level and resource.
    fn memberships_of(
        &self,
        instance: &str,
        user_id: &str,
    ) -> Result<Vec<UserMembershipRow>, Error>;
    /// The members of a resource (`resource` is empty for the instance), by user id.
    fn members(
        &self,
        instance: &str,
        level: MemberLevel,
        resource: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<MemberRow>, Error>;
}

/// Projects, their roles, apps and grants, and users' grants.
pub trait ProjectQueries {
    fn project(&self, instance: &str, id: &str) -> Result<Option<ProjectRow>, Error>;
    /// The org that owns a project.
    fn project_org(&self, instance: &str, project_id: &str) -> Result<Option<String>, Error> {
        Ok(self.project(instance, project_id)?.map(|p| p.org_id))
    }
    /// The projects inside `scope` (of one org, if given), by id, after `cursor`.
    fn list_projects(
        &self,
        instance: &str,
        scope: &ReadScope,
        org_id: Option<&str>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<ProjectRow>, Error>;
    fn project_roles(&self, instance: &str, project_id: &str) -> Result<Vec<RoleRow>, Error>;
    fn project_grants(
        &self,
        instance: &str,
        project_id: &str,
    ) -> Result<Vec<ProjectGrantRow>, Error>;
    fn project_grant(
        &self,
        instance: &str,
        project_id: &str,
        grant_id: &str,
    ) -> Result<Option<ProjectGrantRow>, Error> {
        Ok(self
            .project_grants(instance, project_id)?
            .into_iter()
            .find(|g| g.id == grant_id))
    }
    /// A user's grants inside `scope`, by id.
    fn user_grants(
        &self,
        instance: &str,
        user_id: &str,
        scope: &ReadScope,
    ) -> Result<Vec<UserGrantRow>, Error>;
    fn user_grant(&self, instance: &str, id: &str) -> Result<Option<UserGrantRow>, Error>;
    fn apps(&self, instance: &str, project_id: &str) -> Result<Vec<AppRow>, Error>;
    /// An app by its OAuth client id, with its secret hash.
    fn app_by_client_id(
        &self,
        instance: &str,
        client_id: &str,
    ) -> Result<Option<(AppRow, Option<String>)>, Error>;
    fn app(&self, instance: &str, project_id: &str, app_id: &str) -> Result<Option<AppRow>, Error>;
}

/// The instance's token signing keys, and its audit trail.
pub trait TrailQueries {
    /// The signing keys of an instance, by kid.
    fn signing_keys(&self, instance: &str) -> Result<Vec<KeyRow>, Error>;
    /// Events of an instance after a position, oldest first.
    fn events(
        &self,
        instance: &str,
        filter: &EventFilter,
        limit: usize,
    ) -> Result<Vec<EventRow>, Error>;
    /// Events of an instance written before `before` (all: `None`), newest first: by the time
    /// they were written, then by position. `filter.after_position` is not used.
    fn latest_events(
        &self,
        instance: &str,
        filter: &EventFilter,
        before: Option<Older>,
        limit: usize,
    ) -> Result<LatestPage, Error>;
}

/// The outbox's queue: the messages of codes waiting to be sent (projected from the users'
/// `user.code.added`, and gone once `user.notification.sent`, given up, or replaced).
pub trait OutboxQueries {
    /// Up to `limit` messages due at `now` (unix milliseconds), each its user's oldest waiting
    /// one (message ids grow with time, so a user's messages leave in order), most overdue
    /// first. Blocking.
    fn due_messages(&self, now: i64, limit: usize) -> Result<Vec<crate::DueMessage>, Error>;
}

/// The projector's side: batches of log events applied in order, idempotently (guarded by each
/// aggregate's version), with each partition's checkpoint, so that projection can stop
/// anywhere and neither lose nor apply twice an event.
pub trait Projection {
    /// Applies `batch` (each partition's events in log order, after its checkpoint), moves each
    /// partition's checkpoint to its last event, and stores where each partition's reader of a
    /// partitioned log resumes. Blocking. Returns partition 0's new position.
    fn apply_followed(
        &self,
        batch: &[StoredEvent],
        resumes: &[(i32, Resume)],
    ) -> Result<u64, Error>;
    /// [`Projection::apply_followed`] for the embedded log, which has no readers to resume.
    fn apply_batch(&self, batch: &[StoredEvent]) -> Result<u64, Error> {
        self.apply_followed(batch, &[])
    }
    /// Where a follower starts each partition it has followed before: what was applied and
    /// where the partition's reader resumes.
    fn checkpoints(&self) -> Result<HashMap<i32, Checkpoint>, Error>;
    /// The last version of a stream this read model applied (0: none), for a follower's
    /// readers resuming mid-partition.
    fn version_of(&self, stream: &StreamId) -> Result<u64, Error>;
    /// Empties every table, for a rebuild from position 0.
    fn reset(&self) -> Result<(), Error>;
    /// How far this read model has applied the log.
    fn progress(&self) -> &crate::Progress;
}

/// A read model: every query and the projector's writes.
pub trait ReadModel:
    UserQueries
    + DirectoryQueries
    + ProjectQueries
    + TrailQueries
    + OutboxQueries
    + Projection
    + Send
    + Sync
{
}

impl<T> ReadModel for T where
    T: UserQueries
        + DirectoryQueries
        + ProjectQueries
        + TrailQueries
        + OutboxQueries
        + Projection
        + Send
        + Sync
{
}
