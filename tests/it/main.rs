//! The single integration-test binary: one module per area, shared helpers in `support`.
// Helpers outside `#[test]` functions are test code too (clippy.toml covers the functions).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../support/mod.rs"]
mod support;

mod clean;
mod console;
mod contact;
mod corpus;
mod crash;
mod e2e;
mod faults;
mod identity;
mod imap;
mod keys;
mod language;
mod mailbox;
mod operations;
mod postgres;
mod quarantine;
mod replicas;
mod retention;
mod tenants;
mod workers;
mod workflow;
