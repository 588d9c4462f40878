//! The single integration-test binary: one module per area, shared helpers in `support`.

#[path = "../support/mod.rs"]
mod support;

mod clean;
mod crash;
mod e2e;
mod faults;
mod imap;
mod keys;
mod quarantine;
mod workflow;
