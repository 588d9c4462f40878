//! Folder names on the wire: IMAP4rev1 spells a name outside printable ASCII in modified UTF-7
//! (RFC 3501, 5.1.3), so `Zgłoszenia` travels as `Zg&AUI-oszenia`. The config and every
//! message use the name as people write it; only the session speaks the wire form.
//!
//! Written here on the `base64` crate (which has the IMAP alphabet): the one published crate
//! for it pulls in a regex engine and an old base64, and counts DEL as printable.

use base64::alphabet::IMAP_MUTF7;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

const MUTF7: GeneralPurpose = GeneralPurpose::new(
    &IMAP_MUTF7,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

fn printable(c: char) -> bool {
    (' '..='~').contains(&c)
}

/// The wire form of a folder name.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut run: Vec<u16> = Vec::new();
    let flush = |run: &mut Vec<u16>, out: &mut String| {
        if run.is_empty() {
            return;
        }
        let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&MUTF7.encode(bytes));
        out.push('-');
        run.clear();
    };
    for c in name.chars() {
        if printable(c) {
            flush(&mut run, &mut out);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            let mut units = [0u16; 2];
            run.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The name as people write it, from its wire form; `None` when the wire form is not valid
/// modified UTF-7 (the caller keeps the name as the server sent it).
pub fn decode(wire: &str) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(at) = rest.find('&') {
        let (plain, tail) = rest.split_at(at);
        if !plain.chars().all(printable) {
            return None;
        }
        out.push_str(plain);
        let tail = tail.get(1..)?;
        let end = tail.find('-')?;
        let (encoded, after) = tail.split_at(end);
        if encoded.is_empty() {
            out.push('&');
        } else {
            let bytes = MUTF7.decode(encoded).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .filter_map(|p| <[u8; 2]>::try_from(p).ok().map(u16::from_be_bytes))
                .collect();
            let text = String::from_utf16(&units).ok()?;
            // A run spelling printable ASCII is not the canonical form: refuse it, so one
            // folder has one name.
            if text.chars().any(printable) {
                return None;
            }
            out.push_str(&text);
        }
        rest = after.get(1..)?;
    }
    if !rest.chars().all(printable) {
        return None;
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};

    #[test]
    fn polish_folder_names_travel_in_modified_utf7_and_come_back() {
        // Wire forms as Dovecot and RFC 3501's own example spell them.
        for (name, wire) in [
            ("INBOX", "INBOX"),
            ("Zgłoszenia", "Zg&AUI-oszenia"),
            ("Sygnaliści/Źródła", "Sygnali&AVs-ci/&AXk-r&APM-d&AUI-a"),
            ("Q&A", "Q&-A"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        ] {
            assert_eq!(encode(name), wire, "{name}");
            assert_eq!(decode(wire).as_deref(), Some(name), "{wire}");
        }
    }

    #[test]
    fn a_wire_name_that_is_not_modified_utf7_is_not_guessed_at() {
        for bad in ["&", "a&Zg", "&AUI", "&ZeV-", "&AGE-", "tab\there", "Zgł"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_name_survives_the_round_trip(name in "\\PC{0,40}") {
            let wire = encode(&name);
            proptest::prop_assert!(wire.bytes().all(|b| (0x20..0x7f).contains(&b)));
            proptest::prop_assert_eq!(decode(&wire), Some(name));
        }
    }
}
