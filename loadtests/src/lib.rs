//! The load generator of `loadtests/`: scenarios ([`scenarios`]) run under a closed- or
//! open-loop load ([`harness`]) against a server on loopback ([`target`]), reported as JSON
//! and Markdown ([`report`]).

pub mod harness;
pub mod report;
pub mod scenarios;
pub mod target;
