//! Intake: the only place the pipeline stages are put in order.
//!
//! fetch → open → parse → split → seal → file → delete the server copy. A server copy is deleted
//! only after its case or quarantine entry is durably committed (invariant 1); a message is
//! recognised by a keyed fingerprint of its bytes, so a crash at any instant neither loses nor
//! duplicates it.

mod deadlines;
mod drain;
pub mod failpoint;
mod gateway;
mod process;

#[cfg(test)]
mod mutation_tests;
#[cfg(test)]
mod process_tests;

pub use drain::DrainReport;
pub use gateway::{Gateway, GatewayError, Shutdown};
pub use process::{
    decide, mail_limits, open_and_split, seal_raw, seal_split, Decision, Readers, Rejection,
    SealedCase,
};
