//! Test support: real servers and tools started per test on loopback in temp dirs.

pub mod dovecot;
pub mod gateway;
pub mod gnupg;
pub mod pdf;
pub mod poison;
pub mod postfix;
pub mod postgres;
pub mod proxy;
