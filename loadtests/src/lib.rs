//! The load generator of `loadtests/`: scenarios ([`scenarios`]) run under a closed- or
//! open-loop load ([`harness`]) against a server on loopback ([`target`]), reported as JSON
//! and Markdown ([`report`]);
//! [`seed`] fills an instance through the API.

pub mod harness;
pub mod receiver;
pub mod report;
pub mod scenarios;
pub mod seed;
pub mod target;
