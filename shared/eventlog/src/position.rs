//! A log position as one number: the partition in the high bits, the position within the
//! partition below. The embedded log has one partition, 0, so its positions are plain.

const OFFSET_BITS: u32 = 40;

/// The most partitions a log may have (the events topic is made with at most this many): a
/// position names a partition below it.
pub const MAX_PARTITIONS: i32 = 1024;

/// The partition of an aggregate: FNV-1a of its id, modulo the partition count. Every role
/// computes it the same way.
pub fn partition_for(aggregate_id: &str, partitions: u32) -> i32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in aggregate_id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % partitions.max(1) as u64) as i32
}

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

/// Where a write that touched several aggregates left the log: the last position it wrote in
/// each partition (one number on the embedded log). Written to clients as a comma-separated
/// list, which `X-Portcullis-Position` takes back, so that a read waits for every partition
/// the write reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Positions(Vec<u64>);

impl Positions {
    /// One tagged position (0: nothing written).
    pub fn at(position: u64) -> Positions {
        let mut p = Positions::default();
        p.add(position);
        p
    }

    /// Adds a tagged position, keeping the later one of its partition.
    pub fn add(&mut self, position: u64) {
        if position == 0 {
            return;
        }
        let (partition, _) = untag(position);
        match self.0.iter_mut().find(|p| untag(**p).0 == partition) {
            Some(p) => *p = (*p).max(position),
            None => {
                self.0.push(position);
                self.0.sort_unstable();
            }
        }
    }

    /// Adds every position of `other`.
    pub fn merge(&mut self, other: &Positions) {
        for &p in &other.0 {
            self.add(p);
        }
    }

    /// The tagged positions, one per partition, in partition order.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().copied()
    }

    /// The position of the log's first partition (the embedded log's only one); 0 if none.
    pub fn first(&self) -> u64 {
        self.0.first().copied().unwrap_or(0)
    }
}

impl std::fmt::Display for Positions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("0");
        }
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}
