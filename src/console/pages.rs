//! The console's pages, server-rendered with maud (every interpolated string is escaped). They
//! show what the desk returns; they hold no rule. No content or identity reaches these pages
//! yet: they need no key.

use chrono::NaiveDate;
use maud::{html, Markup, DOCTYPE};

use crate::cases::Status;
use crate::desk::{CaseFile, CaseListing, DueItem, NextDeadline};
use crate::fluent_args;
use crate::i18n::Texts;

/// Which page of the navigation is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Due,
    Cases,
    None,
}

/// A page in the console's frame.
pub fn layout(t: &Texts, title: &str, nav: Nav, body: Markup) -> Markup {
    let lang = match t.lang() {
        crate::i18n::Lang::Pl => "pl",
        crate::i18n::Lang::En => "en",
    };
    let current = |n: Nav| (n == nav).then_some("page");
    html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · sygnal" }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                header {
                    span.brand { "sygnal" }
                    nav {
                        a href="/due" aria-current=[current(Nav::Due)] { (t.text("console-nav-due", None)) }
                        " "
                        a href="/cases" aria-current=[current(Nav::Cases)] { (t.text("console-nav-cases", None)) }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// Days overdue or left, as people say it.
fn days(t: &Texts, days_left: i64) -> String {
    match days_left {
        d if d < 0 => t.text("console-days-overdue", Some(&fluent_args!(days = -d))),
        0 => t.text("console-due-today", None),
        d => t.text("console-days-left", Some(&fluent_args!(days = d))),
    }
}

/// The class a deadline's row or cell carries: overdue in red, due within 3 days marked.
fn urgency(days_left: i64) -> Option<&'static str> {
    match days_left {
        d if d < 0 => Some("overdue"),
        0..=3 => Some("soon"),
        _ => None,
    }
}

fn case_link(number: &str) -> String {
    let mut url = String::from("/case?number=");
    url.extend(url_encode(number));
    url
}

/// Percent-encodes a query value (case numbers hold slashes).
fn url_encode(value: &str) -> impl Iterator<Item = String> + '_ {
    value.bytes().map(|b| match b {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
            char::from(b).to_string()
        }
        _ => format!("%{b:02X}"),
    })
}

/// The due list: overdue first (the desk lists soonest first), each with days overdue or left.
pub fn due(t: &Texts, items: &[DueItem]) -> Markup {
    let title = t.text("console-due-heading", None);
    let body = html! {
        h1 { (title) }
        @if items.is_empty() {
            p.muted { (t.text("due-nothing", None)) }
        } @else {
            table {
                thead { tr {
                    th { (t.text("console-col-case", None)) }
                    th { (t.text("console-col-deadline", None)) }
                    th { (t.text("console-col-due", None)) }
                    th { (t.text("console-col-days", None)) }
                    th { (t.text("console-col-status", None)) }
                } }
                tbody {
                    @for i in items {
                        tr class=[urgency(i.days_left)] {
                            td { a href=(case_link(&i.number)) { (i.number) } }
                            td {
                                (t.deadline(i.deadline))
                                @if let Some(a) = i.attachment { (t.text("due-attachment", Some(&fluent_args!(attachment = a)))) }
                                @if let Some(n) = i.note { (t.text("due-note", Some(&fluent_args!(note = n)))) }
                            }
                            td.nowrap { (i.due) }
                            td class=[urgency(i.days_left)] { (days(t, i.days_left)) }
                            td { (t.status(i.status)) }
                        }
                    }
                }
            }
        }
    };
    layout(t, &title, Nav::Due, body)
}

/// What the case list is filtered by, as the form shows it.
pub struct ListFilter<'a> {
    pub status: Option<Status>,
    pub year: Option<i32>,
    pub statuses: &'a [Status],
}

/// The case list with its filters (a plain GET form: no script needed).
pub fn cases(t: &Texts, listed: &[CaseListing], filter: &ListFilter<'_>) -> Markup {
    let title = t.text("console-cases-heading", None);
    let body = html! {
        h1 { (title) }
        form.filters method="get" action="/cases" {
            label {
                (t.text("console-col-status", None))
                select name="status" {
                    option value="" { (t.text("console-filter-any", None)) }
                    @for s in filter.statuses {
                        option value=(s.as_str()) selected[filter.status == Some(*s)] { (t.status(*s)) }
                    }
                }
            }
            label {
                (t.text("console-filter-year", None))
                input type="number" name="year" min="2000" max="9999" value=[filter.year];
            }
            button type="submit" { (t.text("console-filter-apply", None)) }
        }
        @if listed.is_empty() {
            p.muted { (t.text("console-cases-none", None)) }
        } @else {
            table {
                thead { tr {
                    th { (t.text("console-col-case", None)) }
                    th { (t.text("console-col-received", None)) }
                    th { (t.text("console-col-status", None)) }
                    th { (t.text("console-col-next", None)) }
                    th { (t.text("console-col-arrived", None)) }
                } }
                tbody {
                    @for c in listed {
                        tr class=[c.next_deadline.as_ref().and_then(|d| urgency(d.days_left))] {
                            td { a href=(case_link(&c.summary.number)) { (c.summary.number) } }
                            td.nowrap { (c.summary.received_at) }
                            td { (status_text(t, &c.summary.status)) }
                            td {
                                @match (&c.next_deadline, c.summary.destroyed_on) {
                                    (_, Some(on)) => (t.text("console-destroyed", Some(&fluent_args!(date = on.to_string())))),
                                    (Some(d), None) => (deadline_line(t, d)),
                                    (None, None) => span.muted { "—" },
                                }
                            }
                            td { (arrived(t, c.summary.encrypted)) }
                        }
                    }
                }
            }
        }
    };
    layout(t, &title, Nav::Cases, body)
}

fn status_text(t: &Texts, stored: &str) -> String {
    Status::parse(stored).map_or_else(|| stored.to_owned(), |s| t.status(s))
}

fn arrived(t: &Texts, encrypted: bool) -> String {
    t.text(
        if encrypted {
            "console-arrived-encrypted"
        } else {
            "console-arrived-unencrypted"
        },
        None,
    )
}

fn deadline_line(t: &Texts, d: &NextDeadline) -> Markup {
    html! {
        (t.deadline(d.kind)) " " (d.due) " "
        span class=[urgency(d.days_left)] { "(" (days(t, d.days_left)) ")" }
    }
}

fn date(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| d.to_string())
}

/// A case's page without a key: dates, status and open deadlines.
pub fn case(t: &Texts, file: &CaseFile, deadlines: &[NextDeadline]) -> Markup {
    let title = t.text(
        "console-case-heading",
        Some(&fluent_args!(number = file.number.as_str())),
    );
    let body = html! {
        h1 { (title) }
        dl.facts {
            dt { (t.text("console-col-received", None)) } dd { (file.received_at) }
            dt { (t.text("console-col-status", None)) } dd { (t.status(file.status)) }
            dt { (t.text("console-col-arrived", None)) } dd { (arrived(t, file.encrypted)) }
            dt { (t.text("deadline-acknowledgement", None)) } dd { (file.acknowledgement_due) " · " (date(file.acknowledged_at)) }
            dt { (t.text("deadline-feedback", None)) } dd { (file.feedback_due) " · " (date(file.feedback_at)) }
        }
        h2 { (t.text("console-case-deadlines", None)) }
        @if deadlines.is_empty() {
            p.muted { (t.text("due-nothing", None)) }
        } @else {
            ul { @for d in deadlines { li { (deadline_line(t, d)) } } }
        }
        p.notice { (t.text("console-case-key-notice", None)) }
    };
    layout(t, &title, Nav::None, body)
}

/// A refusal or failure, told in the page's frame.
pub fn problem(t: &Texts, text: &str) -> Markup {
    let title = t.text("console-problem-heading", None);
    layout(
        t,
        &title,
        Nav::None,
        html! { h1 { (title) } p { (text) } p { a href="/due" { (t.text("console-nav-due", None)) } } },
    )
}

/// The stylesheet, served by the console itself.
pub const STYLESHEET: &str = include_str!("../../assets/console.css");
