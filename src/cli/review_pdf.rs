//! The yearly review record (protokół przeglądu) as a PDF for the data-protection officer to sign:
//! totals, every destruction of the year, every case kept and why, signature lines. Polish by
//! default, English available. Laid out in a monospaced font (DejaVu Sans Mono, embedded and
//! subset by krilla) so that columns line up and lines wrap by character count, exactly.

use chrono::NaiveDate;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::{Font, TextDirection};
use krilla::Document;

use crate::cases::acknowledgement::Lang;
use crate::desk::{RetentionReview, Standing};

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
struct Flow(Vec<Line>);

impl Flow {
    fn title(&mut self, text: &str) {
        self.wrapped(text, TITLE, 0.0);
    }
    fn heading(&mut self, text: &str) {
        self.wrapped(text, HEADING, 10.0);
    }
    fn line(&mut self, text: &str) {
        self.wrapped(text, BODY, 0.0);
    }
    fn gap(&mut self) {
        self.0.push(Line {
            text: String::new(),
            size: BODY,
            space_before: 0.0,
        });
    }
    /// Word-wrapped to the page width; continuation lines keep the first line's indent. A line
    /// that fits is kept as it is (table columns keep their spacing).
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
        let indent = text.chars().take_while(|c| *c == ' ').count();
        let mut current = String::new();
        let mut first = true;
        for word in text.split_whitespace() {
            let len = current.chars().count();
            if len > indent && len + 1 + word.chars().count() > width {
                self.0.push(Line {
                    text: std::mem::take(&mut current),
                    size,
                    space_before: if first { space_before } else { 0.0 },
                });
                first = false;
            }
            if current.is_empty() {
                current = " ".repeat(indent);
            } else if current.chars().count() > indent {
                current.push(' ');
            }
            current.push_str(word);
        }
        self.0.push(Line {
            text: current,
            size,
            space_before: if first { space_before } else { 0.0 },
        });
    }
}

/// Words of the record, in one language.
struct Words {
    title: &'static str,
    year: &'static str,
    made: &'static str,
    tenant: &'static str,
    rule: &'static str,
    summary: &'static str,
    reviewed: &'static str,
    destroyed: &'static str,
    on_hold: &'static str,
    kept: &'static str,
    open: &'static str,
    destructions: &'static str,
    destruction_header: [&'static str; 7],
    by: &'static str,
    under: &'static str,
    none: &'static str,
    kept_cases: &'static str,
    kept_header: [&'static str; 5],
    kept_until: &'static str,
    held_since: &'static str,
    still_open: &'static str,
    signatures: &'static str,
    reviewer: &'static str,
    officer: &'static str,
    date: &'static str,
    note: &'static str,
    page: &'static str,
}

const PL: Words = Words {
    title: "PROTOKÓŁ PRZEGLĄDU DANYCH W REJESTRZE ZGŁOSZEŃ WEWNĘTRZNYCH",
    year: "Rok objęty przeglądem",
    made: "Sporządzono",
    tenant: "Rejestr (skrzynka)",
    rule: "Podstawa przechowywania i usuwania",
    summary: "1. Podsumowanie",
    reviewed: "Sprawy objęte przeglądem",
    destroyed: "Zniszczone w roku",
    on_hold: "Wstrzymane (postępowanie w toku)",
    kept: "Przechowywane do upływu terminu",
    open: "W toku (działania następcze trwają)",
    destructions: "2. Zniszczenia danych w roku",
    destruction_header: [
        "Nr sprawy",
        "Materiał",
        "Przyjęto",
        "Zakończono",
        "Przech. do",
        "Zniszczono",
        "Wpis",
    ],
    by: "kto",
    under: "podstawa",
    none: "brak",
    kept_cases: "3. Sprawy przechowywane",
    kept_header: ["Nr sprawy", "Przyjęto", "Status", "Zakończono", "Stan"],
    kept_until: "przechowywana do",
    held_since: "wstrzymana od",
    still_open: "działania następcze trwają",
    signatures: "4. Podpisy",
    reviewer: "Przegląd przeprowadził(a): ________________________________",
    officer: "Inspektor ochrony danych:  ________________________________",
    date: "data: ______________",
    note: "Protokół sporządzony przez sygnal z rejestru spraw. Każde zniszczenie ma wpis w dzienniku audytu \
           (numer w kolumnie Wpis; sygnal audit show). Treść zgłoszeń i dane zgłaszających nie są tu ujawniane.",
    page: "strona",
};

const EN: Words = Words {
    title: "REVIEW RECORD OF THE DATA IN THE REGISTER OF INTERNAL REPORTS",
    year: "Year reviewed",
    made: "Made on",
    tenant: "Register (mailbox)",
    rule: "Rule for keeping and destroying",
    summary: "1. Summary",
    reviewed: "Cases reviewed",
    destroyed: "Destroyed in the year",
    on_hold: "On legal hold (proceedings)",
    kept: "Kept until their date",
    open: "Open (follow-up continues)",
    destructions: "2. Destructions in the year",
    destruction_header: [
        "Case number",
        "Material",
        "Received",
        "Ended",
        "Kept until",
        "Destroyed",
        "Entry",
    ],
    by: "by",
    under: "rule",
    none: "none",
    kept_cases: "3. Cases kept",
    kept_header: ["Case number", "Received", "Status", "Ended", "Standing"],
    kept_until: "kept until",
    held_since: "on hold since",
    still_open: "open",
    signatures: "4. Signatures",
    reviewer: "Reviewed by:               ________________________________",
    officer: "Data protection officer:   ________________________________",
    date: "date: ______________",
    note: "Record made by sygnal from the case register. Every destruction has an audit entry (its number in \
           the Entry column; sygnal audit show). No report content or reporter identity appears here.",
    page: "page",
};

fn day(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| d.to_string())
}

fn material(lang: Lang, m: &str) -> &str {
    match (lang, m) {
        (Lang::Pl, "case") => "sprawa",
        (Lang::Pl, "attachment") => "załącznik",
        (Lang::Pl, "note") => "notatka",
        (Lang::Pl, "quarantined-message") => "kwarantanna",
        (_, other) => other,
    }
}

/// A stored item (`attachment 2`, `note #5`, `quarantine #3`) in the record's language.
fn item(lang: Lang, stored: &str) -> String {
    let words: &[(&str, &str)] = match lang {
        Lang::Pl => &[
            ("attachment ", "załącznik "),
            ("note ", "notatka "),
            ("quarantine ", "kwarantanna "),
        ],
        Lang::En => &[],
    };
    words
        .iter()
        .find_map(|(en, pl)| stored.strip_prefix(en).map(|rest| format!("{pl}{rest}")))
        .unwrap_or_else(|| stored.to_owned())
}

/// A stored status in the record's language.
fn status(lang: Lang, s: &str) -> &str {
    match (lang, s) {
        (Lang::Pl, "received") => "przyjęte",
        (Lang::Pl, "acknowledged") => "potwierdzone",
        (Lang::Pl, "in-follow-up") => "w toku",
        (Lang::Pl, "feedback-given") => "inf. zwrotna",
        (Lang::Pl, "closed") => "zakończone",
        (Lang::Pl, "rejected") => "odrzucone",
        (Lang::Pl, "transferred") => "przekazane",
        (_, other) => other,
    }
}

fn flow(review: &RetentionReview, lang: Lang) -> Flow {
    let w = match lang {
        Lang::Pl => &PL,
        Lang::En => &EN,
    };
    let mut f = Flow::default();
    f.title(w.title);
    f.gap();
    f.line(&format!(
        "{}: {}    {}: {}",
        w.year, review.year, w.made, review.made_on
    ));
    if let Some(t) = &review.tenant {
        f.line(&format!("{}: {t}", w.tenant));
    }
    f.line(&format!("{}: {}", w.rule, review.rule));

    let c = review.counts();
    f.heading(w.summary);
    for (label, n) in [
        (w.reviewed, c.reviewed),
        (w.destroyed, c.destroyed),
        (w.on_hold, c.on_hold),
        (w.kept, c.kept),
        (w.open, c.open),
    ] {
        f.line(&format!("  {label:<40} {n:>6}"));
    }

    f.heading(&format!(
        "{} {} ({})",
        w.destructions,
        review.year,
        review.destructions.len()
    ));
    if review.destructions.is_empty() {
        f.line(&format!("  {}", w.none));
    } else {
        let [a, b, c, d, e, g, h] = w.destruction_header;
        f.line(&format!(
            "{a:<18} {b:<11} {c:<11} {d:<11} {e:<11} {g:<11} {h}"
        ));
        for d in &review.destructions {
            // A quarantine entry never filed has no case number: its item names it.
            let what = if d.case_number.is_empty() {
                item(lang, &d.item)
            } else {
                d.case_number.clone()
            };
            f.line(&format!(
                "{:<18} {:<11} {:<11} {:<11} {:<11} {:<11} {}",
                what,
                material(lang, &d.material),
                day(d.received_on),
                day(d.ended_on),
                day(d.kept_until),
                // chrono's dates ignore a width: padded as strings.
                d.destroyed_on.to_string(),
                d.audit_id
            ));
            // Which part of the case went (an attachment, a note); empty for a whole case.
            let item = if d.item.is_empty() || d.case_number.is_empty() {
                String::new()
            } else {
                format!("{}; ", item(lang, &d.item))
            };
            f.line(&format!(
                "    {item}{}: {}; {}: {}",
                w.by, d.actor, w.under, d.rule
            ));
        }
    }

    let kept: Vec<_> = review
        .cases
        .iter()
        .filter(|r| !matches!(r.standing, Standing::Destroyed(_)))
        .collect();
    f.heading(&format!("{} ({})", w.kept_cases, kept.len()));
    if kept.is_empty() {
        f.line(&format!("  {}", w.none));
    } else {
        let [a, b, c, d, e] = w.kept_header;
        f.line(&format!("{a:<18} {b:<11} {c:<17} {d:<11} {e}"));
        for r in kept {
            let standing = match r.standing {
                Standing::Kept(k) => format!("{} {k}", w.kept_until),
                Standing::OnHold(h) => format!("{} {h}", w.held_since),
                Standing::Open | Standing::Destroyed(_) => w.still_open.to_owned(),
            };
            f.line(&format!(
                "{:<18} {:<11} {:<17} {:<11} {standing}",
                r.case.number,
                r.case.received_at.to_string(),
                status(lang, &r.case.status),
                day(r.case.ended_at)
            ));
        }
    }

    f.heading(w.signatures);
    f.gap();
    f.line(&format!("{}   {}", w.reviewer, w.date));
    f.gap();
    f.gap();
    f.line(&format!("{}   {}", w.officer, w.date));
    f.gap();
    f.line(w.note);
    f
}

/// Renders the record; the error says what failed.
pub fn render(review: &RetentionReview, lang: Lang) -> Result<Vec<u8>, String> {
    let font = Font::new(FONT.into(), 0).ok_or("the embedded font does not load")?;
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("the page size is not valid")?;
    let w = match lang {
        Lang::Pl => &PL,
        Lang::En => &EN,
    };
    // Lines to pages: a page ends when the next line would cross the bottom margin (less
    // room for the footer).
    let mut pages: Vec<Vec<(f32, &Line)>> = vec![Vec::new()];
    let lines = flow(review, lang);
    let mut y = MARGIN;
    for line in &lines.0 {
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
            &format!("{} {} · {} {}/{total}", w.year, review.year, w.page, n + 1),
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {}", w.title, review.year))
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
}
