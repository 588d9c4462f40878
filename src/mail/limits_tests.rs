use std::time::{Duration, Instant};

use super::*;
use crate::mail::content::parse_content;
use crate::mail::envelope::classify;

fn deep_multipart(levels: usize) -> Vec<u8> {
    let mut m = String::from("From: a@example.org\r\nSubject: deep\r\n");
    for i in 0..levels {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    m.push_str("Content-Type: text/plain\r\n\r\nbottom\r\n");
    for i in (0..levels).rev() {
        m.push_str(&format!("--b{i}--\r\n"));
    }
    m.into_bytes()
}

fn many_parts(parts: usize) -> Vec<u8> {
    let mut m =
        String::from("From: a@example.org\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n");
    for _ in 0..parts {
        m.push_str("--x\r\n\r\na\r\n");
    }
    m.push_str("--x--\r\n");
    m.into_bytes()
}

#[test]
fn ten_thousand_deep_multipart_is_refused_fast() {
    let raw = deep_multipart(10_000);
    let start = Instant::now();
    let err = classify(&raw, &MailLimits::default()).unwrap_err();
    assert!(
        matches!(err, MailError::TooDeep { limit: 16, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "mime-too-deep");
    assert!(parse_content(&raw, &MailLimits::default()).is_err());
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn nesting_within_the_limit_parses() {
    let raw = deep_multipart(15);
    let c = parse_content(&raw, &MailLimits::default()).unwrap();
    assert_eq!(c.text.as_deref().map(|t| t.trim()), Some("bottom"));
}

#[test]
fn two_hundred_thousand_tiny_parts_are_refused_fast() {
    let raw = many_parts(200_000);
    let start = Instant::now();
    let err = classify(&raw, &MailLimits::default()).unwrap_err();
    assert!(
        matches!(err, MailError::TooManyParts { limit: 1000, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "mime-too-many-parts");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn parts_within_the_limit_parse() {
    let raw = many_parts(900);
    assert!(parse_content(&raw, &MailLimits::default()).is_ok());
}

#[test]
fn ten_megabyte_header_is_refused() {
    let mut raw = b"From: a@example.org\r\nX-Junk: ".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    raw.extend_from_slice(b"\r\n\r\nbody\r\n");
    let start = Instant::now();
    let err = classify(&raw, &MailLimits::default()).unwrap_err();
    assert!(
        matches!(err, MailError::HeaderTooLarge { limit, bytes } if limit == 256 * 1024 && bytes > limit),
        "{err:?}"
    );
    assert_eq!(err.code(), "mime-header-too-large");
    assert!(start.elapsed() < Duration::from_secs(1));

    // Many folded lines count the same as one long one.
    let mut raw = b"From: a@example.org\r\nX-Junk: a\r\n".to_vec();
    for _ in 0..100_000 {
        raw.extend_from_slice(b" folded continuation line\r\n");
    }
    raw.extend_from_slice(b"\r\nbody\r\n");
    assert!(matches!(
        classify(&raw, &MailLimits::default()),
        Err(MailError::HeaderTooLarge { .. })
    ));
}

#[test]
fn huge_header_inside_a_part_is_refused() {
    let mut raw =
        b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nX-Junk: "
            .to_vec();
    raw.extend(std::iter::repeat_n(b'a', 300 * 1024));
    raw.extend_from_slice(b"\r\n\r\nbody\r\n--x--\r\n");
    assert!(matches!(
        classify(&raw, &MailLimits::default()),
        Err(MailError::HeaderTooLarge { .. })
    ));
}

#[test]
fn deep_nested_messages_are_refused() {
    let mut m = String::from("From: a@example.org\r\n");
    for _ in 0..5_000 {
        m.push_str("Content-Type: message/rfc822\r\n\r\nFrom: b@example.org\r\n");
    }
    m.push_str("\r\nbottom\r\n");
    let err = classify(m.as_bytes(), &MailLimits::default()).unwrap_err();
    assert!(matches!(err, MailError::TooDeep { .. }), "{err:?}");
}

#[test]
fn digest_parts_without_type_count_as_messages() {
    let mut m = String::from("From: a@example.org\r\n");
    for i in 0..40 {
        m.push_str(&format!(
            "Content-Type: multipart/digest; boundary=d{i}\r\n\r\n--d{i}\r\n\r\nFrom: x@example.org\r\n"
        ));
    }
    m.push_str("\r\nbottom\r\n");
    assert!(matches!(
        classify(m.as_bytes(), &MailLimits::default()),
        Err(MailError::TooDeep { .. })
    ));
}

#[test]
fn tighter_limits_apply() {
    let limits = MailLimits {
        max_header_bytes: 1024,
        max_depth: 2,
        max_parts: 5,
        ..MailLimits::default()
    };
    assert!(matches!(
        classify(&deep_multipart(3), &limits),
        Err(MailError::TooDeep { depth: 3, limit: 2 })
    ));
    assert!(matches!(
        classify(&many_parts(6), &limits),
        Err(MailError::TooManyParts { limit: 5, .. })
    ));
    assert!(classify(&many_parts(3), &limits).is_ok());
}

#[test]
fn garbage_never_panics() {
    let limits = MailLimits::default();
    let samples: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\r\n\r\n".to_vec(),
        b"--x--".to_vec(),
        b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n".to_vec(),
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n--x--".to_vec(),
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!".to_vec(),
        (0u8..=255).cycle().take(70_000).collect(),
    ];
    for s in samples {
        let _ = classify(&s, &limits);
        let _ = parse_content(&s, &limits);
    }
}
