//! Sealed storage: a record is OpenPGP-encrypted to its readers, and the encrypted body is wrapped
//! once more with a small per-case shred key.
//!
//! Readers change by re-wrapping the session key (only `pkesks` changes, the body stays); a case
//! is destroyed beyond recovery, backups included, by destroying its shred key. The gateway holds
//! shred keys and public certificates only, so it cannot read what it sealed (invariant 2).

use chacha20poly1305::aead::{Aead, AeadInPlace, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sequoia_openpgp::Cert;
use zeroize::Zeroizing;

use crate::openpgp;

#[cfg(test)]
mod vault_tests;

/// A sealed record as stored: PKESK packets (one per reader key) and the shred-wrapped SEIPD packet.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// Serialized PKESK packets.
    pub pkesks: Vec<u8>,
    /// `nonce || XChaCha20-Poly1305(shred key, SEIPD packet)`.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for StoredBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "StoredBlob(<{} bytes pkesks, {} bytes body>)",
            self.pkesks.len(),
            self.body.len()
        )
    }
}

/// A 256-bit shred key. Destroying it destroys every blob of its case.
pub struct ShredKey(Zeroizing<[u8; 32]>);

impl ShredKey {
    /// A fresh random key.
    pub fn generate() -> ShredKey {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(k.as_mut());
        ShredKey(k)
    }

    /// From stored bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<ShredKey> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(ShredKey(Zeroizing::new(arr)))
    }

    /// The key bytes, for the key store only.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for ShredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShredKey(<redacted>)")
    }
}

/// What a blob is: bound into the shred layer so blobs cannot be swapped between roles.
#[derive(Debug, Clone, Copy)]
pub enum BlobKind {
    /// The report, for handlers.
    Report,
    /// The identity record, for custodians.
    Identity,
    /// A quarantined raw message, for custodians.
    Quarantine,
    /// A handler's note or follow-up action note, for handlers (and custodians).
    Note,
    /// Free text of an identity event (an unseal reason; a disclosure's recipient, legal basis
    /// and reason), for custodians.
    Detail,
    /// A report's attachment as cleaned, for handlers (and custodians), under its own shred key
    /// so that it can be destroyed alone.
    Attachment,
    /// The same attachment as it arrived (evidence), for custodians, under the same key.
    Original,
}

impl BlobKind {
    fn aad(self) -> &'static [u8] {
        match self {
            BlobKind::Report => b"sygnal/report/v1",
            BlobKind::Identity => b"sygnal/identity/v1",
            BlobKind::Quarantine => b"sygnal/quarantine/v1",
            BlobKind::Note => b"sygnal/note/v1",
            BlobKind::Detail => b"sygnal/detail/v1",
            BlobKind::Attachment => b"sygnal/attachment/v1",
            BlobKind::Original => b"sygnal/original/v1",
        }
    }
}

/// Sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// OpenPGP sealing failed (e.g. no usable reader key).
    #[error("sealing failed: {0}")]
    Seal(#[from] openpgp::SealError),
    /// OpenPGP opening failed.
    #[error(transparent)]
    Unseal(#[from] openpgp::UnsealError),
    /// The shred layer did not authenticate: wrong shred key, or the blob was altered.
    #[error("the sealed record does not authenticate under its shred key (altered, or the key was destroyed)")]
    ShredLayer,
    /// No readers to seal to.
    #[error("no {0} to seal to: add one with `sygnal handlers add`")]
    NoReaders(&'static str),
    /// Re-wrapping to new readers failed.
    #[error(transparent)]
    Rewrap(#[from] openpgp::RewrapError),
}

const NONCE_LEN: usize = 24;
/// Poly1305 tag length.
const TAG_LEN: usize = 16;

/// Seals `plaintext` to `readers` and wraps the body with `shred`.
pub fn seal(
    plaintext: &[u8],
    readers: &[Cert],
    shred: &ShredKey,
    kind: BlobKind,
) -> Result<StoredBlob, VaultError> {
    seal_with(readers, shred, kind, plaintext.len(), |w| {
        w.write_all(plaintext)
    })
}

/// Like [`seal`], with the plaintext (about `size` bytes) written by `write` straight into the
/// encryption, never held whole in plaintext.
pub fn seal_with(
    readers: &[Cert],
    shred: &ShredKey,
    kind: BlobKind,
    size: usize,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<StoredBlob, VaultError> {
    let sealed = openpgp::seal_with(readers, size, write)?;
    Ok(StoredBlob {
        pkesks: sealed.pkesks,
        body: wrap_body(sealed.body, shred, kind)?,
    })
}

/// `nonce || XChaCha20-Poly1305(shred, seipd) || tag`, encrypted in place: a 25 MiB body is
/// held twice at most.
fn wrap_body(seipd: Vec<u8>, shred: &ShredKey, kind: BlobKind) -> Result<Vec<u8>, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(shred.expose().into());
    let mut body = Vec::with_capacity(NONCE_LEN + seipd.len() + TAG_LEN);
    body.extend_from_slice(&nonce);
    body.extend_from_slice(&seipd);
    drop(seipd);
    let tag = cipher
        .encrypt_in_place_detached(
            XNonce::from_slice(&nonce),
            kind.aad(),
            body.get_mut(NONCE_LEN..).unwrap_or_default(),
        )
        .map_err(|_| VaultError::ShredLayer)?;
    body.extend_from_slice(&tag);
    Ok(body)
}

/// The same record under another shred key: only the shred layer changes (no reader key is
/// needed, nothing is decrypted to plaintext). Destroying `old` afterwards makes every copy
/// wrapped with it (a register backup) unreadable, while this one still opens.
pub fn reshred(
    stored: &StoredBlob,
    old: &ShredKey,
    new: &ShredKey,
    kind: BlobKind,
) -> Result<StoredBlob, VaultError> {
    let seipd = unwrap_body(stored, old, kind)?;
    Ok(StoredBlob {
        pkesks: stored.pkesks.clone(),
        body: wrap_body(seipd, new, kind)?,
    })
}

/// Removes the shred layer, giving the plain OpenPGP message (PKESKs + SEIPD), which any
/// OpenPGP implementation (e.g. `gpg --decrypt`) opens with a reader's secret key.
pub fn openpgp_message(
    stored: &StoredBlob,
    shred: &ShredKey,
    kind: BlobKind,
) -> Result<Vec<u8>, VaultError> {
    let seipd = unwrap_body(stored, shred, kind)?;
    Ok(openpgp::message_bytes(&openpgp::SealedBlob {
        pkesks: stored.pkesks.clone(),
        body: seipd,
    }))
}

fn unwrap_body(
    stored: &StoredBlob,
    shred: &ShredKey,
    kind: BlobKind,
) -> Result<Vec<u8>, VaultError> {
    let (nonce, wrapped) = stored
        .body
        .split_at_checked(NONCE_LEN)
        .ok_or(VaultError::ShredLayer)?;
    let cipher = XChaCha20Poly1305::new(shred.expose().into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: wrapped,
                aad: kind.aad(),
            },
        )
        .map_err(|_| VaultError::ShredLayer)
}

/// Largest sealed record opened: a report's JSON with its base64 attachments, or an identity
/// record with the original attachments.
pub const MAX_RECORD_BYTES: usize = 512 * 1024 * 1024;

/// Opens a stored blob with a reader's secret key.
pub fn open(
    stored: &StoredBlob,
    shred: &ShredKey,
    kind: BlobKind,
    secret: &Cert,
    passphrase: Option<&secrecy::SecretString>,
    max_bytes: usize,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let seipd = unwrap_body(stored, shred, kind)?;
    let blob = openpgp::SealedBlob {
        pkesks: stored.pkesks.clone(),
        body: seipd,
    };
    Ok(openpgp::unseal(&blob, secret, passphrase, max_bytes)?)
}

/// New PKESKs for `readers`, from the session key that `keys` recover (checked against the
/// body). The body, and so the shred layer, stays as it is.
pub fn rewrap(
    stored: &StoredBlob,
    shred: &ShredKey,
    kind: BlobKind,
    keys: &mut openpgp::ReaderKeys,
    readers: &openpgp::RecipientKeys,
) -> Result<Vec<u8>, VaultError> {
    let seipd = unwrap_body(stored, shred, kind)?;
    Ok(openpgp::rewrap_to(&stored.pkesks, &seipd, keys, readers)?)
}
