//! The permission model's contract, from the outside.

mod escalation;
mod generated_from_yaml;
mod impersonation;
mod properties;
mod seed_cases;
mod world;
