//! Unit tests of the contact core: where an acknowledgement may go, tokens, templates, and
//! what an outgoing message carries.

use std::time::SystemTime;

use super::*;
use crate::cases::acknowledgement::Lang;
use crate::split::{Field, SenderIdentity};
use crate::vault::ShredKey;

fn identity(from: &[&str], headers: &[(&str, &str)]) -> SenderIdentity {
    let mut id = SenderIdentity::default();
    id.from = from.iter().map(|s| (*s).to_owned()).collect();
    for (name, value) in headers {
        id.headers.push(Field {
            name: (*name).to_owned(),
            value: (*value).to_owned(),
        });
        id.raw_headers.push_str(&format!("{name}: {value}\r\n"));
        if name.eq_ignore_ascii_case("Reply-To") {
            id.reply_to.push((*value).to_owned());
        }
    }
    id
}

#[test]
fn acknowledgement_goes_to_the_single_from_address() {
    let route = reply_route(&identity(&["Jan Kowalski <jan@example.net>"], &[])).unwrap();
    assert_eq!(route.to.to_string(), "jan@example.net");
    assert!(route.cert.is_none());
}

#[test]
fn no_acknowledgement_to_automatic_list_or_bounce_mail() {
    let cases = [
        (
            vec![("Auto-Submitted", "auto-replied")],
            NoContact::AutoSubmitted,
        ),
        (
            vec![("Auto-Submitted", "auto-generated")],
            NoContact::AutoSubmitted,
        ),
        (vec![("Precedence", "bulk")], NoContact::Bulk),
        (vec![("Precedence", "list")], NoContact::Bulk),
        (vec![("List-Id", "<x.lists.example.net>")], NoContact::Bulk),
        (vec![("Return-Path", "<>")], NoContact::NullSender),
    ];
    for (headers, why) in cases {
        assert_eq!(
            reply_route(&identity(&["jan@example.net"], &headers)).map(|r| r.to.to_string()),
            Err(why),
            "{headers:?}"
        );
    }
    // `Auto-Submitted: no` is a person.
    assert!(reply_route(&identity(&["jan@example.net"], &[("Auto-Submitted", "no")])).is_ok());
    assert_eq!(
        reply_route(&identity(&["MAILER-DAEMON@mx.example.net"], &[])).err(),
        Some(NoContact::NullSender)
    );
}

#[test]
fn no_acknowledgement_without_one_clear_address() {
    assert_eq!(
        reply_route(&identity(&[], &[])).err(),
        Some(NoContact::NoAddress)
    );
    assert_eq!(
        reply_route(&identity(&["a@example.net", "b@example.net"], &[])).err(),
        Some(NoContact::SeveralAddresses)
    );
}

#[test]
fn reply_to_is_used_only_within_the_from_domain() {
    let same = identity(
        &["jan@example.net"],
        &[("Reply-To", "Jan <jan.private@example.net>")],
    );
    assert_eq!(
        reply_route(&same).unwrap().to.to_string(),
        "jan.private@example.net"
    );
    let elsewhere = identity(
        &["jan@example.net"],
        &[("Reply-To", "victim@other.example")],
    );
    assert_eq!(
        reply_route(&elsewhere).err(),
        Some(NoContact::ReplyToElsewhere)
    );
}

#[test]
fn every_no_contact_code_parses_back() {
    for n in NoContact::ALL {
        assert_eq!(NoContact::parse(n.code()), Some(n));
    }
    assert_eq!(NoContact::parse("nonsense"), None);
}

#[test]
fn reply_tokens_are_long_random_and_found_in_the_reply_address() {
    let pattern = ReplyPattern::parse("zgloszenia+{token}@urzad.example.org").unwrap();
    let a = ReplyToken::generate();
    let b = ReplyToken::generate();
    assert_ne!(a, b);
    assert_eq!(a.as_str().len(), 26, "26 base32 letters: 130 bits");
    let address = pattern.fill(&a);
    assert!(address.starts_with("zgloszenia+") && address.ends_with("@urzad.example.org"));
    assert_eq!(pattern.token_in(&address), Some(a.clone()));
    assert_eq!(
        pattern.token_in(&format!("Zgłoszenia <{}>", address.to_uppercase())),
        Some(a.clone()),
        "servers may fold case"
    );
    assert_eq!(pattern.token_in("zgloszenia+short@urzad.example.org"), None);
    assert_eq!(pattern.token_in("zgloszenia@urzad.example.org"), None);
    assert_eq!(a.hash().len(), 64);
    assert_ne!(a.hash(), b.hash());
}

#[test]
fn reply_patterns_need_one_token_in_the_local_part() {
    for bad in [
        "zgloszenia@urzad.example.org",
        "zgloszenia@{token}.example.org",
        "{token}+{token}@x.example.org",
        "zgloszenia+{token}",
    ] {
        assert!(ReplyPattern::parse(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn the_contact_record_opens_only_under_its_own_key() {
    let key = ShredKey::generate();
    let sealed = seal_contact(
        &key,
        &SealedContact {
            to: "jan@example.net".to_owned(),
            cert: Some(vec![1, 2, 3]),
        },
    );
    assert!(
        find(&sealed, b"jan@example.net").is_none(),
        "stored in the clear"
    );
    let opened = open_contact(&key, &sealed).unwrap();
    assert_eq!(opened.to, "jan@example.net");
    assert!(open_contact(&ShredKey::generate(), &sealed).is_none());
    // A text sealed for sending is not a contact record, and the other way round.
    let text = seal_text(&key, "jan@example.net");
    assert!(open_contact(&key, &text).is_none());
    assert!(open_text(&key, &sealed).is_none());
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn built_in_texts_hold_the_case_number_and_dates_only() {
    for lang in [Lang::Pl, Lang::En] {
        let texts = Texts::builtin(lang);
        let (subject, body) = texts.acknowledgement(
            "ZW/2026/0007",
            "2026-12-03".parse().unwrap(),
            "2027-03-03".parse().unwrap(),
        );
        assert!(subject.contains("ZW/2026/0007"));
        assert!(
            body.contains("03.12.2026") && body.contains("03.03.2027"),
            "{body}"
        );
        assert!(!body.contains('{'), "a placeholder was left: {body}");
        let (_, reply) = texts.reply("ZW/2026/0007", "Pytanie {x}?");
        assert!(
            reply.contains("Pytanie {x}?"),
            "the handler's braces stay as written"
        );
    }
}

#[test]
fn templates_with_unknown_placeholders_or_no_subject_are_refused() {
    assert!(matches!(
        Template::parse("a.txt", "Subject: x\n\nHello {name}", false),
        Err(TemplateError::Unknown { .. })
    ));
    assert!(matches!(
        Template::parse("a.txt", "Hello {number}", false),
        Err(TemplateError::NoSubject { .. })
    ));
    assert!(matches!(
        Template::parse("r.txt", "Subject: {number}\n\nno text", true),
        Err(TemplateError::NoText { .. })
    ));
    let t = Template::parse(
        "a.txt",
        "Subject: Sprawa {number}\r\n\r\nDo {feedback_due}.",
        false,
    )
    .unwrap();
    assert_eq!(t.subject, "Sprawa {number}");
}

#[test]
fn outgoing_mail_carries_no_header_of_the_original() {
    let from = SenderAddress::parse("Zgłoszenia <zgloszenia@urzad.example.org>").unwrap();
    let raw = compose(&Outgoing {
        from: &from,
        to: "jan@example.net",
        reply_to: Some("zgloszenia+abcdefghijklmnopqrstuvwxyz@urzad.example.org"),
        subject: "Potwierdzenie ZW/2026/0007",
        body: "Treść",
        message_id: "fixed123@urzad.example.org",
        date: SystemTime::UNIX_EPOCH,
        auto_submitted: Some(AutoSubmitted::Replied),
        encrypt_to: None,
    })
    .unwrap();
    let text = String::from_utf8(raw).unwrap();
    assert!(
        text.contains("Message-ID: <fixed123@urzad.example.org>"),
        "{text}"
    );
    assert!(text.contains("Auto-Submitted: auto-replied"));
    assert!(text.contains("Reply-To: zgloszenia+abcdefghijklmnopqrstuvwxyz@"));
    for header in ["In-Reply-To", "References", "User-Agent", "X-Mailer"] {
        assert!(!text.contains(header), "{header} in:\n{text}");
    }
}

#[test]
fn the_reply_token_is_found_where_the_answer_was_addressed() {
    let pattern = ReplyPattern::parse("zgloszenia+{token}@urzad.example.org").unwrap();
    let token = ReplyToken::generate();
    let address = pattern.fill(&token);
    let mut to = identity(&["jan@example.net"], &[]);
    to.to.push(format!("Zgłoszenia <{address}>"));
    assert_eq!(reply_token(&to, &pattern), Some(token.clone()));
    // A client that puts the gateway in Bcc: the server's Delivered-To says where it went.
    let delivered = identity(&["jan@example.net"], &[("Delivered-To", &address)]);
    assert_eq!(reply_token(&delivered, &pattern), Some(token));
    // The plain reporting address carries no token: a new case.
    let mut plain = identity(&["jan@example.net"], &[]);
    plain.to.push("zgloszenia@urzad.example.org".to_owned());
    assert_eq!(reply_token(&plain, &pattern), None);
}

#[test]
fn a_key_the_reporter_attached_is_used_when_it_names_the_reply_address() {
    let cert = crate::openpgp::generate_intake_key(
        "Jan <jan@example.net>",
        crate::openpgp::KeyAlgorithm::Cv25519,
    )
    .unwrap();
    let armored = crate::openpgp::armored_public(&cert).unwrap();
    let mut with_key = identity(&["jan@example.net"], &[]);
    with_key.attached_keys.push(armored.clone());
    let route = reply_route(&with_key).unwrap();
    let used = crate::openpgp::parse_cert(&route.cert.expect("the attached key")).unwrap();
    assert_eq!(used.fingerprint(), cert.fingerprint());

    // An Autocrypt header for another address than From is ignored (Autocrypt level 1).
    let keydata = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        crate::openpgp::cert_bytes(&cert).unwrap(),
    );
    let other = identity(&["someone@example.net"], &[]);
    let mut other = other;
    other.autocrypt.push(Field {
        name: "Autocrypt".into(),
        value: format!("addr=jan@example.net; keydata={keydata}"),
    });
    assert!(reply_route(&other).unwrap().cert.is_none());
}
