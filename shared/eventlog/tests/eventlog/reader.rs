//! Which records of a partition count (pure: records in, counted events out).

use eventlog::kafka::{PartitionReader, Record};
use eventlog::{NewEvent, StreamId};

fn stream(id: &str) -> StreamId {
    StreamId::new("i1", "user", id)
}

fn event(epoch: i64, id: &str, version: u64) -> Record {
    Record::event(
        epoch,
        &stream(id),
        version,
        &NewEvent {
            event_type: "user.added".into(),
            schema_version: 1,
            payload: vec![version as u8],
            creator: "c".into(),
            created_at: 0,
        },
        &[],
    )
}

/// Reads `records` at offsets 0, 1, ...; returns (position, stream id, version) of what counted.
fn counted(reader: &mut PartitionReader, records: Vec<Record>) -> Vec<(u64, String, u64)> {
    records
        .into_iter()
        .enumerate()
        .flat_map(|(offset, r)| reader.read(offset as i64, r))
        .map(|c| (c.event.position, c.event.stream.id, c.event.version))
        .collect()
}

#[test]
fn events_count_once_confirmed_at_their_offset_plus_one() {
    let mut reader = PartitionReader::default();
    let got = counted(
        &mut reader,
        vec![
            Record::Claim { node: "a".into() },
            Record::Confirm {
                epoch: 0,
                through: 0,
            },
            event(0, "u1", 1),
            event(0, "u2", 1),
            Record::Confirm {
                epoch: 0,
                through: 3,
            },
            event(0, "u1", 2),
        ],
    );
    assert_eq!(got, [(3, "u1".into(), 1), (4, "u2".into(), 1)]);
    assert_eq!(
        reader.version(&stream("u1")),
        1,
        "the unconfirmed u1 v2 does not count"
    );
}

#[test]
fn a_paused_owner_writing_after_its_successor_is_never_counted() {
    // a claims at 0; b claims at 3 and confirms; a wakes up and writes and confirms u1 v2.
    let mut reader = PartitionReader::default();
    let got = counted(
        &mut reader,
        vec![
            Record::Claim { node: "a".into() },
            event(0, "u1", 1),
            Record::Confirm {
                epoch: 0,
                through: 1,
            },
            Record::Claim { node: "b".into() },
            Record::Confirm {
                epoch: 3,
                through: 3,
            },
            event(0, "u1", 2),
            Record::Confirm {
                epoch: 0,
                through: 5,
            },
            event(3, "u1", 2),
            Record::Confirm {
                epoch: 3,
                through: 7,
            },
        ],
    );
    assert_eq!(got, [(2, "u1".into(), 1), (8, "u1".into(), 2)]);
    assert_eq!(reader.dropped, 1);
}

#[test]
fn what_an_owner_left_unconfirmed_is_void_once_its_successor_confirms() {
    // a's last transaction was aborted when b took over, but the broker delivers its records.
    let mut reader = PartitionReader::default();
    let got = counted(
        &mut reader,
        vec![
            Record::Claim { node: "a".into() },
            event(0, "u1", 1),
            event(0, "u2", 1),
            Record::Claim { node: "b".into() },
            Record::Confirm {
                epoch: 3,
                through: 3,
            },
            event(3, "u1", 1),
            Record::Confirm {
                epoch: 3,
                through: 5,
            },
        ],
    );
    assert_eq!(got, [(6, "u1".into(), 1)]);
    assert_eq!(reader.version(&stream("u2")), 0);
    assert_eq!(reader.dropped, 2);
}

#[test]
fn a_later_epochs_events_wait_for_their_own_confirm() {
    // b (epoch 2) writes before a's (epoch 0) confirm arrives: a's confirm counts only a's.
    let mut reader = PartitionReader::default();
    let got = counted(
        &mut reader,
        vec![
            event(0, "u1", 1),
            Record::Claim { node: "b".into() },
            event(2, "u2", 1),
            Record::Confirm {
                epoch: 0,
                through: 3,
            },
            Record::Confirm {
                epoch: 2,
                through: 3,
            },
        ],
    );
    assert_eq!(got, [(1, "u1".into(), 1), (3, "u2".into(), 1)]);
}

#[test]
fn an_event_that_does_not_continue_its_stream_is_dropped() {
    let mut reader = PartitionReader::default();
    let got = counted(
        &mut reader,
        vec![
            event(0, "u1", 1),
            event(0, "u1", 1),
            event(0, "u1", 3),
            event(0, "u1", 2),
            Record::Confirm {
                epoch: 0,
                through: 3,
            },
        ],
    );
    assert_eq!(got, [(1, "u1".into(), 1), (4, "u1".into(), 2)]);
    assert_eq!(reader.dropped, 2);
}
