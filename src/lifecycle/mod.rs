//! Key lifecycle: re-sealing every sealed record to the current readers, and the intake keys'
//! rotation, grace period and retirement. Keeps invariant 6 (every key event is audited) and,
//! for reseal, "every record readable by the old or the new readers, never neither".

pub mod intake;
pub mod reseal;
mod reseal_run;
mod rotate;
pub mod wkd;

pub use reseal::reseal;
pub use reseal_run::{ContentKeys, ResealError, ResealOptions, ResealSummary, DEFAULT_BATCH};
pub use rotate::destroy_pending as destroy_pending_shreds;
