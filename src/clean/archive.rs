//! ZIP containers — OOXML (docx/xlsx/pptx), ODF (odt/ods/odp) and plain ZIP: rewrites every
//! entry with a fixed timestamp and no comments, replaces the property parts by empty ones,
//! anonymises authors in content parts and cleans embedded images (invariant 2). Entry count
//! and uncompressed bytes are capped while reading, never trusted from the headers (invariant 4).

use std::io::{Cursor, Read, Write};

use ::zip::write::SimpleFileOptions;
use ::zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::{image, xml, CleanError, CleanLimits, Cleaned, Findings};

const EMPTY_CORE: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></cp:coreProperties>"#;
const EMPTY_APP: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>"#;
const EMPTY_CUSTOM: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>"#;
const EMPTY_META: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2"><office:meta/></office:document-meta>"#;

/// What to do with one entry.
enum Part {
    /// Replace by this empty part, after reading its values.
    Properties(&'static str),
    /// Anonymise authors and drop rsid/date attributes.
    Content,
    /// Clean as an image.
    Image(fn(&[u8]) -> Result<Cleaned, CleanError>),
    /// Copy the bytes.
    Copy,
}

fn part_kind(name: &str, office: bool) -> Part {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        return Part::Image(image::clean_jpeg);
    }
    if lower.ends_with(".png") {
        return Part::Image(image::clean_png);
    }
    if !office {
        return Part::Copy;
    }
    match lower.as_str() {
        "docprops/core.xml" => Part::Properties(EMPTY_CORE),
        "docprops/app.xml" => Part::Properties(EMPTY_APP),
        "docprops/custom.xml" => Part::Properties(EMPTY_CUSTOM),
        "meta.xml" => Part::Properties(EMPTY_META),
        l if l.ends_with(".xml") => Part::Content,
        _ => Part::Copy,
    }
}

pub fn clean_zip(data: &[u8], limits: &CleanLimits) -> Result<Cleaned, CleanError> {
    let bad = |_| CleanError::Unparseable("ZIP");
    let mut archive = ZipArchive::new(Cursor::new(data)).map_err(bad)?;
    if archive.len() > limits.max_zip_entries {
        return Err(CleanError::OverLimit("ZIP entry count"));
    }
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let office = names
        .iter()
        .any(|n| n == "[Content_Types].xml" || n == "mimetype");
    let mut found = Findings::default();
    if !archive.comment().is_empty() {
        found.value(
            "archive comment",
            &String::from_utf8_lossy(archive.comment()),
        );
    }
    let mut writer = ZipWriter::new(Cursor::new(Vec::with_capacity(data.len())));
    let mut budget = limits.max_zip_total_bytes;
    let mut timestamps = false;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(bad)?;
        if entry.encrypted() {
            return Err(CleanError::Unsupported(
                "encrypted ZIP entries: not cleaned; kept as it came",
            ));
        }
        let name = entry.name().map_err(bad)?.into_owned();
        if !entry.comment().is_empty() {
            found.value("archive entry comment", entry.comment());
        }
        timestamps |= entry.last_modified() != Some(DateTime::default());
        let method = if entry.compression() == CompressionMethod::Stored {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(DateTime::default())
            .unix_permissions(if entry.is_dir() { 0o755 } else { 0o644 })
            .large_file(entry.size() > u64::from(u32::MAX));
        if entry.is_dir() {
            writer.add_directory(name.as_str(), options).map_err(bad)?;
            continue;
        }
        // Read at most what is left of the budget (+1 to notice an overrun): the sizes in the
        // headers are the sender's claim.
        let mut bytes = Vec::new();
        (&mut entry)
            .take(budget.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|_| CleanError::Unparseable("ZIP"))?;
        let len = bytes.len() as u64;
        if len > budget {
            return Err(CleanError::OverLimit("ZIP uncompressed size"));
        }
        budget -= len;
        drop(entry);
        let out = match part_kind(&name, office) {
            Part::Properties(empty) => {
                xml::property_findings(&bytes, &mut found)?;
                empty.as_bytes().to_vec()
            }
            Part::Content => xml::clean_content(&bytes, &mut found)?,
            Part::Image(clean) => match clean(&bytes) {
                Ok(c) => {
                    let data = c.data.to_vec();
                    found.merge_prefixed("embedded image: ", c);
                    data
                }
                // An embedded picture the image parser does not accept is copied.
                Err(_) => bytes,
            },
            Part::Copy => bytes,
        };
        writer.start_file(name.as_str(), options).map_err(bad)?;
        writer
            .write_all(&out)
            .map_err(|_| CleanError::Unparseable("ZIP"))?;
    }
    if timestamps {
        found.field("file timestamps in the archive");
    }
    let out = writer.finish().map_err(bad)?.into_inner();
    Ok(found.finish(out))
}
