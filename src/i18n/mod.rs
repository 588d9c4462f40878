//! People-facing texts in Polish and English (Project Fluent, `locales/*.ftl`): what a
//! handler, a custodian and the CLI's other users read. Polish plural forms (1 sprawa,
//! 2 sprawy, 5 spraw) come from Fluent's plural rules, not from code. A front end picks the
//! language once and asks for messages by id; the texts hold no rule.

use std::borrow::Cow;

use chrono::NaiveDate;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

pub use crate::cases::acknowledgement::Lang;
use crate::cases::{DeadlineKind, Status};
pub use fluent_bundle::FluentValue;

const POLISH: &str = include_str!("../../locales/pl.ftl");
/// The CLI's help in Polish; the English help is the commands' own doc comments.
const POLISH_HELP: &str = include_str!("../../locales/pl-help.ftl");
const ENGLISH: &str = include_str!("../../locales/en.ftl");

/// The messages of one language.
pub struct Texts {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Texts").field("lang", &self.lang).finish()
    }
}

impl Texts {
    /// The messages of `lang`.
    pub fn new(lang: Lang) -> Texts {
        let (sources, id): (&[&str], _) = match lang {
            Lang::Pl => (&[POLISH, POLISH_HELP], unic_langid::langid!("pl")),
            Lang::En => (&[ENGLISH], unic_langid::langid!("en")),
        };
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Terminal output: no Unicode isolation marks around placeables.
        bundle.set_use_isolating(false);
        for source in sources {
            // The files are part of the build and checked by the tests: a syntax error cannot
            // reach a user. Should one slip through, the entries that did parse are kept.
            let resource = FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(r, _)| r);
            let _ = bundle.add_resource(resource);
        }
        Texts { lang, bundle }
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Message `id` without arguments, if there is one (for texts looked up by a computed id,
    /// such as a command's help).
    pub fn lookup(&self, id: &str) -> Option<String> {
        self.bundle.get_message(id)?.value()?;
        Some(self.text(id, None))
    }

    /// Message `id` with `args`; the id itself when there is no such message (a test keeps
    /// that from happening).
    pub fn text(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let out: Cow<'_, str> = self.bundle.format_pattern(pattern, args, &mut errors);
        out.into_owned()
    }

    /// A status, as people say it.
    pub fn status(&self, s: Status) -> String {
        self.text(status_id(s), None)
    }

    /// Which deadline, as people say it.
    pub fn deadline(&self, kind: DeadlineKind) -> String {
        match kind {
            DeadlineKind::Acknowledgement => self.text("deadline-acknowledgement", None),
            DeadlineKind::Feedback => self.text("deadline-feedback", None),
            DeadlineKind::DestroyIrrelevant => self.text("deadline-destroy-irrelevant", None),
        }
    }

    /// "2026-12-10 (in 3 days)", "(today)", "(OVERDUE by 2 days)".
    pub fn when(&self, due: NaiveDate, days_left: i64) -> String {
        let due = due.to_string();
        if days_left < 0 {
            self.text(
                "due-overdue",
                Some(&crate::fluent_args!(due = due, days = -days_left)),
            )
        } else {
            self.text(
                "due-in",
                Some(&crate::fluent_args!(due = due, days = days_left)),
            )
        }
    }
}

/// The message id of a status's name.
pub fn status_id(s: Status) -> &'static str {
    match s {
        Status::Received => "status-received",
        Status::Acknowledged => "status-acknowledged",
        Status::InFollowUp => "status-in-follow-up",
        Status::FeedbackGiven => "status-feedback-given",
        Status::Closed => "status-closed",
        Status::Rejected => "status-rejected",
        Status::Transferred => "status-transferred",
    }
}

/// The language the environment asks for: `SYGNAL_LANG` (pl or en), else the locale
/// (`LC_ALL`, `LC_MESSAGES`, `LANG`, the first one set): Polish for `pl*`, English otherwise.
pub fn lang_from_env() -> Lang {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(lang) = get("SYGNAL_LANG").and_then(|v| Lang::parse(&v.to_ascii_lowercase())) {
        return lang;
    }
    let locale = get("LC_ALL")
        .or_else(|| get("LC_MESSAGES"))
        .or_else(|| get("LANG"))
        .unwrap_or_default();
    if locale.to_ascii_lowercase().starts_with("pl") {
        Lang::Pl
    } else {
        Lang::En
    }
}

/// Arguments for [`Texts::text`]: `args![n = 3, number = "ZW/2026/0001"]`.
#[macro_export]
macro_rules! fluent_args {
    ($($name:ident = $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut a = $crate::i18n::Args::new();
        $( a.set(stringify!($name), $crate::i18n::FluentValue::from($value)); )*
        a
    }};
}

/// Message arguments.
pub type Args<'a> = FluentArgs<'a>;

#[cfg(test)]
mod tests;
