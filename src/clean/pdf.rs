//! PDF: removes the Info dictionary (author, creator, producer, dates), every XMP metadata
//! stream, piece info and the document ID, keeps the pages, and writes one revision so earlier
//! incremental updates (which still hold old values) are gone (invariant 2). Nesting and object
//! counts are checked before and after parsing (invariant 4).

use lopdf::{Document, LoadOptions, Object};

use super::{CleanError, CleanLimits, Cleaned, Findings};

/// Info dictionary keys and the names handlers see.
const INFO_FIELDS: &[(&[u8], &str)] = &[
    (b"Author", "author"),
    (b"Creator", "creator application"),
    (b"Producer", "producer"),
    (b"Title", "title"),
    (b"Subject", "subject"),
    (b"Keywords", "keywords"),
    (b"CreationDate", "creation date"),
    (b"ModDate", "modification date"),
];

pub fn clean_pdf(data: &[u8], limits: &CleanLimits) -> Result<Cleaned, CleanError> {
    if nesting_depth(data) > limits.max_pdf_nesting {
        return Err(CleanError::OverLimit("PDF nesting"));
    }
    // Every stream decoded while loading (object and cross-reference streams) is bounded.
    let options = LoadOptions {
        max_decompressed_size: Some(limits.max_pdf_stream_bytes),
        ..LoadOptions::default()
    };
    let mut doc = Document::load_mem_with_options(data, options)
        .map_err(|_| CleanError::Unparseable("PDF"))?;
    if doc.objects.len() > limits.max_pdf_objects {
        return Err(CleanError::OverLimit("PDF object count"));
    }
    if doc.is_encrypted() || doc.trailer.get(b"Encrypt").is_ok() {
        return Err(CleanError::Unsupported(
            "encrypted PDF: metadata removal not possible without the password; kept as it came",
        ));
    }
    if doc.get_pages().is_empty() {
        return Err(CleanError::Unparseable("PDF (no pages)"));
    }
    let mut found = Findings::default();

    if let Some(info) = doc.trailer.remove(b"Info") {
        let dict = match &info {
            Object::Reference(id) => doc.get_object(*id).ok().and_then(|o| o.as_dict().ok()),
            Object::Dictionary(d) => Some(d),
            _ => None,
        };
        if let Some(dict) = dict {
            for (key, value) in dict.iter() {
                let name = INFO_FIELDS
                    .iter()
                    .find(|(k, _)| *k == key.as_slice())
                    .map(|(_, n)| (*n).to_owned())
                    .unwrap_or_else(|| format!("custom property {}", String::from_utf8_lossy(key)));
                match value {
                    Object::String(bytes, _) => found.value(&name, &text_string(bytes)),
                    _ => found.field(&name),
                }
            }
        }
        if let Object::Reference(id) = info {
            doc.objects.remove(&id);
        }
    }
    if let Some(id) = doc.trailer.remove(b"ID") {
        let mut ids = Vec::new();
        if let Object::Array(a) = &id {
            for o in a {
                if let Object::String(b, _) = o {
                    ids.push(hex::encode(b));
                }
            }
        }
        found.value("document ID", &ids.join(" "));
    }

    // XMP streams, wherever they hang (catalog, pages, images), and application piece info.
    let mut metadata_ids = Vec::new();
    for (id, obj) in &doc.objects {
        if let Object::Stream(s) = obj {
            let is_xmp = s.dict.get(b"Type").ok().and_then(|t| t.as_name().ok())
                == Some(b"Metadata")
                || s.dict.get(b"Subtype").ok().and_then(|t| t.as_name().ok()) == Some(b"XML");
            if is_xmp {
                metadata_ids.push(*id);
                match s.decompressed_content_with_limit(limits.max_pdf_stream_bytes) {
                    Ok(packet) => super::image::xmp_findings(&packet, &mut found),
                    // Removed all the same; its values are not read (a bomb, or damaged).
                    Err(_) => found.field("XMP metadata (not readable)"),
                }
            }
        }
    }
    for id in &metadata_ids {
        doc.objects.remove(id);
    }
    let mut piece_info = false;
    for obj in doc.objects.values_mut() {
        let dict = match obj {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &mut s.dict,
            _ => continue,
        };
        if dict.remove(b"Metadata").is_some() && metadata_ids.is_empty() {
            found.field("XMP metadata");
        }
        piece_info |= dict.remove(b"PieceInfo").is_some();
    }
    if piece_info {
        found.field("application data (PieceInfo)");
    }
    doc.prune_objects();

    let mut out = Vec::with_capacity(data.len());
    doc.save_to(&mut out)
        .map_err(|_| CleanError::Unparseable("PDF"))?;
    Ok(found.finish(out))
}

/// PDF text strings: UTF-16BE with a byte-order mark, else PDFDocEncoding (Latin-1 close enough
/// for naming a value in the sealed record).
fn text_string(bytes: &[u8]) -> String {
    match bytes {
        [0xFE, 0xFF, rest @ ..] => {
            let units: Vec<u16> = rest
                .chunks(2)
                .map(|c| {
                    u16::from_be_bytes([
                        c.first().copied().unwrap_or(0),
                        c.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            String::from_utf16_lossy(&units)
        }
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

/// Deepest `[`/`<<` nesting outside streams and strings: the parser recurses on it.
fn nesting_depth(data: &[u8]) -> usize {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    let mut in_string = 0usize;
    while let Some(&b) = data.get(i) {
        if in_string > 0 {
            match b {
                b'\\' => i += 1,
                b'(' => in_string += 1,
                b')' => in_string -= 1,
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'(' => in_string = 1,
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'<' if data.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 1;
            }
            b'>' if data.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b's' if data.get(i..i + 6) == Some(b"stream") => {
                // Skip binary stream data up to its end marker.
                match find(data, i + 6, b"endstream") {
                    Some(end) => i = end + 8,
                    None => break,
                }
            }
            _ => {}
        }
        max = max.max(depth);
        i += 1;
    }
    max
}

fn find(data: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    data.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}
