//! Event payloads, and how they last. Every event is stored as JSON with named fields (an
//! object per variant, externally tagged by the variant's name): a reader skips fields it does
//! not know, and a new field with `#[serde(default)]` reads from events written before it. The
//! envelope's `schema_version` is the event type's version: an event type whose shape changes
//! in a way a default cannot cover gets the next version and an upcaster here that turns the
//! previous shape into it, on read; the log is never rewritten. Version 1 is the positional
//! encoding release 0.1 wrote (bincode), kept as a reader only: into today's types where their
//! shape is 0.1's, else into a frozen copy of 0.1's shape (`v1`). `docs/adr/0001-event-encoding.md`
//! says why JSON.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

mod public;
mod v1;

pub use public::{fields, from_fields};

use crate::aggregate::EventType;
use crate::error::{Error, Result};

/// The positional encoding of release 0.1: read, never written.
pub const LEGACY: u16 = 1;

/// The first JSON version of every event type.
pub const FIRST_JSON: u16 = 2;

/// Turns an event type's payload of one version into the next version's shape.
pub type Upcaster = fn(Value) -> Value;

/// The upcasters: (event type, the version they read). An event type's current version is
/// [`FIRST_JSON`] plus the number of its upcasters, so adding one bumps the version written.
const UPCASTERS: &[(&str, u16, Upcaster)] = &[];

/// The version this build writes for `event_type`.
pub fn version(event_type: &str) -> u16 {
    let steps = UPCASTERS.iter().filter(|(t, ..)| *t == event_type).count();
    FIRST_JSON + steps as u16
}

/// An event's payload, and the version it is written in.
pub fn encode<E: Serialize + EventType>(event: &E) -> (u16, Vec<u8>) {
    let payload = serde_json::to_vec(event).expect("domain events always encode");
    (version(event.event_type()), payload)
}

fn unreadable(event_type: &str, version: u16, e: impl std::fmt::Display) -> Error {
    Error::internal(format!(
        "the payload of a {event_type} event (version {version}) is unreadable: {e}"
    ))
}

/// Reads a payload of any version this build knows, upcast to the current shape.
pub fn decode<E: DeserializeOwned>(event_type: &str, version: u16, payload: &[u8]) -> Result<E> {
    let current = self::version(event_type);
    match version {
        LEGACY => match v1::frozen(event_type) {
            // The event's enum has changed since 0.1: read 0.1's shape, then name its fields.
            Some(read) => read(payload)
                .and_then(|value| serde_json::from_value(value).map_err(|e| e.to_string()))
                .map_err(|e| unreadable(event_type, version, e)),
            None => bincode::serde::decode_from_slice(payload, bincode::config::standard())
                .map(|(e, _)| e)
                .map_err(|e| unreadable(event_type, version, e)),
        },
        v if v == current => {
            serde_json::from_slice(payload).map_err(|e| unreadable(event_type, v, e))
        }
        v if (FIRST_JSON..current).contains(&v) => {
            let mut value: Value =
                serde_json::from_slice(payload).map_err(|e| unreadable(event_type, v, e))?;
            for step in v..current {
                let (_, _, up) = UPCASTERS
                    .iter()
                    .find(|(t, from, _)| *t == event_type && *from == step)
                    .ok_or_else(|| unreadable(event_type, step, "no upcaster from this version"))?;
                value = up(value);
            }
            serde_json::from_value(value).map_err(|e| unreadable(event_type, v, e))
        }
        v => Err(Error::internal(format!(
            "a {event_type} event of version {v} is newer than this build writes ({current}): \
             upgrade Portcullis"
        ))),
    }
}
