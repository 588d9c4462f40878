//! Intake: the only place the pipeline stages are put in order.
//!
//! fetch → open → parse → split → seal → file → delete the server copy. A server copy is deleted
//! only after its case or quarantine entry is durably committed (invariant 1); a message is
//! recognised by a keyed fingerprint of its bytes, so a crash at any instant neither loses nor
//! duplicates it.

mod batch;
mod deadlines;
mod drain;
pub(crate) use drain::case_to_file;
mod gateway;
mod process;
mod replica;
mod replica_id;
pub(crate) use replica_id::Replica;
mod report;
pub mod worker;

#[cfg(test)]
mod mutation_tests;
#[cfg(test)]
mod process_tests;

pub use gateway::{Gateway, GatewayError, Shutdown};
pub use process::{
    decide, mail_limits, open_and_split, seal_raw, seal_split, Decision, IntakeContact, Rejection,
    SealedAttachment, SealedCase,
};
pub use replica_id::Share;
pub use report::DrainReport;
