//! Outgoing messages to the reporter. They carry nothing of the original message (no
//! In-Reply-To or References, which would hand the reporter's Message-ID to whoever sees the
//! mail), no handler's name or address, and a Message-ID fixed when the message was planned, so
//! that a re-send after a crash is recognisably the same message.
//!
//! With the reporter's key the message is PGP/MIME (RFC 3156): the real subject travels inside
//! the encryption as a protected header, the outer one says only "...".

use std::io::Write;
use std::str::FromStr;
use std::time::SystemTime;

use lettre::message::header::{ContentDisposition, ContentType, HeaderName, HeaderValue, Subject};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use sequoia_openpgp::armor;

use super::SenderAddress;
use crate::openpgp;

/// A message to compose.
pub struct Outgoing<'a> {
    /// The gateway's From.
    pub from: &'a SenderAddress,
    /// The recipient (the reporter; a handler for a deadline digest).
    pub to: &'a str,
    /// The case's reply address (with its token); None for a message not to be answered.
    pub reply_to: Option<&'a str>,
    /// Subject.
    pub subject: &'a str,
    /// Text body.
    pub body: &'a str,
    /// Message-ID, without angle brackets.
    pub message_id: &'a str,
    /// Date of the first attempt (kept for a re-send).
    pub date: SystemTime,
    /// An automatic message (RFC 3834 `Auto-Submitted`: `auto-replied` for an acknowledgement,
    /// `auto-generated` for a digest): an auto-responder will not answer it.
    pub auto_submitted: Option<AutoSubmitted>,
    /// The recipient's key (binary OpenPGP): encrypt to it.
    pub encrypt_to: Option<&'a [u8]>,
}

/// Why a message was sent without a person writing it (RFC 3834).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoSubmitted {
    /// In answer to a message (an acknowledgement).
    Replied,
    /// On a schedule (a deadline digest).
    Generated,
}

/// A message that could not be composed. No address or text in it.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// An address that lettre refuses (the stored one was checked at intake).
    #[error("the {0} address cannot be used")]
    Address(&'static str),
    /// lettre refused the message.
    #[error("the message could not be built: {0}")]
    Build(String),
    /// Encryption to the recipient's key failed.
    #[error("the message could not be encrypted to the recipient's key: {0}")]
    Encrypt(String),
}

/// The whole message, as sent (CRLF line ends).
pub fn compose(o: &Outgoing<'_>) -> Result<Vec<u8>, ComposeError> {
    let to = Mailbox::from_str(o.to).map_err(|_| ComposeError::Address("recipient's"))?;
    let mut builder = Message::builder()
        .from(o.from.mailbox().clone())
        .to(to)
        .date(o.date)
        .message_id(Some(format!("<{}>", o.message_id)));
    if let Some(reply_to) = o.reply_to {
        builder = builder
            .reply_to(Mailbox::from_str(reply_to).map_err(|_| ComposeError::Address("reply"))?);
    }
    match o.auto_submitted {
        Some(AutoSubmitted::Replied) => {
            builder = builder.raw_header(raw("Auto-Submitted", "auto-replied")?);
        }
        Some(AutoSubmitted::Generated) => {
            builder = builder.raw_header(raw("Auto-Submitted", "auto-generated")?);
        }
        None => {}
    }
    let message = match o.encrypt_to {
        None => builder
            .subject(o.subject)
            .singlepart(text_part(o.body))
            .map_err(|e| ComposeError::Build(e.to_string()))?,
        Some(cert) => {
            let inner = SinglePart::builder()
                .header(
                    ContentType::parse("text/plain; charset=utf-8; protected-headers=\"v1\"")
                        .map_err(|e| ComposeError::Build(e.to_string()))?,
                )
                .header(Subject::from(o.subject.to_owned()))
                .body(o.body.to_owned());
            let armored = encrypt(&inner.formatted(), cert)?;
            builder
                .subject("...")
                .multipart(
                    MultiPart::encrypted("application/pgp-encrypted".to_owned())
                        .singlepart(
                            SinglePart::builder()
                                .header(content_type("application/pgp-encrypted")?)
                                .body("Version: 1\r\n".to_owned()),
                        )
                        .singlepart(
                            SinglePart::builder()
                                .header(content_type("application/octet-stream")?)
                                .header(ContentDisposition::inline_with_name("encrypted.asc"))
                                .body(armored),
                        ),
                )
                .map_err(|e| ComposeError::Build(e.to_string()))?
        }
    };
    Ok(message.formatted())
}

fn text_part(body: &str) -> SinglePart {
    SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
}

fn content_type(text: &str) -> Result<ContentType, ComposeError> {
    ContentType::parse(text).map_err(|e| ComposeError::Build(e.to_string()))
}

fn raw(name: &'static str, value: &str) -> Result<HeaderValue, ComposeError> {
    let name = HeaderName::new_from_ascii(name.to_owned())
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    Ok(HeaderValue::new(name, value.to_owned()))
}

/// Encrypts `plaintext` to the recipient's key, ASCII-armored.
fn encrypt(plaintext: &[u8], cert: &[u8]) -> Result<String, ComposeError> {
    let cert = openpgp::parse_cert(cert).map_err(|e| ComposeError::Encrypt(e.to_string()))?;
    let sealed =
        openpgp::seal(plaintext, &[cert]).map_err(|e| ComposeError::Encrypt(e.to_string()))?;
    let binary = openpgp::message_bytes(&sealed);
    let mut out = Vec::with_capacity(binary.len() * 4 / 3 + 128);
    {
        // The sealed bytes are already an OpenPGP message: armor them as they are.
        let mut w = armor::Writer::new(&mut out, armor::Kind::Message)
            .map_err(|e| ComposeError::Encrypt(e.to_string()))?;
        w.write_all(&binary)
            .map_err(|e| ComposeError::Encrypt(e.to_string()))?;
        w.finalize()
            .map_err(|e| ComposeError::Encrypt(e.to_string()))?;
    }
    String::from_utf8(out).map_err(|e| ComposeError::Encrypt(e.to_string()))
}
