//! Display-safe attachment names and header text: what a sender chose is never a path, a control
//! sequence or a bidi trick by the time anyone sees it (keeps the "hostile file names" threat out).

use std::fmt;

use zeroize::Zeroizing;

/// Longest name kept, in characters; longer names are cut (display only).
pub const MAX_NAME_CHARS: usize = 200;

/// An attachment name fit for display: last path component only, no control characters, no
/// bidi overrides, no leading dots, at most [`MAX_NAME_CHARS`] characters. Never use it as a path.
#[derive(Clone, PartialEq, Eq)]
pub struct SafeName(Zeroizing<String>);

impl SafeName {
    /// Cleans a sender-supplied name; `None` when nothing displayable is left.
    pub fn new(raw: &str) -> Option<SafeName> {
        // The last component after either separator: "../../etc/passwd" and
        // "C:\Users\jk\x.pdf" must not carry their directories (which may name the sender).
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let cleaned: String = last.chars().filter(|c| !is_hidden_char(*c)).collect();
        let trimmed = cleaned.trim().trim_start_matches('.').trim();
        let capped: String = trimmed.chars().take(MAX_NAME_CHARS).collect();
        if capped.is_empty() {
            None
        } else {
            Some(SafeName(Zeroizing::new(capped)))
        }
    }

    /// The cleaned name, for display.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for SafeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafeName(<redacted, {} chars>)", self.0.chars().count())
    }
}

/// Characters that change how text is shown rather than what it says: C0/C1 controls (NUL, CR,
/// LF, ESC...), bidi embeddings, overrides and isolates, and the directional marks.
pub(crate) fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

/// One-line display text from decoded header text: CR, LF, tabs and other controls become a
/// space (RFC 2047 may decode to CR/LF, which must never reach anything we send on), bidi
/// controls are dropped, runs of spaces collapse.
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.chars() {
        if c.is_control() || c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else if !is_hidden_char(c) {
            out.push(c);
            last_space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
#[path = "sanitize_tests.rs"]
mod tests;
