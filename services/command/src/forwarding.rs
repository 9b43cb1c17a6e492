//! The bus's side of the cluster: what it asks of the owners of other partitions (new streams,
//! owned streams across partitions) and how it answers what other nodes forward to it
//! ([`CommandBus::serve`]). On one node every request is answered here.

use authz::Caller;
use domain::{AggregateKey, Error};
use eventlog::position::untag;
use eventlog::{Append, Appended};

use crate::actor::{check_not_after, log_error, now_ms};
use crate::bus::{CommandBus, Routed};
use crate::placement::{moved, Reply, Request};

/// What a forwarded request asks of an aggregate's actor.
pub(crate) enum Op {
    Execute {
        caller: Caller,
        command: serde_json::Value,
        if_match: Option<u64>,
        not_after: Option<i64>,
    },
    Peek,
}

impl CommandBus {
    /// Appends new streams (all of one partition) in one durable step, here or on the
    /// partition's owner.
    pub(crate) async fn append_new(
        &self,
        appends: Vec<Append>,
        not_after: Option<i64>,
    ) -> Result<Vec<Appended>, Error> {
        let request = Request::Append { appends, not_after };
        let Some(partition) = request.partition(self.placement.partitions()) else {
            return Ok(Vec::new());
        };
        match self.placement.tenure(partition) {
            Some(_) => match self.serve_here(request).await? {
                Reply::Appended(a) => Ok(a),
                other => Err(unexpected(&other)),
            },
            None => match self.placement.forward(partition, request).await? {
                Reply::Appended(a) => Ok(a),
                other => Err(unexpected(&other)),
            },
        }
    }

    /// The ids of the streams of `kind` that `owner` owns, from every partition's owner.
    pub(crate) async fn owned_streams(
        &self,
        instance: &str,
        owner: &str,
        kind: &str,
    ) -> Result<Vec<String>, Error> {
        let mut ids = std::collections::BTreeSet::new();
        let mut asked_here = false;
        for partition in 0..self.placement.partitions() as i32 {
            let request = Request::OwnedStreams {
                instance: instance.into(),
                owner: owner.into(),
                kind: kind.into(),
            };
            let reply = match self.placement.tenure(partition) {
                // One answer from this node covers all its partitions.
                Some(_) if asked_here => continue,
                Some(_) => {
                    asked_here = true;
                    self.serve_here(request).await?
                }
                None => self.placement.forward(partition, request).await?,
            };
            match reply {
                Reply::Streams(s) => ids.extend(s),
                other => return Err(unexpected(&other)),
            }
        }
        Ok(ids.into_iter().collect())
    }

    /// The last durable position of every partition, from each partition's owner: a read
    /// model that reached them all has seen every write acknowledged before the call.
    pub async fn heads(&self) -> Result<Vec<u64>, Error> {
        let mut heads: Vec<u64> = Vec::new();
        let covered = |heads: &[u64], p: i32| heads.iter().any(|h| untag(*h).0 == p);
        let mut asked_here = false;
        for partition in 0..self.placement.partitions() as i32 {
            if covered(&heads, partition) {
                continue;
            }
            let reply = match self.placement.tenure(partition) {
                Some(_) if asked_here => continue,
                Some(_) => {
                    asked_here = true;
                    self.serve_here(Request::Heads).await?
                }
                None => self.placement.forward(partition, Request::Heads).await?,
            };
            match reply {
                Reply::Heads(h) => heads.extend(h),
                other => return Err(unexpected(&other)),
            }
        }
        Ok(heads)
    }

    /// Answers a request another node forwarded: only for a partition this node serves, else
    /// with [`Code::PartitionMoved`] so that the sender retries on the owner.
    pub async fn serve(&self, request: Request) -> Result<Reply, Error> {
        if let Some(partition) = request.partition(self.placement.partitions()) {
            if self.placement.tenure(partition).is_none() {
                return Err(moved(partition));
            }
        }
        self.serve_here(request).await
    }

    async fn serve_here(&self, request: Request) -> Result<Reply, Error> {
        match request {
            Request::Execute {
                key,
                caller,
                command,
                if_match,
                not_after,
            } => {
                let op = Op::Execute {
                    caller,
                    command,
                    if_match,
                    not_after,
                };
                self.serve_kind(key, op).await
            }
            Request::Peek { key } => self.serve_kind(key, Op::Peek).await,
            Request::Append { appends, not_after } => {
                check_not_after(not_after, now_ms())?;
                self.deps
                    .log
                    .append_atomic(appends)
                    .await
                    .map(Reply::Appended)
                    .map_err(log_error)
            }
            Request::OwnedStreams {
                instance,
                owner,
                kind,
            } => self
                .deps
                .log
                .owned_streams(&instance, &owner, &kind)
                .await
                .map(Reply::Streams)
                .map_err(log_error),
            Request::Heads => Ok(Reply::Heads(self.deps.log.heads())),
        }
    }

    pub(crate) async fn serve_aggregate<A: Routed>(
        &self,
        key: &AggregateKey,
        op: Op,
    ) -> Result<Reply, Error> {
        match op {
            Op::Execute {
                caller,
                command,
                if_match,
                not_after,
            } => {
                let cmd: A::Command = serde::Deserialize::deserialize(&command)
                    .map_err(|e| not_this_release(&format!("{} command ({e})", A::KIND)))?;
                self.dispatch::<A>(key, &caller, cmd, if_match, not_after)
                    .await
                    .map(Reply::Written)
            }
            Op::Peek => {
                let (state, version, position) = self.peek::<A>(key).await?;
                Ok(Reply::Peeked {
                    state: encode(&state)?,
                    version,
                    position,
                })
            }
        }
    }
}

/// A command or a state as it travels: named fields, so that a field added by a later release
/// is skipped or defaulted instead of misread.
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value)
        .map_err(|e| Error::internal(format!("cannot encode a forwarded request: {e}")))
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<T, Error> {
    T::deserialize(value)
        .map_err(|e| Error::internal(format!("cannot decode a forwarded request: {e}")))
}

/// The answer to a forwarded request this release cannot read (a command or an aggregate a
/// later release added), given before anything runs: the sender's node is of a later release,
/// in a cluster that is being upgraded.
pub(crate) fn not_this_release(what: &str) -> Error {
    Error::new(
        domain::Code::NodeMessagesVersion,
        format!(
            "the node serving this aggregate cannot read the {what}: it runs an earlier release than the node that sent it; retry once the upgrade is finished"
        ),
    )
}

pub(crate) fn unexpected(reply: &Reply) -> Error {
    Error::internal(format!("the owner answered out of turn: {reply:?}"))
}
