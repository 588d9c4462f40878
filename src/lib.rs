//! # sygnal
//!
//! A gateway that turns a dedicated whistleblower mailbox into a sealed case register
//! (EU directive 2019/1937; Polish act of 14 June 2024 on the protection of whistleblowers).
//!
//! ## Pipeline
//! ```text
//! imap::fetch ─► openpgp::open ─► mail::classify/parse ─► split ─► vault::seal ─► register::file ─► imap::delete
//!   (raw bytes)    (decrypt,        (MIME, limits,          (identity   (to handlers /    (one durable    (only after
//!                   integrity)       EFAIL layout)           │ report)   custodians)       transaction)    the commit)
//! ```
//! [`intake`] is the only place the stages are put in order; [`imap`] is the only place anything
//! is deleted on the server.
//!
//! ## Layers
//! Front ends ([`cli`]; SMTP replies and a web console next) parse, call one use case of
//! [`desk`], and render. The desk proves the actor, applies every rule and records each read
//! and change in the audit trail; it stands on the pipeline and storage ([`intake`],
//! [`register`], [`readers`], [`lifecycle`]), which stand on the pure core ([`cases`],
//! [`audit`], [`split`], [`mail`], [`openpgp`], [`vault`], [`clean`]).
//!
//! ## Invariants
//! 1. A server copy is deleted only after its case (or quarantine entry) is durably committed.
//!    A crash at any instant loses nothing and files nothing twice.
//! 2. No report content, subject, attachment name or sender detail is ever stored, logged, or
//!    written to a temp file in plaintext. The gateway holds public keys only for sealing: after
//!    filing, it cannot read what it filed — with one exception, [`contact`]: the reply address
//!    of an open case, under a per-case key destroyed when follow-up ends, because a host must
//!    read an address to send mail to it.
//! 3. Ciphertext that fails integrity checks never yields plaintext; unencrypted parts are never
//!    merged with decrypted ones (EFAIL).
//! 4. Bad input gets a clear error and a quarantine entry, never a panic, never a silent drop;
//!    memory and time per message stay bounded (size, nesting and decompression limits).
//! 5. No path from a seat to data it must not see: a handler never reaches identity, an admin
//!    never reaches content or identity, readers change only with a custodian's consent.
//! 6. Every read of identity, every key or reader change, every deletion leaves an audit record.

pub mod audit;
pub mod cases;
pub mod clean;
pub mod cli;
pub mod config;
pub mod console;
pub mod contact;
pub mod desk;
pub mod failpoint;
pub mod i18n;
pub mod imap;
pub mod intake;
pub mod keystore;
pub mod lifecycle;
pub mod mail;
pub mod openpgp;
pub mod readers;
pub mod register;
pub mod smtp;
pub mod split;
pub mod telemetry;
pub mod vault;
