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

/// A time the register stores in UTC (RFC 3339), as people read it: local time with its offset
/// (`2026-12-03 11:00:00+01:00`), like the case dates beside it. JSON keeps UTC. Anything
/// that is not such a time is printed as a [`line`].
pub(crate) fn local_time(stored: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(stored) {
        Ok(t) => t
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S%:z")
            .to_string(),
        Err(_) => line(stored),
    }
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
    use super::{line, local_time, text};

    #[test]
    fn stored_utc_times_print_as_local_time_with_the_offset() {
        let shown = local_time("2026-12-03T10:00:00.123456Z");
        let back = chrono::DateTime::parse_from_str(&shown, "%Y-%m-%d %H:%M:%S%:z")
            .unwrap_or_else(|e| panic!("{shown:?}: {e}"));
        assert_eq!(back.timestamp(), 1_796_292_000, "{shown}");
        assert!(!shown.ends_with('Z'), "{shown}");
        assert_eq!(local_time("not a time\x1b[2J"), "not a time\u{FFFD}[2J");
    }

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
