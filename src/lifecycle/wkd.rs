//! Web Key Directory (draft-koch-openpgp-webkey-service): the file layout that lets mail clients
//! find the intake key by address. Pure: computes paths and bytes; the CLI writes them.

use sha1::{Digest, Sha1};

const ZBASE32: &[u8; 32] = b"ybndrfg8ejkmcpqxot1uwisza345h769";

/// z-base-32 encoding (as used by WKD for the SHA-1 of the local part).
pub fn zbase32(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().saturating_mul(8).div_ceil(5));
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    for &b in data {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let idx = ((buffer >> bits) & 31) as usize;
            out.push(char::from(*ZBASE32.get(idx).unwrap_or(&b'y')));
        }
    }
    if bits > 0 {
        let idx = ((buffer << (5 - bits)) & 31) as usize;
        out.push(char::from(*ZBASE32.get(idx).unwrap_or(&b'y')));
    }
    out
}

/// The WKD hash of an address's local part (lowercased ASCII).
pub fn local_part_hash(local: &str) -> String {
    zbase32(&Sha1::digest(local.to_ascii_lowercase().as_bytes()))
}

/// Files of both layouts, relative to the web root: `(path, bytes)`.
/// Advanced: `.well-known/openpgpkey/<domain>/hu/<hash>` + `policy`;
/// direct: `.well-known/openpgpkey/hu/<hash>` + `policy`.
pub fn layout(local: &str, domain: &str, binary_cert: &[u8]) -> Vec<(String, Vec<u8>)> {
    let hash = local_part_hash(local);
    let domain = domain.to_ascii_lowercase();
    vec![
        (
            format!(".well-known/openpgpkey/{domain}/hu/{hash}"),
            binary_cert.to_vec(),
        ),
        (
            format!(".well-known/openpgpkey/{domain}/policy"),
            Vec::new(),
        ),
        (
            format!(".well-known/openpgpkey/hu/{hash}"),
            binary_cert.to_vec(),
        ),
        (".well-known/openpgpkey/policy".to_owned(), Vec::new()),
    ]
}

/// Fingerprint in groups of four for posters: `ABCD EF01 ...`.
pub fn printable_fingerprint(hex: &str) -> String {
    let chars: Vec<char> = hex.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    let half = groups.len() / 2;
    let (a, b) = groups.split_at(half.min(groups.len()));
    if a.is_empty() || b.is_empty() {
        return groups.join(" ");
    }
    format!("{}  {}", a.join(" "), b.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkd_hash_matches_the_draft_example() {
        // draft-koch-openpgp-webkey-service, section 3.1: "Joe.Doe" -> iy9q119eutrkn8s1mk4r39qejnbu3n5q
        assert_eq!(
            local_part_hash("Joe.Doe"),
            "iy9q119eutrkn8s1mk4r39qejnbu3n5q"
        );
    }

    #[test]
    fn layout_has_both_variants_and_policies() {
        let files = layout("zgloszenia", "Urzad.Example.org", b"CERT");
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        let h = local_part_hash("zgloszenia");
        assert!(
            paths.contains(&format!(".well-known/openpgpkey/urzad.example.org/hu/{h}").as_str())
        );
        assert!(paths.contains(&format!(".well-known/openpgpkey/hu/{h}").as_str()));
        assert!(paths.contains(&".well-known/openpgpkey/policy"));
        assert!(paths.contains(&".well-known/openpgpkey/urzad.example.org/policy"));
    }

    #[test]
    fn printable_fingerprint_groups_by_four() {
        assert_eq!(
            printable_fingerprint("0123456789ABCDEF0123456789ABCDEF01234567"),
            "0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567"
        );
    }
}
