//! Talking with the reporter through a real Postfix into a real mailbox: acknowledgements at
//! intake (encrypted to the reporter's Autocrypt key, or plain), exactly one after a crash
//! between sending and marking, handlers' replies that never show the address, and no
//! acknowledgement to automatic mail.

use crate::support::gateway::{find, str_field, Setup};
use crate::support::gnupg::{plain_mail, unique, Gpg, Report};
use crate::support::postfix::MailSystem;

const TO: &str = "sygnalista@urzad.example.org";

fn configure_contact(s: &Setup, mail: &MailSystem) {
    s.gateway.append_config(&format!(
        "[contact]\n\
         from = \"Zgłoszenia <{TO}>\"\n\
         reply-address = \"sygnalista+{{token}}@urzad.example.org\"\n\
         \n\
         [contact.smtp]\n\
         host = \"127.0.0.1\"\n\
         port = {}\n\
         tls = \"none\"\n",
        mail.postfix.port
    ));
}

/// The reporter: a gpg key for `reporter@example.net`, and its Autocrypt header.
struct Reporter {
    gpg: Gpg,
    fpr: String,
    address: String,
}

impl Reporter {
    fn new() -> Reporter {
        let gpg = Gpg::new();
        let address = "reporter@example.net".to_owned();
        let fpr = gpg.gen_key("Anna Reporter", &address);
        Reporter { gpg, fpr, address }
    }

    fn autocrypt_header(&self) -> String {
        let key = self.gpg.run_ok(&["--export", &self.fpr], b"").stdout;
        format!(
            "Autocrypt: addr={}; prefer-encrypt=mutual; keydata={}\r\n",
            self.address,
            crate::support::gnupg::base64(&key)
        )
    }

    /// Decrypts the PGP/MIME message `raw` with the reporter's key (gpg, exit code judged).
    fn decrypt(&self, raw: &[u8]) -> String {
        let start = find(raw, b"-----BEGIN PGP MESSAGE-----").expect("an armored message");
        let end = find(raw, b"-----END PGP MESSAGE-----").expect("its end") + 25;
        let out = self.gpg.run(&["--decrypt"], &raw[start..end]);
        assert!(
            out.status.success(),
            "gpg could not decrypt: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn report(from: &str, token: &str) -> Vec<u8> {
    plain_mail(&Report {
        from,
        to: TO,
        subject: &format!("Zgłoszenie {token}-SUBJECT"),
        body: &format!("Treść zgłoszenia {token}-BODY.\n"),
        attachment: None,
    })
}

fn with_header(header: &str, raw: Vec<u8>) -> Vec<u8> {
    let mut out = header.as_bytes().to_vec();
    out.extend(raw);
    out
}

fn text(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

#[test]
fn acknowledgement_is_sent_in_the_same_run_encrypted_to_the_autocrypt_key_without_content() {
    let mail = MailSystem::start();
    let s = Setup::new(&mail.dovecot);
    configure_contact(&s, &mail);
    let reporter = Reporter::new();
    let token = unique("ACK");
    let raw = with_header(
        &reporter.autocrypt_header(),
        report(&format!("Anna Reporter <{}>", reporter.address), &token),
    );
    mail.dovecot.append("INBOX", &raw);

    s.gateway.run_once();

    let number = s.gateway.case_numbers().pop().expect("a case");
    let inbox = mail.reporter_inbox(1);
    assert_eq!(inbox.len(), 1);
    let ack = &inbox[0];
    let outer = text(ack);
    assert!(
        outer.contains("multipart/encrypted"),
        "not PGP/MIME:\n{outer}"
    );
    assert!(
        !outer.contains(&number),
        "the case number leaked outside the encryption"
    );
    assert!(outer.contains("Auto-Submitted: auto-replied"));
    assert!(
        outer.contains("Reply-To: sygnalista+"),
        "no reply address with a token:\n{outer}"
    );
    for header in ["In-Reply-To", "References"] {
        assert!(!outer.contains(header), "{header} of the original went out");
    }
    let inner = reporter.decrypt(ack);
    assert!(inner.contains(&number), "no case number in:\n{inner}");
    let case = s
        .gateway
        .cases_json()
        .into_iter()
        .find(|c| str_field(c, "number") == number)
        .unwrap();
    assert_eq!(str_field(&case, "status"), "acknowledged");
    let due = chrono::Local::now().date_naive() + chrono::Months::new(3);
    assert!(
        inner.contains(&due.format("%d.%m.%Y").to_string()),
        "no feedback deadline {due} in:\n{inner}"
    );
    for canary in ["SUBJECT", "BODY"] {
        assert!(
            !text(ack).contains(&format!("{token}-{canary}")) && !inner.contains(&token),
            "report content in the acknowledgement"
        );
    }
    let due = s.gateway.run_ok(&["cases", "due", "--json"]);
    assert!(
        !due.contains(&format!("\"{number}\"")) || !due.contains("\"acknowledgement\""),
        "`cases due` still lists the acknowledgement: {due}"
    );
}

#[test]
fn plain_report_gets_a_plain_acknowledgement_and_automatic_mail_gets_none() {
    let mail = MailSystem::start();
    let s = Setup::new(&mail.dovecot);
    configure_contact(&s, &mail);
    let token = unique("PLAIN");
    mail.dovecot
        .append("INBOX", &report("Jan <reporter@example.net>", &token));
    let auto = unique("AUTO");
    mail.dovecot.append(
        "INBOX",
        &with_header(
            "Auto-Submitted: auto-replied\r\n",
            report("reporter@example.net", &auto),
        ),
    );

    s.gateway.run_once();
    mail.settle();

    assert_eq!(s.gateway.case_numbers().len(), 2, "both are filed");
    let inbox = mail.reporter_inbox(1);
    assert_eq!(
        inbox.len(),
        1,
        "one acknowledgement, none to the auto-reply"
    );
    let ack = text(&inbox[0]);
    assert!(
        !ack.contains("BEGIN PGP MESSAGE"),
        "no key was given: plain"
    );
    assert!(
        ack.contains("Potwierdzenie"),
        "not the Polish acknowledgement:\n{ack}"
    );
    assert!(
        !ack.contains(&token) && !ack.contains(&auto),
        "report content went out"
    );
}

#[test]
fn sigkill_between_send_and_mark_leaves_exactly_one_acknowledgement() {
    let mail = MailSystem::start();
    let s = Setup::new(&mail.dovecot);
    configure_contact(&s, &mail);
    mail.dovecot
        .append("INBOX", &report("reporter@example.net", &unique("KILL")));

    let mut child = s.gateway.spawn_with_failpoint("message-sent");
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    mail.settle();
    assert_eq!(mail.postfix.deliveries(), 1, "the server had accepted it");

    s.gateway.run_once();
    mail.settle();

    // Sent once more with the same Message-ID: Postfix delivered it twice, the reporter's
    // mailbox (Sieve `duplicate`, as providers do) kept one.
    assert_eq!(
        mail.postfix.deliveries(),
        2,
        "the interrupted message is sent again once:\n{}",
        mail.postfix.log()
    );
    assert_eq!(mail.reporter_inbox(1).len(), 1);
    s.gateway.run_once();
    mail.settle();
    assert_eq!(mail.postfix.deliveries(), 2, "and never a third time");
    let number = s.gateway.case_numbers().pop().unwrap();
    let case = s
        .gateway
        .cases_json()
        .into_iter()
        .find(|c| str_field(c, "number") == number)
        .unwrap();
    assert_eq!(str_field(&case, "status"), "acknowledged");
}

#[test]
fn handler_reply_reaches_the_reporter_and_the_address_is_seen_nowhere() {
    let mail = MailSystem::start();
    let s = Setup::new(&mail.dovecot);
    configure_contact(&s, &mail);
    let address = format!("{}@example.net", "reporter");
    let token = unique("REPLY");
    mail.dovecot
        .append("INBOX", &report(&format!("Jan <{address}>"), &token));
    s.gateway.run_once();
    let number = s.gateway.case_numbers().pop().unwrap();
    mail.reporter_inbox(1);

    let question = format!("Prosimy o doprecyzowanie daty zdarzenia {token}-QUESTION.");
    let file = s.gateway.dir().join("reply.txt");
    std::fs::write(&file, &question).unwrap();
    let out = s.gateway.run_ok(&[
        "cases",
        "reply",
        &number,
        "--key",
        s.handler.key_file.to_str().unwrap(),
        "--file",
        file.to_str().unwrap(),
    ]);
    std::fs::remove_file(&file).unwrap();
    assert!(out.contains("sent"), "{out}");

    let inbox = mail.reporter_inbox(2);
    let reply = inbox
        .iter()
        .map(|m| text(m))
        .find(|m| m.contains(&format!("{token}-QUESTION")))
        .expect("the reply reached the reporter");
    assert!(reply.contains(&number));
    assert!(
        !reply.contains("hanna"),
        "the handler's name or address went out"
    );

    // Nowhere on the gateway's side: not in the handler's output, the logs, the register.
    assert!(!out.contains(&address));
    let hits = s.gateway.canary_grep(&[address.as_bytes(), b"reporter@"]);
    assert!(
        hits.is_empty(),
        "the reporter's address is readable: {hits:?}"
    );
    let audit = s.gateway.run_ok(&["audit", "show"]);
    assert!(audit.contains("MessageSent"), "no audit entry:\n{audit}");
    let history = s.gateway.run_ok(&[
        "cases",
        "history",
        &number,
        "--key",
        s.handler.key_file.to_str().unwrap(),
    ]);
    assert!(
        history.contains(&format!("{token}-QUESTION")),
        "the reply is not in the case file:\n{history}"
    );
}

/// The Reply-To of a message the gateway sent.
fn reply_to_of(raw: &[u8]) -> String {
    let text = text(raw);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Reply-To: "))
        .expect("a Reply-To");
    line.trim().to_owned()
}

/// Waits until the gateway's INBOX holds `n` messages (delivered by Postfix over LMTP).
fn wait_inbox(mail: &MailSystem, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while mail.dovecot.count("INBOX") < n {
        assert!(
            std::time::Instant::now() < deadline,
            "the gateway's INBOX did not get {n} message(s):\n{}",
            mail.postfix.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn reporter_reply_joins_its_case_and_a_forged_token_makes_a_new_case() {
    let mail = MailSystem::start();
    let s = Setup::new(&mail.dovecot);
    configure_contact(&s, &mail);
    let token = unique("FOLLOW");
    mail.dovecot
        .append("INBOX", &report("Jan <reporter@example.net>", &token));
    s.gateway.run_once();
    let number = s.gateway.case_numbers().pop().unwrap();
    let reply_to = reply_to_of(&mail.reporter_inbox(1)[0]);
    assert!(reply_to.starts_with("sygnalista+"), "{reply_to}");

    // The reporter answers from their mail client: through Postfix, to the reply address,
    // which plus-addressing delivers into the gateway's INBOX. Quoted text comes along.
    let answer = |to: &str, canary: &str| {
        format!(
            "From: Jan <reporter@example.net>\r\nTo: {to}\r\nSubject: Re: Zgłoszenie\r\n\
             Message-ID: <{canary}@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Data zdarzenia: 14 listopada. {canary}-ANSWER\r\n\r\n> Prosimy o doprecyzowanie\r\n"
        )
    };
    let real = unique("REAL");
    mail.postfix.submit(
        "reporter@example.net",
        &reply_to,
        answer(&reply_to, &real).as_bytes(),
    );
    let forged_to = "sygnalista+aaaaaaaaaaaaaaaaaaaaaaaaaa@urzad.example.org";
    let forged = unique("FORGED");
    mail.postfix.submit(
        "reporter@example.net",
        forged_to,
        answer(forged_to, &forged).as_bytes(),
    );
    wait_inbox(&mail, 2);
    s.gateway.run_once();
    mail.settle();

    let numbers = s.gateway.case_numbers();
    assert_eq!(
        numbers.len(),
        2,
        "the answer joined its case, the forged one did not: {numbers:?}"
    );
    let shown = s.gateway.show_case(&number, &s.handler.key_file, None);
    let follow_ups = shown["follow_ups"].as_array().expect("follow_ups");
    assert_eq!(follow_ups.len(), 1, "{shown}");
    assert_eq!(follow_ups[0]["message"], 2);
    let body = str_field(&follow_ups[0], "body");
    assert!(body.contains(&format!("{real}-ANSWER")), "{body}");
    assert!(body.contains("> Prosimy"), "quoted text is kept as content");
    let other = numbers.into_iter().find(|n| *n != number).unwrap();
    let forged_case = s.gateway.show_case(&other, &s.handler.key_file, None);
    assert!(str_field(&forged_case, "body").contains(&format!("{forged}-ANSWER")));
    assert!(forged_case["follow_ups"].as_array().unwrap().is_empty());

    // Identity split as usual: the answer's sender is in the custodian's record only.
    assert!(!shown.to_string().contains("reporter@example.net"));
    let out = s.gateway.unseal(&number, &s.custodian.key_file);
    let unsealed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        unsealed["follow_ups"][0]["identity"]["from"][0]
            .as_str()
            .unwrap()
            .contains("reporter@example.net"),
        "{unsealed}"
    );
    // An answer is not acknowledged; the forged token's new case is (to its From).
    assert_eq!(
        mail.dovecot
            .messages_of(crate::support::postfix::REPORTER, "INBOX")
            .len(),
        2
    );

    // A content rotation re-encrypts the answer too, under a new key of its own.
    let rotated = s.gateway.run_ok(&[
        "keys",
        "reseal",
        "--key",
        s.custodian.key_file.to_str().unwrap(),
        "--rotate-content",
        "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_str(&rotated).unwrap();
    assert_eq!(
        summary["not_readable"].as_array().map(Vec::len),
        Some(0),
        "{summary}"
    );
    let again = s.gateway.show_case(&number, &s.handler.key_file, None);
    assert!(str_field(&again["follow_ups"][0], "body").contains(&format!("{real}-ANSWER")));
    let out = s.gateway.unseal(&number, &s.custodian.key_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let audit = s.gateway.run_ok(&["audit", "show", "--case", &number]);
    assert!(audit.contains("message 2: content re-encrypted"), "{audit}");
}

/// The messages in `user`'s INBOX once Postfix's queue is empty.
fn delivered_to(mail: &MailSystem, user: &str) -> Vec<Vec<u8>> {
    mail.settle();
    mail.dovecot.messages_of(user, "INBOX")
}

#[test]
fn handlers_get_one_encrypted_deadline_digest_a_day_with_case_numbers_and_dates_only() {
    let mail = MailSystem::start();
    let s = Setup::new(&mail.dovecot);
    configure_contact(&s, &mail);
    for user in ["hanna", "celina"] {
        mail.dovecot.add_user(user, None);
    }
    let token = unique("DIGEST");
    mail.dovecot
        .append("INBOX", &report("Jan <reporter@example.net>", &token));

    s.gateway.run_once();
    let number = s.gateway.case_numbers().pop().expect("a case");
    assert!(
        delivered_to(&mail, "hanna").is_empty(),
        "acknowledged today, feedback months away: nothing near, no digest"
    );

    // Two days before the feedback is due (3 months from today's acknowledgement).
    let due = chrono::Local::now().date_naive() + chrono::Months::new(3);
    let day = due - chrono::Days::new(2);
    let at = format!("{day} 08:00:00");
    let out = s.gateway.run_at(&at, &["run", "--once"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let inbox = delivered_to(&mail, "hanna");
    assert_eq!(inbox.len(), 1, "one digest to the handler");
    let outer = text(&inbox[0]);
    assert!(
        outer.contains("multipart/encrypted"),
        "not PGP/MIME:\n{outer}"
    );
    assert!(outer.contains("Auto-Submitted: auto-generated"), "{outer}");
    assert!(
        !outer.contains(&number),
        "the case number leaked outside the encryption"
    );
    let start = find(&inbox[0], b"-----BEGIN PGP MESSAGE-----").expect("an armored message");
    let (code, inner) = s.handler.gpg.decrypt(&inbox[0][start..]);
    assert_eq!(code, 0, "the handler's gpg cannot decrypt the digest");
    let inner = text(&inner);
    assert!(
        inner.contains(&format!("{number}  informacja zwrotna: {due} (za 2 dni)")),
        "no case number with its deadline in:\n{inner}"
    );
    assert!(
        !inner.contains(&token) && !outer.contains(&token),
        "report content in the digest"
    );
    assert!(
        !inner.contains("reporter@example.net"),
        "the reporter's address in the digest"
    );
    assert_eq!(
        delivered_to(&mail, "celina").len(),
        1,
        "a custodian works cases too and gets it as well"
    );

    // The gateway runs again the same day: nothing more.
    let out = s
        .gateway
        .run_at(&format!("{day} 14:00:00"), &["run", "--once"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(delivered_to(&mail, "hanna").len(), 1, "one digest a day");
    let log = text(&out.stderr);
    assert!(
        !log.contains(&s.handler.email),
        "a handler's address next to the deadlines in the log:\n{log}"
    );
}
