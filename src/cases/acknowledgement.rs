//! Acknowledgement texts for reporters (art. 25 ust. 1 pkt 3 of the act): Polish by default,
//! English available. Only the case number and dates go in; sending is not sygnal's job yet
//! (the handler sends it and records the date with `cases status N acknowledged --on DATE`).

use chrono::NaiveDate;

/// Language of a reporter-facing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Polish (default).
    #[default]
    Pl,
    /// English.
    En,
}

impl Lang {
    /// Parses `pl` or `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "pl" => Some(Lang::Pl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The acknowledgement of receipt for case `number`, received on `received`, with feedback due
/// by `feedback_due`.
pub fn acknowledgement(
    lang: Lang,
    number: &str,
    received: NaiveDate,
    feedback_due: NaiveDate,
) -> String {
    let received = received.format("%d.%m.%Y");
    let due = feedback_due.format("%d.%m.%Y");
    match lang {
        Lang::Pl => format!(
            "Potwierdzamy przyjęcie zgłoszenia wewnętrznego z dnia {received}, \
             zarejestrowanego pod numerem {number}.\n\n\
             Zgłoszenie zostanie rozpatrzone zgodnie z procedurą zgłoszeń wewnętrznych. \
             Informację zwrotną o planowanych lub podjętych działaniach następczych przekażemy \
             nie później niż do dnia {due}.\n\n\
             Państwa tożsamość jest chroniona i nie zostanie ujawniona bez Państwa wyraźnej zgody, \
             z wyjątkiem przypadków przewidzianych w ustawie z dnia 14 czerwca 2024 r. \
             o ochronie sygnalistów — wówczas zostaną Państwo o tym uprzedzeni.\n\n\
             Prosimy powoływać się na numer {number} w dalszej korespondencji.\n"
        ),
        Lang::En => format!(
            "We confirm receipt of your internal report of {received}, registered as {number}.\n\n\
             The report will be handled under the internal reporting procedure. We will give you \
             feedback on the follow-up actions planned or taken no later than {due}.\n\n\
             Your identity is protected and will not be disclosed without your explicit consent, \
             except where the Polish Act of 14 June 2024 on the protection of whistleblowers \
             requires it; you would be told beforehand.\n\n\
             Please quote {number} in further correspondence.\n"
        ),
    }
}
