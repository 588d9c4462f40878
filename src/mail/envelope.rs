//! How the outer message carries OpenPGP: RFC 3156 PGP/MIME, inline armored blocks, or nothing.
//! Anything sent beside the ciphertext is kept apart as a `LoosePart` and never joined with what
//! decrypts (EFAIL: an attacker wraps a captured ciphertext in parts of their own).

use std::borrow::Cow;
use std::fmt;

use mail_parser::parsers::MessageStream;
use mail_parser::{HeaderValue, Message, MessagePart, PartType};
use zeroize::Zeroizing;

use super::limits::MailLimits;
use super::sanitize::{one_line, SafeName};
use super::{
    ctype_param, leaf_parts, mime_type, parse_bounded, part_bytes, part_cow, part_name, MailError,
};

const BEGIN: &str = "-----BEGIN PGP MESSAGE-----";
const END: &str = "-----END PGP MESSAGE-----";

/// How the outer message carries OpenPGP.
pub enum Envelope<'raw> {
    /// An RFC 3156 multipart/encrypted (protocol application/pgp-encrypted) at the root, or a
    /// single one nested in a wrapper (`wrapped`); `ciphertext` is its second part's content.
    PgpMime {
        /// Borrowed from the raw message where it is there as sent (no transfer encoding):
        /// a 25 MiB ciphertext is not copied before it is opened.
        ciphertext: Cow<'raw, [u8]>,
        outer: HeaderBlock,
        /// Parts beside the encrypted one (wrappers, list footers, EFAIL bait): never joined.
        unencrypted_parts: Vec<LoosePart>,
        wrapped: bool,
    },
    /// Armored blocks in text parts and encrypted attachments (*.pgp, *.gpg, *.asc,
    /// application/pgp-encrypted, or octet-stream holding armor).
    InlinePgp {
        blocks: Vec<InlineBlock>,
        outer: HeaderBlock,
        /// Text around the blocks and every other part: never joined.
        unencrypted_parts: Vec<LoosePart>,
    },
    /// No encryption found.
    Plain { outer: HeaderBlock },
}

impl Envelope<'_> {
    /// The outer header block, whatever the layout.
    pub fn outer(&self) -> &HeaderBlock {
        match self {
            Envelope::PgpMime { outer, .. }
            | Envelope::InlinePgp { outer, .. }
            | Envelope::Plain { outer } => outer,
        }
    }

    /// A stable name of the layout, for logs and quarantine records.
    pub fn kind(&self) -> &'static str {
        match self {
            Envelope::PgpMime { wrapped: false, .. } => "pgp-mime",
            Envelope::PgpMime { wrapped: true, .. } => "pgp-mime-wrapped",
            Envelope::InlinePgp { .. } => "inline-pgp",
            Envelope::Plain { .. } => "plain",
        }
    }
}

impl fmt::Debug for Envelope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Envelope::PgpMime {
                ciphertext,
                unencrypted_parts,
                wrapped,
                ..
            } => write!(
                f,
                "PgpMime {{ ciphertext: <{} bytes>, unencrypted_parts: {}, wrapped: {wrapped} }}",
                ciphertext.len(),
                unencrypted_parts.len()
            ),
            Envelope::InlinePgp {
                blocks,
                unencrypted_parts,
                ..
            } => write!(
                f,
                "InlinePgp {{ blocks: {}, unencrypted_parts: {} }}",
                blocks.len(),
                unencrypted_parts.len()
            ),
            Envelope::Plain { .. } => write!(f, "Plain"),
        }
    }
}

/// One armored message or encrypted attachment found in the outer message.
pub struct InlineBlock {
    pub ciphertext: Vec<u8>,
    pub kind: InlineKind,
}

impl fmt::Debug for InlineBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "InlineBlock(<{} bytes>, {:?})",
            self.ciphertext.len(),
            self.kind
        )
    }
}

/// Where an inline block sat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineKind {
    /// In the text of a body part.
    BodyText,
    /// An encrypted attachment (its display-safe name, if it had one).
    Attachment { name: Option<SafeName> },
}

/// A part sent without encryption beside encrypted content.
pub struct LoosePart {
    /// "type/subtype", lower case.
    pub content_type: String,
    pub name: Option<SafeName>,
    /// Decoded content (text as UTF-8).
    pub data: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for LoosePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoosePart(<redacted, {} bytes>)", self.data.len())
    }
}

/// A header block: the raw bytes and the decoded fields in order.
#[derive(Default)]
pub struct HeaderBlock {
    /// Raw header bytes as received, up to and including the empty line that ends them.
    pub raw: Zeroizing<Vec<u8>>,
    pub fields: Vec<HeaderField>,
}

impl HeaderBlock {
    /// Decoded values of every field with this name (case-insensitive), in order.
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }

    /// The first decoded value of a field.
    pub fn first<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.values(name).next()
    }
}

impl fmt::Debug for HeaderBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HeaderBlock(<redacted, {} fields, {} bytes>)",
            self.fields.len(),
            self.raw.len()
        )
    }
}

/// One header field: RFC 2047 decoded, unfolded, CR/LF and other controls removed.
pub struct HeaderField {
    pub name: String,
    pub value: Zeroizing<String>,
}

impl fmt::Debug for HeaderField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeaderField(<redacted>)")
    }
}

/// The root header block of a parsed message (or nested message).
pub(crate) fn header_block(msg: &Message<'_>) -> HeaderBlock {
    let Some(root) = msg.parts.first() else {
        return HeaderBlock::default();
    };
    let raw = msg
        .raw_message
        .get(root.offset_header as usize..root.offset_body as usize)
        .unwrap_or_default()
        .to_vec();
    let fields = root
        .headers
        .iter()
        .map(|h| {
            let bytes = msg
                .raw_message
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default();
            let value = match MessageStream::new(bytes).parse_unstructured() {
                HeaderValue::Text(t) => one_line(&t),
                _ => one_line(&String::from_utf8_lossy(bytes)),
            };
            HeaderField {
                name: one_line(h.name.as_str()),
                value: Zeroizing::new(value),
            }
        })
        .collect();
    HeaderBlock {
        raw: Zeroizing::new(raw),
        fields,
    }
}

/// Decides how `raw` carries OpenPGP, within `limits`.
pub fn classify<'raw>(raw: &'raw [u8], limits: &MailLimits) -> Result<Envelope<'raw>, MailError> {
    let msg = parse_bounded(raw, limits)?;
    let outer = header_block(&msg);

    let encrypted: Vec<u32> = super::all_parts(&msg)
        .into_iter()
        .filter(|id| msg.parts.get(*id as usize).is_some_and(is_pgp_mime))
        .collect();
    match encrypted.as_slice() {
        [] => {}
        [id] => return pgp_mime(&msg, *id, outer),
        _ => {
            return Err(MailError::BadPgpMime {
                detail: "several multipart/encrypted parts",
            })
        }
    }

    if let Some((version, data)) = mixed_up(&msg) {
        // A PGP/MIME message whose multipart/encrypted was flattened into multipart/mixed by
        // a provider (seen from ProtonMail and Google Workspace): same parts, wrong container.
        let ciphertext = msg
            .parts
            .get(data as usize)
            .map(part_cow)
            .unwrap_or_default();
        if ciphertext.trim_ascii().is_empty() {
            return Err(MailError::BadPgpMime {
                detail: "empty encrypted part",
            });
        }
        let unencrypted_parts = loose_parts(&msg, &leaf_parts(&msg, &[version, data]));
        return Ok(Envelope::PgpMime {
            ciphertext,
            outer,
            unencrypted_parts,
            wrapped: true,
        });
    }

    if let Some((ciphertext, unencrypted_parts)) = gpgol_structure(&msg, limits)? {
        return Ok(Envelope::PgpMime {
            ciphertext: Cow::Owned(ciphertext),
            outer,
            unencrypted_parts,
            wrapped: true,
        });
    }

    inline(&msg, outer, limits)
}

/// Ciphertext found in a nested structure, with the parts sent beside it.
type CiphertextAndLoose = (Vec<u8>, Vec<LoosePart>);

/// Outlook with GpgOL sends the whole PGP/MIME entity as an attachment named
/// "GpgOL_MIME_structure.mime"; it is parsed (within the same limits) one level deep.
fn gpgol_structure(
    msg: &Message<'_>,
    limits: &MailLimits,
) -> Result<Option<CiphertextAndLoose>, MailError> {
    let found = leaf_parts(msg, &[]).into_iter().find_map(|id| {
        let part = msg.parts.get(id as usize)?;
        let named = part_name(msg, part)
            .is_some_and(|n| n.as_str().eq_ignore_ascii_case("GpgOL_MIME_structure.mime"));
        named.then_some((id, part_bytes(part)))
    });
    let Some((id, bytes)) = found else {
        return Ok(None);
    };
    let inner = parse_bounded(bytes, limits)?;
    if !inner.parts.first().is_some_and(is_pgp_mime) {
        return Ok(None);
    }
    let Envelope::PgpMime {
        ciphertext,
        unencrypted_parts: mut inner_loose,
        ..
    } = pgp_mime(&inner, 0, HeaderBlock::default())?
    else {
        return Ok(None);
    };
    let mut unencrypted_parts = loose_parts(msg, &leaf_parts(msg, &[id]));
    unencrypted_parts.append(&mut inner_loose);
    Ok(Some((ciphertext.into_owned(), unencrypted_parts)))
}

fn is_pgp_mime(part: &MessagePart<'_>) -> bool {
    matches!(part.body, PartType::Multipart(_))
        && mime_type(part) == "multipart/encrypted"
        && ctype_param(part, "protocol")
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("application/pgp-encrypted"))
}

fn pgp_mime<'raw>(
    msg: &Message<'raw>,
    id: u32,
    outer: HeaderBlock,
) -> Result<Envelope<'raw>, MailError> {
    let children: Vec<u32> = match msg.parts.get(id as usize).map(|p| &p.body) {
        Some(PartType::Multipart(c)) => c.iter().copied().filter(|c| *c > id).collect(),
        _ => Vec::new(),
    };
    let [control, data, extra @ ..] = children.as_slice() else {
        return Err(MailError::BadPgpMime {
            detail: "multipart/encrypted without two parts",
        });
    };
    let control_ok = msg
        .parts
        .get(*control as usize)
        .is_some_and(|p| mime_type(p) == "application/pgp-encrypted");
    if !control_ok {
        return Err(MailError::BadPgpMime {
            detail: "first part is not application/pgp-encrypted",
        });
    }
    let ciphertext = msg
        .parts
        .get(*data as usize)
        .map(part_cow)
        .unwrap_or_default();
    if ciphertext.trim_ascii().is_empty() {
        return Err(MailError::BadPgpMime {
            detail: "empty encrypted part",
        });
    }
    // Parts after the second one have no place in RFC 3156; keep them, apart.
    let mut ids: Vec<u32> = extra.to_vec();
    ids.extend(leaf_parts(msg, &[id]));
    Ok(Envelope::PgpMime {
        ciphertext,
        outer,
        unencrypted_parts: loose_parts(msg, &ids),
        wrapped: id != 0,
    })
}

/// An application/pgp-encrypted version marker directly followed by an octet-stream, inside
/// some multipart that is not multipart/encrypted.
fn mixed_up(msg: &Message<'_>) -> Option<(u32, u32)> {
    msg.parts.iter().find_map(|p| {
        let PartType::Multipart(children) = &p.body else {
            return None;
        };
        children.windows(2).find_map(|w| {
            let (a, b) = (*w.first()?, *w.get(1)?);
            let pa = msg.parts.get(a as usize)?;
            let pb = msg.parts.get(b as usize)?;
            let marker = part_bytes(pa).trim_ascii();
            let is_marker = mime_type(pa) == "application/pgp-encrypted"
                && marker.len() < 64
                && marker
                    .get(..7)
                    .is_some_and(|v| v.eq_ignore_ascii_case(b"version"));
            (is_marker && mime_type(pb) == "application/octet-stream").then_some((a, b))
        })
    })
}

fn inline<'raw>(
    msg: &Message<'_>,
    outer: HeaderBlock,
    limits: &MailLimits,
) -> Result<Envelope<'raw>, MailError> {
    let mut blocks = Blocks::new(limits.max_pgp_blocks);
    let mut loose: Vec<LoosePart> = Vec::new();
    for id in leaf_parts(msg, &[]) {
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        let ctype = mime_type(part);
        let name = part_name(msg, part);
        match &part.body {
            PartType::Text(text) | PartType::Html(text) => {
                let is_html = matches!(part.body, PartType::Html(_));
                let shown: std::borrow::Cow<'_, str> = if is_html {
                    super::html_to_text(text).into()
                } else {
                    text.as_ref().into()
                };
                let kind = match &name {
                    Some(n) => InlineKind::Attachment {
                        name: Some(n.clone()),
                    },
                    None => InlineKind::BodyText,
                };
                // Blocks go to the budget as they are found: past the cap the rest of the part
                // is never looked at.
                let around = split_armor(&shown, |b| {
                    blocks.push(InlineBlock {
                        ciphertext: b.into_bytes(),
                        kind: kind.clone(),
                    })
                })?;
                let Some(around) = around else {
                    push_loose(&mut loose, &ctype, name, text.as_bytes());
                    continue;
                };
                for t in around {
                    // Surrounding text of an HTML part is kept as text: its markup is the
                    // attacker's, never worth rendering.
                    push_loose(
                        &mut loose,
                        if is_html { "text/plain" } else { &ctype },
                        None,
                        t.as_bytes(),
                    );
                }
            }
            PartType::Binary(data) | PartType::InlineBinary(data) => {
                if is_encrypted_attachment(&ctype, name.as_ref(), data) {
                    blocks.push(InlineBlock {
                        ciphertext: data.to_vec(),
                        kind: InlineKind::Attachment { name },
                    })?;
                } else {
                    push_loose(&mut loose, &ctype, name, data);
                }
            }
            PartType::Message(_) => {
                push_loose(&mut loose, &ctype, name, part_bytes(part));
            }
            PartType::Multipart(_) => {}
        }
    }
    let blocks = blocks.blocks;
    if blocks.is_empty() {
        return Ok(Envelope::Plain { outer });
    }
    Ok(Envelope::InlinePgp {
        blocks,
        outer,
        unencrypted_parts: loose,
    })
}

fn loose_parts(msg: &Message<'_>, ids: &[u32]) -> Vec<LoosePart> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(part) = msg.parts.get(*id as usize) {
            push_loose(
                &mut out,
                &mime_type(part),
                part_name(msg, part),
                part_bytes(part),
            );
        }
    }
    out
}

/// Keeps a part unless it is an empty or whitespace-only text (nothing to report).
fn push_loose(out: &mut Vec<LoosePart>, ctype: &str, name: Option<SafeName>, data: &[u8]) {
    if ctype.starts_with("text/") && name.is_none() && data.trim_ascii().is_empty() {
        return;
    }
    out.push(LoosePart {
        content_type: ctype.to_owned(),
        name,
        data: Zeroizing::new(data.to_vec()),
    });
}

fn is_encrypted_attachment(ctype: &str, name: Option<&SafeName>, data: &[u8]) -> bool {
    if matches!(ctype, "application/pgp-signature" | "application/pgp-keys") {
        return false;
    }
    let head = data.trim_ascii_start();
    let armored = head.starts_with(BEGIN.as_bytes());
    if armored || ctype == "application/pgp-encrypted" {
        return !head.is_empty();
    }
    let ext = name
        .and_then(|n| n.as_str().rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    // A binary OpenPGP message starts with a packet tag byte (high bit set).
    let packet = head.first().is_some_and(|b| b & 0x80 != 0);
    matches!(ext.as_deref(), Some("pgp" | "gpg")) && packet
}

/// Splits text into armored PGP MESSAGE blocks, each handed to `block` as it is found, and the
/// text around them, returned, or `None` if there was no block. Marker lines must stand alone
/// (so quoted "> -----BEGIN" lines stay text). Blocks are rebuilt in canonical form: trimmed
/// lines, armor headers, one blank line, body; this repairs the non-breaking spaces and extra
/// blank lines that HTML and some clients put into the armor.
fn split_armor(
    text: &str,
    mut block: impl FnMut(String) -> Result<(), MailError>,
) -> Result<Option<Vec<String>>, MailError> {
    let mut around = Vec::new();
    let mut found = false;
    let mut plain = String::new();
    // (non-empty trimmed lines after BEGIN, original text of the block)
    let mut open: Option<(Vec<String>, String)> = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}');
        match open.as_mut() {
            None if t == BEGIN => {
                if !plain.trim().is_empty() {
                    around.push(std::mem::take(&mut plain));
                }
                plain.clear();
                open = Some((Vec::new(), line.to_owned()));
            }
            None => plain.push_str(line),
            Some((lines, _)) if t == END => {
                found = true;
                block(canonical_armor(lines))?;
                open = None;
            }
            Some((lines, orig)) => {
                orig.push_str(line);
                if !t.is_empty() {
                    lines.push(t.to_owned());
                }
            }
        }
    }
    // An unterminated block cannot be decrypted: it stays text.
    if let Some((_, orig)) = open {
        plain.push_str(&orig);
    }
    if !plain.trim().is_empty() {
        around.push(plain);
    }
    Ok(found.then_some(around))
}

fn canonical_armor(lines: &[String]) -> String {
    // Armor headers ("Version: ...") contain ": ", which base64 lines never do.
    let headers = lines.iter().take_while(|l| l.contains(": ")).count();
    let mut out = format!("{BEGIN}\n");
    for (i, l) in lines.iter().enumerate() {
        if i == headers {
            out.push('\n');
        }
        out.push_str(l);
        out.push('\n');
    }
    if headers == lines.len() {
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// The distinct inline blocks of a message, in order. The same block sent twice (text and HTML
/// alternatives, or re-quoted) is decrypted once; recognising it costs one hash per block, and
/// collecting stops at the limit, so a text part of a million tiny blocks is refused early.
struct Blocks {
    blocks: Vec<InlineBlock>,
    seen: std::collections::HashSet<[u8; 32]>,
    limit: usize,
}

impl Blocks {
    fn new(limit: usize) -> Blocks {
        Blocks {
            blocks: Vec::new(),
            seen: std::collections::HashSet::new(),
            limit,
        }
    }

    fn push(&mut self, block: InlineBlock) -> Result<(), MailError> {
        use sha2::Digest;
        let digest: [u8; 32] = sha2::Sha256::digest(&block.ciphertext).into();
        if self.seen.insert(digest) {
            if self.blocks.len() >= self.limit {
                return Err(MailError::TooManyBlocks { limit: self.limit });
            }
            self.blocks.push(block);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod tests;
