//! Talking with the reporter on the channel they used, without anyone seeing who they are
//! (pure core: no IO).
//!
//! - `route`: where an acknowledgement may go, decided from the sealed identity's headers in
//!   the intake worker, or why none may (automatic mail, null sender, a Reply-To elsewhere);
//! - `address`: the gateway's own From, the reply-address pattern and the per-case reply
//!   token that brings the reporter's answers back to their case;
//! - `compose`: outgoing messages, encrypted to the reporter when their key is known, with no
//!   header of the original;
//! - `templates`: the texts, Polish by default, replaceable by files an admin edits;
//! - `sealed`: the contact record, the one thing the gateway can read back after filing.

mod address;
mod compose;
mod route;
mod sealed;
mod templates;

#[cfg(test)]
mod contact_tests;

pub use address::{ReplyPattern, ReplyToken, SenderAddress};
pub use compose::{compose, AutoSubmitted, ComposeError, Outgoing};
pub use route::{reply_route, reply_token, NoContact, Route};
pub use sealed::{open_contact, open_text, seal_contact, seal_text, SealedContact};
pub use templates::{Template, TemplateError, Texts};
