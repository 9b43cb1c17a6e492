//! The cluster's placement: a node serves the partitions the command group gave it (none on a
//! gateway) and forwards everything else to the owner the owners topic names, over the
//! internal API (`POST /internal/v1/forward`, JSON in a versioned envelope, a bearer token
//! derived from the master key).
//!
//! A forward is retried only when the request cannot have been carried out: no owner is
//! known, the connection was refused, or the node answered that the partition moved (it
//! answers that before it runs anything, and a write it could not confirm is never counted).
//! A request that reached a node which then went silent is not sent again: the caller gets an
//! error it may retry, with `If-Match`, itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use command::placement::{Forwarded, Placement, Reply, Request};
use domain::{Code, Error};
use eventlog::kafka::cluster::ClusterLog;
use eventlog::kafka::owners::OwnerMap;

pub const FORWARD_PATH: &str = "/internal/v1/forward";

/// The largest forwarded request or answer.
pub const MAX_BODY: usize = 16 << 20;

pub struct ClusterPlacement {
    pub partitions: u32,
    /// This node's share of the log (command nodes).
    pub log: Option<Arc<ClusterLog>>,
    pub owners: Arc<OwnerMap>,
    /// The internal API's bearer token.
    pub token: String,
    /// How long a forward waits for a partition to have a reachable owner.
    pub patience: Duration,
}

/// Why one attempt failed.
enum Attempt {
    /// The request did not reach a node, or the node refused it unread: send again.
    Again,
    /// The answer is final.
    Done(Result<Reply, Error>),
}

thread_local! {
    static CLIENT: awc::Client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
}

impl ClusterPlacement {
    async fn attempt(&self, address: &str, body: &[u8]) -> Attempt {
        let mut request = CLIENT.with(|c| {
            c.post(format!("http://{address}{FORWARD_PATH}"))
                .bearer_auth(&self.token)
                .content_type("application/octet-stream")
        });
        // The owner's spans continue this node's (W3C traceparent, when traces are on).
        for (name, value) in trace_headers() {
            request = request.insert_header((name, value));
        }
        let mut response = match request.send_body(body.to_vec()).await {
            Ok(r) => r,
            Err(awc::error::SendRequestError::Connect(e)) => {
                tracing::debug!(%address, error = %e, "the owner is not reachable yet");
                return Attempt::Again;
            }
            Err(e) => {
                return Attempt::Done(Err(Error::new(
                    Code::StorageUnavailable,
                    format!(
                        "the node serving the aggregate did not answer ({e}): the write may or may not have been made; read it back, or retry with If-Match"
                    ),
                )))
            }
        };
        let bytes = match response.body().limit(MAX_BODY).await {
            Ok(b) => b,
            Err(e) => {
                return Attempt::Done(Err(Error::new(
                    Code::StorageUnavailable,
                    format!(
                    "the owner's answer was cut off ({e}): read it back, or retry with If-Match"
                ),
                )))
            }
        };
        if !response.status().is_success() {
            return Attempt::Done(Err(Error::internal(format!(
                "the internal API answered {}: {}",
                response.status(),
                String::from_utf8_lossy(&bytes)
            ))));
        }
        match decode::<Result<Reply, Error>>(&bytes) {
            Ok(Err(e)) if e.code == Code::PartitionMoved => Attempt::Again,
            Ok(answer) => Attempt::Done(answer),
            Err(e) => Attempt::Done(Err(e)),
        }
    }
}

impl Placement for ClusterPlacement {
    fn partitions(&self) -> u32 {
        self.partitions
    }

    fn tenure(&self, partition: i32) -> Option<u64> {
        self.log
            .as_ref()?
            .tenure(partition)
            .map(|epoch| epoch as u64)
    }

    fn forward(&self, partition: i32, request: Request) -> Forwarded<'_> {
        Box::pin(async move {
            let body = encode(&request)?;
            let deadline = Instant::now() + self.patience;
            let mut announced = self.owners.changed();
            loop {
                if let Some(owner) = self.owners.owner(partition) {
                    if let Attempt::Done(answer) = self.attempt(&owner.address, &body).await {
                        return answer;
                    }
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::new(
                        Code::NoPartitionOwner,
                        format!(
                            "no node serves partition {partition} now (a command node may be starting or leaving): retry shortly"
                        ),
                    )
                    .with("partition", partition.to_string()));
                }
                // Wake on the next announcement, or try again soon.
                let pause = left.min(Duration::from_millis(250));
                if let Ok(Err(_)) = tokio::time::timeout(pause, announced.changed()).await {
                    tokio::time::sleep(pause).await;
                }
            }
        })
    }
}

/// A message between nodes: JSON with named fields, in an envelope that names its version
/// (`crate::version::NODE_MESSAGES`), so that a node never misreads another release's message.
#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope<T> {
    v: u16,
    m: T,
}

#[derive(serde::Deserialize)]
struct VersionOnly {
    v: u16,
}

pub fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(&Envelope {
        v: crate::version::NODE_MESSAGES,
        m: value,
    })
    .map_err(|e| Error::internal(format!("cannot encode for the internal API: {e}")))
}

/// A message of another version (or of a release before versions) is a clear error, never a
/// misread.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let ours = crate::version::NODE_MESSAGES;
    let other = |theirs: String| {
        Error::new(
            Code::NodeMessagesVersion,
            format!(
                "a node speaks node messages {theirs}, this one version {ours} (release {}): \
                 nodes of one cluster must run releases that share it; finish the upgrade",
                crate::version::RELEASE
            ),
        )
        .with("version", ours.to_string())
    };
    match serde_json::from_slice::<VersionOnly>(bytes) {
        Ok(VersionOnly { v }) if v == ours => {}
        Ok(VersionOnly { v }) => return Err(other(format!("version {v}"))),
        Err(_) => return Err(other("of an unknown version".into())),
    }
    serde_json::from_slice::<Envelope<T>>(bytes)
        .map(|e| e.m)
        .map_err(|e| Error::internal(format!("unreadable internal API message: {e}")))
}

/// The current span's context as W3C trace headers (none unless traces are exported).
fn trace_headers() -> Vec<(String, String)> {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    struct Collect(Vec<(String, String)>);
    impl opentelemetry::propagation::Injector for Collect {
        fn set(&mut self, key: &str, value: String) {
            self.0.push((key.to_string(), value));
        }
    }
    let context = tracing::Span::current().context();
    let mut headers = Collect(Vec::new());
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, &mut headers));
    headers.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use command::placement::{Reply, WireKey};

    #[test]
    fn messages_carry_their_version_and_another_is_refused_clearly() {
        let request = Request::Peek {
            key: WireKey {
                instance: "i".into(),
                kind: "user".into(),
                id: "u".into(),
            },
        };
        let bytes = encode(&request).unwrap();
        assert!(matches!(
            decode::<Request>(&bytes).unwrap(),
            Request::Peek { .. }
        ));
        let answer: Result<Reply, Error> = Err(Error::new(Code::UserNotFound, "no such user"));
        let back: Result<Reply, Error> = decode(&encode(&answer).unwrap()).unwrap();
        assert_eq!(back.unwrap_err().code, Code::UserNotFound);
        // The next version, and a message of release 0.1 (positional bincode, no envelope).
        let next = br#"{"v":3,"m":{"Peek":{"key":{"instance":"i","kind":"user","id":"u"}}}}"#;
        let e = decode::<Request>(next).err().unwrap();
        assert_eq!(e.code, Code::NodeMessagesVersion);
        assert!(e.message.contains("version 3") && e.message.contains("finish the upgrade"));
        // Version 1 (before forwarded commands carried session lifetimes): refused the same.
        let previous = br#"{"v":1,"m":{"Peek":{"key":{"instance":"i","kind":"user","id":"u"}}}}"#;
        let e = decode::<Request>(previous).err().unwrap();
        assert_eq!(e.code, Code::NodeMessagesVersion);
        let old = [1u8, 1, 105, 4, 117, 115, 101, 114, 1, 117];
        assert_eq!(
            decode::<Request>(&old).err().unwrap().code,
            Code::NodeMessagesVersion
        );
    }
}
