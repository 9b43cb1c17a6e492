//! The outbox: sends the messages a read model's queue holds (projected from the log, so a
//! message recorded is never lost by a restart or a crash), each user's in order, and keeps
//! polling while the process runs. It runs in `portcullis start`, and in a cluster on the
//! projector, whose read model holds the queue. What became of each attempt is an event of the
//! user (`user.notification.sent` / `.failed`); a failed one is tried again with backoff.

use std::sync::Arc;
use std::time::Duration;

use command::CommandBus;
use readmodel::ReadModel;

/// How often the queue is read when nothing was due.
const POLL: Duration = Duration::from_millis(500);
/// The most messages sent at once.
const BATCH: usize = 32;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Sends due messages until the process ends.
pub async fn run(bus: Arc<CommandBus>, model: Arc<dyn ReadModel>) {
    loop {
        let m = model.clone();
        let due = tokio::task::spawn_blocking(move || m.due_messages(now_ms(), BATCH)).await;
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot read the outbox; trying again");
                Vec::new()
            }
            Err(e) => {
                tracing::error!(error = %e, "the outbox's read failed; trying again");
                Vec::new()
            }
        };
        // One message per user at a time (the queue answers each user's oldest), all users
        // at once: a slow server of one instance does not hold up the others.
        let sends = due.into_iter().map(|d| {
            let bus = bus.clone();
            actix_web::rt::spawn(async move {
                if let Err(e) = bus.deliver(&d.instance, &d.user_id, &d.message_id).await {
                    tracing::error!(instance = %d.instance, user_id = %d.user_id, error = %e, "cannot record a message's outcome; it is tried again");
                }
            })
        });
        for send in sends.collect::<Vec<_>>() {
            let _ = send.await;
        }
        tokio::time::sleep(POLL).await;
    }
}
