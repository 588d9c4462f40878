//! Private files: 0600 files in 0700 folders, written atomically and durably.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::KeyStoreError;

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> KeyStoreError {
    let context = context.into();
    move |source| KeyStoreError::Io { context, source }
}

/// Creates `dir` 0700 if missing; refuses it if group or others have any access.
pub(super) fn ensure_private_dir(dir: &Path) -> Result<(), KeyStoreError> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(format!("create {}", dir.display())))?;
    }
    check_private_dir(dir)
}

/// Refuses a folder that group or others can access.
pub fn check_private_dir(dir: &Path) -> Result<(), KeyStoreError> {
    let mode = fs::metadata(dir)
        .map_err(io(format!("stat {}", dir.display())))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyStoreError::Permissions {
            path: dir.to_path_buf(),
            mode,
            want: 0o700,
        });
    }
    Ok(())
}

/// Reads a private file, refusing one that group or others can read.
pub(super) fn read_private(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyStoreError> {
    let meta = fs::metadata(path).map_err(io(format!("stat {}", path.display())))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyStoreError::Permissions {
            path: path.to_path_buf(),
            mode,
            want: 0o600,
        });
    }
    Ok(Zeroizing::new(
        fs::read(path).map_err(io(format!("read {}", path.display())))?,
    ))
}

/// Writes `bytes` to `path` (0600) via a temporary file, fsync, rename and folder fsync.
pub(super) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyStoreError> {
    let (dir, tmp) = write_temp_beside(path, bytes)?;
    fs::rename(&tmp, path).map_err(io(format!("rename to {}", path.display())))?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("fsync {}", dir.display())))?;
    Ok(())
}

/// Creates `path` (0600) holding `bytes`, unsynced: for keys under fresh random names that
/// [`sync_filesystem_of`] makes durable together before anything refers to them.
pub(super) fn create_private_unsynced(path: &Path, bytes: &[u8]) -> Result<(), KeyStoreError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io(format!("create {}", path.display())))?;
    f.write_all(bytes)
        .map_err(io(format!("write {}", path.display())))
}

/// Writes everything written so far on the filesystem holding `dir` to disk, data and
/// directory entries alike (syncfs): one journal commit for a batch of new files instead of
/// two fsyncs each.
pub(super) fn sync_filesystem_of(dir: &Path) -> Result<(), KeyStoreError> {
    let d = fs::File::open(dir).map_err(io(format!("open {}", dir.display())))?;
    rustix::fs::syncfs(&d)
        .map_err(|e| io(format!("sync the filesystem of {}", dir.display()))(e.into()))?;
    // The folder itself too, for filesystems whose syncfs does not reach directory entries.
    d.sync_all().map_err(io(format!("fsync {}", dir.display())))
}

/// Writes `bytes` (0600, synced) to a fresh temporary file beside `path`; returns the folder and
/// the temporary file.
fn write_temp_beside<'p>(
    path: &'p Path,
    bytes: &[u8],
) -> Result<(&'p Path, PathBuf), KeyStoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = temp_beside(dir, &name);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io(format!("create {}", tmp.display())))?;
    f.write_all(bytes)
        .map_err(io(format!("write {}", tmp.display())))?;
    f.sync_all()
        .map_err(io(format!("fsync {}", tmp.display())))?;
    Ok((dir, tmp))
}

/// A temporary name beside `name` no other process uses (replicas may share the key folder).
fn temp_beside(dir: &Path, name: &str) -> PathBuf {
    let nonce: u64 = rand::random();
    dir.join(format!(".{name}.{}.{nonce:016x}.tmp", std::process::id()))
}

/// Creates `path` holding `bytes` (0600) only if it does not exist yet, atomically: with several
/// processes racing to create it, exactly one wins and all read the winner's. Returns whether
/// this call created it.
pub(super) fn create_private_once(path: &Path, bytes: &[u8]) -> Result<bool, KeyStoreError> {
    let (dir, tmp) = write_temp_beside(path, bytes)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(io(format!("link {}", path.display()))(e)),
    }
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("fsync {}", dir.display())))?;
    Ok(true)
}

/// Replaces `path` with `bytes` atomically (readers see the old or the new, never neither),
/// then overwrites the old content through a handle kept on it, so it is not left on disk.
pub(super) fn replace_private_destroying_old(
    path: &Path,
    bytes: &[u8],
) -> Result<(), KeyStoreError> {
    let old = fs::OpenOptions::new().write(true).open(path).ok();
    write_private(path, bytes)?;
    if let Some(mut old) = old {
        let len = old.metadata().map(|m| m.len()).unwrap_or(0);
        let zeros = vec![0u8; usize::try_from(len).unwrap_or(0).min(1 << 20)];
        old.write_all(&zeros)
            .and_then(|()| old.sync_all())
            .map_err(io(format!("overwrite the old {}", path.display())))?;
    }
    Ok(())
}

/// Files in `dir` with extension `ext`, sorted.
pub(super) fn list(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, KeyStoreError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(format!("list {}", dir.display())))? {
        let path = entry.map_err(io(format!("list {}", dir.display())))?.path();
        if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
