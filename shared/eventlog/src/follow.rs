//! Where a follower of a partitioned log stands, as a read model stores it with what it
//! applied: plain data, so that read models keep it whichever adapter (or none) is built in.

/// Where a reader can start again without its history: the first offset to read (the earliest
/// event not yet confirmed, else the offset after the last record) and the latest confirmed
/// epoch. Stored with what was applied, it makes a restart read only the partition's tail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resume {
    pub offset: i64,
    pub epoch: Option<i64>,
}

/// A partition's checkpoint in a read model: the position of the last event it applied,
/// and where its reader resumes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checkpoint {
    pub applied: u64,
    pub resume: Resume,
}
