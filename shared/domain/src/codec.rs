//! Event payloads: bincode, with a schema version in the envelope so old events stay readable.

use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Error, Result};

/// The payload schema this build writes. A reader that meets an older one upcasts it here.
pub const SCHEMA_VERSION: u16 = 1;

pub fn encode<E: Serialize>(event: &E) -> Vec<u8> {
    bincode::serde::encode_to_vec(event, bincode::config::standard())
        .expect("domain events always encode")
}

pub fn decode<E: DeserializeOwned>(schema_version: u16, payload: &[u8]) -> Result<E> {
    match schema_version {
        SCHEMA_VERSION => bincode::serde::decode_from_slice(payload, bincode::config::standard())
            .map(|(e, _)| e)
            .map_err(|e| Error::internal(format!("undecodable event payload: {e}"))),
        other => Err(Error::internal(format!(
            "event schema version {other} is newer than this build ({SCHEMA_VERSION}): upgrade Portcullis"
        ))),
    }
}
