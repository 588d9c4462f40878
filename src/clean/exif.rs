//! A bounded reader for the few EXIF (TIFF) tags worth naming to a handler — GPS position,
//! camera make, model and serial, owner, software, dates — so the case can say what was
//! removed and the sealed identity record what it held (invariant 2). Read only; the whole
//! EXIF block is dropped by the caller whatever this finds.

use super::Findings;

/// IFDs followed at most (IFD0, Exif, GPS, IFD1 with the thumbnail, interoperability).
const MAX_IFDS: usize = 8;
/// Entries read per IFD.
const MAX_ENTRIES: u16 = 512;

struct Tiff<'a> {
    data: &'a [u8],
    big_endian: bool,
}

impl Tiff<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.data.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// The value bytes of an entry at `entry` (inline when 4 bytes or fewer).
    fn value(&self, entry: usize, unit: usize) -> Option<&[u8]> {
        let count = self.u32(entry + 4)? as usize;
        let len = count.checked_mul(unit)?;
        let start = if len <= 4 {
            entry + 8
        } else {
            self.u32(entry + 8)? as usize
        };
        self.data.get(start..start.checked_add(len)?)
    }

    fn ascii(&self, entry: usize) -> Option<String> {
        let v = self.value(entry, 1)?;
        let v = v.split(|b| *b == 0).next().unwrap_or_default();
        Some(String::from_utf8_lossy(v).trim().to_owned())
    }

    /// Three RATIONALs (degrees, minutes, seconds) as decimal degrees.
    fn dms(&self, entry: usize) -> Option<f64> {
        if self.u16(entry + 2)? != 5 || self.u32(entry + 4)? != 3 {
            return None;
        }
        let at = self.u32(entry + 8)? as usize;
        let r = |i: usize| -> Option<f64> {
            let n = f64::from(self.u32(at + i * 8)?);
            let d = f64::from(self.u32(at + i * 8 + 4)?);
            Some(if d == 0.0 { 0.0 } else { n / d })
        };
        Some(r(0)? + r(1)? / 60.0 + r(2)? / 3600.0)
    }
}

/// Names (and values) of identifying tags in a TIFF-structured EXIF block.
pub fn findings(data: &[u8], found: &mut Findings) {
    found.field("EXIF metadata");
    let big_endian = match data.get(..2) {
        Some(b"MM") => true,
        Some(b"II") => false,
        _ => return,
    };
    let t = Tiff { data, big_endian };
    let Some(first) = t.u32(4) else { return };
    let mut queue: Vec<(usize, bool)> = vec![(first as usize, false)];
    let mut seen = Vec::new();
    let (mut lat, mut lon, mut lat_ref, mut lon_ref) = (None, None, None, None);
    while let Some((ifd, gps)) = queue.pop() {
        if seen.len() >= MAX_IFDS || seen.contains(&ifd) || ifd == 0 {
            continue;
        }
        seen.push(ifd);
        let Some(n) = t.u16(ifd) else { continue };
        for i in 0..n.min(MAX_ENTRIES) {
            let e = ifd + 2 + usize::from(i) * 12;
            let Some(tag) = t.u16(e) else { break };
            if gps {
                match tag {
                    1 => lat_ref = t.ascii(e),
                    2 => lat = t.dms(e),
                    3 => lon_ref = t.ascii(e),
                    4 => lon = t.dms(e),
                    6 => found.field("GPS altitude"),
                    7 | 29 => found.field("GPS time"),
                    _ => {}
                }
                continue;
            }
            let named = |name: &str, found: &mut Findings| match t.ascii(e) {
                Some(v) => found.value(name, &v),
                None => found.field(name),
            };
            match tag {
                0x010F => named("camera make", found),
                0x0110 => named("camera model", found),
                0x0131 => named("software", found),
                0x0132 | 0x9003 | 0x9004 => named("date and time", found),
                0x013B => named("author", found),
                0x8298 => named("copyright", found),
                0x010E => named("image description", found),
                0x9C9B..=0x9C9F => found.field("Windows XP title/comment/author"),
                0xA430 => named("camera owner", found),
                0xA431 => named("camera serial", found),
                0xA433 => named("lens make", found),
                0xA434 => named("lens model", found),
                0xA435 => named("lens serial", found),
                0xA420 => named("unique image ID", found),
                0x927C => found.field("maker notes"),
                0x9286 => found.field("user comment"),
                0x0201 => found.field("embedded thumbnail"),
                0x8769 | 0xA005 => {
                    if let Some(p) = t.u32(e + 8) {
                        queue.push((p as usize, false));
                    }
                }
                0x8825 => {
                    if let Some(p) = t.u32(e + 8) {
                        queue.push((p as usize, true));
                    }
                }
                _ => {}
            }
        }
        // IFD1 (the thumbnail's) follows IFD0.
        if let Some(next) = t.u32(ifd + 2 + usize::from(n.min(MAX_ENTRIES)) * 12) {
            queue.push((next as usize, false));
        }
    }
    match (lat, lon) {
        (Some(la), Some(lo)) => {
            let sign = |r: &Option<String>, neg: &str| {
                if r.as_deref() == Some(neg) {
                    -1.0
                } else {
                    1.0
                }
            };
            let value = format!(
                "{:.6}, {:.6}",
                la * sign(&lat_ref, "S"),
                lo * sign(&lon_ref, "W")
            );
            found.value("GPS position", &value);
        }
        (Some(_), None) | (None, Some(_)) => found.field("GPS position"),
        (None, None) => {}
    }
}
