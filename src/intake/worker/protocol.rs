//! What crosses the pipe between the gateway and an intake worker: length-prefixed frames of
//! plain fields. The gateway writes a set-up frame (keys, readers, limits) and one request (a raw
//! message); the worker writes one answer. Plaintext only ever crosses this pipe, never a file.
//!
//! A frame is an 8-byte little-endian length and that many bytes. The gateway reads the
//! worker's frame as untrusted input: its length is bounded before anything is allocated.

use std::io::{Read, Write};

use chrono::NaiveDate;
use zeroize::Zeroizing;

use crate::config::Limits;
use crate::contact::NoContact;
use crate::intake::process::{IntakeContact, Rejection, SealedAttachment, SealedCase};
use crate::openpgp::KeyringParts;
use crate::split::SignatureLabel;
use crate::vault::ShredKey;
use crate::vault::StoredBlob;

/// Bumped when a frame's layout changes: a worker of another build refuses the set-up.
const VERSION: u64 = 3;

/// A frame that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The pipe failed or closed early.
    #[error("the worker pipe failed: {0}")]
    Io(#[from] std::io::Error),
    /// A length over the bound.
    #[error("a worker frame of {len} bytes is over the bound of {max} bytes")]
    TooLong {
        /// Announced length.
        len: u64,
        /// Bound.
        max: u64,
    },
    /// Fields that do not fit the layout.
    #[error("a worker frame is malformed ({0})")]
    Malformed(&'static str),
}

/// What a worker needs before its message: keys to open it, readers to seal to, the limits.
pub struct Setup {
    /// The intake keyring, unlocked.
    pub keyring: KeyringParts,
    /// Handlers' certificates (the report is sealed to them).
    pub handlers: Vec<Vec<u8>>,
    /// Custodians' certificates (the identity record is sealed to them).
    pub custodians: Vec<Vec<u8>>,
    /// Per-message limits.
    pub limits: Limits,
    /// The reply-address pattern (`[contact]` is configured): keep each report's reply route
    /// and find the reply token it was addressed to.
    pub reply_pattern: Option<String>,
}

/// One message to decide. Borrowed: the raw message is written to the pipe from where it
/// lies and read back in place, never copied into a frame of its own.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The case's shred key (the worker seals under it).
    pub shred_key: &'a [u8; 32],
    /// Day of arrival.
    pub received_at: NaiveDate,
    /// The raw message.
    pub raw: &'a [u8],
}

/// A worker's verdict.
pub enum Answer {
    /// File this case.
    File(SealedCase),
    /// Quarantine the raw message.
    Quarantine(Rejection),
    /// Sealing failed for a reason that is not the message's (no readers): the gateway stops.
    Failed(String),
}

/// A worker's answer and what it cost.
pub struct Reply {
    /// The verdict.
    pub answer: Answer,
    /// The worker's peak resident set, in KiB (from its own /proc/self/status).
    pub peak_rss_kib: u64,
}

// ---- fields ----

#[derive(Default)]
struct Enc(Zeroizing<Vec<u8>>);

impl Enc {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn usize(&mut self, v: usize) {
        self.u64(u64::try_from(v).unwrap_or(u64::MAX));
    }
    fn bytes(&mut self, b: &[u8]) {
        self.usize(b.len());
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Enc, &T)) {
        self.usize(items.len());
        for item in items {
            each(self, item);
        }
    }
    fn blob(&mut self, b: &StoredBlob) {
        self.bytes(&b.pkesks);
        self.bytes(&b.body);
    }
}

struct Dec<'a>(&'a [u8]);

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        if n > self.0.len() {
            return Err(ProtocolError::Malformed("a field runs past the frame"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u64(&mut self) -> Result<u64, ProtocolError> {
        let b: [u8; 8] = self
            .take(8)?
            .try_into()
            .map_err(|_| ProtocolError::Malformed("a number"))?;
        Ok(u64::from_le_bytes(b))
    }
    fn usize(&mut self) -> Result<usize, ProtocolError> {
        usize::try_from(self.u64()?).map_err(|_| ProtocolError::Malformed("a size"))
    }
    fn bytes(&mut self) -> Result<&'a [u8], ProtocolError> {
        let n = self.usize()?;
        self.take(n)
    }
    fn string(&mut self) -> Result<String, ProtocolError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| ProtocolError::Malformed("text"))
    }
    fn list<T>(
        &mut self,
        mut each: impl FnMut(&mut Dec<'a>) -> Result<T, ProtocolError>,
    ) -> Result<Vec<T>, ProtocolError> {
        let n = self.usize()?;
        // Each item takes at least 8 bytes: a count past that is a lie, not an allocation.
        if n > self.0.len() / 8 {
            return Err(ProtocolError::Malformed("a list count"));
        }
        (0..n).map(|_| each(self)).collect()
    }
    fn blob(&mut self) -> Result<StoredBlob, ProtocolError> {
        Ok(StoredBlob {
            pkesks: self.bytes()?.to_vec(),
            body: self.bytes()?.to_vec(),
        })
    }
    fn end(&self) -> Result<(), ProtocolError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ProtocolError::Malformed("bytes after the last field"))
        }
    }
}

// ---- frames ----

impl Setup {
    /// The set-up frame's payload.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut e = Enc::default();
        e.u64(VERSION);
        e.list(&self.keyring.certs, |e, c| e.bytes(c));
        e.list(&self.keyring.retired, |e, (id, fpr)| {
            e.str(id);
            e.str(fpr);
        });
        e.list(&self.keyring.trusted_signers, |e, c| e.bytes(c));
        e.list(&self.handlers, |e, c| e.bytes(c));
        e.list(&self.custodians, |e, c| e.bytes(c));
        let l = &self.limits;
        for v in [
            l.max_message_bytes,
            l.max_plaintext_bytes,
            l.max_header_bytes,
            l.max_mime_depth,
            l.max_mime_parts,
            l.max_attempts,
            l.worker_memory_bytes,
        ] {
            e.usize(v);
        }
        e.u64(u64::try_from(l.message_timeout.as_millis()).unwrap_or(u64::MAX));
        match &self.reply_pattern {
            Some(p) => {
                e.u64(1);
                e.str(p);
            }
            None => e.u64(0),
        }
        e.0
    }

    /// Reads a set-up payload.
    pub fn decode(payload: &[u8]) -> Result<Setup, ProtocolError> {
        let mut d = Dec(payload);
        if d.u64()? != VERSION {
            return Err(ProtocolError::Malformed(
                "another protocol version (gateway and worker binaries differ)",
            ));
        }
        let certs = d.list(|d| Ok(Zeroizing::new(d.bytes()?.to_vec())))?;
        let retired = d.list(|d| Ok((d.string()?, d.string()?)))?;
        let trusted_signers = d.list(|d| Ok(d.bytes()?.to_vec()))?;
        let handlers = d.list(|d| Ok(d.bytes()?.to_vec()))?;
        let custodians = d.list(|d| Ok(d.bytes()?.to_vec()))?;
        let limits = Limits {
            max_message_bytes: d.usize()?,
            max_plaintext_bytes: d.usize()?,
            max_header_bytes: d.usize()?,
            max_mime_depth: d.usize()?,
            max_mime_parts: d.usize()?,
            max_attempts: d.usize()?,
            worker_memory_bytes: d.usize()?,
            message_timeout: std::time::Duration::from_millis(d.u64()?),
        };
        let reply_pattern = match d.u64()? {
            0 => None,
            1 => Some(d.string()?),
            _ => return Err(ProtocolError::Malformed("a reply pattern's presence")),
        };
        d.end()?;
        Ok(Setup {
            keyring: KeyringParts {
                certs,
                retired,
                trusted_signers,
            },
            handlers,
            custodians,
            limits,
            reply_pattern,
        })
    }
}

impl<'a> Request<'a> {
    /// Every field but the raw message's bytes (its length ends the head).
    fn head(&self) -> Zeroizing<Vec<u8>> {
        let mut e = Enc::default();
        e.bytes(self.shred_key);
        e.str(&self.received_at.format("%Y-%m-%d").to_string());
        e.usize(self.raw.len());
        e.0
    }

    /// The whole payload in one buffer (tests, small messages).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut payload = self.head();
        payload.extend_from_slice(self.raw);
        payload
    }

    /// Reads a request payload, borrowing from it.
    pub fn decode(payload: &'a [u8]) -> Result<Request<'a>, ProtocolError> {
        let mut d = Dec(payload);
        let shred_key: &[u8; 32] = d
            .bytes()?
            .try_into()
            .map_err(|_| ProtocolError::Malformed("a shred key"))?;
        let received_at = NaiveDate::parse_from_str(&d.string()?, "%Y-%m-%d")
            .map_err(|_| ProtocolError::Malformed("a date"))?;
        let raw = d.bytes()?;
        d.end()?;
        Ok(Request {
            shred_key,
            received_at,
            raw,
        })
    }
}

impl Reply {
    /// The answer frame's payload.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut e = Enc::default();
        match &self.answer {
            Answer::File(case) => {
                e.u64(1);
                e.u64(u64::from(case.encrypted));
                e.str(case.signature.as_str());
                e.list(&case.flags, |e, f| e.str(f));
                e.blob(&case.report);
                e.blob(&case.identity);
                e.list(&case.attachments, |e, a| {
                    e.u64(u64::from(a.index));
                    e.bytes(a.shred.expose());
                    e.blob(&a.cleaned);
                    match &a.original {
                        Some(o) => {
                            e.u64(1);
                            e.blob(o);
                        }
                        None => e.u64(0),
                    }
                });
                match &case.contact {
                    None => e.u64(0),
                    Some(IntakeContact::Reachable {
                        key,
                        record,
                        encrypted,
                    }) => {
                        e.u64(1);
                        e.bytes(key.expose());
                        e.bytes(record);
                        e.u64(u64::from(*encrypted));
                    }
                    Some(IntakeContact::Unreachable(why)) => {
                        e.u64(2);
                        e.str(why.code());
                    }
                }
                match &case.reply_token {
                    Some(t) => {
                        e.u64(1);
                        e.str(t);
                    }
                    None => e.u64(0),
                }
            }
            Answer::Quarantine(r) => {
                e.u64(2);
                e.str(&r.code);
                e.str(&r.detail);
            }
            Answer::Failed(why) => {
                e.u64(3);
                e.str(why);
            }
        }
        e.u64(self.peak_rss_kib);
        e.0
    }

    /// Reads an answer payload (untrusted: from the process that handled the message).
    pub fn decode(payload: &[u8]) -> Result<Reply, ProtocolError> {
        let mut d = Dec(payload);
        let answer = match d.u64()? {
            1 => Answer::File(SealedCase {
                encrypted: d.u64()? != 0,
                signature: SignatureLabel::parse(&d.string()?)
                    .ok_or(ProtocolError::Malformed("a signature label"))?,
                flags: d.list(|d| d.string())?,
                report: d.blob()?,
                identity: d.blob()?,
                attachments: d.list(|d| {
                    Ok(SealedAttachment {
                        index: u32::try_from(d.u64()?)
                            .map_err(|_| ProtocolError::Malformed("an attachment index"))?,
                        shred: ShredKey::from_bytes(d.bytes()?)
                            .ok_or(ProtocolError::Malformed("an attachment's shred key"))?,
                        cleaned: d.blob()?,
                        original: match d.u64()? {
                            0 => None,
                            1 => Some(d.blob()?),
                            _ => return Err(ProtocolError::Malformed("an original's presence")),
                        },
                    })
                })?,
                contact: match d.u64()? {
                    0 => None,
                    1 => Some(IntakeContact::Reachable {
                        key: ShredKey::from_bytes(d.bytes()?)
                            .ok_or(ProtocolError::Malformed("a contact key"))?,
                        record: d.bytes()?.to_vec(),
                        encrypted: d.u64()? != 0,
                    }),
                    2 => Some(IntakeContact::Unreachable(
                        NoContact::parse(&d.string()?)
                            .ok_or(ProtocolError::Malformed("a no-contact code"))?,
                    )),
                    _ => return Err(ProtocolError::Malformed("a contact's presence")),
                },
                reply_token: match d.u64()? {
                    0 => None,
                    1 => Some(d.string()?),
                    _ => return Err(ProtocolError::Malformed("a reply token's presence")),
                },
            }),
            2 => Answer::Quarantine(Rejection {
                code: d.string()?,
                detail: d.string()?,
            }),
            3 => Answer::Failed(d.string()?),
            _ => return Err(ProtocolError::Malformed("an answer kind")),
        };
        let peak_rss_kib = d.u64()?;
        d.end()?;
        Ok(Reply {
            answer,
            peak_rss_kib,
        })
    }
}

/// Writes one frame.
pub fn write_frame(out: &mut impl Write, payload: &[u8]) -> Result<(), ProtocolError> {
    out.write_all(
        &u64::try_from(payload.len())
            .unwrap_or(u64::MAX)
            .to_le_bytes(),
    )?;
    out.write_all(payload)?;
    out.flush()?;
    Ok(())
}

/// Reads one frame of at most `max` bytes, or `None` when the pipe closes before a frame
/// starts (the gateway has no more messages).
pub fn read_frame_or_end(
    input: &mut impl Read,
    max: u64,
) -> Result<Option<Zeroizing<Vec<u8>>>, ProtocolError> {
    let mut first = [0u8; 1];
    loop {
        match input.read(&mut first) {
            Ok(0) => return Ok(None),
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    read_frame(&mut first.as_slice().chain(input), max).map(Some)
}

/// Reads one frame of at most `max` bytes.
pub fn read_frame(input: &mut impl Read, max: u64) -> Result<Zeroizing<Vec<u8>>, ProtocolError> {
    let mut len = [0u8; 8];
    input.read_exact(&mut len)?;
    let len = u64::from_le_bytes(len);
    if len > max {
        return Err(ProtocolError::TooLong { len, max });
    }
    // The worker reads the gateway's frames: the length is trusted once bounded, and reserving
    // it exactly spares the doubling growth (a 25 MiB message would take 32 MiB).
    let mut payload = Zeroizing::new(Vec::with_capacity(usize::try_from(len).unwrap_or(0)));
    input.take(len).read_to_end(&mut payload)?;
    if u64::try_from(payload.len()).unwrap_or(u64::MAX) != len {
        return Err(ProtocolError::Malformed("the frame ended early"));
    }
    Ok(payload)
}

/// Async counterparts for the gateway's side of the pipe.
pub mod tokio_io {
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use zeroize::Zeroizing;

    use super::ProtocolError;

    /// Writes one frame.
    pub async fn write_frame(
        out: &mut (impl AsyncWrite + Unpin),
        payload: &[u8],
    ) -> Result<(), ProtocolError> {
        out.write_all(
            &u64::try_from(payload.len())
                .unwrap_or(u64::MAX)
                .to_le_bytes(),
        )
        .await?;
        out.write_all(payload).await?;
        out.flush().await?;
        Ok(())
    }

    /// Writes a request frame without copying the raw message.
    pub async fn write_request(
        out: &mut (impl AsyncWrite + Unpin),
        request: &super::Request<'_>,
    ) -> Result<(), ProtocolError> {
        let head = request.head();
        let len = head.len().saturating_add(request.raw.len());
        out.write_all(&u64::try_from(len).unwrap_or(u64::MAX).to_le_bytes())
            .await?;
        out.write_all(&head).await?;
        out.write_all(request.raw).await?;
        out.flush().await?;
        Ok(())
    }

    /// Reads one frame of at most `max` bytes.
    pub async fn read_frame(
        input: &mut (impl AsyncRead + Unpin),
        max: u64,
    ) -> Result<Zeroizing<Vec<u8>>, ProtocolError> {
        let len = input.read_u64_le().await?;
        if len > max {
            return Err(ProtocolError::TooLong { len, max });
        }
        // Grown as bytes arrive: a worker's lying length allocates nothing it did not send.
        let mut payload = Zeroizing::new(Vec::new());
        input.take(len).read_to_end(&mut payload).await?;
        if u64::try_from(payload.len()).unwrap_or(u64::MAX) != len {
            return Err(ProtocolError::Malformed("the frame ended early"));
        }
        Ok(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_plaintext_bytes: 1234,
            worker_memory_bytes: 99 << 20,
            ..Limits::default()
        }
    }

    #[test]
    fn frames_round_trip_every_field() {
        let setup = Setup {
            keyring: KeyringParts {
                certs: vec![Zeroizing::new(b"tsk".to_vec())],
                retired: vec![("AABB".into(), "CCDD".into())],
                trusted_signers: vec![b"signer".to_vec()],
            },
            handlers: vec![b"h1".to_vec(), b"h2".to_vec()],
            custodians: vec![b"c1".to_vec()],
            limits: limits(),
            reply_pattern: Some("z+{token}@example.org".into()),
        };
        let back = Setup::decode(&setup.encode()).unwrap();
        assert_eq!(back.keyring.certs[0].as_slice(), b"tsk");
        assert_eq!(back.keyring.retired, setup.keyring.retired);
        assert_eq!(back.handlers, setup.handlers);
        assert_eq!(back.custodians, setup.custodians);
        assert_eq!(back.limits.max_plaintext_bytes, 1234);
        assert_eq!(back.limits.worker_memory_bytes, 99 << 20);
        assert_eq!(back.limits.message_timeout, limits().message_timeout);
        assert_eq!(back.reply_pattern.as_deref(), Some("z+{token}@example.org"));

        let key = [7; 32];
        let request = Request {
            shred_key: &key,
            received_at: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            raw: b"Subject: x\r\n\r\nbody",
        };
        let payload = request.encode();
        let back = Request::decode(&payload).unwrap();
        assert_eq!(*back.shred_key, [7; 32]);
        assert_eq!(back.received_at, request.received_at);
        assert_eq!(back.raw, request.raw);

        let reply = Reply {
            answer: Answer::File(SealedCase {
                encrypted: true,
                signature: SignatureLabel::UnknownSigner,
                flags: vec!["weak-encryption".into()],
                report: StoredBlob {
                    pkesks: vec![1, 2],
                    body: vec![3],
                },
                identity: StoredBlob {
                    pkesks: vec![4],
                    body: vec![5, 6],
                },
                attachments: vec![
                    SealedAttachment {
                        index: 1,
                        shred: ShredKey::from_bytes(&[9; 32]).unwrap(),
                        cleaned: StoredBlob {
                            pkesks: vec![7],
                            body: vec![8],
                        },
                        original: Some(StoredBlob {
                            pkesks: vec![10],
                            body: vec![11],
                        }),
                    },
                    SealedAttachment {
                        index: 2,
                        shred: ShredKey::from_bytes(&[12; 32]).unwrap(),
                        cleaned: StoredBlob {
                            pkesks: vec![13],
                            body: vec![14],
                        },
                        original: None,
                    },
                ],
                contact: Some(IntakeContact::Reachable {
                    key: ShredKey::from_bytes(&[15; 32]).unwrap(),
                    record: vec![16, 17],
                    encrypted: true,
                }),
                reply_token: Some("abc".into()),
            }),
            peak_rss_kib: 4096,
        };
        let back = Reply::decode(&reply.encode()).unwrap();
        let Answer::File(case) = back.answer else {
            panic!("not a case")
        };
        assert!(case.encrypted);
        assert_eq!(case.signature, SignatureLabel::UnknownSigner);
        assert_eq!(case.flags, vec!["weak-encryption".to_owned()]);
        assert_eq!(case.report.body, vec![3]);
        assert_eq!(case.identity.pkesks, vec![4]);
        let [first, second] = case.attachments.as_slice() else {
            panic!("two attachments expected")
        };
        assert_eq!((first.index, second.index), (1, 2));
        assert_eq!(first.shred.expose(), &[9; 32]);
        assert_eq!(first.original.as_ref().unwrap().body, vec![11]);
        assert_eq!(second.cleaned.pkesks, vec![13]);
        assert!(second.original.is_none());
        let Some(IntakeContact::Reachable {
            key,
            record,
            encrypted: true,
        }) = &case.contact
        else {
            panic!("the contact did not come back")
        };
        assert_eq!(
            (key.expose(), record.as_slice()),
            (&[15; 32], &[16, 17][..])
        );
        assert_eq!(case.reply_token.as_deref(), Some("abc"));
        assert_eq!(back.peak_rss_kib, 4096);
    }

    #[test]
    fn a_lying_or_truncated_answer_is_an_error_not_an_allocation() {
        // A count of 2^60 list items in a 30-byte frame.
        let mut e = Enc::default();
        e.u64(1);
        e.u64(1);
        e.str("unsigned");
        e.u64(1 << 60);
        assert!(matches!(
            Reply::decode(&e.0),
            Err(ProtocolError::Malformed(_))
        ));
        // A frame longer than the bound is refused before its payload is read.
        let mut frame = Vec::new();
        frame.extend_from_slice(&(u64::MAX).to_le_bytes());
        assert!(matches!(
            read_frame(&mut frame.as_slice(), 1 << 20),
            Err(ProtocolError::TooLong { .. })
        ));
        // A frame that promises more than it carries.
        let mut short = Vec::new();
        short.extend_from_slice(&100u64.to_le_bytes());
        short.extend_from_slice(b"abc");
        assert!(read_frame(&mut short.as_slice(), 1 << 20).is_err());
        // Trailing bytes after a valid answer.
        let mut q = Reply {
            answer: Answer::Quarantine(Rejection {
                code: "c".into(),
                detail: "d".into(),
            }),
            peak_rss_kib: 1,
        }
        .encode();
        q.push(0);
        assert!(Reply::decode(&q).is_err());
    }
}
