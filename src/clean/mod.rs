//! Attachment cleaning, pure: bytes in → a copy without identifying metadata plus the names of
//! what was removed (invariant 2: the values found go only to the sealed identity record), within
//! size, entry, nesting and time limits so a hostile file can neither crash nor hang intake
//! (invariant 4). A cleaner that fails never loses the attachment: the caller keeps the original.

mod archive;
mod exif;
mod image;
mod pdf;
mod xml;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use zeroize::{Zeroize, Zeroizing};

/// Limits for one attachment.
#[derive(Clone, Copy, Debug)]
pub struct CleanLimits {
    /// Larger attachments are kept as they came, flagged not cleaned.
    pub max_input_bytes: usize,
    /// Archives (OOXML, ODF, ZIP) with more entries are not cleaned.
    pub max_zip_entries: usize,
    /// Total uncompressed bytes read out of one archive (decompression bombs).
    pub max_zip_total_bytes: u64,
    /// PDFs with more objects are not cleaned.
    pub max_pdf_objects: usize,
    /// Deepest array/dictionary nesting accepted in a PDF (the parser recurses).
    pub max_pdf_nesting: usize,
    /// Largest decoded size of any one PDF stream (object streams, XMP packets): a stream with
    /// `[/FlateDecode /FlateDecode]` packs gigabytes into a few kilobytes.
    pub max_pdf_stream_bytes: usize,
    /// Wall-clock budget for one attachment.
    pub time_budget: Duration,
}

impl Default for CleanLimits {
    fn default() -> Self {
        CleanLimits {
            max_input_bytes: 64 << 20,
            max_zip_entries: 10_000,
            max_zip_total_bytes: 128 << 20,
            max_pdf_objects: 200_000,
            max_pdf_nesting: 64,
            max_pdf_stream_bytes: 16 << 20,
            time_budget: Duration::from_secs(10),
        }
    }
}

/// A metadata value found in an attachment: goes to the sealed identity record only.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, Zeroize)]
#[serde(default)]
pub struct FoundValue {
    pub field: String,
    pub value: String,
}

impl fmt::Debug for FoundValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FoundValue({}: <redacted>)", self.field)
    }
}

/// A cleaned copy.
pub struct Cleaned {
    pub data: Zeroizing<Vec<u8>>,
    /// Names of the fields removed ("GPS position", "author"): no values.
    pub removed: Vec<String>,
    /// What the fields held: for the sealed identity record only.
    pub found_values: Vec<FoundValue>,
}

impl fmt::Debug for Cleaned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Cleaned(<redacted, {} bytes>, removed {:?})",
            self.data.len(),
            self.removed
        )
    }
}

/// What cleaning made of an attachment.
#[derive(Debug)]
pub enum Outcome {
    /// A copy without the metadata (possibly identical when there was none).
    Cleaned(Cleaned),
    /// A format without embedded metadata (plain text): kept as it came.
    NoMetadata,
    /// Kept as it came; the reason says why (unknown format, unparseable, over a limit).
    NotCleaned { reason: String },
}

/// Formats recognised by content (the sender's content type and name are not trusted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    Pdf,
    Zip,
    Heic,
    AudioVideo(&'static str),
    Text,
    Unknown,
}

/// Recognises a format from the first bytes.
pub fn detect(data: &[u8]) -> Format {
    let at = |i: usize, m: &[u8]| data.get(i..i + m.len()) == Some(m);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        Format::Jpeg
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        Format::Png
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Format::WebP
    } else if at(0, b"RIFF") && (at(8, b"WAVE") || at(8, b"AVI ")) {
        Format::AudioVideo("RIFF audio/video")
    } else if data
        .get(..1024)
        .unwrap_or(data)
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        Format::Pdf
    } else if at(0, b"PK\x03\x04") || at(0, b"PK\x05\x06") {
        Format::Zip
    } else if at(4, b"ftyp") {
        if [&b"heic"[..], b"heix", b"mif1", b"msf1", b"heim", b"avif"]
            .iter()
            .any(|b| at(8, b))
        {
            Format::Heic
        } else {
            Format::AudioVideo("MP4/QuickTime")
        }
    } else if at(0, b"ID3") || at(0, &[0xFF, 0xFB]) || at(0, &[0xFF, 0xF3]) {
        Format::AudioVideo("MP3")
    } else if at(0, b"fLaC") {
        Format::AudioVideo("FLAC")
    } else if at(0, b"OggS") {
        Format::AudioVideo("Ogg")
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Format::AudioVideo("Matroska/WebM")
    } else if looks_like_text(data) {
        Format::Text
    } else {
        Format::Unknown
    }
}

/// UTF-8 without NUL in the first 4 KiB (a character cut by the window's end is fine).
fn looks_like_text(data: &[u8]) -> bool {
    let head = data.get(..4096).unwrap_or(data);
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    utf8 && !head.contains(&0)
}

/// Why a cleaner gave up; the text is shown to handlers, so it names no content.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("the file could not be parsed as {0}")]
    Unparseable(&'static str),
    #[error("the file exceeds a cleaning limit ({0})")]
    OverLimit(&'static str),
    #[error("{0}")]
    Unsupported(&'static str),
}

/// Cleans one attachment within `limits`. Runs the parsers on a worker thread with its own
/// stack and a time budget; a panic or an overrun keeps the original, flagged not cleaned.
pub fn clean(data: &[u8], limits: &CleanLimits) -> Outcome {
    if data.len() > limits.max_input_bytes {
        return Outcome::NotCleaned {
            reason: CleanError::OverLimit("attachment size").to_string(),
        };
    }
    let format = detect(data);
    match format {
        Format::Text => return Outcome::NoMetadata,
        Format::Unknown => {
            return Outcome::NotCleaned {
                reason: "unknown format: kept as it came".to_owned(),
            }
        }
        Format::Heic => {
            return Outcome::NotCleaned {
                reason: "HEIC/AVIF image: metadata removal not supported; kept as it came"
                    .to_owned(),
            }
        }
        Format::AudioVideo(kind) => {
            return Outcome::NotCleaned {
                reason: format!(
                    "{kind} audio/video: may carry recording metadata (device, place, time); not cleaned"
                ),
            }
        }
        _ => {}
    }
    let (tx, rx) = mpsc::channel();
    let input = Zeroizing::new(data.to_vec());
    let limits = *limits;
    let worker = std::thread::Builder::new()
        .name("sygnal-clean".to_owned())
        .stack_size(64 << 20)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(|| clean_format(format, &input, &limits)));
            // The receiver may have given up on the time budget; nothing to do then.
            let _ = tx.send(result);
        });
    if worker.is_err() {
        return Outcome::NotCleaned {
            reason: "no worker thread for cleaning".to_owned(),
        };
    }
    match rx.recv_timeout(limits.time_budget) {
        Ok(Ok(Ok(cleaned))) => Outcome::Cleaned(cleaned),
        Ok(Ok(Err(e))) => Outcome::NotCleaned {
            reason: e.to_string(),
        },
        Ok(Err(_panic)) => Outcome::NotCleaned {
            reason: "the cleaner failed on this file".to_owned(),
        },
        Err(_) => Outcome::NotCleaned {
            reason: CleanError::OverLimit("time budget").to_string(),
        },
    }
}

/// Runs the cleaner for `format` on the current thread (fuzz targets call this directly).
pub fn clean_format(
    format: Format,
    data: &[u8],
    limits: &CleanLimits,
) -> Result<Cleaned, CleanError> {
    match format {
        Format::Jpeg => image::clean_jpeg(data),
        Format::Png => image::clean_png(data),
        Format::WebP => image::clean_webp(data),
        Format::Pdf => pdf::clean_pdf(data, limits),
        Format::Zip => archive::clean_zip(data, limits),
        _ => Err(CleanError::Unsupported("format not cleaned")),
    }
}

/// Collects removed field names (each once, in order) and found values.
#[derive(Default)]
pub(crate) struct Findings {
    removed: Vec<String>,
    values: Vec<FoundValue>,
}

/// Longest value kept per field: the whole original is sealed anyway.
const MAX_VALUE_CHARS: usize = 2000;

impl Findings {
    pub(crate) fn field(&mut self, name: &str) {
        if !self.removed.iter().any(|r| r == name) {
            self.removed.push(name.to_owned());
        }
    }

    pub(crate) fn value(&mut self, name: &str, value: &str) {
        self.field(name);
        let value: String = value.trim().chars().take(MAX_VALUE_CHARS).collect();
        let found = FoundValue {
            field: name.to_owned(),
            value,
        };
        if !found.value.is_empty() && !self.values.contains(&found) && self.values.len() < 1000 {
            self.values.push(found);
        }
    }

    pub(crate) fn merge_prefixed(&mut self, prefix: &str, other: Cleaned) {
        for r in &other.removed {
            self.field(&format!("{prefix}{r}"));
        }
        for v in &other.found_values {
            self.value(&format!("{prefix}{}", v.field), &v.value);
        }
    }

    pub(crate) fn finish(self, data: Vec<u8>) -> Cleaned {
        Cleaned {
            data: Zeroizing::new(data),
            removed: self.removed,
            found_values: self.values,
        }
    }
}

#[cfg(test)]
#[path = "clean_tests.rs"]
mod tests;
