//! A log position as one number: the partition in the high bits, the position within the
//! partition below. The embedded log has one partition, 0, so its positions are plain.

const OFFSET_BITS: u32 = 40;

/// A position of `partition`'s log as one number.
pub fn tag(partition: i32, position: u64) -> u64 {
    ((partition as u64) << OFFSET_BITS) | position
}

/// The partition and the partition's own position of a tagged position.
pub fn untag(position: u64) -> (i32, u64) {
    (
        (position >> OFFSET_BITS) as i32,
        position & ((1 << OFFSET_BITS) - 1),
    )
}
