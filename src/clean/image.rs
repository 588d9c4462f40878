//! JPEG, PNG and WebP: drops the metadata segments and chunks (EXIF with GPS, serials and the
//! embedded thumbnail, XMP, IPTC, comments, text chunks) and keeps the picture (invariant 2).

use img_parts::jpeg::Jpeg;
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF};

use super::{exif, CleanError, Cleaned, Findings};

/// JPEG markers that carry pixels or are needed to decode them are kept; every APPn but JFIF
/// (APP0), ICC colour profiles (APP2 "ICC_PROFILE") and Adobe colour transform (APP14) goes,
/// as do comments (COM).
pub fn clean_jpeg(data: &[u8]) -> Result<Cleaned, CleanError> {
    let mut jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(data))
        .map_err(|_| CleanError::Unparseable("JPEG"))?;
    let mut found = Findings::default();
    jpeg.segments_mut().retain(|s| {
        let m = s.marker();
        let c = s.contents();
        match m {
            0xE0 | 0xEE => true,
            0xE2 if c.starts_with(b"ICC_PROFILE\0") => true,
            0xE1 if c.starts_with(b"Exif\0\0") => {
                exif::findings(c.get(6..).unwrap_or_default(), &mut found);
                false
            }
            0xE1 if c.starts_with(b"http://ns.adobe.com/") => {
                xmp_findings(c, &mut found);
                false
            }
            0xED => {
                found.field("IPTC/Photoshop metadata");
                false
            }
            0xFE => {
                found.value("comment", &String::from_utf8_lossy(c));
                false
            }
            0xE1..=0xEF => {
                found.field("application metadata segment");
                false
            }
            _ => true,
        }
    });
    let mut out = Vec::with_capacity(data.len());
    jpeg.encoder()
        .write_to(&mut out)
        .map_err(|_| CleanError::Unparseable("JPEG"))?;
    // img-parts keeps everything after the first scan header as "entropy": later scans, the
    // end marker and whatever follows it (MPF secondary images with their own EXIF, vendor
    // trailers). Keep the scans, drop metadata segments between them and everything after EOI.
    if let Some(start) = first_scan_data(&out) {
        let (scans, dropped) = scans_only(out.get(start..).unwrap_or_default(), &mut found);
        if dropped {
            found.field("data after the image (secondary images, trailers)");
        }
        out.truncate(start);
        out.extend_from_slice(&scans);
    }
    Ok(found.finish(out))
}

/// Offset of the entropy-coded data after the first SOS header of an encoded JPEG.
fn first_scan_data(jpeg: &[u8]) -> Option<usize> {
    let mut i = 2usize;
    loop {
        let marker = *jpeg.get(i + 1)?;
        if *jpeg.get(i)? != 0xFF {
            return None;
        }
        let len = usize::from(u16::from_be_bytes(jpeg.get(i + 2..i + 4)?.try_into().ok()?));
        if marker == 0xDA {
            return Some(i + 2 + len);
        }
        i += 2 + len;
    }
}

/// Copies entropy-coded data up to and including EOI, skipping APPn/COM segments between
/// progressive scans; reports whether anything followed EOI.
fn scans_only(entropy: &[u8], found: &mut Findings) -> (Vec<u8>, bool) {
    let mut out: Vec<u8> = Vec::with_capacity(entropy.len());
    let mut i = 0usize;
    while let Some(&b) = entropy.get(i) {
        if b != 0xFF {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&m) = entropy.get(i + 1) else {
            out.push(b);
            break;
        };
        match m {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return (out, entropy.len() > i + 2);
            }
            0xE0..=0xEF | 0xFE => {
                let len = entropy
                    .get(i + 2..i + 4)
                    .and_then(|l| l.try_into().ok())
                    .map_or(0, |l: [u8; 2]| usize::from(u16::from_be_bytes(l)));
                found.field("application metadata segment");
                i += 2 + len;
            }
            _ => {
                out.extend_from_slice(&[b, m]);
                i += 2;
            }
        }
    }
    (out, false)
}

/// PNG: text chunks (tEXt, zTXt, iTXt), eXIf and the modification time (tIME) go.
pub fn clean_png(data: &[u8]) -> Result<Cleaned, CleanError> {
    let mut png = Png::from_bytes(Bytes::copy_from_slice(data))
        .map_err(|_| CleanError::Unparseable("PNG"))?;
    let mut found = Findings::default();
    png.chunks_mut().retain(|ch| {
        let c = ch.contents();
        match &ch.kind() {
            b"tEXt" | b"iTXt" => {
                let mut it = c.splitn(2, |b| *b == 0);
                let key = String::from_utf8_lossy(it.next().unwrap_or_default()).into_owned();
                let value = it.next().unwrap_or_default();
                if key == "XML:com.adobe.xmp" {
                    xmp_findings(value, &mut found);
                } else {
                    found.value(&format!("text: {key}"), &String::from_utf8_lossy(value));
                }
                false
            }
            b"zTXt" => {
                found.field("compressed text");
                false
            }
            b"eXIf" => {
                exif::findings(c, &mut found);
                false
            }
            b"tIME" => {
                found.field("modification time");
                false
            }
            _ => true,
        }
    });
    let mut out = Vec::with_capacity(data.len());
    png.encoder()
        .write_to(&mut out)
        .map_err(|_| CleanError::Unparseable("PNG"))?;
    Ok(found.finish(out))
}

/// WebP: the EXIF and XMP chunks go (img-parts keeps the VP8X flags consistent for EXIF).
pub fn clean_webp(data: &[u8]) -> Result<Cleaned, CleanError> {
    let mut webp = WebP::from_bytes(Bytes::copy_from_slice(data))
        .map_err(|_| CleanError::Unparseable("WebP"))?;
    let mut found = Findings::default();
    if let Some(e) = webp.exif() {
        exif::findings(&e, &mut found);
        webp.set_exif(None);
    }
    if let Some(x) = webp
        .chunk_by_id(*b"XMP ")
        .and_then(|c| c.content().data().cloned())
    {
        xmp_findings(&x, &mut found);
        webp.remove_chunks_by_id(*b"XMP ");
    }
    let mut out = Vec::with_capacity(data.len());
    webp.encoder()
        .write_to(&mut out)
        .map_err(|_| CleanError::Unparseable("WebP"))?;
    Ok(found.finish(out))
}

/// XMP packets: the whole packet is one value (it may hold creator, tool, location, history).
pub(crate) fn xmp_findings(packet: &[u8], found: &mut Findings) {
    let text = String::from_utf8_lossy(packet);
    found.value("XMP metadata", &text);
    let lower = text.to_ascii_lowercase();
    if lower.contains("exif:gpslatitude") {
        found.field("GPS position");
    }
    if lower.contains("creator>") || lower.contains("dc:creator") {
        found.field("author");
    }
}
