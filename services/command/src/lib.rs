//! The command side: one actix actor per live aggregate decides and commits its events, and
//! the bus routes commands to them.

mod actor;
mod bus;
pub mod plan;
mod sagas;

pub use actor::Written;
pub use bus::{CommandBus, CommandOptions, Routed};
pub use sagas::MemberOf;
