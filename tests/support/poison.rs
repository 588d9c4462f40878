//! Poison messages from issue 12, built in-process (Sequoia, lopdf): a PDF XMP flate bomb, an
//! inline-PGP mail of thousands of compressed blocks, and a 25 MiB text part of ~450,000 tiny
//! blocks. Shared by the integration tests and `bench/poison.rs` (the memory bench), so both
//! measure the same bytes. Test code: unwraps are fine.

use std::io::Write as _;

use sequoia_openpgp::parse::Parse as _;
use sequoia_openpgp::policy::StandardPolicy;
use sequoia_openpgp::serialize::stream::{Armorer, Compressor, Encryptor, LiteralWriter, Message};
use sequoia_openpgp::types::CompressionAlgorithm;

const TO: &str = "zgloszenia@urzad.example.org";

fn headers(from: &str, subject: &str) -> String {
    format!(
        "From: {from}\r\nTo: {TO}\r\nSubject: {subject}\r\n\
         Date: Mon, 17 Nov 2025 09:41:07 +0100\r\n\
         Message-ID: <{subject}.{}@poison.example.net>\r\nMIME-Version: 1.0\r\n",
        std::process::id()
    )
}

/// A plain mail with a PDF whose XMP stream is compressed twice: ~tens of KB that expand to
/// 64 MiB, four times the per-stream limit.
pub fn pdf_bomb_mail() -> Vec<u8> {
    let pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
        2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
        3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n\
        trailer << /Root 1 0 R >>\n%%EOF\n";
    let mut doc = lopdf::Document::load_mem(pdf.as_bytes()).unwrap();
    let mut inner = lopdf::Stream::new(lopdf::Dictionary::new(), vec![b' '; 64 << 20]);
    inner.compress().unwrap();
    let mut outer = lopdf::Stream::new(lopdf::Dictionary::new(), inner.content.clone());
    outer.compress().unwrap();
    outer.dict.set(
        "Filter",
        lopdf::Object::Array(vec!["FlateDecode".into(), "FlateDecode".into()]),
    );
    outer.dict.set("Type", "Metadata");
    outer.dict.set("Subtype", "XML");
    let id = doc.add_object(outer);
    doc.catalog_mut().unwrap().set("Metadata", id);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    assert!(bytes.len() < 256 << 10, "bomb is {} bytes", bytes.len());
    let mut m = headers("P <p@example.net>", "pdf");
    m.push_str(
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nReport with a scan.\r\n\
         --b\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"scan.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n",
    );
    let b64 = base64_lines(&bytes);
    m.push_str(&b64);
    m.push_str("\r\n--b--\r\n");
    m.into_bytes()
}

/// A plain mail whose text holds `count` armored blocks encrypted to the public intake key,
/// each a distinct encryption of one bzip2 packet that opens to 64 MiB of zeros.
pub fn compressed_blocks_mail(intake_cert: &[u8], count: usize) -> Vec<u8> {
    let cert = sequoia_openpgp::Cert::from_bytes(intake_cert).unwrap();
    let mut inner = Vec::new();
    {
        let m = Message::new(&mut inner);
        let m = Compressor::new(m)
            .algo(CompressionAlgorithm::BZip2)
            .build()
            .unwrap();
        let mut w = LiteralWriter::new(m).build().unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..64 {
            w.write_all(&chunk).unwrap();
        }
        w.finalize().unwrap();
    }
    let policy = StandardPolicy::new();
    let mut m = headers("Q <q@example.net>", "blocks");
    m.push_str("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    for _ in 0..count {
        let recipients = cert
            .keys()
            .with_policy(&policy, None)
            .supported()
            .alive()
            .revoked(false)
            .for_transport_encryption();
        let mut sink = Vec::new();
        {
            let msg = Message::new(&mut sink);
            let msg = Armorer::new(msg).build().unwrap();
            let mut w = Encryptor::for_recipients(msg, recipients).build().unwrap();
            // Already-serialized packets go straight into the encryption container.
            w.write_all(&inner).unwrap();
            w.finalize().unwrap();
        }
        m.push_str(&String::from_utf8(sink).unwrap().replace('\n', "\r\n"));
        m.push_str("\r\n\r\n");
    }
    m.into_bytes()
}

/// A 25 MiB plain mail (as stored, CRLF) of ~450,000 minimal blocks: 256 distinct bodies, each
/// repeated ~1,700 times, so both the block cap and the de-duplication see work.
pub fn tiny_blocks_mail() -> Vec<u8> {
    let mut m = headers("T <t@example.net>", "tiny");
    m.push_str("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
    for i in 0..436_000 {
        m.push_str(&format!(
            "-----BEGIN PGP MESSAGE-----\r\n{:02x}\r\n-----END PGP MESSAGE-----\r\n",
            i % 256
        ));
    }
    assert!(m.len() <= 25 << 20, "{} bytes", m.len());
    m.into_bytes()
}

fn base64_lines(data: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::with_capacity(text.len() + text.len() / 76 * 2 + 2);
    for line in text.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push_str("\r\n");
    }
    out
}
