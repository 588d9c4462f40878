//! Printable A4 documents for the paper file (the review record, a case file): lines of text
//! laid out in a monospaced font (DejaVu Sans Mono, embedded and subset by krilla), so that
//! columns line up and lines wrap by character count, exactly.

use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use krilla::Document;

use crate::cases::acknowledgement::Lang;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");
/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
const BODY: f32 = 8.5;
const TITLE: f32 = 12.0;
const HEADING: f32 = 10.0;
/// DejaVu Sans Mono's advance: 1233 of 2048 units per em.
const ADVANCE: f32 = 1233.0 / 2048.0;
const LEADING: f32 = 1.45;

/// Characters per line at `size`.
fn columns(size: f32) -> usize {
    // Truncation intended: a partial character does not fit.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = ((PAGE_W - 2.0 * MARGIN) / (size * ADVANCE)).floor() as usize;
    n
}

struct Line {
    text: String,
    size: f32,
    space_before: f32,
}

/// Lines of text, wrapped, before they are put on pages.
#[derive(Default)]
pub(super) struct Flow(Vec<Line>);

impl Flow {
    pub(super) fn title(&mut self, text: &str) {
        self.wrapped(text, TITLE, 0.0);
    }
    pub(super) fn heading(&mut self, text: &str) {
        self.wrapped(text, HEADING, 10.0);
    }
    pub(super) fn line(&mut self, text: &str) {
        self.wrapped(text, BODY, 0.0);
    }
    pub(super) fn gap(&mut self) {
        self.0.push(Line {
            text: String::new(),
            size: BODY,
            space_before: 0.0,
        });
    }
    /// A block of text as written (a report, a note): each of its lines wrapped with `indent`
    /// spaces before it, blank lines kept, tabs and control characters made spaces (the font
    /// has no glyph for them and they would shift the columns).
    pub(super) fn text(&mut self, text: &str, indent: usize) {
        if text.is_empty() {
            self.gap();
            return;
        }
        let pad = " ".repeat(indent);
        for raw in text.lines() {
            let clean: String = raw
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            if clean.trim().is_empty() {
                self.gap();
            } else {
                self.line(&format!("{pad}{}", clean.trim_end()));
            }
        }
    }
    /// Word-wrapped to the page width; continuation lines keep the first line's indent, and a
    /// word longer than a line (an address, a number) is cut where the line ends. A line that
    /// fits is kept as it is (table columns keep their spacing).
    fn wrapped(&mut self, text: &str, size: f32, space_before: f32) {
        let width = columns(size);
        if text.chars().count() <= width {
            self.0.push(Line {
                text: text.to_owned(),
                size,
                space_before,
            });
            return;
        }
        // An indent that leaves no room for words is not kept.
        let indent = text
            .chars()
            .take_while(|c| *c == ' ')
            .count()
            .min(width / 2);
        let mut lines: Vec<String> = Vec::new();
        let mut current = " ".repeat(indent);
        for word in text.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let len = current.chars().count();
                let sep = usize::from(len > indent);
                if len + sep + word.len() <= width {
                    if sep == 1 {
                        current.push(' ');
                    }
                    current.extend(word.iter());
                    break;
                }
                if len > indent {
                    lines.push(std::mem::replace(&mut current, " ".repeat(indent)));
                    continue;
                }
                // A word longer than the whole line: as much as fits, the rest on the next.
                let rest = word.split_off(width - indent);
                current.extend(word.iter());
                lines.push(std::mem::replace(&mut current, " ".repeat(indent)));
                word = rest;
            }
        }
        if current.chars().count() > indent {
            lines.push(current);
        }
        for (n, text) in lines.into_iter().enumerate() {
            self.0.push(Line {
                text,
                size,
                space_before: if n == 0 { space_before } else { 0.0 },
            });
        }
    }
}

/// Lays `flow` out on A4 pages, with `footer(page, pages)` at the foot of each; the error
/// says what failed.
pub(super) fn render(
    flow: &Flow,
    title: &str,
    lang: Lang,
    footer: impl Fn(usize, usize) -> String,
) -> Result<Vec<u8>, String> {
    let font = Font::new(FONT.into(), 0).ok_or("the embedded font does not load")?;
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("the page size is not valid")?;
    // Lines to pages: a page ends when the next line would cross the bottom margin (less
    // room for the footer).
    let mut pages: Vec<Vec<(f32, &Line)>> = vec![Vec::new()];
    let mut y = MARGIN;
    for line in &flow.0 {
        let height = line.size * LEADING;
        if y + line.space_before + height > PAGE_H - MARGIN - 20.0 {
            pages.push(Vec::new());
            y = MARGIN;
        }
        y += if y > MARGIN { line.space_before } else { 0.0 } + height;
        if let Some(page) = pages.last_mut() {
            page.push((y, line));
        }
    }
    let mut document = Document::new();
    let total = pages.len();
    for (n, page_lines) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (y, line) in page_lines {
            surface.draw_text(
                Point::from_xy(MARGIN, *y),
                font.clone(),
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        surface.draw_text(
            Point::from_xy(MARGIN, PAGE_H - MARGIN + 10.0),
            font.clone(),
            BODY - 1.0,
            &footer(n + 1, total),
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document.set_metadata(
        Metadata::new()
            .title(title.to_owned())
            .language(match lang {
                Lang::Pl => "pl".to_owned(),
                Lang::En => "en".to_owned(),
            })
            .creator("sygnal".to_owned()),
    );
    document
        .finish()
        .map_err(|e| format!("the PDF could not be written: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::{columns, Flow, BODY};

    #[test]
    fn wrapped_lines_fit_the_page_and_keep_every_word_and_the_indent() {
        let text = format!("    {}", "słowo ".repeat(60));
        let mut f = Flow::default();
        f.wrapped(&text, BODY, 0.0);
        assert!(f.0.len() > 1);
        for l in &f.0 {
            assert!(l.text.chars().count() <= columns(BODY), "{}", l.text);
            assert!(l.text.starts_with("    słowo"), "{}", l.text);
        }
        let words: usize = f.0.iter().map(|l| l.text.split_whitespace().count()).sum();
        assert_eq!(words, 60);
    }

    #[test]
    fn a_word_longer_than_a_line_is_cut_at_the_margin_and_nothing_is_lost() {
        let long = "x".repeat(columns(BODY) * 2 + 7);
        let mut f = Flow::default();
        f.wrapped(&format!("  przed {long} po"), BODY, 0.0);
        for l in &f.0 {
            assert!(l.text.chars().count() <= columns(BODY), "{}", l.text);
        }
        let joined: String = f.0.iter().map(|l| l.text.replace(' ', "")).collect();
        assert_eq!(joined, format!("przed{long}po"));
    }

    #[test]
    fn a_text_block_keeps_its_blank_lines_and_prints_no_control_characters() {
        let mut f = Flow::default();
        f.text("pierwszy\r\n\r\n\tdrugi\x1b[31m\r\n", 2);
        f.text("", 0);
        let lines: Vec<&str> = f.0.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(lines, ["  pierwszy", "", "   drugi [31m", ""]);
    }
}
