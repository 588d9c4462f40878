use super::*;

const POLISH: &str = "Zażółć gęślą jaźń";

fn parse(raw: &[u8]) -> Content {
    parse_content(raw, &MailLimits::default()).unwrap()
}

/// Encodes `text` with a single-byte table for the Polish letters used in tests.
fn polish_bytes(text: &str, cp1250: bool) -> Vec<u8> {
    text.chars()
        .map(|c| match (c, cp1250) {
            ('ż', _) => 0xBF,
            ('ó', _) => 0xF3,
            ('ł', _) => 0xB3,
            ('ć', _) => 0xE6,
            ('ę', _) => 0xEA,
            ('ś', false) => 0xB6,
            ('ś', true) => 0x9C,
            ('ą', false) => 0xB1,
            ('ą', true) => 0xB9,
            ('ź', false) => 0xBC,
            ('ź', true) => 0x9F,
            ('ń', _) => 0xF1,
            ('Z', _) => b'Z',
            (c, _) => c as u8,
        })
        .collect()
}

fn q_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| match b {
            b' ' => "_".to_owned(),
            b if b.is_ascii_alphanumeric() => (*b as char).to_string(),
            b => format!("={b:02X}"),
        })
        .collect()
}

#[test]
fn polish_charsets_decode_in_subject_and_body() {
    for (charset, cp1250) in [("ISO-8859-2", false), ("windows-1250", true)] {
        let bytes = polish_bytes(POLISH, cp1250);
        let mut raw = format!(
            "From: a@example.org\r\nSubject: =?{charset}?Q?{}?=\r\n\
             Content-Type: text/plain; charset={charset}\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n",
            q_encode(&bytes)
        )
        .into_bytes();
        raw.extend_from_slice(&bytes);
        raw.extend_from_slice(b"\r\n");
        let c = parse(&raw);
        assert_eq!(
            c.subject.as_deref().map(String::as_str),
            Some(POLISH),
            "{charset}"
        );
        assert_eq!(c.text.as_deref().unwrap().trim(), POLISH, "{charset}");
    }
}

#[test]
fn html_only_message_gets_text_rendering() {
    let raw = b"From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <html><body><p>Zg\xc5\x82oszenie</p><img src=\"http://evil.example/x\"></body></html>\r\n";
    let c = parse(raw);
    assert!(c.text.is_none());
    assert!(c.html.as_deref().unwrap().contains("<p>"));
    assert_eq!(c.html_as_text.as_deref().unwrap().trim(), "Zgłoszenie");
}

#[test]
fn alternative_gives_text_and_html() {
    let raw = b"From: a@example.org\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n\
        --a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n\
        --a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<b>html version</b>\r\n--a--\r\n";
    let c = parse(raw);
    assert_eq!(c.text.as_deref().unwrap().trim(), "plain version");
    assert_eq!(c.html_as_text.as_deref().unwrap().trim(), "html version");
    assert!(c.attachments.is_empty());
}

fn with_attachment(disposition_params: &str) -> Vec<u8> {
    format!(
        "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
         --m\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
         --m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; {disposition_params}\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--m--\r\n"
    )
    .into_bytes()
}

#[test]
fn hostile_attachment_names_become_safe() {
    let cases = [
        ("filename=\"../../etc/passwd\"", Some("passwd")),
        ("filename=\"C:\\\\Users\\\\jk\\\\x.pdf\"", Some("x.pdf")),
        ("filename=\"C:\\Users\\jk\\x.pdf\"", Some("x.pdf")),
        // RFC 2047 encoded U+202E (right-to-left override).
        (
            "filename=\"=?UTF-8?Q?a=E2=80=AEfdp.exe?=\"",
            Some("afdp.exe"),
        ),
        // RFC 2231 with a NUL and a path.
        ("filename*=utf-8''..%2F..%2Fevil%00.pdf", Some("evil.pdf")),
        ("filename*=utf-8''%E2%80%AE", None),
    ];
    for (params, want) in cases {
        let c = parse(&with_attachment(params));
        assert_eq!(c.attachments.len(), 1, "{params}");
        let a = &c.attachments[0];
        assert_eq!(a.name.as_ref().map(|n| n.as_str()), want, "{params}");
        assert_eq!(a.content_type, "application/pdf");
        assert_eq!(a.data.as_slice(), b"%PDF-1.4\n");
    }
}

#[test]
fn rfc2231_polish_name_decodes() {
    let c = parse(&with_attachment(
        "filename*=utf-8''Zg%C5%82oszenie%20%C5%BC%C3%B3%C5%82%C4%87.pdf",
    ));
    assert_eq!(
        c.attachments[0].name.as_ref().unwrap().as_str(),
        "Zgłoszenie żółć.pdf"
    );
}

#[test]
fn nested_message_is_kept_as_eml_with_its_text() {
    let raw = b"From: a@example.org\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
        --m\r\nContent-Type: text/plain\r\n\r\nforwarding this\r\n\
        --m\r\nContent-Type: message/rfc822\r\n\r\n\
        From: boss@example.com\r\nSubject: orders\r\nContent-Type: text/plain\r\n\r\nshred the files\r\n\
        --m--\r\n";
    let c = parse(raw);
    assert_eq!(c.attachments.len(), 1);
    let a = &c.attachments[0];
    assert_eq!(a.name.as_ref().unwrap().as_str(), "message.eml");
    assert_eq!(a.content_type, "message/rfc822");
    let eml = String::from_utf8_lossy(&a.data);
    assert!(eml.starts_with("From: boss@example.com"), "{eml}");
    assert!(eml.contains("shred the files"));
    let text = c.text.as_deref().unwrap();
    assert!(text.contains("forwarding this"));
    assert!(text.contains("Subject: orders") && text.contains("shred the files"));
}

#[test]
fn protected_headers_and_legacy_display_are_handled() {
    let payload = b"Content-Type: multipart/mixed; boundary=p; protected-headers=\"v1\"\r\n\
        Subject: Real subject\r\nFrom: Jan <jan@example.org>\r\n\r\n\
        --p\r\nContent-Type: text/rfc822-headers; protected-headers=\"v1\"\r\n\
        Content-Disposition: inline\r\n\r\nSubject: Real subject\r\n\
        --p\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nthe report\r\n--p--\r\n";
    let c = parse(payload);
    assert_eq!(
        c.subject.as_deref().map(String::as_str),
        Some("Real subject")
    );
    assert!(c.legacy_display_removed);
    assert_eq!(c.text.as_deref().unwrap().trim(), "the report");
    assert!(c.attachments.is_empty());
    assert_eq!(c.headers.first("From"), Some("Jan <jan@example.org>"));

    let payload = b"Content-Type: multipart/mixed; boundary=p\r\nSubject: S\r\n\r\n\
        --p\r\nContent-Type: text/plain; charset=utf-8; hp-legacy-display=\"1\"\r\n\r\nSubject: S\r\n\
        --p\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n--p--\r\n";
    let c = parse(payload);
    assert!(c.legacy_display_removed);
    assert_eq!(c.text.as_deref().unwrap().trim(), "body");
}

#[test]
fn bounce_report_headers_are_not_legacy_display() {
    let raw = b"From: a@example.org\r\nContent-Type: multipart/report; boundary=r\r\n\r\n\
        --r\r\nContent-Type: text/plain\r\n\r\nbounced\r\n\
        --r\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: x\r\n--r--\r\n";
    let c = parse(raw);
    assert!(!c.legacy_display_removed);
}

#[test]
fn keys_and_signatures_are_set_aside() {
    let raw = b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
        --m\r\nContent-Type: text/plain\r\n\r\nhello\r\n\
        --m\r\nContent-Type: application/pgp-keys; name=\"key.asc\"\r\n\r\n\
        -----BEGIN PGP PUBLIC KEY BLOCK-----\r\n\r\nxjMEX\r\n-----END PGP PUBLIC KEY BLOCK-----\r\n\
        --m\r\nContent-Type: application/pgp-signature\r\n\r\n\
        -----BEGIN PGP SIGNATURE-----\r\n\r\nwsB\r\n-----END PGP SIGNATURE-----\r\n--m--\r\n";
    let c = parse(raw);
    assert!(c.attachments.is_empty());
    assert_eq!(c.attached_keys.len(), 1);
    assert!(c.attached_keys[0].starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    assert_eq!(c.detached_signatures.len(), 1);
}

#[test]
fn encoded_crlf_in_subject_cannot_inject_headers() {
    let raw = b"From: a@example.org\r\nSubject: =?utf-8?B?aGVsbG8NCkJjYzogZXZpbEBleGFtcGxlLm9yZw==?=\r\n\r\nbody\r\n";
    let c = parse(raw);
    let s = c.subject.as_deref().unwrap();
    assert!(!s.contains('\r') && !s.contains('\n'), "{s:?}");
    assert_eq!(s.as_str(), "hello Bcc: evil@example.org");
    for f in &c.headers.fields {
        assert!(!f.value.contains('\n') && !f.value.contains('\r'));
    }
}

#[test]
fn inline_plaintext_becomes_content() {
    let c = content_from_text(Zeroizing::new(POLISH.as_bytes().to_vec()));
    assert_eq!(c.text.as_deref().map(String::as_str), Some(POLISH));
    let c = content_from_text(Zeroizing::new(polish_bytes(POLISH, true)));
    assert_eq!(c.text.as_deref().map(String::as_str), Some(POLISH));
    assert!(c.headers.fields.is_empty() && c.subject.is_none());
}

#[test]
fn debug_output_is_redacted() {
    let c = parse(&with_attachment("filename=\"kowalski.pdf\""));
    let shown = format!("{c:?} {:?} {:?}", c.attachments, c.headers);
    assert!(
        !shown.contains("kowalski") && !shown.contains("see attached"),
        "{shown}"
    );
    assert!(!shown.contains("example.org"), "{shown}");
}

#[test]
fn text_attachments_keep_their_bytes_in_their_own_charset() {
    // "Zażółć" in ISO-8859-2, sent base64, quoted-printable and 8bit: evidence comes back as sent.
    let latin2: &[u8] = b"Za\xbf\xf3\xb3\xe6 g\xeal\xb1 ja\xbc\xf1\r\nline two\r\n";
    let b64 = "WmG/87PmIGfqbLEgamG88Q0KbGluZSB0d28NCg==";
    let qp = "Za=BF=F3=B3=E6 g=EAl=B1 ja=BC=F1\r\nline two\r\n";
    let mut raw = Vec::new();
    raw.extend_from_slice(
        b"From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n\
          Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
          --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n",
    );
    for (name, cte, payload) in [
        ("a.txt", "base64", b64.as_bytes()),
        ("b.txt", "quoted-printable", qp.as_bytes()),
        ("c.txt", "8bit", latin2),
    ] {
        raw.extend_from_slice(
            format!(
                "--b\r\nContent-Type: text/plain; charset=iso-8859-2\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: {cte}\r\n\r\n"
            )
            .as_bytes(),
        );
        raw.extend_from_slice(payload);
        if !payload.ends_with(b"\r\n") {
            raw.extend_from_slice(b"\r\n");
        }
    }
    raw.extend_from_slice(b"--b--\r\n");
    let content = parse_content(&raw, &MailLimits::default()).unwrap();
    assert_eq!(content.attachments.len(), 3);
    // In base64 the final line break is data; otherwise the line break before a
    // boundary belongs to the boundary (RFC 2046).
    let unencoded = latin2.strip_suffix(b"\r\n").unwrap();
    let expected: [&[u8]; 3] = [latin2, unencoded, unencoded];
    for (a, want) in content.attachments.iter().zip(expected) {
        assert_eq!(
            a.data.as_slice(),
            want,
            "{:?}",
            a.name.as_ref().map(|n| n.as_str().to_owned())
        );
    }
}
