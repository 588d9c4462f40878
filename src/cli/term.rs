//! Text that did not come from sygnal itself (anything a sender wrote: subjects, names, content
//! types, detail texts, notes; names an admin typed) made safe for a terminal before it is
//! printed. Escape sequences could rewrite the screen, the window title or the clipboard, and
//! bidi overrides could make one case number read as another.

/// Multi-line text: control characters and bidi controls become U+FFFD; line breaks (LF, or
/// the CRLF that mail and IMAP use) and tabs stay. A lone CR would move the cursor back over
/// the line: it does not stay.
pub(crate) fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        out.push(
            if (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c) {
                '\u{FFFD}'
            } else {
                c
            },
        );
    }
    out
}

/// One line of a listing: as [`text`], and line breaks and tabs too become U+FFFD, so a value
/// cannot forge the next line.
pub(crate) fn line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::{line, text};

    #[test]
    fn escape_sequences_and_bidi_overrides_do_not_reach_the_terminal() {
        let hostile = "a\u{1b}]0;pwned\u{7}b\u{202E}c\r\nd\te";
        let safe = text(hostile);
        assert!(!safe.contains('\u{1b}') && !safe.contains('\u{7}') && !safe.contains('\u{202E}'));
        assert!(!safe.contains('\r'));
        assert!(safe.contains("\nd\te"));
    }

    #[test]
    fn crlf_line_ends_print_as_line_breaks_without_replacement_characters() {
        assert_eq!(
            text("Dzień dobry,\r\nzgłaszam.\r\n"),
            "Dzień dobry,\nzgłaszam.\n"
        );
        assert_eq!(
            text("a\rb"),
            "a\u{FFFD}b",
            "a lone CR still cannot rewrite the line"
        );
    }

    #[test]
    fn a_listed_value_cannot_forge_the_next_line() {
        let forged = "text/plain\n#2 2026-01-01 filed ZW/2026/0001";
        assert!(!line(forged).contains('\n'));
        assert_eq!(line("zwykły tekst"), "zwykły tekst");
    }
}
