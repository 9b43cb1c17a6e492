//! The outbox's queue: the messages of codes waiting to be sent (projected from the users'
//! `user.code.added`, and gone once `user.notification.sent`, given up, or replaced).

use domain::Error;
use rusqlite::params;

use crate::store::SqliteReadModel;

/// A message whose turn has come: the first waiting one of its user, due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueMessage {
    pub instance: String,
    pub user_id: String,
    pub message_id: String,
}

impl SqliteReadModel {
    /// Up to `limit` messages due at `now` (unix milliseconds), each its user's oldest waiting
    /// one (message ids grow with time, so a user's messages leave in order), most overdue
    /// first.
    pub fn due_messages(&self, now: i64, limit: usize) -> Result<Vec<DueMessage>, Error> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT instance, user_id, message_id FROM outbox AS o
                 WHERE due_at <= ?1 AND message_id = (SELECT MIN(message_id) FROM outbox
                     WHERE instance = o.instance AND user_id = o.user_id)
                 ORDER BY due_at LIMIT ?2",
            )?;
            let rows = st.query_map(params![now, limit as i64], |r| {
                Ok(DueMessage {
                    instance: r.get(0)?,
                    user_id: r.get(1)?,
                    message_id: r.get(2)?,
                })
            })?;
            rows.collect()
        })
    }
}
