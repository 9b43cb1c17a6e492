//! The outbox's queue on CQL (`outbox`, 16 buckets by user): the messages of codes waiting to
//! be sent, written by the projector as the embedded read model writes its own, and read
//! whole by the sender.

use domain::user::CodeKind;
use domain::Error;

use super::{storage, CqlReadModel};
use crate::model::OutboxQueries;
use crate::DueMessage;

/// How many partitions the queue is spread over.
const BUCKETS: i32 = 16;

/// A user's bucket: FNV-1a of `instance/user_id` (stable across releases and platforms).
fn bucket(instance: &str, user_id: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in instance.bytes().chain([b'/']).chain(user_id.bytes()) {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash % BUCKETS as u32) as i32
}

/// A waiting message as the queue holds it.
#[derive(Clone, Debug)]
struct Waiting {
    instance: String,
    user_id: String,
    kind: String,
    message_id: String,
    due_at: i64,
}

impl CqlReadModel {
    /// The user's waiting messages.
    async fn waiting_of(&self, i: &str, id: &str) -> Result<Vec<Waiting>, Error> {
        let rows = self
            .rows(
                "SELECT kind, message_id, due_at FROM outbox WHERE bucket = ? AND instance = ? AND user_id = ?",
                (bucket(i, id), i, id),
            )
            .await?;
        let mut found = Vec::new();
        for row in rows
            .rows::<(String, Option<String>, Option<i64>)>()
            .map_err(storage)?
        {
            let (kind, message_id, due_at) = row.map_err(storage)?;
            found.push(Waiting {
                instance: i.to_string(),
                user_id: id.to_string(),
                kind,
                message_id: message_id.unwrap_or_default(),
                due_at: due_at.unwrap_or_default(),
            });
        }
        Ok(found)
    }

    async fn drop_kind(&self, i: &str, id: &str, kind: &str) -> Result<(), Error> {
        self.run(
            "DELETE FROM outbox WHERE bucket = ? AND instance = ? AND user_id = ? AND kind = ?",
            (bucket(i, id), i, id, kind),
        )
        .await?;
        Ok(())
    }

    /// A code's message waits from `due_at` (replacing its kind's earlier one).
    pub(super) async fn queue_message(
        &self,
        i: &str,
        id: &str,
        kind: CodeKind,
        message_id: &str,
        due_at: i64,
    ) -> Result<(), Error> {
        self.run(
            "INSERT INTO outbox (bucket, instance, user_id, kind, message_id, due_at) VALUES (?, ?, ?, ?, ?, ?)",
            (bucket(i, id), i, id, kind.name(), message_id, due_at),
        )
        .await?;
        Ok(())
    }

    /// The messages of codes of `kinds` wait no longer (the code was replaced, voided or used).
    pub(super) async fn drop_messages(
        &self,
        i: &str,
        id: &str,
        kinds: &[CodeKind],
    ) -> Result<(), Error> {
        for kind in kinds {
            self.drop_kind(i, id, kind.name()).await?;
        }
        Ok(())
    }

    /// A message is sent or given up (`due_at` none), or waits until `due_at`.
    pub(super) async fn message_outcome(
        &self,
        i: &str,
        id: &str,
        message_id: &str,
        due_at: Option<i64>,
    ) -> Result<(), Error> {
        for w in self.waiting_of(i, id).await? {
            if w.message_id != message_id {
                continue;
            }
            match due_at {
                None => self.drop_kind(i, id, &w.kind).await?,
                Some(due) => {
                    self.run(
                        "UPDATE outbox SET due_at = ? WHERE bucket = ? AND instance = ? AND user_id = ? AND kind = ?",
                        (due, bucket(i, id), i, id, &w.kind),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// A removed user's messages.
    pub(super) async fn forget_messages(&self, i: &str, id: &str) -> Result<(), Error> {
        for w in self.waiting_of(i, id).await? {
            self.drop_kind(i, id, &w.kind).await?;
        }
        Ok(())
    }

    async fn queue(&self) -> Result<Vec<Waiting>, Error> {
        let mut all = Vec::new();
        for b in 0..BUCKETS {
            let rows = self
                .rows(
                    "SELECT instance, user_id, kind, message_id, due_at FROM outbox WHERE bucket = ?",
                    (b,),
                )
                .await?;
            type Row = (String, String, String, Option<String>, Option<i64>);
            for row in rows.rows::<Row>().map_err(storage)? {
                let (instance, user_id, kind, message_id, due_at) = row.map_err(storage)?;
                all.push(Waiting {
                    instance,
                    user_id,
                    kind,
                    message_id: message_id.unwrap_or_default(),
                    due_at: due_at.unwrap_or_default(),
                });
            }
        }
        Ok(all)
    }
}

/// Of `waiting`, each user's oldest message (message ids grow with time) if due at `now`,
/// most overdue first, at most `limit`.
fn due(mut waiting: Vec<Waiting>, now: i64, limit: usize) -> Vec<DueMessage> {
    waiting.sort_by(|a, b| {
        (&a.instance, &a.user_id, &a.message_id).cmp(&(&b.instance, &b.user_id, &b.message_id))
    });
    waiting.dedup_by(|later, first| {
        later.instance == first.instance && later.user_id == first.user_id
    });
    waiting.retain(|w| w.due_at <= now);
    waiting.sort_by_key(|w| w.due_at);
    waiting
        .into_iter()
        .take(limit)
        .map(|w| DueMessage {
            instance: w.instance,
            user_id: w.user_id,
            message_id: w.message_id,
        })
        .collect()
}

impl OutboxQueries for CqlReadModel {
    fn due_messages(&self, now: i64, limit: usize) -> Result<Vec<DueMessage>, Error> {
        self.query(|m| async move { Ok(due(m.queue().await?, now, limit)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(user: &str, message: &str, due_at: i64) -> Waiting {
        Waiting {
            instance: "i".into(),
            user_id: user.into(),
            kind: "k".into(),
            message_id: message.into(),
            due_at,
        }
    }

    #[test]
    fn each_users_oldest_message_goes_first_when_due() {
        let queue = vec![
            w("ada", "m2", 10),
            w("ada", "m1", 50),
            w("bob", "m3", 20),
            w("eve", "m4", 5),
        ];
        let ids: Vec<String> = due(queue.clone(), 30, 10)
            .into_iter()
            .map(|d| d.message_id)
            .collect();
        // Ada's m1 is her oldest and not due yet: her m2 waits behind it.
        assert_eq!(ids, ["m4", "m3"]);
        assert_eq!(due(queue, 60, 1)[0].message_id, "m4");
        assert!((0..100).all(|n| (0..BUCKETS).contains(&bucket("i", &format!("u{n}")))));
    }
}
