//! The contact record: the reply address and the reporter's key, sealed under the case's own
//! contact key (XChaCha20-Poly1305), and the texts queued for them under the same key.
//!
//! This is the one thing the gateway can read back after filing, and only while it keeps the
//! contact key: a host must know an address to send mail to it. The key is destroyed when the
//! case's follow-up ends or contact is withdrawn; the address then exists only in the identity
//! record, sealed to custodians.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::vault::ShredKey;

const NONCE_LEN: usize = 24;
const CONTACT_AAD: &[u8] = b"sygnal/contact/v1";
const TEXT_AAD: &[u8] = b"sygnal/outgoing-text/v1";

/// What the contact record holds.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct SealedContact {
    /// The reply address.
    pub to: String,
    /// The reporter's key (binary OpenPGP), when known.
    pub cert: Option<Vec<u8>>,
}

impl std::fmt::Debug for SealedContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedContact(<redacted>, key: {})", self.cert.is_some())
    }
}

fn seal_bytes(key: &ShredKey, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let mut out = nonce.to_vec();
    // Encryption with a fresh nonce and a valid key cannot fail; an empty result would not
    // authenticate and is refused on opening.
    out.extend(
        cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .unwrap_or_default(),
    );
    out
}

fn open_bytes(key: &ShredKey, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.expose().into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .ok()
        .map(Zeroizing::new)
}

/// Seals a contact record under `key`.
pub fn seal_contact(key: &ShredKey, contact: &SealedContact) -> Vec<u8> {
    let json = Zeroizing::new(serde_json::to_vec(contact).unwrap_or_default());
    seal_bytes(key, CONTACT_AAD, &json)
}

/// Opens a contact record; None when it does not authenticate under `key`.
pub fn open_contact(key: &ShredKey, sealed: &[u8]) -> Option<SealedContact> {
    let json = open_bytes(key, CONTACT_AAD, sealed)?;
    serde_json::from_slice(&json).ok()
}

/// Seals a text queued for sending (a handler's reply) under the case's contact key.
pub fn seal_text(key: &ShredKey, text: &str) -> Vec<u8> {
    seal_bytes(key, TEXT_AAD, text.as_bytes())
}

/// Opens a queued text.
pub fn open_text(key: &ShredKey, sealed: &[u8]) -> Option<Zeroizing<String>> {
    let bytes = open_bytes(key, TEXT_AAD, sealed)?;
    std::str::from_utf8(&bytes)
        .ok()
        .map(|s| Zeroizing::new(s.to_owned()))
}
