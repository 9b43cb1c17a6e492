//! Snapshots are a cache of an aggregate's state: bincode, behind a header that names the
//! shape of the state they hold (a fingerprint of its fields). A snapshot of another shape (an
//! earlier release's, or one without a header) or one that does not decode is dropped, and the
//! aggregate is rebuilt from its events, which are the truth.

use domain::Aggregate;

/// The header: a tag and the fingerprint of the state's shape.
const TAG: &[u8; 4] = b"PCS1";

/// The fingerprint of `A`'s state shape: its default value with every field named (so that a
/// field added, removed, renamed or retyped gives another fingerprint), hashed (FNV-1a).
pub(crate) fn shape<A: Aggregate>() -> u64 {
    let named = serde_json::to_vec(&A::default()).expect("a state serializes");
    named.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A state as a snapshot stores it.
pub(crate) fn encode<A: Aggregate>(state: &A) -> Result<Vec<u8>, String> {
    let body = bincode::serde::encode_to_vec(state, bincode::config::standard())
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(12 + body.len());
    out.extend_from_slice(TAG);
    out.extend_from_slice(&shape::<A>().to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// The state a snapshot holds, if it is of this build's shape and decodes.
pub(crate) fn decode<A: Aggregate>(bytes: &[u8]) -> Option<A> {
    let body = bytes.strip_prefix(TAG.as_slice())?;
    let (fingerprint, body) = body.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*fingerprint) != shape::<A>() {
        return None;
    }
    match bincode::serde::decode_from_slice(body, bincode::config::standard()) {
        Ok((state, read)) if read == body.len() => Some(state),
        _ => None,
    }
}
