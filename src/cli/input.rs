//! A handler's text (a note, a reply) from a file or stdin, bounded, into zeroizing memory.

use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

/// Reads a handler's text from `file` or stdin into zeroizing memory, at most one byte past
/// `limit` (the desk refuses a text over it).
pub(super) fn read_text(file: Option<&Path>, limit: usize) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::new());
    let limit = (limit as u64) + 1;
    match file {
        Some(p) => std::fs::File::open(p)
            .map_err(|e| {
                anyhow::anyhow!(t!(
                    "cli-file-unreadable",
                    path = p.display().to_string(),
                    why = e.to_string()
                ))
            })?
            .take(limit)
            .read_to_end(&mut buf)?,
        None => std::io::stdin().lock().take(limit).read_to_end(&mut buf)?,
    };
    Ok(buf)
}
