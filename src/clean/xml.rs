//! XML parts of office documents: rewrites who-and-when attributes and elements (tracked-change
//! and comment authors, initials, user IDs, rsid values, edit dates) without touching the text,
//! and replaces property parts (docProps, meta.xml) by empty ones (invariant 2). quick-xml
//! streams without recursion and expands no custom entities, so nesting cannot blow the stack.

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::name::QName;
use quick_xml::{Reader, Writer};

use super::{CleanError, Findings};

/// What replaces a person's name.
const ANONYMOUS: &str = "Anonymous";

/// Names a property-part element for the handler.
fn property_name(local: &str) -> String {
    match local {
        "creator" | "initial-creator" => "author".to_owned(),
        "lastModifiedBy" => "last modified by".to_owned(),
        "created" | "creation-date" => "creation date".to_owned(),
        "modified" | "date" => "modification date".to_owned(),
        "lastPrinted" | "print-date" => "print date".to_owned(),
        "Company" => "company".to_owned(),
        "Manager" => "manager".to_owned(),
        "Application" | "AppVersion" | "generator" => "creator application".to_owned(),
        "Template" | "template" => "template".to_owned(),
        "revision" | "editing-cycles" => "revision count".to_owned(),
        "TotalTime" | "editing-duration" => "editing time".to_owned(),
        "printed-by" => "printed by".to_owned(),
        other => format!("document property {other}"),
    }
}

/// Reads a property part (docProps/core.xml, app.xml, custom.xml, meta.xml) for its values;
/// the caller replaces the part with `empty`.
pub fn property_findings(xml: &[u8], found: &mut Findings) -> Result<(), CleanError> {
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut custom_name: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let local = e.local_name().as_ref().to_owned();
                if local == "property" || local == "user-defined" {
                    custom_name = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == "name")
                        .map(|a| a.value.into_owned());
                }
                stack.push(local);
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => {
                let text = t.as_ref().to_owned();
                if text.trim().is_empty() {
                    continue;
                }
                let name = match (&custom_name, stack.last()) {
                    (Some(n), _) => format!("custom property {n}"),
                    (None, Some(l)) => property_name(l),
                    (None, None) => continue,
                };
                // Statistics (pages, words) say nothing about a person.
                if !matches!(
                    stack.last().map(String::as_str),
                    Some(
                        "Pages"
                            | "Words"
                            | "Characters"
                            | "Lines"
                            | "Paragraphs"
                            | "CharactersWithSpaces"
                            | "DocSecurity"
                            | "ScaleCrop"
                            | "LinksUpToDate"
                            | "SharedDoc"
                            | "HyperlinksChanged"
                            | "document-statistic"
                    )
                ) {
                    found.value(&name, &text);
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Err(_) => return Err(CleanError::Unparseable("document properties XML")),
            Ok(_) => {}
        }
    }
}

/// Attributes rewritten or dropped in content parts, by local name.
enum AttrRule {
    Anonymise(&'static str),
    Drop(&'static str),
}

fn attr_rule(local: &str) -> Option<AttrRule> {
    match local {
        "author" => Some(AttrRule::Anonymise("author of tracked changes or comments")),
        "initials" => Some(AttrRule::Anonymise("author initials")),
        "userId" | "providerId" => Some(AttrRule::Anonymise("user account ID")),
        "date" | "dateUtc" => Some(AttrRule::Drop("edit timestamps")),
        l if l.starts_with("rsid") => Some(AttrRule::Drop("revision save IDs (rsid)")),
        _ => None,
    }
}

/// Rewrites a content part (document.xml, comments.xml, settings.xml, content.xml, ...).
pub fn clean_content(xml: &[u8], found: &mut Findings) -> Result<Vec<u8>, CleanError> {
    let mut reader = Reader::from_reader(xml);
    let mut writer = Writer::new(Vec::with_capacity(xml.len()));
    // Depth inside an element dropped whole (w:rsids); inside a person's name element.
    let mut skip = 0usize;
    let mut name_element: Option<&'static str> = None;
    let bad = |_| CleanError::Unparseable("office document XML");
    loop {
        let event = reader
            .read_event()
            .map_err(|_| CleanError::Unparseable("office document XML"))?;
        if skip > 0 {
            match event {
                Event::Start(_) => skip += 1,
                Event::End(_) => skip -= 1,
                Event::Eof => return Err(CleanError::Unparseable("office document XML")),
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(e) if e.local_name().as_ref() == "rsids" => {
                found.field("revision save IDs (rsid)");
                skip = 1;
            }
            Event::Empty(e) if e.local_name().as_ref() == "rsids" => {
                found.field("revision save IDs (rsid)");
            }
            Event::Start(e) => {
                name_element = person_element(e.name());
                writer
                    .write_event(Event::Start(rewrite(&e, found)))
                    .map_err(bad)?;
            }
            Event::Empty(e) => {
                writer
                    .write_event(Event::Empty(rewrite(&e, found)))
                    .map_err(bad)?;
            }
            Event::Text(t) if name_element.is_some() => {
                let text = t.as_ref().to_owned();
                if !text.trim().is_empty() {
                    let field = name_element.unwrap_or("author");
                    found.value(field, &text);
                    let replacement = if field == "edit timestamps" {
                        "1970-01-01T00:00:00"
                    } else {
                        ANONYMOUS
                    };
                    writer
                        .write_event(Event::Text(BytesText::new(replacement)))
                        .map_err(bad)?;
                } else {
                    writer.write_event(Event::Text(t)).map_err(bad)?;
                }
            }
            Event::End(e) => {
                name_element = None;
                writer.write_event(Event::End(e)).map_err(bad)?;
            }
            // Comments in XML are nobody's content and may name tools or people.
            Event::Comment(_) => {}
            Event::Eof => break,
            other => writer.write_event(other).map_err(bad)?,
        }
    }
    Ok(writer.into_inner())
}

/// Elements whose text is a person's name or an edit time: xlsx comment `<author>`, ODF
/// `<dc:creator>` and `<dc:date>` in tracked changes and annotations.
fn person_element(name: QName<'_>) -> Option<&'static str> {
    match name.as_ref() {
        "dc:creator" => Some("author of tracked changes or comments"),
        "dc:date" => Some("edit timestamps"),
        n if name.local_name().as_ref() == "author" && !n.is_empty() => {
            Some("author of tracked changes or comments")
        }
        _ => None,
    }
}

/// Copies a start tag with person attributes anonymised and rsid/date attributes dropped.
fn rewrite(e: &BytesStart<'_>, found: &mut Findings) -> BytesStart<'static> {
    let mut out = BytesStart::new(e.name().as_ref().to_owned());
    // PowerPoint's comment authors are named in a `name` attribute.
    let author_list = e.local_name().as_ref() == "cmAuthor";
    for attr in e.attributes().with_checks(false).flatten() {
        let local = attr.key.local_name();
        let rule = if author_list && local.as_ref() == "name" {
            Some(AttrRule::Anonymise("author of tracked changes or comments"))
        } else {
            attr_rule(local.as_ref())
        };
        match rule {
            Some(AttrRule::Anonymise(field)) => {
                found.value(field, &attr.value);
                out.push_attribute(Attribute {
                    key: attr.key,
                    value: ANONYMOUS.into(),
                });
            }
            Some(AttrRule::Drop(field)) => found.field(field),
            None => out.push_attribute(attr),
        }
    }
    out
}
