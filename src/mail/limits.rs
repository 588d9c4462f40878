//! Limits on hostile MIME, enforced before mail-parser sees the bytes (cheap pre-scan) and again
//! on what it built: deep nesting, swarms of tiny parts and huge headers are refused fast.

use mail_parser::{Message, PartType};

use super::MailError;

/// How much MIME structure a message may have before it is refused (and quarantined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailLimits {
    /// Largest header block of the message or of any part, in bytes (default 256 KiB).
    pub max_header_bytes: usize,
    /// Deepest nesting of multiparts and nested messages (default 16).
    pub max_depth: usize,
    /// Most MIME parts, containers and nested messages included (default 1000).
    pub max_parts: usize,
    /// Most distinct inline OpenPGP blocks in one message (default 64): each is decrypted on
    /// its own, so their number is part of the message's budget.
    pub max_pgp_blocks: usize,
}

impl Default for MailLimits {
    fn default() -> Self {
        MailLimits {
            max_header_bytes: 256 * 1024,
            max_depth: 16,
            max_parts: 1000,
            max_pgp_blocks: 64,
        }
    }
}

/// Longest Content-Type value the pre-scan keeps; a real one is a few hundred bytes.
const MAX_CTYPE_BYTES: usize = 8 * 1024;

/// One open level of structure: a multipart (with its boundary) or a nested message.
struct Level {
    boundary: Option<Vec<u8>>,
    digest: bool,
}

/// What the pre-scan learnt from one header block.
#[derive(Default)]
struct PartHeaders {
    bytes: usize,
    ctype: Vec<u8>,
    in_ctype: bool,
    encoded: bool,
}

/// A line-by-line walk over the raw bytes that tracks only boundaries, Content-Type and
/// Content-Transfer-Encoding, so refusing a 10,000-deep or 500,000-part message costs one
/// linear pass that stops at the first limit (mail-parser itself has no limits in 0.11).
pub(crate) fn prescan(raw: &[u8], limits: &MailLimits) -> Result<(), MailError> {
    let mut stack: Vec<Level> = Vec::new();
    let mut parts: usize = 1;
    let mut headers: Option<PartHeaders> = Some(PartHeaders::default());

    for line in raw.split(|b| *b == b'\n') {
        if let Some(h) = headers.as_mut() {
            if line.trim_ascii().is_empty() {
                // End of this header block: decide what its body is.
                let parent_digest = stack.last().is_some_and(|l| l.digest);
                let kind = body_kind(&h.ctype, h.encoded, parent_digest);
                headers = None;
                match kind {
                    BodyKind::Multipart { boundary, digest } => {
                        stack.push(Level {
                            boundary: Some(boundary),
                            digest,
                        });
                    }
                    BodyKind::Message => {
                        stack.push(Level {
                            boundary: None,
                            digest: false,
                        });
                        parts = parts.saturating_add(1);
                        headers = Some(PartHeaders::default());
                    }
                    BodyKind::Leaf => {}
                }
                check_counts(stack.len(), parts, limits)?;
                continue;
            }
            h.bytes = h.bytes.saturating_add(line.len() + 1);
            if h.bytes > limits.max_header_bytes {
                return Err(MailError::HeaderTooLarge {
                    bytes: h.bytes,
                    limit: limits.max_header_bytes,
                });
            }
            note_header_line(h, line);
            continue;
        }

        // In a body: only delimiter lines of an open multipart matter.
        let Some(rest) = line.strip_prefix(b"--") else {
            continue;
        };
        let matched = stack.iter().enumerate().rev().find_map(|(i, level)| {
            let b = level.boundary.as_deref()?;
            rest.strip_prefix(b)
                .map(|after| (i, after.starts_with(b"--")))
        });
        if let Some((i, closing)) = matched {
            if closing {
                stack.truncate(i);
            } else {
                stack.truncate(i + 1);
                parts = parts.saturating_add(1);
                check_counts(stack.len(), parts, limits)?;
                headers = Some(PartHeaders::default());
            }
        }
    }
    Ok(())
}

fn check_counts(depth: usize, parts: usize, limits: &MailLimits) -> Result<(), MailError> {
    if depth > limits.max_depth {
        return Err(MailError::TooDeep {
            depth,
            limit: limits.max_depth,
        });
    }
    if parts > limits.max_parts {
        return Err(MailError::TooManyParts {
            parts,
            limit: limits.max_parts,
        });
    }
    Ok(())
}

fn note_header_line(h: &mut PartHeaders, line: &[u8]) {
    let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
    if continuation {
        if h.in_ctype && h.ctype.len() < MAX_CTYPE_BYTES {
            h.ctype.push(b' ');
            h.ctype.extend_from_slice(line.trim_ascii());
        }
        return;
    }
    h.in_ctype = false;
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        return;
    };
    let (name, value) = line.split_at(colon);
    let value = value.get(1..).unwrap_or_default().trim_ascii();
    let name = name.trim_ascii();
    if name.eq_ignore_ascii_case(b"content-type") {
        h.in_ctype = true;
        h.ctype.clear();
        h.ctype
            .extend_from_slice(value.get(..MAX_CTYPE_BYTES).unwrap_or(value));
    } else if name.eq_ignore_ascii_case(b"content-transfer-encoding") {
        let v = value.to_ascii_lowercase();
        h.encoded = v.starts_with(b"base64") || v.starts_with(b"quoted-printable");
    }
}

enum BodyKind {
    Multipart { boundary: Vec<u8>, digest: bool },
    Message,
    Leaf,
}

/// Mirrors mail-parser 0.11's choice: multipart/* with a boundary opens a level; an unencoded
/// message/rfc822 (or message/global, or a type-less part of a digest) is parsed in place.
fn body_kind(ctype: &[u8], encoded: bool, parent_digest: bool) -> BodyKind {
    let mut params = ctype.split(|b| *b == b';');
    let mime = params
        .next()
        .unwrap_or_default()
        .trim_ascii()
        .to_ascii_lowercase();
    if mime.is_empty() {
        return if parent_digest && !encoded {
            BodyKind::Message
        } else {
            BodyKind::Leaf
        };
    }
    if mime.starts_with(b"multipart/") {
        let boundary = params.find_map(|p| {
            let (k, v) = split_param(p)?;
            k.eq_ignore_ascii_case(b"boundary").then(|| v.to_vec())
        });
        return match boundary {
            Some(b) if !b.is_empty() => BodyKind::Multipart {
                boundary: b,
                digest: mime == b"multipart/digest",
            },
            _ => BodyKind::Leaf,
        };
    }
    if (mime == b"message/rfc822" || mime == b"message/global") && !encoded {
        return BodyKind::Message;
    }
    BodyKind::Leaf
}

fn split_param(p: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = p.iter().position(|b| *b == b'=')?;
    let (k, v) = p.split_at(eq);
    let v = v.get(1..)?.trim_ascii();
    let v = v
        .strip_prefix(b"\"")
        .and_then(|v| v.strip_suffix(b"\""))
        .unwrap_or(v);
    Some((k.trim_ascii(), v))
}

/// Counts parts and depth of what mail-parser built (nested messages included), without
/// recursion, so a structure the pre-scan did not foresee is still refused.
pub(crate) fn check_parsed(msg: &Message<'_>, limits: &MailLimits) -> Result<(), MailError> {
    let mut parts: usize = 0;
    let mut stack: Vec<(&Message<'_>, u32, usize)> = vec![(msg, 0, 0)];
    while let Some((m, id, depth)) = stack.pop() {
        parts = parts.saturating_add(1);
        check_counts(depth, parts, limits)?;
        let Some(part) = m.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            // Children always come after their parent; anything else would be a cycle.
            PartType::Multipart(children) => stack.extend(
                children
                    .iter()
                    .filter(|c| **c > id)
                    .map(|c| (m, *c, depth + 1)),
            ),
            PartType::Message(inner) => stack.push((inner, 0, depth + 1)),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
