//! Where an acknowledgement may go, decided from what the message says of its sender: one
//! address, taken from From (or a Reply-To in the same domain), never to automatic mail, a
//! null sender or a list. Anyone can forge From; the rules keep the gateway from being aimed at
//! third parties: at most one acknowledgement per case, holding nothing of the report, and a
//! limit per hour (the outbox's).

use std::str::FromStr;

use base64::Engine;
use lettre::Address;
use sequoia_openpgp::Cert;

use super::address::bare_address;
use super::{ReplyPattern, ReplyToken};
use crate::openpgp;
use crate::split::SenderIdentity;

/// Where mail to the reporter goes.
pub struct Route {
    /// The one address.
    pub to: Address,
    /// The reporter's key (OpenPGP, binary), from their Autocrypt header or a key they attached:
    /// mail to them is encrypted to it.
    pub cert: Option<Vec<u8>>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Route(<redacted>, key: {})", self.cert.is_some())
    }
}

/// Why nothing is sent to the sender automatically. Codes are stable and hold no address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoContact {
    /// No From address.
    NoAddress,
    /// Several From (or Reply-To) addresses: which one is the reporter's is unknown.
    SeveralAddresses,
    /// Auto-Submitted (an auto-reply, a notification): answering could loop.
    AutoSubmitted,
    /// Precedence bulk/list/junk, or a List-Id: mail from a list, not a person.
    Bulk,
    /// A null envelope sender (a bounce) or a mailer daemon.
    NullSender,
    /// Reply-To in another domain than From: the reply would go to someone else than the
    /// sender the server saw.
    ReplyToElsewhere,
}

impl NoContact {
    /// Every reason.
    pub const ALL: [NoContact; 6] = [
        NoContact::NoAddress,
        NoContact::SeveralAddresses,
        NoContact::AutoSubmitted,
        NoContact::Bulk,
        NoContact::NullSender,
        NoContact::ReplyToElsewhere,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            NoContact::NoAddress => "no-address",
            NoContact::SeveralAddresses => "several-addresses",
            NoContact::AutoSubmitted => "auto-submitted",
            NoContact::Bulk => "bulk-or-list",
            NoContact::NullSender => "null-sender",
            NoContact::ReplyToElsewhere => "reply-to-elsewhere",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<NoContact> {
        NoContact::ALL.into_iter().find(|n| n.code() == code)
    }

    /// The message that tells a handler why (`locales/*.ftl`).
    pub fn message_id(self) -> &'static str {
        match self {
            NoContact::NoAddress => "no-contact-no-address",
            NoContact::SeveralAddresses => "no-contact-several-addresses",
            NoContact::AutoSubmitted => "no-contact-auto-submitted",
            NoContact::Bulk => "no-contact-bulk",
            NoContact::NullSender => "no-contact-null-sender",
            NoContact::ReplyToElsewhere => "no-contact-reply-to-elsewhere",
        }
    }
}

/// The header value of `name` (first occurrence), trimmed.
fn header<'a>(identity: &'a SenderIdentity, name: &str) -> Option<&'a str> {
    identity
        .headers
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.value.trim())
}

/// Whether the raw header block has a `name:` line whose value is `<>` (or empty).
fn null_header(raw: &str, name: &str) -> bool {
    raw.lines().any(|line| {
        line.split_once(':').is_some_and(|(n, v)| {
            n.trim().eq_ignore_ascii_case(name) && matches!(v.trim(), "<>" | "")
        })
    })
}

/// Where mail to this sender may go, with their key when they gave one.
pub fn reply_route(identity: &SenderIdentity) -> Result<Route, NoContact> {
    if header(identity, "Auto-Submitted").is_some_and(|v| !v.eq_ignore_ascii_case("no")) {
        return Err(NoContact::AutoSubmitted);
    }
    if header(identity, "Precedence").is_some_and(|v| {
        ["bulk", "list", "junk"]
            .iter()
            .any(|p| v.eq_ignore_ascii_case(p))
    }) || header(identity, "List-Id").is_some()
    {
        return Err(NoContact::Bulk);
    }
    if null_header(&identity.raw_headers, "Return-Path") {
        return Err(NoContact::NullSender);
    }
    let from = one_address(&identity.from)?;
    let local = from.user().to_ascii_lowercase();
    if local == "mailer-daemon" || local == "postmaster" {
        return Err(NoContact::NullSender);
    }
    let to = match identity.reply_to.as_slice() {
        [] => from.clone(),
        _ => {
            let reply_to = one_address(&identity.reply_to)?;
            if !reply_to.domain().eq_ignore_ascii_case(from.domain()) {
                return Err(NoContact::ReplyToElsewhere);
            }
            reply_to
        }
    };
    let cert = autocrypt_key(identity, &from).or_else(|| attached_key(identity, &to));
    Ok(Route { to, cert })
}

/// The reply token of the first recipient address that fits `pattern` (To, Cc, or where the
/// server says it delivered: Delivered-To, X-Original-To), if the message answers a case.
pub fn reply_token(identity: &SenderIdentity, pattern: &ReplyPattern) -> Option<ReplyToken> {
    let delivered = identity
        .headers
        .iter()
        .filter(|f| {
            ["Delivered-To", "X-Original-To", "Envelope-To"]
                .iter()
                .any(|n| f.name.eq_ignore_ascii_case(n))
        })
        .flat_map(|f| f.value.split(','));
    identity
        .to
        .iter()
        .chain(identity.cc.iter())
        .map(String::as_str)
        .chain(delivered)
        .find_map(|a| pattern.token_in(a))
}

fn one_address(list: &[String]) -> Result<Address, NoContact> {
    match list {
        [] => Err(NoContact::NoAddress),
        [one] => Address::from_str(bare_address(one)).map_err(|_| NoContact::NoAddress),
        _ => Err(NoContact::SeveralAddresses),
    }
}

/// The key of an Autocrypt header whose `addr` is the From address (Autocrypt level 1: a
/// header for another address is ignored).
fn autocrypt_key(identity: &SenderIdentity, from: &Address) -> Option<Vec<u8>> {
    identity
        .autocrypt
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Autocrypt"))
        .find_map(|f| {
            let mut addr = None;
            let mut keydata = None;
            for attr in f.value.split(';') {
                let (k, v) = attr.split_once('=')?;
                match k.trim() {
                    "addr" => addr = Some(v.trim()),
                    "keydata" => keydata = Some(v),
                    // Unknown critical attributes make the header unusable (Autocrypt 1.1).
                    k if !k.starts_with('_') && k != "prefer-encrypt" => return None,
                    _ => {}
                }
            }
            if !addr?.eq_ignore_ascii_case(from.as_ref()) {
                return None;
            }
            let compact: String = keydata?.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .ok()?;
            usable(&bytes)
        })
}

/// A key the reporter attached (`application/pgp-keys`): one naming the reply address, or the
/// only one there is.
fn attached_key(identity: &SenderIdentity, to: &Address) -> Option<Vec<u8>> {
    let keys: Vec<(Cert, Vec<u8>)> = identity
        .attached_keys
        .iter()
        .filter_map(|k| {
            let bytes = if k.trim_start().starts_with("-----BEGIN PGP") {
                k.as_bytes().to_vec()
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(k.trim())
                    .ok()?
            };
            let cert = openpgp::parse_cert(&bytes).ok()?;
            openpgp::check_recipient(&cert).ok()?;
            let binary = openpgp::cert_bytes(&cert).ok()?;
            Some((cert, binary))
        })
        .collect();
    let naming = keys.iter().find(|(cert, _)| {
        cert.userids().any(|u| {
            u.userid()
                .email()
                .ok()
                .flatten()
                .is_some_and(|e| e.eq_ignore_ascii_case(to.as_ref()))
        })
    });
    match (naming, keys.as_slice()) {
        (Some((_, bytes)), _) => Some(bytes.clone()),
        (None, [(_, bytes)]) => Some(bytes.clone()),
        _ => None,
    }
}

/// The key's bytes if it can be encrypted to now.
fn usable(bytes: &[u8]) -> Option<Vec<u8>> {
    let cert = openpgp::parse_cert(bytes).ok()?;
    openpgp::check_recipient(&cert).ok()?;
    openpgp::cert_bytes(&cert).ok()
}
