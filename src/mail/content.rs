//! What a MIME entity says: a plain message, or the decrypted payload of PGP/MIME (where the
//! protected headers live). Text, HTML, attachments and attached keys, all in zeroizing buffers.

use std::fmt;

use mail_parser::{Message, MessagePart, PartType};
use zeroize::Zeroizing;

use super::envelope::{header_block, HeaderBlock};
use super::limits::MailLimits;
use super::sanitize::{one_line, SafeName};
use super::{ctype_param, html_to_text, message_bytes, mime_type, parse_bounded, part_name};
use super::{part_bytes, MailError};

/// The readable content of one MIME entity.
pub struct Content {
    /// The entity's own headers (for a decrypted payload: the protected headers).
    pub headers: HeaderBlock,
    pub subject: Option<Zeroizing<String>>,
    pub text: Option<Zeroizing<String>>,
    pub html: Option<Zeroizing<String>>,
    /// `html` reduced to text, for when there is no text alternative.
    pub html_as_text: Option<Zeroizing<String>>,
    pub attachments: Vec<Attachment>,
    /// application/pgp-keys parts: identity material, not report.
    pub attached_keys: Vec<Zeroizing<Vec<u8>>>,
    /// application/pgp-signature parts (detached signatures): identity material, not report.
    pub detached_signatures: Vec<Zeroizing<Vec<u8>>>,
    /// A protected-headers "legacy display" part was dropped (its text repeats the headers).
    pub legacy_display_removed: bool,
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.text.as_ref().map_or(0, |t| t.len());
        write!(
            f,
            "Content(<redacted, {text} bytes of text, {} attachments>)",
            self.attachments.len()
        )
    }
}

/// An attachment of the report.
pub struct Attachment {
    pub name: Option<SafeName>,
    /// "type/subtype", lower case.
    pub content_type: String,
    /// Decoded bytes (text attachments as UTF-8, nested messages as their raw bytes).
    pub data: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Attachment(<redacted, {} bytes>)", self.data.len())
    }
}

/// Parses a message or a decrypted PGP/MIME payload within `limits`.
pub fn parse_content(bytes: &[u8], limits: &MailLimits) -> Result<Content, MailError> {
    let msg = parse_bounded(bytes, limits)?;
    Ok(content_of(&msg))
}

/// Content of decrypted inline-PGP text (no MIME around it).
pub fn content_from_text(text: Zeroizing<Vec<u8>>) -> Content {
    let decoded = match std::str::from_utf8(&text) {
        Ok(s) => s.to_owned(),
        // Inline PGP carries no charset of its own; Polish senders' legacy clients write
        // Windows-1250, which also decodes any other byte sequence.
        Err(_) => mail_parser::decoders::charsets::map::charset_decoder(b"windows-1250")
            .map(|decode| decode(&text))
            .unwrap_or_else(|| String::from_utf8_lossy(&text).into_owned()),
    };
    Content {
        headers: HeaderBlock::default(),
        subject: None,
        text: Some(Zeroizing::new(decoded)),
        html: None,
        html_as_text: None,
        attachments: Vec::new(),
        attached_keys: Vec::new(),
        detached_signatures: Vec::new(),
        legacy_display_removed: false,
    }
}

fn content_of(msg: &Message<'_>) -> Content {
    let headers = header_block(msg);
    let subject = headers
        .first("Subject")
        .filter(|s| !s.is_empty())
        .map(|s| Zeroizing::new(s.to_owned()));

    let legacy: Vec<u32> = super::all_parts(msg)
        .into_iter()
        .filter(|id| msg.parts.get(*id as usize).is_some_and(is_legacy_display))
        .collect();

    let mut text = String::new();
    for id in msg.text_body.iter().filter(|id| !legacy.contains(id)) {
        if let Some(PartType::Text(t)) = msg.parts.get(*id as usize).map(|p| &p.body) {
            append(&mut text, t);
        }
    }
    let mut html = String::new();
    for id in msg.html_body.iter().filter(|id| !legacy.contains(id)) {
        if let Some(PartType::Html(h)) = msg.parts.get(*id as usize).map(|p| &p.body) {
            append(&mut html, h);
        }
    }

    let mut content = Content {
        subject,
        text: None,
        html: None,
        html_as_text: None,
        attachments: Vec::new(),
        attached_keys: Vec::new(),
        detached_signatures: Vec::new(),
        legacy_display_removed: !legacy.is_empty(),
        headers,
    };

    for id in msg.attachments.iter().filter(|id| !legacy.contains(id)) {
        let Some(part) = msg.parts.get(*id as usize) else {
            continue;
        };
        let ctype = mime_type(part);
        let data = Zeroizing::new(
            original_text_bytes(msg, part).unwrap_or_else(|| part_bytes(part).to_vec()),
        );
        match ctype.as_str() {
            "application/pgp-keys" => content.attached_keys.push(data),
            "application/pgp-signature" => content.detached_signatures.push(data),
            _ => {
                if let PartType::Message(nested) = &part.body {
                    if let Some(t) = simple_text(nested) {
                        append(&mut text, "----- attached message -----");
                        append(&mut text, &t);
                    }
                }
                content.attachments.push(attachment(msg, part, ctype, data));
            }
        }
    }

    content.text = (!text.trim().is_empty()).then(|| Zeroizing::new(text));
    if !html.trim().is_empty() {
        content.html_as_text = Some(Zeroizing::new(html_to_text(&html)));
        content.html = Some(Zeroizing::new(html));
    }
    content
}

/// A text attachment as it was sent (in its own charset), not as decoded for display: an
/// attachment is evidence and must come back byte for byte. None for other parts, or when the
/// raw bytes cannot be located, in which case the decoded text is kept.
fn original_text_bytes(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<Vec<u8>> {
    use mail_parser::decoders::base64::base64_decode;
    use mail_parser::decoders::quoted_printable::quoted_printable_decode;
    if !matches!(part.body, PartType::Text(_) | PartType::Html(_)) {
        return None;
    }
    let start = usize::try_from(part.raw_body_offset()).ok()?;
    let end = usize::try_from(part.raw_end_offset()).ok()?;
    let raw = msg.raw_message.get(start..end)?;
    match part.encoding {
        mail_parser::Encoding::Base64 => base64_decode(raw),
        mail_parser::Encoding::QuotedPrintable => quoted_printable_decode(raw),
        mail_parser::Encoding::None => Some(raw.to_vec()),
    }
}

fn attachment(
    msg: &Message<'_>,
    part: &MessagePart<'_>,
    ctype: String,
    data: Zeroizing<Vec<u8>>,
) -> Attachment {
    let name = part_name(msg, part).or_else(|| {
        let fallback = match &part.body {
            PartType::Message(_) => Some("message.eml"),
            PartType::Html(_) => Some("part.html"),
            PartType::Text(_) => Some("part.txt"),
            _ => None,
        };
        fallback.and_then(SafeName::new)
    });
    Attachment {
        name,
        content_type: ctype,
        data,
    }
}

/// The text of a nested message when it has no nested messages of its own.
fn simple_text(nested: &Message<'_>) -> Option<String> {
    let has_nested = nested
        .parts
        .iter()
        .any(|p| matches!(p.body, PartType::Message(_)));
    if has_nested || message_bytes(nested).is_empty() {
        return None;
    }
    let mut text = String::new();
    if let Some(subject) = header_block(nested).first("Subject") {
        append(&mut text, &format!("Subject: {}", one_line(subject)));
    }
    for id in &nested.text_body {
        match nested.parts.get(*id as usize).map(|p| &p.body) {
            Some(PartType::Text(t)) => append(&mut text, t),
            Some(PartType::Html(h)) => append(&mut text, &html_to_text(h)),
            _ => {}
        }
    }
    (!text.trim().is_empty()).then_some(text)
}

/// A "legacy display" part of protected headers: text/rfc822-headers with protected-headers
/// (draft-autocrypt-lamps-protected-headers), or text/plain with hp-legacy-display="1"
/// (draft-ietf-lamps-header-protection). Plain text/rfc822-headers (bounce reports) stays.
fn is_legacy_display(part: &MessagePart<'_>) -> bool {
    let ctype = mime_type(part);
    (ctype == "text/rfc822-headers" && ctype_param(part, "protected-headers").is_some())
        || (ctype == "text/plain"
            && ctype_param(part, "hp-legacy-display").is_some_and(|v| v.trim() == "1"))
}

fn append(buf: &mut String, more: &str) {
    if !buf.is_empty() && !buf.ends_with('\n') {
        buf.push('\n');
    }
    buf.push_str(more);
}

#[cfg(test)]
#[path = "content_tests.rs"]
mod tests;
