//! The outbox's queue in the embedded read model (`outbox`, projected with the users).

use domain::Error;
use rusqlite::params;

use crate::model::OutboxQueries;
use crate::store::SqliteReadModel;

/// A message whose turn has come: the first waiting one of its user, due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueMessage {
    pub instance: String,
    pub user_id: String,
    pub message_id: String,
}

impl OutboxQueries for SqliteReadModel {
    fn due_messages(&self, now: i64, limit: usize) -> Result<Vec<DueMessage>, Error> {
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
