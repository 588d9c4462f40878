use super::*;

fn name(raw: &str) -> Option<String> {
    SafeName::new(raw).map(|n| n.as_str().to_owned())
}

#[test]
fn hostile_names_are_reduced_to_their_last_component() {
    assert_eq!(name("../../etc/passwd").as_deref(), Some("passwd"));
    assert_eq!(name("C:\\Users\\jk\\x.pdf").as_deref(), Some("x.pdf"));
    assert_eq!(
        name("/abs/path/report.docx").as_deref(),
        Some("report.docx")
    );
    assert_eq!(name("..").as_deref(), None);
    assert_eq!(name("dir/").as_deref(), None);
}

#[test]
fn bidi_controls_and_nul_are_removed() {
    assert_eq!(name("a\u{202E}fdp.exe").as_deref(), Some("afdp.exe"));
    assert_eq!(name("x\u{2066}y\u{2069}.txt").as_deref(), Some("xy.txt"));
    assert_eq!(name("evil\0.pdf").as_deref(), Some("evil.pdf"));
    assert_eq!(name("line\r\nbreak.txt").as_deref(), Some("linebreak.txt"));
    assert_eq!(name("\0\u{202E}").as_deref(), None);
}

#[test]
fn leading_dots_go_and_length_is_capped() {
    assert_eq!(name(".bashrc").as_deref(), Some("bashrc"));
    assert_eq!(name("...hidden.txt").as_deref(), Some("hidden.txt"));
    let long = "ż".repeat(500);
    assert_eq!(name(&long).unwrap().chars().count(), MAX_NAME_CHARS);
    assert_eq!(name("   ").as_deref(), None);
}

#[test]
fn debug_is_redacted() {
    let n = SafeName::new("jan-kowalski.pdf").unwrap();
    let shown = format!("{n:?}");
    assert!(!shown.contains("kowalski"), "{shown}");
}

#[test]
fn one_line_strips_injection() {
    assert_eq!(one_line("a\r\nBcc: x@y\tz"), "a Bcc: x@y z");
    assert_eq!(one_line("  \u{202E}abc  "), "abc");
}
