//! The key folder as one archive, for a backup sealed to the custodians, and back. Only regular
//! files directly in the folder or one level below (`intake/`, `shred/`) are taken; names are
//! checked on the way back in, so an archive cannot write outside the folder.

use std::fs;
use std::io::{Cursor, Read as _, Write as _};
use std::path::{Component, Path};

use ::zip::write::SimpleFileOptions;
use ::zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};
use zeroize::Zeroizing;

use super::{files, KeyStore, KeyStoreError};

/// Most files an archive may hold back in (a key folder holds one shred key per case and
/// attachment: far fewer).
const MAX_FILES: usize = 1_000_000;
/// Largest file taken back in (an intake key with its history is a few KB).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

fn zip_error(context: &str) -> impl FnOnce(::zip::result::ZipError) -> KeyStoreError + '_ {
    move |e| KeyStoreError::Io {
        context: context.to_owned(),
        source: std::io::Error::other(e.to_string()),
    }
}

impl KeyStore {
    /// Every file of the key folder in one archive (in memory, zeroized when dropped); returns
    /// it and how many files it holds.
    pub fn archive(&self) -> Result<(Zeroizing<Vec<u8>>, usize), KeyStoreError> {
        let mut names = Vec::new();
        collect(&self.dir, "", 0, &mut names)?;
        names.sort();
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        // No dates: the archive tells nothing about when keys were made.
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o600);
        for name in &names {
            let bytes = files::read_private(&self.dir.join(name))?;
            zip.start_file(name.as_str(), options)
                .map_err(zip_error("archive the key folder"))?;
            zip.write_all(&bytes).map_err(|source| KeyStoreError::Io {
                context: "archive the key folder".to_owned(),
                source,
            })?;
        }
        let cursor = zip.finish().map_err(zip_error("archive the key folder"))?;
        Ok((Zeroizing::new(cursor.into_inner()), names.len()))
    }

    /// Writes the files of `archive` into `dir`, which must be missing or empty; returns how
    /// many. Made durable with one filesystem sync.
    pub fn unpack(dir: &Path, archive: &[u8]) -> Result<usize, KeyStoreError> {
        if fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(KeyStoreError::Io {
                context: format!("restore the key folder into {}", dir.display()),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the folder is not empty: a key folder is restored only into an empty one \
                     (move the old one aside)",
                ),
            });
        }
        files::ensure_private_dir(dir)?;
        let mut zip =
            ZipArchive::new(Cursor::new(archive)).map_err(zip_error("read the key archive"))?;
        if zip.len() > MAX_FILES {
            return Err(KeyStoreError::Missing(format!(
                "a key archive of at most {MAX_FILES} files (this one has {})",
                zip.len()
            )));
        }
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(zip_error("read the key archive"))?;
            let name = entry
                .name()
                .map_err(zip_error("read the key archive"))?
                .into_owned();
            let relative = Path::new(&name);
            let plain = relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
            if !plain || relative.components().count() > 2 || entry.is_dir() {
                return Err(KeyStoreError::Missing(format!(
                    "a key archive of plain file names (found {name:?})"
                )));
            }
            let mut bytes = Zeroizing::new(Vec::new());
            (&mut entry)
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|source| KeyStoreError::Io {
                    context: format!("read {name} from the key archive"),
                    source,
                })?;
            if bytes.len() as u64 > MAX_FILE_BYTES {
                return Err(KeyStoreError::Missing(format!(
                    "{name} of at most {MAX_FILE_BYTES} bytes in the key archive"
                )));
            }
            let path = dir.join(relative);
            if let Some(parent) = path.parent() {
                files::ensure_private_dir(parent)?;
            }
            files::create_private_unsynced(&path, &bytes)?;
        }
        files::sync_filesystem_of(dir)?;
        Ok(zip.len())
    }
}

/// The regular files under `dir/prefix`, as relative names, down to `depth` 1.
fn collect(
    dir: &Path,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) -> Result<(), KeyStoreError> {
    let here = dir.join(prefix);
    let entries = fs::read_dir(&here).map_err(|source| KeyStoreError::Io {
        context: format!("list {}", here.display()),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| KeyStoreError::Io {
            context: format!("list {}", here.display()),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        // Temporary files of a write in progress are not keys.
        if name.starts_with('.') {
            continue;
        }
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type().map_err(|source| KeyStoreError::Io {
            context: format!("stat {relative}"),
            source,
        })?;
        if kind.is_file() {
            out.push(relative);
        } else if kind.is_dir() && depth == 0 {
            collect(dir, &relative, 1, out)?;
        }
    }
    Ok(())
}
