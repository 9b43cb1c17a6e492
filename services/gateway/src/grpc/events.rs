//! `EventService`: the audit trail (REST `/v1/events`) and its watch.

use std::pin::Pin;
use std::time::Duration;

use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::call::{page_size, some, Api};
use super::pb;
use super::status::status;
use crate::api::events::{self, EventQuery, Watch};
use crate::views::EventView;

/// How long a watch waits for news before it looks again (and notices a gone client).
const IDLE: Duration = Duration::from_secs(10);

/// A JSON value as a protobuf `Value`.
fn value(v: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match v {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.into_iter().map(value).collect(),
        }),
        serde_json::Value::Object(fields) => Kind::StructValue(object(fields)),
    };
    prost_types::Value { kind: Some(kind) }
}

fn object(fields: serde_json::Map<String, serde_json::Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: fields.into_iter().map(|(k, v)| (k, value(v))).collect(),
    }
}

impl From<EventView> for pb::Event {
    fn from(e: EventView) -> Self {
        let payload = match e.payload {
            serde_json::Value::Object(fields) => object(fields),
            other => object([("value".to_string(), other)].into_iter().collect()),
        };
        pb::Event {
            position: e.position,
            instance_id: e.instance_id,
            aggregate_type: e.aggregate_type,
            aggregate_id: e.aggregate_id,
            sequence: e.sequence,
            r#type: e.event_type,
            creator: e.creator,
            created_at: Some(crate::times::timestamp(e.created_at)),
            payload: Some(payload),
        }
    }
}

page!(EventView => pb::ListEventsResponse);

type Events = Pin<Box<dyn Stream<Item = Result<pb::WatchResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::event_service_server::EventService for Api {
    rpc!(instance list_events(pb::ListEventsRequest) -> pb::ListEventsResponse,
    |gw, auth, r| {
        let q = EventQuery {
            aggregate_type: some(r.aggregate_type),
            aggregate_id: some(r.aggregate_id),
            cursor: some(r.cursor),
            after_position: some(r.after_position),
            limit: page_size(r.limit),
            order: some(r.order),
        };
        events::list(&gw, &auth, q).await
    });

    type WatchStream = Events;

    async fn watch(
        &self,
        req: Request<pb::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let (auth, again) = self.authenticated(&req).await.map_err(status)?;
        let r = req.into_inner();
        let q = EventQuery {
            aggregate_type: some(r.aggregate_type),
            aggregate_id: some(r.aggregate_id),
            cursor: None,
            after_position: some(r.after_position),
            limit: None,
            order: None,
        };
        let mut watch = Watch::open(&self.gw, &auth, q).map_err(status)?;
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        let gw = self.gw.clone();
        tokio::spawn(async move {
            loop {
                let batch = tokio::select! {
                    batch = watch.next(&gw, IDLE) => batch,
                    _ = tx.closed() => return,
                };
                // The caller's token and permission are checked again before anything goes
                // out: a revoked token, a removed membership or a deactivated user ends the
                // stream.
                let still = match again.now().await {
                    Ok(auth) => Watch::may_go_on(&gw, &auth),
                    Err(e) => Err(e),
                };
                let events = match batch.and_then(|b| still.map(|()| b)) {
                    Ok(events) => events,
                    Err(e) => {
                        let _ = tx.send(Err(status(e))).await;
                        return;
                    }
                };
                for (event, resume_after) in events {
                    let item = pb::WatchResponse {
                        event: Some(EventView::from(event).into()),
                        resume_after,
                    };
                    if tx.send(Ok(item)).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}
