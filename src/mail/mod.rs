//! MIME handling behind our limits: how the outer message carries OpenPGP (`envelope`), what a
//! message or decrypted payload says (`content`), and display-safe names (`sanitize`).
//! Pure: bytes in, values out; errors carry counts and codes only, never content.

pub mod content;
pub mod envelope;
pub mod limits;
pub mod sanitize;

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use self::limits::MailLimits;
use self::sanitize::SafeName;

/// Why a message could not be taken apart. Variants carry sizes, counts and fixed details only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// No header block could be found.
    #[error("message is not parseable as MIME")]
    Unparseable,
    /// A header block exceeds the limit.
    #[error("header block of at least {bytes} bytes exceeds the limit of {limit}")]
    HeaderTooLarge { bytes: usize, limit: usize },
    /// Multiparts or nested messages are nested too deeply.
    #[error("MIME nesting depth {depth} exceeds the limit of {limit}")]
    TooDeep { depth: usize, limit: usize },
    /// Too many MIME parts.
    #[error("at least {parts} MIME parts exceed the limit of {limit}")]
    TooManyParts { parts: usize, limit: usize },
    /// More inline OpenPGP blocks than one message may carry.
    #[error("more than {limit} inline OpenPGP blocks")]
    TooManyBlocks { limit: usize },
    /// A multipart/encrypted structure that RFC 3156 does not allow.
    #[error("malformed PGP/MIME structure: {detail}")]
    BadPgpMime { detail: &'static str },
}

impl MailError {
    /// A stable code for quarantine records and logs.
    pub fn code(&self) -> &'static str {
        match self {
            MailError::Unparseable => "mime-unparseable",
            MailError::HeaderTooLarge { .. } => "mime-header-too-large",
            MailError::TooDeep { .. } => "mime-too-deep",
            MailError::TooManyParts { .. } => "mime-too-many-parts",
            MailError::BadPgpMime { .. } => "mime-bad-pgp-mime",
            MailError::TooManyBlocks { .. } => "openpgp-too-many-blocks",
        }
    }
}

/// The only way this module hands bytes to mail-parser: pre-scan, parse, re-check.
pub(crate) fn parse_bounded<'x>(
    raw: &'x [u8],
    limits: &MailLimits,
) -> Result<Message<'x>, MailError> {
    limits::prescan(raw, limits)?;
    // mail-parser promises not to panic, but it has debug assertions and unchecked offset
    // arithmetic on recovery paths; a hostile message must become a quarantine, not a crash.
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse(raw))
        .ok()
        .flatten()
        .filter(|m| !m.parts.is_empty())
        .ok_or(MailError::Unparseable)?;
    limits::check_parsed(&parsed, limits)?;
    Ok(parsed)
}

/// "type/subtype" in lower case; text/plain when absent (RFC 2045 default).
pub(crate) fn mime_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => {
            let sub = ct.subtype().unwrap_or("octet-stream");
            format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase()
        }
        None => "text/plain".to_owned(),
    }
}

/// A Content-Type parameter, case-insensitive name.
pub(crate) fn ctype_param<'a>(part: &'a MessagePart<'_>, name: &str) -> Option<&'a str> {
    part.content_type()?
        .attributes()?
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| a.value.as_ref())
}

/// The sender's attachment name, made display-safe.
pub(crate) fn part_name(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<SafeName> {
    raw_windows_path(msg, part)
        .as_deref()
        .or(part.attachment_name())
        .and_then(SafeName::new)
}

/// Some Windows clients send `filename="C:\Users\jk\x.pdf"` with unescaped backslashes, which
/// RFC 5322 quoting turns into "C:Usersjkx.pdf" (directory names included). The raw quoted
/// value is used instead when it holds a backslash, so the path can be cut off.
fn raw_windows_path(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    part.headers.iter().find_map(|h| {
        let raw = msg
            .raw_message
            .get(h.offset_start as usize..h.offset_end as usize)?;
        let raw = String::from_utf8_lossy(raw);
        let lower = raw.to_ascii_lowercase();
        ["filename=\"", "name=\""].iter().find_map(|key| {
            let start = lower.find(key)? + key.len();
            let rest = raw.get(start..)?;
            let value = rest.get(..rest.find('"')?)?;
            value.contains('\\').then(|| value.to_owned())
        })
    })
}

/// Raw bytes of a nested message (its header and body), by offsets checked against its buffer.
pub(crate) fn message_bytes<'a>(m: &'a Message<'_>) -> &'a [u8] {
    m.parts
        .first()
        .and_then(|p| {
            m.raw_message
                .get(p.offset_header as usize..p.offset_end as usize)
        })
        .unwrap_or_default()
}

/// A part's decoded content: text as UTF-8, binaries as bytes, nested messages as raw bytes.
pub(crate) fn part_bytes<'a>(part: &'a MessagePart<'_>) -> &'a [u8] {
    match &part.body {
        PartType::Text(t) | PartType::Html(t) => t.as_bytes(),
        PartType::Binary(b) | PartType::InlineBinary(b) => b.as_ref(),
        PartType::Message(m) => message_bytes(m),
        PartType::Multipart(_) => b"",
    }
}

/// A part's decoded content, borrowed from the raw message where it stands there as is (no
/// transfer encoding or charset conversion), copied otherwise.
pub(crate) fn part_cow<'raw>(part: &MessagePart<'raw>) -> std::borrow::Cow<'raw, [u8]> {
    use std::borrow::Cow;
    match &part.body {
        PartType::Text(Cow::Borrowed(t)) | PartType::Html(Cow::Borrowed(t)) => {
            Cow::Borrowed(t.as_bytes())
        }
        PartType::Binary(Cow::Borrowed(b)) | PartType::InlineBinary(Cow::Borrowed(b)) => {
            Cow::Borrowed(b)
        }
        _ => Cow::Owned(part_bytes(part).to_vec()),
    }
}

/// Every part id under the root, containers included, in document order (no recursion).
pub(crate) fn all_parts(msg: &Message<'_>) -> Vec<u32> {
    walk(msg, &[], false)
}

/// Leaf part ids in document order, skipping the subtrees in `skip`; of a multipart/alternative
/// only the alternative a reader would be shown (plain text if any, else the last) is kept.
pub(crate) fn leaf_parts(msg: &Message<'_>, skip: &[u32]) -> Vec<u32> {
    walk(msg, skip, true)
        .into_iter()
        .filter(|id| {
            msg.parts
                .get(*id as usize)
                .is_some_and(|p| !matches!(p.body, PartType::Multipart(_)))
        })
        .collect()
}

fn walk(msg: &Message<'_>, skip: &[u32], prune_alternatives: bool) -> Vec<u32> {
    let mut out = Vec::new();
    let mut stack = vec![0u32];
    while let Some(id) = stack.pop() {
        if skip.contains(&id) {
            continue;
        }
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        out.push(id);
        if let PartType::Multipart(children) = &part.body {
            // Children always follow their parent; anything else would loop.
            let mut kids: Vec<u32> = children.iter().copied().filter(|c| *c > id).collect();
            if prune_alternatives && mime_type(part) == "multipart/alternative" {
                kids = shown_alternative(msg, &kids).into_iter().collect();
            }
            stack.extend(kids.into_iter().rev());
        }
    }
    out
}

fn shown_alternative(msg: &Message<'_>, kids: &[u32]) -> Option<u32> {
    kids.iter()
        .copied()
        .find(|k| {
            msg.parts
                .get(*k as usize)
                .is_some_and(|p| mime_type(p) == "text/plain")
        })
        .or_else(|| kids.last().copied())
}

/// HTML to plain text, simply: tags, comments, `<head>`, `<script>`, `<style>` and
/// `<template>` dropped; block ends become line breaks; common entities decoded. Nothing
/// referenced by the HTML is ever fetched.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    let mut skip_until: Option<&'static str> = None;
    while !rest.is_empty() {
        if let Some(end_tag) = skip_until {
            match find_ci(rest, end_tag) {
                Some(i) => {
                    rest = rest.get(i..).unwrap_or_default();
                    skip_until = None;
                }
                None => break,
            }
            continue;
        }
        let Some(lt) = rest.find(['<', '&']) else {
            out.push_str(rest);
            break;
        };
        out.push_str(rest.get(..lt).unwrap_or_default());
        rest = rest.get(lt..).unwrap_or_default();
        if rest.starts_with('&') {
            let (decoded, used) = decode_entity(rest);
            out.push_str(&decoded);
            rest = rest.get(used..).unwrap_or_default();
            continue;
        }
        if rest.starts_with("<!--") {
            rest = match rest.find("-->") {
                Some(i) => rest.get(i + 3..).unwrap_or_default(),
                None => "",
            };
            continue;
        }
        let end = rest.find('>').map_or(rest.len(), |i| i + 1);
        let tag = rest.get(1..end).unwrap_or_default();
        rest = rest.get(end..).unwrap_or_default();
        let closing = tag.starts_with('/');
        let tag_name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match tag_name.as_str() {
            "script" | "style" | "head" | "template" | "title" if !closing => {
                skip_until = Some(match tag_name.as_str() {
                    "script" => "</script",
                    "style" => "</style",
                    "head" => "</head",
                    "title" => "</title",
                    _ => "</template",
                });
            }
            "br" => out.push('\n'),
            "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote"
            | "pre" | "table"
                if !out.ends_with('\n') && !out.is_empty() =>
            {
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    let hay = haystack.as_bytes();
    let n = needle.as_bytes();
    hay.windows(n.len()).position(|w| w.eq_ignore_ascii_case(n))
}

fn decode_entity(s: &str) -> (String, usize) {
    let end = s
        .char_indices()
        .take(12)
        .find(|(_, c)| *c == ';')
        .map(|(i, _)| i);
    let Some(end) = end else {
        return ("&".to_owned(), 1);
    };
    let name = s.get(1..end).unwrap_or_default();
    let decoded = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => name
            .strip_prefix("#x")
            .or_else(|| name.strip_prefix("#X"))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
            .and_then(char::from_u32),
    };
    match decoded {
        Some(c) => (c.to_string(), end + 1),
        None => ("&".to_owned(), 1),
    }
}

#[cfg(test)]
#[path = "mail_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "corpus_tests.rs"]
mod corpus_tests;
