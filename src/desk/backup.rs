//! Backup and restore. The register is copied whole and sealed as it is (one SQLite file, for
//! either backend); the key folder only on request, as an archive sealed to the custodians, so
//! the backup alone opens nothing. A restore puts both back, checks the audit chain, and runs
//! retention at once: a case destroyed after the backup was taken is past its date today too,
//! so it is destroyed again before anyone can open it.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::audit::verify_rows;
use super::{Actor, Desk, DeskError, Installation, ReaderKey};
use crate::audit::Event;
use crate::config::RegisterConfig;
use crate::keystore::KeyStore;
use crate::openpgp::{self, SealedBlob};
use crate::readers::Readers;
use crate::register::{AuditEntry, Register};

/// Largest key archive opened (a key folder of a million shred keys is about 100 MB).
const MAX_KEY_ARCHIVE_BYTES: usize = 512 * 1024 * 1024;

/// What `backup` wrote.
#[derive(Debug, Serialize)]
pub struct BackupMade {
    /// The register's copy.
    pub register: PathBuf,
    /// The key folder's sealed archive, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<PathBuf>,
    /// Files in the key archive.
    pub key_files: usize,
    /// Fingerprints of the custodians the key archive is sealed to.
    pub sealed_to: Vec<String>,
}

/// What `restore` did.
#[derive(Debug, Serialize)]
pub struct Restored {
    /// Cases in the restored register (destroyed ones included).
    pub cases: usize,
    /// The audit chain's head as restored, before this restore's own entries.
    pub audit_head: String,
    /// Files the key archive put back (0 when the key folder was kept).
    pub key_files: usize,
    /// Cases the retention run destroyed right after the restore: past their date today
    /// (most were destroyed after the backup was made).
    pub destroyed_again: Vec<String>,
    /// Past their date but on legal hold, kept.
    pub on_hold: Vec<String>,
}

impl Desk {
    /// Writes the register to the new file `out` and, with `keys_out`, the key folder sealed to
    /// the custodians. Both files 0600; neither may exist yet. The audit entry comes first, so
    /// the copy holds it.
    pub async fn backup(
        &self,
        out: &Path,
        keys_out: Option<&Path>,
    ) -> Result<BackupMade, DeskError> {
        for path in std::iter::once(out).chain(keys_out) {
            if path.exists() {
                return Err(DeskError::Invalid(format!(
                    "{} exists: a backup is written only to a new file",
                    path.display()
                )));
            }
        }
        let sealed = match keys_out {
            Some(_) => Some(self.sealed_key_archive().await?),
            None => None,
        };
        let detail = match &sealed {
            Some((_, files, custodians)) => format!(
                "register and key folder ({files} file(s), sealed to {} custodian(s))",
                custodians.len()
            ),
            None => "register".to_owned(),
        };
        self.register
            .audit(&AuditEntry {
                actor: Actor::admin().into_string(),
                action: Event::RegisterBackedUp,
                case_number: None,
                detail,
            })
            .await?;
        let staging = Staging::beside(out)?;
        let copy = staging.path("register.db");
        self.register.snapshot_into(&copy).await?;
        staging.publish(&copy, out)?;
        let mut made = BackupMade {
            register: out.to_path_buf(),
            keys: None,
            key_files: 0,
            sealed_to: Vec::new(),
        };
        if let (Some(keys_out), Some((message, files, custodians))) = (keys_out, sealed) {
            write_new_private(keys_out, &message)?;
            made.keys = Some(keys_out.to_path_buf());
            made.key_files = files;
            made.sealed_to = custodians;
        }
        Ok(made)
    }

    /// The key folder as an OpenPGP message to every current custodian, its file count and
    /// the custodians' fingerprints.
    async fn sealed_key_archive(&self) -> Result<(Vec<u8>, usize, Vec<String>), DeskError> {
        let readers = Readers::load(&self.register).await?;
        if readers.custodians.is_empty() {
            return Err(DeskError::Setup(
                "no custodian to seal the key folder to: add one with `sygnal handlers add \
                 --role custodian` first"
                    .to_owned(),
            ));
        }
        let (archive, files) = self.keys.archive()?;
        let sealed = openpgp::seal(&archive, &readers.custodians)
            .map_err(|e| DeskError::Failed(format!("cannot seal the key folder: {e}")))?;
        let fingerprints = readers
            .custodians
            .iter()
            .map(openpgp::fingerprint_hex)
            .collect();
        Ok((openpgp::message_bytes(&sealed), files, fingerprints))
    }
}

/// Restores the register of `at` from the backup `from` (into a register that does not exist
/// yet, or an empty PostgreSQL schema) and, with `keys`, the key folder from its sealed archive
/// opened with a custodian's key (into a missing or empty folder). Then checks the audit chain,
/// records the restore and runs retention.
pub async fn restore(
    at: &Installation,
    from: &Path,
    keys: Option<(&Path, &ReaderKey)>,
) -> Result<Restored, DeskError> {
    let config = at.load()?;
    if !from.is_file() {
        return Err(DeskError::NotFound(format!(
            "no backup at {}: give the file `sygnal backup --out` wrote",
            from.display()
        )));
    }
    // Keys first: a wrong custodian key or a damaged archive stops the restore before the
    // register is touched.
    let archive = match keys {
        Some((path, key)) => Some(open_key_archive(path, key)?),
        None => None,
    };
    if archive.is_some() && fs::read_dir(&config.keys.dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(DeskError::Invalid(format!(
            "the key folder {} is not empty: keys are restored only into an empty one (move it \
             aside first)",
            config.keys.dir.display()
        )));
    }
    if archive.is_none() && !has_intake_keys(&config.keys.dir) {
        return Err(DeskError::Setup(format!(
            "no intake key in {}: restore the key folder too (--keys-from FILE --key \
             CUSTODIAN-KEY), or put it back first",
            config.keys.dir.display()
        )));
    }
    // The backup itself is never opened for writing: opening a register brings its schema
    // up to date, so a working copy is checked and then moved into place.
    let staging = Staging::beside(&staging_anchor(&config))?;
    let copy = staging.path("register.db");
    fs::copy(from, &copy).map_err(DeskError::io(format!("copy {}", from.display())))?;
    let (cases, head) = check_backup(&copy).await?;
    match &config.register {
        RegisterConfig::Sqlite { path } => {
            if path.exists() {
                return Err(DeskError::Invalid(format!(
                    "{} exists: a register is restored only where none is (move it aside \
                     first)",
                    path.display()
                )));
            }
            staging.publish(&copy, path)?;
        }
        RegisterConfig::Postgres { .. } => {
            super::migrate_register(&RegisterConfig::Sqlite { path: copy }, &config.register)
                .await?;
        }
    }
    let key_files = match archive {
        Some(archive) => KeyStore::unpack(&config.keys.dir, &archive)?,
        None => 0,
    };
    let desk = Desk::open(at).await?;
    let done = restored_entries(&desk, cases, &head, key_files).await;
    desk.close().await;
    let (mut destroyed_again, on_hold) = done?;
    destroyed_again.dedup();
    Ok(Restored {
        cases,
        audit_head: head,
        key_files,
        destroyed_again,
        on_hold,
    })
}

/// Records the restore in the chain and runs retention.
async fn restored_entries(
    desk: &Desk,
    cases: usize,
    head: &str,
    key_files: usize,
) -> Result<(Vec<String>, Vec<String>), DeskError> {
    let keys = if key_files > 0 {
        format!(", key folder from its sealed archive ({key_files} file(s))")
    } else {
        String::new()
    };
    desk.register
        .audit(&AuditEntry {
            actor: Actor::admin().into_string(),
            action: Event::RegisterRestored,
            case_number: None,
            detail: format!("from a backup: {cases} case(s), audit head {head}{keys}"),
        })
        .await?;
    let run = desk.run_retention(false).await?;
    Ok((
        run.destroyed
            .into_iter()
            .map(|d| {
                if d.case_number.is_empty() {
                    d.item
                } else {
                    d.case_number
                }
            })
            .collect(),
        run.on_hold,
    ))
}

/// Opens the backup copy at `path`: its cases and its audit chain's head (`id:hash`); a broken
/// chain refuses the restore.
async fn check_backup(path: &Path) -> Result<(usize, String), DeskError> {
    let register = Register::open(&RegisterConfig::Sqlite {
        path: path.to_path_buf(),
    })
    .await?;
    let checked = async {
        let rows = register.audit_entries().await?;
        let head = verify_rows(&rows, None).map_err(|b| {
            DeskError::Failed(format!(
                "the backup's audit chain is BROKEN ({b}): it was altered; restore an older \
                 backup"
            ))
        })?;
        let cases = register.case_files().await?.len();
        Ok::<_, DeskError>((cases, format!("{}:{}", head.id, head.hash)))
    }
    .await;
    register.close().await;
    checked
}

fn open_key_archive(
    path: &Path,
    key: &ReaderKey,
) -> Result<zeroize::Zeroizing<Vec<u8>>, DeskError> {
    let bytes = fs::read(path).map_err(DeskError::io(format!("read {}", path.display())))?;
    let blob = SealedBlob::from_message(&bytes).map_err(|e| {
        DeskError::Invalid(format!(
            "{} is not a key archive `sygnal backup --keys-out` wrote: {e}",
            path.display()
        ))
    })?;
    openpgp::unseal(
        &blob,
        &key.cert,
        key.passphrase.as_ref(),
        MAX_KEY_ARCHIVE_BYTES,
    )
    .map_err(|e| {
        DeskError::KeyRefused(format!(
            "the key archive {} does not open with key {}: {e} (it opens with the key of a \
             custodian of the day it was made)",
            path.display(),
            key.fingerprint
        ))
    })
}

fn has_intake_keys(dir: &Path) -> bool {
    fs::read_dir(dir.join("intake")).is_ok_and(|mut d| d.next().is_some())
}

/// A file beside which the register's working copy is staged: the SQLite file itself (so the
/// copy is moved into place by a rename); for PostgreSQL, one in the config file's folder.
fn staging_anchor(config: &crate::config::Config) -> PathBuf {
    match &config.register {
        RegisterConfig::Sqlite { path } => path.clone(),
        RegisterConfig::Postgres { .. } => config.base_dir.join("register-restore"),
    }
}

/// A private (0700) folder beside a target file, for a copy written there and then renamed
/// onto the target; removed with whatever is left in it.
struct Staging(PathBuf);

impl Staging {
    fn beside(target: &Path) -> Result<Staging, DeskError> {
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(DeskError::io(format!("create {}", dir.display())))?;
        let nonce: u64 = rand::random();
        let staging = dir.join(format!(".sygnal-staging-{nonce:016x}"));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&staging)
            .map_err(DeskError::io(format!("create {}", staging.display())))?;
        Ok(Staging(staging))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Makes `file` 0600 and durable, and renames it onto `target` (which must not exist).
    fn publish(&self, file: &Path, target: &Path) -> Result<(), DeskError> {
        fs::set_permissions(file, fs::Permissions::from_mode(0o600))
            .map_err(DeskError::io(format!("chmod {}", file.display())))?;
        fs::File::open(file)
            .and_then(|f| f.sync_all())
            .map_err(DeskError::io(format!("fsync {}", file.display())))?;
        if target.exists() {
            return Err(DeskError::Invalid(format!(
                "{} appeared meanwhile: nothing was replaced",
                target.display()
            )));
        }
        fs::rename(file, target).map_err(DeskError::io(format!(
            "move the copy to {}",
            target.display()
        )))?;
        if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(DeskError::io(format!("fsync {}", dir.display())))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes `bytes` to the new file `path`, 0600 from its creation, and syncs it.
fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), DeskError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(DeskError::io(format!("create {}", path.display())))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(DeskError::io(format!("write {}", path.display())))
}
