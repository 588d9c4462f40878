//! Attachment cleaning with fixtures made by real tools (Ghostscript, ExifTool, pandoc): the
//! cleaned copy has none of the planted values and still opens (djpeg, pdfinfo/pdftoppm,
//! xmllint, pandoc); the sealed original keeps them — and end to end through Dovecot and GnuPG.

use std::path::{Path, PathBuf};
use std::process::Command;

use sygnal::clean::{clean, CleanLimits, Cleaned, Outcome};

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{sha256_hex, str_field, Setup};
use crate::support::gnupg::{unique, Gpg};

const AUTHOR: &str = "Jan Kowalski";
const SERIAL: &str = "SN-4417-XYZ";
const OWNER: &str = "Anna Nowak";

/// Runs a tool and returns its stdout; fails the test with its stderr.
fn tool(dir: &Path, program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} not runnable (scripts/lib/install.sh installs it): {e}")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn cleaned(data: &[u8]) -> Cleaned {
    match clean(data, &CleanLimits::default()) {
        Outcome::Cleaned(c) => c,
        other => panic!("not cleaned: {other:?}"),
    }
}

/// A JPEG rendered by Ghostscript, tagged by ExifTool with GPS, camera serial, owner and XMP
/// creator, as a phone or camera would.
pub fn gps_jpeg(dir: &Path) -> PathBuf {
    tool(
        dir,
        "gs",
        &[
            "-q",
            "-dSAFER",
            "-dNOPAUSE",
            "-dBATCH",
            "-sDEVICE=jpeg",
            "-g96x64",
            "-o",
            "photo.jpg",
            "-c",
            "0.8 0.1 0.1 setrgbcolor 0 0 96 64 rectfill showpage",
        ],
    );
    tool(
        dir,
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            "-GPSLatitude=52.229676",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=21.012229",
            "-GPSLongitudeRef=E",
            "-Make=Canon",
            "-Model=EOS 5D",
            &format!("-SerialNumber={SERIAL}"),
            &format!("-OwnerName={OWNER}"),
            &format!("-Artist={AUTHOR}"),
            &format!("-XMP-dc:Creator={AUTHOR}"),
            "-Comment=taken at the depot",
            "photo.jpg",
        ],
    );
    dir.join("photo.jpg")
}

#[test]
fn jpeg_from_exiftool_loses_gps_serial_and_author_and_still_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(gps_jpeg(dir.path())).unwrap();
    let before = tool(dir.path(), "exiftool", &["-j", "-n", "photo.jpg"]);
    for planted in [AUTHOR, SERIAL, OWNER, "52.229676"] {
        assert!(contains(&before, planted), "fixture lacks {planted}");
    }
    let c = cleaned(&original);
    std::fs::write(dir.path().join("clean.jpg"), &*c.data).unwrap();
    let after = tool(dir.path(), "exiftool", &["-j", "-n", "clean.jpg"]);
    for planted in [AUTHOR, SERIAL, OWNER, "GPS", "Canon", "depot"] {
        assert!(
            !contains(&after, planted),
            "{planted} left: {}",
            String::from_utf8_lossy(&after)
        );
    }
    // A real decoder reads every pixel of the cleaned copy.
    let ppm = tool(dir.path(), "djpeg", &["clean.jpg"]);
    assert!(
        ppm.starts_with(b"P6\n96 64\n"),
        "djpeg output: {:?}",
        ppm.get(..16)
    );
    for field in [
        "GPS position",
        "camera serial",
        "author",
        "camera owner",
        "comment",
    ] {
        assert!(
            c.removed.iter().any(|r| r == field),
            "{field} not reported: {:?}",
            c.removed
        );
    }
    let gps = c
        .found_values
        .iter()
        .find(|v| v.field == "GPS position")
        .unwrap();
    assert!(gps.value.starts_with("52.2296"), "{}", gps.value);
    assert!(c.found_values.iter().any(|v| v.value == SERIAL));
}

#[test]
fn pdf_from_ghostscript_loses_info_xmp_and_id_and_still_renders() {
    let dir = tempfile::tempdir().unwrap();
    tool(
        dir.path(),
        "gs",
        &[
            "-q", "-dSAFER", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", "-o", "doc.pdf", "-c",
            &format!(
                "[ /Author ({AUTHOR}) /Title (Raport wewnetrzny) /Creator (Kowalski Office) /DOCINFO pdfmark \
                 /Helvetica findfont 24 scalefont setfont 72 700 moveto (Umowa 17/2025) show showpage \
                 72 700 moveto (Strona 2) show showpage"
            ),
        ],
    );
    let original = std::fs::read(dir.path().join("doc.pdf")).unwrap();
    let before = tool(dir.path(), "pdfinfo", &["-meta", "doc.pdf"]);
    assert!(contains(&before, AUTHOR), "fixture lacks the author");
    let c = cleaned(&original);
    std::fs::write(dir.path().join("clean.pdf"), &*c.data).unwrap();
    let mut info = tool(dir.path(), "pdfinfo", &["clean.pdf"]);
    info.extend(tool(dir.path(), "pdfinfo", &["-meta", "clean.pdf"]));
    let text = String::from_utf8_lossy(&info);
    for planted in [
        AUTHOR,
        "Raport",
        "Kowalski Office",
        "xmpmeta",
        "Ghostscript",
    ] {
        assert!(!text.contains(planted), "{planted} left: {text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("Pages:") && l.trim_end().ends_with(" 2")),
        "{text}"
    );
    assert!(!contains(&c.data, AUTHOR), "author bytes left in the file");
    assert!(!contains(&c.data, "/ID"), "document ID left");
    // Both pages still render, with their text.
    tool(
        dir.path(),
        "pdftoppm",
        &["-r", "20", "-png", "clean.pdf", "page"],
    );
    assert!(dir.path().join("page-1.png").exists() && dir.path().join("page-2.png").exists());
    let words = tool(dir.path(), "pdftotext", &["clean.pdf", "-"]);
    assert!(contains(&words, "Umowa 17/2025"));
    for field in [
        "author",
        "title",
        "creator application",
        "producer",
        "document ID",
    ] {
        assert!(
            c.removed.iter().any(|r| r == field),
            "{field} not reported: {:?}",
            c.removed
        );
    }
    assert!(c
        .found_values
        .iter()
        .any(|v| v.field == "author" && v.value == AUTHOR));
}

/// A .docx and an .odt written by pandoc with an author and tracked changes by two people.
fn office_doc(dir: &Path, ext: &str) -> Vec<u8> {
    let md = format!(
        "---\nauthor: {AUTHOR}\ntitle: Notatka\n---\n\nUmowa podpisana \
         [dopisane]{{.insertion author=\"{AUTHOR}\" date=\"2025-03-01T10:00:00Z\"}} \
         [skreslone]{{.deletion author=\"{OWNER}\" date=\"2025-03-02T11:00:00Z\"}} w piatek.\n"
    );
    std::fs::write(dir.join("in.md"), md).unwrap();
    let out = format!("doc.{ext}");
    tool(dir, "pandoc", &["in.md", "-o", &out]);
    std::fs::read(dir.join(out)).unwrap()
}

fn zip_text(dir: &Path, file: &str) -> String {
    String::from_utf8_lossy(&tool(dir, "unzip", &["-p", file])).into_owned()
}

#[test]
fn docx_from_pandoc_loses_author_and_change_authors_and_stays_valid() {
    let dir = tempfile::tempdir().unwrap();
    let original = office_doc(dir.path(), "docx");
    assert!(
        zip_text(dir.path(), "doc.docx").contains(OWNER),
        "fixture lacks tracked changes"
    );
    let c = cleaned(&original);
    std::fs::write(dir.path().join("clean.docx"), &*c.data).unwrap();
    tool(dir.path(), "unzip", &["-tq", "clean.docx"]);
    let all = zip_text(dir.path(), "clean.docx");
    for planted in [AUTHOR, OWNER, "2025-03-0"] {
        assert!(!all.contains(planted), "{planted} left in the docx");
    }
    // Every XML part is well-formed, and a real reader still finds the text and the changes.
    tool(dir.path(), "unzip", &["-q", "clean.docx", "-d", "x"]);
    for part in [
        "word/document.xml",
        "docProps/core.xml",
        "[Content_Types].xml",
    ] {
        tool(&dir.path().join("x"), "xmllint", &["--noout", part]);
    }
    let plain = tool(
        dir.path(),
        "pandoc",
        &["clean.docx", "--track-changes=all", "-t", "native"],
    );
    let plain = String::from_utf8_lossy(&plain);
    assert!(
        plain.contains("Umowa") && plain.contains("dopisane"),
        "{plain}"
    );
    assert!(
        plain.contains("insertion") && plain.contains("Anonymous"),
        "{plain}"
    );
    for field in ["author", "author of tracked changes or comments"] {
        assert!(
            c.removed.iter().any(|r| r == field),
            "{field} not reported: {:?}",
            c.removed
        );
    }
    assert!(c.found_values.iter().any(|v| v.value == OWNER));
}

#[test]
fn odt_from_pandoc_loses_meta_and_stays_valid() {
    let dir = tempfile::tempdir().unwrap();
    let original = office_doc(dir.path(), "odt");
    let c = cleaned(&original);
    std::fs::write(dir.path().join("clean.odt"), &*c.data).unwrap();
    // pandoc also prints the author in the title block: that is content and stays; the
    // metadata part must lose it.
    std::fs::write(dir.path().join("doc.odt"), &original).unwrap();
    let meta = |file: &str| {
        String::from_utf8_lossy(&tool(dir.path(), "unzip", &["-p", file, "meta.xml"])).into_owned()
    };
    assert!(meta("doc.odt").contains(AUTHOR), "fixture lacks the author");
    let cleaned_meta = meta("clean.odt");
    for planted in [AUTHOR, "Pandoc", "Notatka"] {
        assert!(
            !cleaned_meta.contains(planted),
            "{planted} left in meta.xml: {cleaned_meta}"
        );
    }
    tool(dir.path(), "unzip", &["-q", "clean.odt", "-d", "x"]);
    for part in ["meta.xml", "content.xml"] {
        tool(&dir.path().join("x"), "xmllint", &["--noout", part]);
    }
    let plain = tool(dir.path(), "pandoc", &["clean.odt", "-t", "plain"]);
    assert!(
        contains(&plain, "Umowa"),
        "{}",
        String::from_utf8_lossy(&plain)
    );
    assert!(c.removed.iter().any(|r| r == "author"), "{:?}", c.removed);
}

#[test]
fn gps_photo_in_encrypted_report_is_cleaned_for_handlers_and_sealed_for_custodians() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = Gpg::new();
    let dir = tempfile::tempdir().unwrap();
    let photo = std::fs::read(gps_jpeg(dir.path())).unwrap();
    let token = unique("C");
    let raw = reporter.encrypt_pgp_mime(
        &s.intake_cert,
        &format!("Jan Kowalski <jan.{token}@example.net>"),
        "zgloszenia@urzad.example.org",
        "Zdjecie z magazynu",
        "W zalaczniku zdjecie.\n",
        Some(("magazyn.jpg", &photo)),
        None,
    );
    dovecot.append("INBOX", &raw);
    s.gateway.run_once();
    let numbers = s.gateway.case_numbers();
    assert_eq!(numbers.len(), 1);
    let number = &numbers[0];

    let save = tempfile::tempdir().unwrap();
    let case = s
        .gateway
        .show_case(number, &s.handler.key_file, Some(save.path()));
    let att = &case["attachments"][0];
    assert_eq!(att["cleaned"], true, "{case}");
    let removed = att["metadata_removed"].to_string();
    assert!(
        removed.contains("GPS position") && removed.contains("camera serial"),
        "{removed}"
    );
    let case_text = case.to_string();
    assert!(
        !case_text.contains(SERIAL) && !case_text.contains("52.2296"),
        "values in the case"
    );
    let saved = std::fs::read(save.path().join("magazyn.jpg")).unwrap();
    assert_ne!(saved, photo);
    assert_eq!(str_field(att, "sha256"), sha256_hex(&saved));
    std::fs::write(dir.path().join("saved.jpg"), &saved).unwrap();
    let exif = tool(dir.path(), "exiftool", &["-j", "saved.jpg"]);
    assert!(
        !contains(&exif, "GPS") && !contains(&exif, SERIAL),
        "{}",
        String::from_utf8_lossy(&exif)
    );
    tool(dir.path(), "djpeg", &["saved.jpg"]);

    // The text view names the fields, not the values.
    let text = s.gateway.run_ok(&[
        "cases",
        "show",
        number,
        "--key",
        s.handler.key_file.to_str().unwrap(),
    ]);
    assert!(
        text.contains("metadata removed: ") && text.contains("GPS position"),
        "{text}"
    );
    assert!(!text.contains(SERIAL));

    // The custodian's sealed record holds the original, byte for byte, with the values.
    let out = s.gateway.unseal(number, &s.custodian.key_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let orig = &identity["original_attachments"][0];
    assert_eq!(str_field(orig, "sha256"), sha256_hex(&photo), "{identity}");
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD
        .decode(str_field(orig, "data"))
        .unwrap();
    assert_eq!(data, photo);
    let metadata = orig["metadata"].to_string();
    assert!(
        metadata.contains(SERIAL) && metadata.contains("52.2296"),
        "{metadata}"
    );
    let text = s.gateway.run_ok(&[
        "identity",
        "unseal",
        number,
        "--key",
        s.custodian.key_file.to_str().unwrap(),
        "--reason",
        "test: attachment metadata",
    ]);
    assert!(text.contains(&format!("camera serial: {SERIAL}")), "{text}");

    // Both copies live apart, under the attachment's own shred key: a content rotation gives
    // them a new one (the old one destroyed) and they still open, byte for byte.
    let shred_dir = s.gateway.dir().join("var/keys/shred");
    let keys_before: Vec<_> = std::fs::read_dir(&shred_dir).unwrap().collect();
    assert_eq!(
        keys_before.len(),
        2,
        "one for the case, one for its attachment"
    );
    let rotated = s.gateway.run_ok(&[
        "keys",
        "reseal",
        "--key",
        s.custodian.key_file.to_str().unwrap(),
        "--rotate-content",
        "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_str(&rotated).unwrap();
    assert_eq!(summary["attachments"], 2, "{summary}");
    let keys_after: Vec<_> = std::fs::read_dir(&shred_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(keys_after.len(), 2, "{keys_after:?}");
    for old in keys_before {
        assert!(
            !keys_after.contains(&old.unwrap().file_name()),
            "old key kept"
        );
    }
    let save = tempfile::tempdir().unwrap();
    s.gateway
        .show_case(number, &s.handler.key_file, Some(save.path()));
    assert_eq!(
        std::fs::read(save.path().join("magazyn.jpg")).unwrap(),
        saved
    );
    let out = s.gateway.unseal(number, &s.custodian.key_file);
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let data = base64::engine::general_purpose::STANDARD
        .decode(str_field(&identity["original_attachments"][0], "data"))
        .unwrap();
    assert_eq!(data, photo);
}
