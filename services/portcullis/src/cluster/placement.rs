//! The cluster's placement: a node serves the partitions the command group gave it (none on a
//! gateway) and forwards everything else to the owner the owners topic names, over the
//! internal API (`POST /internal/v1/forward`, JSON in a versioned envelope, a bearer token
//! derived from the master key).
//!
//! A write is forwarded again only when it cannot have been carried out: no owner is known,
//! the connection could not be made, or the node answered that the partition moved (it
//! answers that before it runs anything, and a write it could not confirm is never counted).
//! A write that was sent to a node which then went silent or dropped the connection is not
//! sent again: the caller gets `SYS-0003` (its outcome is open), which sagas settle by asking
//! the aggregate's owner. Reads (a peek, owned streams, heads) are sent again either way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
    /// The nodes that speak an earlier node-message version.
    pub peers: PeerVersions,
}

/// Why one attempt failed.
enum Attempt {
    /// The request did not reach a node, or the node refused it unread: send again.
    Again,
    /// The node refused the message unread for its version, naming its own: if this node
    /// writes that one too, send again in it.
    Speaks(u16, Error),
    /// The answer is final.
    Done(Result<Reply, Error>),
}

/// How long an idle connection to another node is kept: shorter than the nodes' own
/// keep-alive (actix-web's 5 s), so that a request is never written into a connection the
/// other side is closing (which would look like a node lost after the request was sent).
const IDLE_CONNECTION: Duration = Duration::from_secs(2);

thread_local! {
    static CLIENT: awc::Client = awc::Client::builder()
        .connector(awc::Connector::new().conn_keep_alive(IDLE_CONNECTION))
        .timeout(Duration::from_secs(30))
        .finish();
}

/// Whether a request only reads, so that sending it twice is harmless.
fn read_only(request: &Request) -> bool {
    match request {
        Request::Peek { .. } | Request::OwnedStreams { .. } | Request::Heads => true,
        Request::Execute { .. } | Request::Append { .. } => false,
    }
}

/// One attempt to have `address` answer `body`. `resendable`: the request only reads.
async fn attempt(address: &str, token: &str, body: &[u8], resendable: bool) -> Attempt {
    let mut request = CLIENT.with(|c| {
        c.post(format!("http://{address}{FORWARD_PATH}"))
            .bearer_auth(token)
            .content_type("application/octet-stream")
    });
    // The owner's spans continue this node's (W3C traceparent, when traces are on).
    for (name, value) in trace_headers() {
        request = request.insert_header((name, value));
    }
    let mut response = match request.send_body(body.to_vec()).await {
            Ok(r) => r,
            // awc says `Disconnected` when the connection closed after the request was
            // written: the node may have run it.
            Err(awc::error::SendRequestError::Connect(awc::error::ConnectError::Disconnected))
                if !resendable =>
            {
                return Attempt::Done(Err(Error::new(
                    Code::StorageUnavailable,
                    "the node serving the aggregate dropped the connection after the request was sent: the write may or may not have been made; read it back, or retry with If-Match",
                )))
            }
            Err(awc::error::SendRequestError::Connect(e)) => {
                tracing::debug!(%address, error = %e, "the owner is not reachable yet");
                return Attempt::Again;
            }
            Err(_) if resendable => return Attempt::Again,
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
        Ok((_, Err(e))) if e.code == Code::PartitionMoved => Attempt::Again,
        Ok((_, Err(e))) if e.code == Code::NodeMessagesVersion => match version_spoken_by(&e) {
            Some(theirs) => Attempt::Speaks(theirs, e),
            None => Attempt::Done(Err(e)),
        },
        Ok((_, answer)) => Attempt::Done(answer),
        Err(e) => Attempt::Done(Err(e)),
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
            let resendable = read_only(&request);
            let deadline = Instant::now() + self.patience;
            let mut announced = self.owners.changed();
            let mut switched = false;
            loop {
                if let Some(owner) = self.owners.owner(partition) {
                    let version = self.peers.of(&owner.address);
                    let body = encode_as(version, &request)?;
                    match attempt(&owner.address, &self.token, &body, resendable).await {
                        Attempt::Done(answer) => return answer,
                        // Refused unread: no wait before writing it in the node's version.
                        Attempt::Speaks(theirs, _) if theirs != version && !switched => {
                            self.peers.learned(&owner.address, theirs);
                            switched = true;
                            continue;
                        }
                        Attempt::Speaks(_, refusal) => return Err(refusal),
                        Attempt::Again => {}
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

/// The node-message versions this release reads and writes.
fn speaks(version: u16) -> bool {
    (crate::version::NODE_MESSAGES_OLDEST..=crate::version::NODE_MESSAGES).contains(&version)
}

pub fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    encode_as(crate::version::NODE_MESSAGES, value)
}

/// `value` as a node of node-message `version` reads it. Every version this release speaks
/// has today's shapes (see `NODE_MESSAGES_OLDEST`); a later version that changes a shape
/// turns the message into the earlier one's here.
pub fn encode_as<T: serde::Serialize>(version: u16, value: &T) -> Result<Vec<u8>, Error> {
    debug_assert!(speaks(version));
    serde_json::to_vec(&Envelope {
        v: version,
        m: value,
    })
    .map_err(|e| Error::internal(format!("cannot encode for the internal API: {e}")))
}

/// A message and its version. A message of a version this release does not speak (or of a
/// release before versions) is a clear error naming the versions this node speaks, never a
/// misread: the sender writes again in one of them if it can.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<(u16, T), Error> {
    use crate::version::{NODE_MESSAGES as NEWEST, NODE_MESSAGES_OLDEST as OLDEST};
    let other = |theirs: String| {
        Error::new(
            Code::NodeMessagesVersion,
            format!(
                "a node speaks node messages {theirs}, this one versions {OLDEST} to {NEWEST} \
                 (release {}): nodes of one cluster must run adjacent releases; finish the upgrade",
                crate::version::RELEASE
            ),
        )
        .with("version", NEWEST.to_string())
    };
    match serde_json::from_slice::<VersionOnly>(bytes) {
        Ok(VersionOnly { v }) if speaks(v) => serde_json::from_slice::<Envelope<T>>(bytes)
            .map(|e| (v, e.m))
            .map_err(|e| Error::internal(format!("unreadable internal API message: {e}"))),
        Ok(VersionOnly { v }) => Err(other(format!("version {v}"))),
        Err(_) => Err(other("of an unknown version".into())),
    }
}

/// The node-message version a node that refused ours speaks, if this release writes it.
fn version_spoken_by(refusal: &Error) -> Option<u16> {
    let named = refusal.details.iter().find(|(k, _)| k == "version")?;
    named.1.parse().ok().filter(|v| speaks(*v))
}

/// How long a node's version learned from its refusal is kept: the node at that address may
/// be replaced by one of a newer release, which is then written to in its own version again.
const REMEMBER_VERSION: Duration = Duration::from_secs(60);

/// The node-message version of each node that refused this release's: a node of the previous
/// release during a rolling upgrade.
#[derive(Default)]
pub struct PeerVersions(Mutex<HashMap<String, (u16, Instant)>>);

impl PeerVersions {
    /// The version to write to the node at `address`.
    fn of(&self, address: &str) -> u16 {
        let known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match known.get(address) {
            Some((version, at)) if at.elapsed() < REMEMBER_VERSION => *version,
            _ => crate::version::NODE_MESSAGES,
        }
    }

    fn learned(&self, address: &str, version: u16) {
        tracing::info!(%address, version, "a node speaks an earlier node-message version (a rolling upgrade): writing to it in that version");
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known.insert(address.to_string(), (version, Instant::now()));
    }
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

    /// A node that reads each request whole, then dies without answering (it closes the
    /// connection); it counts the requests it read.
    fn node_that_dies_after_reading() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Read};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let read = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = read.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut reader = BufReader::new(stream.unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        (address, read)
    }

    fn peek() -> Request {
        Request::Peek {
            key: WireKey {
                instance: "i".into(),
                kind: "user".into(),
                id: "u".into(),
            },
        }
    }

    #[actix_rt::test]
    async fn a_write_sent_to_a_node_that_then_died_is_not_sent_again_and_a_read_is() {
        let (address, read) = node_that_dies_after_reading();
        let write = Request::Execute {
            key: WireKey {
                instance: "i".into(),
                kind: "user".into(),
                id: "u".into(),
            },
            caller: authz::Caller::Internal {
                flow: authz::InternalFlow::Setup,
                instance: "i".into(),
            },
            command: serde_json::json!({"Remove": null}),
            if_match: None,
            not_after: None,
        };
        let body = encode(&write).unwrap();
        match attempt(&address, "t", &body, read_only(&write)).await {
            Attempt::Done(Err(e)) => assert_eq!(e.code, Code::StorageUnavailable, "{e}"),
            Attempt::Done(Ok(_)) | Attempt::Speaks(..) => {
                panic!("answered by a node that said nothing")
            }
            Attempt::Again => panic!("a write the node read would be sent again"),
        }
        assert_eq!(read.load(std::sync::atomic::Ordering::SeqCst), 1);
        // A read that met the same fate may be sent again.
        let body = encode(&peek()).unwrap();
        assert!(matches!(
            attempt(&address, "t", &body, read_only(&peek())).await,
            Attempt::Again
        ));
        // A write to a node that cannot be reached was never sent: it may be sent again.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let nowhere = closed.local_addr().unwrap().to_string();
        drop(closed);
        let body = encode(&write).unwrap();
        assert!(matches!(
            attempt(&nowhere, "t", &body, false).await,
            Attempt::Again
        ));
    }

    #[test]
    fn a_command_and_an_append_without_a_deadline_read_as_before_deadlines() {
        // Version 2 as nodes wrote it before forwarded acts and appends carried `not_after`:
        // still read, as requests without a deadline.
        let execute = br#"{"v":2,"m":{"Execute":{"key":{"instance":"i","kind":"user","id":"u"},"caller":{"Internal":{"flow":"Setup","instance":"i"}},"command":"Remove","if_match":null}}}"#;
        match decode::<Request>(execute).unwrap().1 {
            Request::Execute { not_after, .. } => assert_eq!(not_after, None),
            other => panic!("{other:?}"),
        }
        let append = br#"{"v":2,"m":{"Append":{"appends":[]}}}"#;
        match decode::<Request>(append).unwrap().1 {
            Request::Append { not_after, .. } => assert_eq!(not_after, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn messages_carry_their_version_and_one_this_release_does_not_speak_is_refused_clearly() {
        let bytes = encode(&peek()).unwrap();
        assert!(matches!(
            decode::<Request>(&bytes).unwrap(),
            (crate::version::NODE_MESSAGES, Request::Peek { .. })
        ));
        let answer: Result<Reply, Error> = Err(Error::new(Code::UserNotFound, "no such user"));
        let (_, back): (_, Result<Reply, Error>) = decode(&encode(&answer).unwrap()).unwrap();
        assert_eq!(back.unwrap_err().code, Code::UserNotFound);
        // The previous version (a node of the previous release) is read, and written.
        let previous = br#"{"v":1,"m":{"Peek":{"key":{"instance":"i","kind":"user","id":"u"}}}}"#;
        assert!(matches!(
            decode::<Request>(previous).unwrap(),
            (1, Request::Peek { .. })
        ));
        assert_eq!(encode_as(1, &peek()).unwrap(), previous.to_vec());
        // The next version, and a message of release 0.1 (positional bincode, no envelope):
        // refused naming the versions this node speaks, which a sender of the next release
        // writes again in.
        let next = br#"{"v":3,"m":{"Peek":{"key":{"instance":"i","kind":"user","id":"u"}}}}"#;
        let e = decode::<Request>(next).err().unwrap();
        assert_eq!(e.code, Code::NodeMessagesVersion);
        assert!(e.message.contains("version 3") && e.message.contains("finish the upgrade"));
        assert_eq!(
            version_spoken_by(&e),
            Some(crate::version::NODE_MESSAGES),
            "{e:?}"
        );
        let old = [1u8, 1, 105, 4, 117, 115, 101, 114, 1, 117];
        assert_eq!(
            decode::<Request>(&old).err().unwrap().code,
            Code::NodeMessagesVersion
        );
        // A refusal naming a version this release does not write is final.
        let too_old = Error::new(Code::NodeMessagesVersion, "").with("version", "0");
        assert_eq!(version_spoken_by(&too_old), None);
    }
}
