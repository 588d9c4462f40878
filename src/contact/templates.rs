//! Texts sent to reporters: built in, Polish by default with English available, or read from
//! files an admin edits (`acknowledgement.pl.txt`, `reply.en.txt`, ...). A template is a
//! `Subject:` line, an empty line and the body; `{number}`, `{received}`, `{feedback_due}` and
//! (in replies) `{text}` are filled in. Only the case number and dates ever go in an
//! acknowledgement, never anything of the report.

use chrono::NaiveDate;

use crate::cases::acknowledgement::Lang;

/// A subject and a body with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Subject line (placeholders allowed).
    pub subject: String,
    /// Body.
    pub body: String,
}

/// A template file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// No `Subject:` line followed by an empty line.
    #[error("{name}: the first line must be \"Subject: ...\" and the second empty")]
    NoSubject {
        /// File name.
        name: String,
    },
    /// A placeholder this template does not have.
    #[error("{name}: unknown placeholder {{{placeholder}}} (known: {known})")]
    Unknown {
        /// File name.
        name: String,
        /// The placeholder.
        placeholder: String,
        /// The ones it may use.
        known: String,
    },
    /// A reply template without `{text}` would drop the handler's words.
    #[error("{name}: a reply template needs {{text}}, where the handler's text goes")]
    NoText {
        /// File name.
        name: String,
    },
}

const ACK_FIELDS: &[&str] = &["number", "received", "feedback_due"];
const REPLY_FIELDS: &[&str] = &["number", "text"];

impl Template {
    /// Parses a template file's text (`name` is for messages), checking its placeholders.
    pub fn parse(name: &str, text: &str, reply: bool) -> Result<Template, TemplateError> {
        let text = text.replace("\r\n", "\n");
        let (first, rest) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        let subject = first
            .strip_prefix("Subject:")
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let (Some(subject), Some(body)) = (subject, rest.strip_prefix('\n')) else {
            return Err(TemplateError::NoSubject {
                name: name.to_owned(),
            });
        };
        let template = Template {
            subject: subject.to_owned(),
            body: body.to_owned(),
        };
        let known = if reply { REPLY_FIELDS } else { ACK_FIELDS };
        for placeholder in template.placeholders() {
            if !known.contains(&placeholder.as_str()) {
                return Err(TemplateError::Unknown {
                    name: name.to_owned(),
                    placeholder,
                    known: known.join(", "),
                });
            }
        }
        if reply && !template.body.contains("{text}") {
            return Err(TemplateError::NoText {
                name: name.to_owned(),
            });
        }
        Ok(template)
    }

    fn placeholders(&self) -> Vec<String> {
        let mut found = Vec::new();
        for text in [&self.subject, &self.body] {
            let mut rest = text.as_str();
            while let Some(start) = rest.find('{') {
                let after = rest.get(start + 1..).unwrap_or("");
                match after.find('}') {
                    Some(end) => {
                        found.push(after.get(..end).unwrap_or("").to_owned());
                        rest = after.get(end + 1..).unwrap_or("");
                    }
                    None => break,
                }
            }
        }
        found
    }

    /// Fills the placeholders (the handler's text last, so that braces in it stay as written).
    fn fill(&self, values: &[(&str, &str)]) -> (String, String) {
        let fill = |t: &str| {
            let mut out = t.to_owned();
            for (k, v) in values.iter().filter(|(k, _)| *k != "text") {
                out = out.replace(&format!("{{{k}}}"), v);
            }
            if let Some((_, text)) = values.iter().find(|(k, _)| *k == "text") {
                out = out.replace("{text}", text);
            }
            out
        };
        (fill(&self.subject), fill(&self.body))
    }
}

/// The texts of one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    /// Acknowledgement of receipt.
    pub acknowledgement: Template,
    /// A handler's reply around their text.
    pub reply: Template,
}

fn date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

impl Texts {
    /// The built-in texts.
    pub fn builtin(lang: Lang) -> Texts {
        let (ack, reply) = match lang {
            Lang::Pl => (ACK_PL, REPLY_PL),
            Lang::En => (ACK_EN, REPLY_EN),
        };
        Texts {
            acknowledgement: Template::parse("built-in", ack, false).unwrap_or_else(|_| fallback()),
            reply: Template::parse("built-in", reply, true).unwrap_or_else(|_| fallback()),
        }
    }

    /// The acknowledgement of case `number`: (subject, body).
    pub fn acknowledgement(
        &self,
        number: &str,
        received: NaiveDate,
        feedback_due: NaiveDate,
    ) -> (String, String) {
        self.acknowledgement.fill(&[
            ("number", number),
            ("received", &date(received)),
            ("feedback_due", &date(feedback_due)),
        ])
    }

    /// A handler's reply in case `number`: (subject, body).
    pub fn reply(&self, number: &str, text: &str) -> (String, String) {
        self.reply.fill(&[("number", number), ("text", text)])
    }
}

/// Never used: the built-in texts parse (a unit test proves it).
fn fallback() -> Template {
    Template {
        subject: "{number}".to_owned(),
        body: "{text}".to_owned(),
    }
}

// The built-in texts are the example files an admin copies to start their own from.
const ACK_PL: &str = include_str!("../../examples/templates/acknowledgement.pl.txt");
const ACK_EN: &str = include_str!("../../examples/templates/acknowledgement.en.txt");
const REPLY_PL: &str = include_str!("../../examples/templates/reply.pl.txt");
const REPLY_EN: &str = include_str!("../../examples/templates/reply.en.txt");
