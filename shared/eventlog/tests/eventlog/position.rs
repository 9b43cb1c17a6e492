//! Tagged positions and the position lists a write spanning partitions answers.

use eventlog::position::{tag, Positions};

#[test]
fn positions_keep_the_latest_of_each_partition() {
    let mut p = Positions::at(tag(1, 7));
    p.add(tag(0, 3));
    p.add(tag(1, 5));
    p.add(0);
    p.merge(&Positions::at(tag(0, 9)));
    assert_eq!(p.iter().collect::<Vec<_>>(), vec![tag(0, 9), tag(1, 7)]);
    assert_eq!(p.to_string(), format!("9,{}", tag(1, 7)));
    assert_eq!(Positions::default().to_string(), "0");
    assert_eq!(Positions::at(42).to_string(), "42");
}
