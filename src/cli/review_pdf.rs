//! The yearly review record (protokół przeglądu) as a PDF for the data-protection officer to sign:
//! totals, every destruction of the year, every case kept and why, signature lines. Polish by
//! default, English available.

use chrono::NaiveDate;

use super::pdf::{self, Flow};

use crate::cases::acknowledgement::Lang;
use crate::desk::{RetentionReview, Standing};

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
    let w = match lang {
        Lang::Pl => &PL,
        Lang::En => &EN,
    };
    pdf::render(
        &flow(review, lang),
        &format!("{} {}", w.title, review.year),
        lang,
        |n, total| format!("{} {} · {} {n}/{total}", w.year, review.year, w.page),
    )
}
