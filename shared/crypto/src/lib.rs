//! The cryptography of the services: signing key pairs (`keys`) and signing with them (`jws`),
//! the master key and what it
//! seals (`sealing`), tokens, their hashes and password hashing on a bounded pool (`secrets`),
//! and the signatures of the calls Portcullis makes to HTTP endpoints (`call_signature`).
//! No storage and no clock: callers keep what this makes.

pub mod call_signature;
pub mod imported_hashes;
pub mod jws;
pub mod keys;
pub mod public_keys;
pub mod sealing;
pub mod secrets;
pub mod totp;
