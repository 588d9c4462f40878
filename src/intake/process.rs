//! The per-message decision, without IO: raw bytes in, a sealed case or a sealed quarantine entry
//! out. Runs in an intake worker process (`intake::worker`).

use chrono::NaiveDate;
use sequoia_openpgp::Cert;
use zeroize::Zeroizing;

use crate::config::Limits;
use crate::contact::{self, NoContact, ReplyPattern, SealedContact};
use crate::failpoint;
use crate::mail::content::{self, Attachment, Content};
use crate::mail::envelope::{self, Envelope, InlineKind};
use crate::mail::limits::MailLimits;
use crate::mail::sanitize::SafeName;
use crate::mail::{self};
use crate::openpgp::{self, IntakeKeyring, OpenLimits, Opened, SignatureStatus};
use crate::readers::Readers;
use crate::split::{self, PgpTraces, SignatureLabel, Split};
use crate::vault::{self, BlobKind, ShredKey, StoredBlob, VaultError};

/// A case ready to be filed.
pub struct SealedCase {
    /// Arrived encrypted.
    pub encrypted: bool,
    /// What the signatures say.
    pub signature: SignatureLabel,
    /// Why decryption needed the decryption-only policy (codes).
    pub flags: Vec<String>,
    /// The report, sealed to handlers.
    pub report: StoredBlob,
    /// The identity record, sealed to custodians.
    pub identity: StoredBlob,
    /// Each attachment sealed apart under its own shred key.
    pub attachments: Vec<SealedAttachment>,
    /// Where mail to the reporter may go (None: contact is off, nothing was kept).
    pub contact: Option<IntakeContact>,
    /// The reply token the message was addressed to: it may answer that case.
    pub reply_token: Option<String>,
}

/// What intake keeps for talking with the reporter.
pub enum IntakeContact {
    /// An address (and maybe their key), sealed under a contact key of its own that the
    /// gateway keeps while contact is needed.
    Reachable {
        /// The contact key (made by the worker; stored by the gateway before filing).
        key: ShredKey,
        /// The sealed record ([`contact::SealedContact`]).
        record: Vec<u8>,
        /// The reporter's key is known: mail to them is encrypted.
        encrypted: bool,
    },
    /// Nothing may be sent automatically, and why.
    Unreachable(NoContact),
}

/// The contact record of a split message: the reply route sealed under a new contact key, or
/// why there is none.
fn intake_contact(identity: &split::SenderIdentity) -> IntakeContact {
    match contact::reply_route(identity) {
        Ok(route) => {
            let key = ShredKey::generate();
            let encrypted = route.cert.is_some();
            let record = contact::seal_contact(
                &key,
                &SealedContact {
                    to: route.to.to_string(),
                    cert: route.cert,
                },
            );
            IntakeContact::Reachable {
                key,
                record,
                encrypted,
            }
        }
        Err(no) => IntakeContact::Unreachable(no),
    }
}

/// One attachment sealed apart: destroying its key destroys both copies and nothing else.
pub struct SealedAttachment {
    /// Position in the report's list, from 1.
    pub index: u32,
    /// Its own shred key (made by the worker; stored by the gateway before filing).
    pub shred: ShredKey,
    /// The cleaned copy, for the report's readers.
    pub cleaned: StoredBlob,
    /// The copy as it arrived, for custodians, when cleaning changed it.
    pub original: Option<StoredBlob>,
}

/// Why a message could not become a case. Codes are stable; details carry no content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Stable reason code, e.g. `openpgp-integrity`.
    pub code: String,
    /// Human detail: counts, sizes, key fingerprints of our own keys. Never content.
    pub detail: String,
}

impl Rejection {
    fn from_open(e: &openpgp::OpenError, keyring: &IntakeKeyring) -> Rejection {
        use openpgp::OpenError as E;
        if let E::NoMatchingKey { recipients } = e {
            if let Some(fpr) = recipients.iter().find_map(|r| keyring.retired_key(r)) {
                return Rejection {
                    code: "openpgp-retired-key".to_owned(),
                    detail: format!(
                        "encrypted to the retired intake key {fpr}, whose secret part was destroyed; ask the reporter to use the current key"
                    ),
                };
            }
        }
        let detail = match e {
            E::NoMatchingKey { recipients } => format!(
                "encrypted to {} key(s), none of them a current or earlier intake key",
                recipients.len()
            ),
            E::Integrity => "the ciphertext failed its integrity check (modified or truncated); no plaintext was used".to_owned(),
            E::TooLarge { limit } => format!("the decrypted message exceeds the limit of {limit} bytes"),
            other => other.to_string(),
        };
        Rejection {
            code: e.code().to_owned(),
            detail,
        }
    }

    fn from_mail(e: &mail::MailError) -> Rejection {
        Rejection {
            code: e.code().to_owned(),
            detail: e.to_string(),
        }
    }
}

/// What became of a message.
pub enum Decision {
    /// File a case.
    File(SealedCase),
    /// Keep the raw message in quarantine.
    Quarantine(Rejection),
}

/// Limits for the mail stage.
pub fn mail_limits(limits: &Limits) -> MailLimits {
    MailLimits {
        max_header_bytes: limits.max_header_bytes,
        max_depth: limits.max_mime_depth,
        max_parts: limits.max_mime_parts,
        ..MailLimits::default()
    }
}

/// Opens, parses and splits a raw message, then seals both halves; with `contact`, also the
/// reply route.
pub fn decide(
    raw: &[u8],
    keyring: &IntakeKeyring,
    readers: &Readers,
    limits: &Limits,
    shred: &ShredKey,
    received_at: NaiveDate,
    contact: Option<&ReplyPattern>,
) -> Result<Decision, VaultError> {
    let mut split = match open_and_split(raw, keyring, limits, received_at) {
        Ok(split) => split,
        Err(rejection) => return Ok(Decision::Quarantine(rejection)),
    };
    failpoint::hit("opened");
    let mut sealed = seal_split(&mut split, readers, shred)?;
    if let Some(pattern) = contact {
        sealed.contact = Some(intake_contact(&split.identity));
        sealed.reply_token =
            contact::reply_token(&split.identity, pattern).map(|t| t.as_str().to_owned());
    }
    failpoint::hit("sealed");
    Ok(Decision::File(sealed))
}

/// Seals the raw message for quarantine to the custodians only: it holds the sender's address,
/// the Received trail and the Message-ID, which a handler must never see (invariant 5). The
/// gateway cannot read it afterwards either.
pub fn seal_raw(raw: &[u8], readers: &Readers, shred: &ShredKey) -> Result<StoredBlob, VaultError> {
    if readers.custodians.is_empty() {
        return Err(VaultError::NoReaders("identity custodians"));
    }
    vault::seal(raw, &readers.custodians, shred, BlobKind::Quarantine)
}

/// Seals a split message: each attachment apart under its own new shred key (its data taken
/// out of the split and wiped), then the report and the identity under the case's.
pub fn seal_split(
    split: &mut Split,
    readers: &Readers,
    shred: &ShredKey,
) -> Result<SealedCase, VaultError> {
    if readers.handlers.is_empty() {
        return Err(VaultError::NoReaders("handlers"));
    }
    if readers.custodians.is_empty() {
        return Err(VaultError::NoReaders("identity custodians"));
    }
    let attachments = seal_attachments_apart(split, readers)?;
    Ok(SealedCase {
        attachments,
        contact: None,
        reply_token: None,
        encrypted: split.report.encrypted,
        signature: split.report.signature(),
        flags: split.report.decryption_flags.clone(),
        report: seal_json(&split.report, &readers.handlers, shred, BlobKind::Report)?,
        identity: seal_json(
            &split.identity,
            &readers.custodians,
            shred,
            BlobKind::Identity,
        )?,
    })
}

fn seal_attachments_apart(
    split: &mut Split,
    readers: &Readers,
) -> Result<Vec<SealedAttachment>, VaultError> {
    let mut sealed = Vec::with_capacity(split.report.attachments.len());
    for (i, attachment) in split.report.attachments.iter_mut().enumerate() {
        let index = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let key = ShredKey::generate();
        let cleaned = Zeroizing::new(std::mem::take(&mut attachment.data));
        attachment.apart = true;
        let cleaned = vault::seal(&cleaned, &readers.handlers, &key, BlobKind::Attachment)?;
        let original = match split
            .identity
            .original_attachments
            .iter_mut()
            .find(|o| o.index == i + 1)
        {
            Some(o) => {
                let data = Zeroizing::new(std::mem::take(&mut o.data));
                o.apart = true;
                Some(vault::seal(
                    &data,
                    &readers.custodians,
                    &key,
                    BlobKind::Original,
                )?)
            }
            None => None,
        };
        sealed.push(SealedAttachment {
            index,
            shred: key,
            cleaned,
            original,
        });
    }
    Ok(sealed)
}

/// Serializes a record straight into its sealing: the JSON (attachments in base64, the size of
/// the message and more) is never held in plaintext beside its sealed copy. Measured first, so
/// the sealed buffer is allocated once.
fn seal_json(
    value: &impl serde::Serialize,
    readers: &[Cert],
    shred: &ShredKey,
    kind: BlobKind,
) -> Result<StoredBlob, VaultError> {
    let mut size = ByteCount(0);
    serde_json::to_writer(&mut size, value).map_err(|_| {
        VaultError::Seal(crate::openpgp::SealError::Encrypt("serialize the record"))
    })?;
    vault::seal_with(readers, shred, kind, size.0, |w| {
        serde_json::to_writer(w, value).map_err(std::io::Error::other)
    })
}

/// A writer that only counts.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Opens and splits; any failure is a [`Rejection`] (quarantine), never a panic.
pub fn open_and_split(
    raw: &[u8],
    keyring: &IntakeKeyring,
    limits: &Limits,
    received_at: NaiveDate,
) -> Result<Split, Rejection> {
    let mail_limits = mail_limits(limits);
    let open_limits = OpenLimits {
        max_plaintext_bytes: limits.max_plaintext_bytes,
        ..OpenLimits::default()
    };
    let envelope = envelope::classify(raw, &mail_limits).map_err(|e| Rejection::from_mail(&e))?;
    // mail-parser accepts anything (a NUL followed by a word comes back as a header field);
    // a message without a single real `Name: value` header line is not mail.
    let outer = envelope.outer();
    if !outer
        .fields
        .iter()
        .any(|f| is_field_name(&f.name) && has_field_line(&outer.raw, &f.name))
    {
        return Err(Rejection::from_mail(&mail::MailError::Unparseable));
    }
    match envelope {
        Envelope::Plain { outer } => {
            let content =
                content::parse_content(raw, &mail_limits).map_err(|e| Rejection::from_mail(&e))?;
            Ok(split::split(
                &outer,
                content,
                PgpTraces::default(),
                Vec::new(),
                received_at,
            ))
        }
        Envelope::PgpMime {
            ciphertext,
            outer,
            unencrypted_parts,
            ..
        } => {
            let opened = open_verified(keyring, &ciphertext, &open_limits, &mail_limits)?;
            // Not needed once opened: a 25 MiB ciphertext is not kept beside its plaintext.
            drop(ciphertext);
            let content = content::parse_content(&opened.plaintext, &mail_limits)
                .map_err(|e| Rejection::from_mail(&e))?;
            let traces = traces(keyring, [&opened.meta]);
            Ok(split::split(
                &outer,
                content,
                traces,
                unencrypted_parts,
                received_at,
            ))
        }
        Envelope::InlinePgp {
            blocks,
            outer,
            unencrypted_parts,
        } => {
            let mut texts: Vec<Zeroizing<Vec<u8>>> = Vec::new();
            let mut attachments = Vec::new();
            let mut metas = Vec::new();
            // One plaintext budget for the whole message, shared by its blocks: each block may
            // only decrypt (and decompress) what the blocks before it left over.
            let mut left = open_limits.max_plaintext_bytes;
            for block in blocks {
                let block_limits = OpenLimits {
                    max_plaintext_bytes: left,
                    ..open_limits
                };
                let opened = openpgp::open(keyring, &block.ciphertext, &[], &block_limits)
                    .map_err(|e| match e {
                        openpgp::OpenError::TooLarge { .. } => Rejection {
                            code: e.code().to_owned(),
                            detail: format!(
                                "the decrypted blocks together exceed the limit of {} bytes",
                                open_limits.max_plaintext_bytes
                            ),
                        },
                        e => Rejection::from_open(&e, keyring),
                    })?;
                let Opened { plaintext, meta } = opened;
                left = left.saturating_sub(plaintext.len());
                match block.kind {
                    InlineKind::BodyText => texts.push(plaintext),
                    InlineKind::Attachment { name } => attachments.push(Attachment {
                        name: name.and_then(|n| without_pgp_suffix(n.as_str())),
                        content_type: "application/octet-stream".to_owned(),
                        data: plaintext,
                    }),
                }
                metas.push(meta);
            }
            // Decrypted blocks are joined only with each other, never with unencrypted text.
            let mut body = Zeroizing::new(Vec::new());
            for (i, t) in texts.iter().enumerate() {
                if i > 0 {
                    body.extend_from_slice(b"\n\n");
                }
                body.extend_from_slice(t);
            }
            let mut content: Content = content::content_from_text(body);
            content.attachments.extend(attachments);
            let traces = traces(keyring, metas.iter());
            Ok(split::split(
                &outer,
                content,
                traces,
                unencrypted_parts,
                received_at,
            ))
        }
    }
}

/// Decrypts, verifying signatures with the registered trusted signers; when a signature's key
/// is not among them but attached inside the message, decrypts again with it too so the
/// identity record says whose key it claims to be (a key inside the message proves nothing:
/// such a signature never makes the report "verified").
fn open_verified(
    keyring: &IntakeKeyring,
    ciphertext: &[u8],
    open_limits: &OpenLimits,
    mail_limits: &MailLimits,
) -> Result<Opened, Rejection> {
    let trusted = keyring.trusted_signers().to_vec();
    let first = openpgp::open(keyring, ciphertext, &trusted, open_limits)
        .map_err(|e| Rejection::from_open(&e, keyring))?;
    let unknown = first
        .meta
        .signatures
        .iter()
        .any(|s| s.status == SignatureStatus::UnknownKey);
    if !unknown {
        return Ok(first);
    }
    let Ok(content) = content::parse_content(&first.plaintext, mail_limits) else {
        return Ok(first);
    };
    let mut certs: Vec<Cert> = content
        .attached_keys
        .iter()
        .filter_map(|k| openpgp::parse_cert(k).ok())
        .collect();
    if certs.is_empty() {
        return Ok(first);
    }
    certs.extend(trusted);
    openpgp::open(keyring, ciphertext, &certs, open_limits)
        .map_err(|e| Rejection::from_open(&e, keyring))
}

fn traces<'a>(
    keyring: &IntakeKeyring,
    opened: impl IntoIterator<Item = &'a openpgp::PgpMetadata>,
) -> PgpTraces {
    let mut t = PgpTraces {
        encrypted: true,
        ..PgpTraces::default()
    };
    let mut pieces = 0;
    // Trusted only if every piece carries a good signature by a registered key and none is
    // bad: a signature over part of a message says nothing about the rest.
    let mut trusted_whole = true;
    for o in opened {
        pieces += 1;
        let trusted = |s: &openpgp::SignatureInfo| {
            s.status == SignatureStatus::Good && keyring.trusts_signer(&s.issuer)
        };
        let good = o.signatures.iter().any(trusted);
        let bad = o
            .signatures
            .iter()
            .any(|s| s.status == SignatureStatus::Bad);
        trusted_whole &= good && !bad;
        for s in &o.signatures {
            t.signatures.push((
                s.issuer.clone(),
                s.status == SignatureStatus::Good,
                trusted(s),
            ));
        }
        for r in &o.recipients {
            if !keyring.owns_key_id(r) && !t.foreign_recipients.contains(r) {
                t.foreign_recipients.push(r.clone());
            }
        }
        if t.literal_filename.is_none() {
            t.literal_filename = o.literal_filename.clone();
        }
        for flag in &o.legacy {
            if !t.legacy.iter().any(|f| f == flag) {
                t.legacy.push((*flag).to_owned());
            }
        }
        if t.literal_date.is_none() {
            t.literal_date = o.literal_date;
        }
    }
    t.signature = if pieces > 0 && trusted_whole {
        SignatureLabel::TrustedSigner
    } else if t.signatures.is_empty() {
        SignatureLabel::Unsigned
    } else {
        SignatureLabel::UnknownSigner
    };
    t
}

/// `report.pdf.gpg` → `report.pdf`: the name of an inline-encrypted attachment once opened.
fn without_pgp_suffix(name: &str) -> Option<SafeName> {
    let lower = name.to_ascii_lowercase();
    let stem = [".pgp", ".gpg", ".asc"]
        .iter()
        .find(|s| lower.ends_with(*s))
        .and_then(|s| name.get(..name.len() - s.len()))
        .unwrap_or(name);
    SafeName::new(stem)
}

/// Whether the raw header block has a line starting `name:` (RFC 5322 field syntax).
fn has_field_line(raw: &[u8], name: &str) -> bool {
    raw.split(|b| *b == b'\n').any(|line| {
        line.len() > name.len()
            && line.get(name.len()) == Some(&b':')
            && line
                .get(..name.len())
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    })
}

/// RFC 5322 field name: printable US-ASCII except colon.
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}
