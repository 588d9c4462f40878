//! Intake keys and reseal: create, import, protect, rotate, retire, list, publish, check; and
//! re-wrapping every sealed record to the current readers. Every key event is audited
//! (invariant 6); only a current reader's key may decide a reseal (invariant 5).

use std::time::Duration;

use secrecy::SecretString;
use sequoia_openpgp::Cert;
use serde::Serialize;

use super::{Actor, Desk, DeskError, ReaderKey};
use crate::audit::Event;
use crate::config::Config;
use crate::lifecycle::{self, intake, wkd};
use crate::openpgp::{self, KeyAlgorithm, ReaderKeys};
use crate::register::AuditEntry;

/// Days ahead that `doctor` and `run` warn of expiring keys and ending grace periods.
const EXPIRY_WARNING: Duration = Duration::from_secs(30 * 86_400);

/// What `init` did.
#[derive(Debug, Clone, Serialize)]
pub struct InitOutcome {
    /// The current intake key.
    pub fingerprint: String,
    /// It existed already; nothing was made.
    pub existed: bool,
}

/// A reseal as asked for.
pub struct ResealRequest {
    /// Current readers' secret keys (a custodian's among them for identities).
    pub keys: Vec<ReaderKey>,
    /// Count and check only.
    pub dry_run: bool,
    /// Records per transaction.
    pub batch: usize,
    /// Also re-encrypt content under fresh keys and destroy the old shred keys.
    pub rotate_content: bool,
}

/// The published intake key.
pub struct IntakeExport {
    /// The certificate (public parts are what is published).
    pub cert: Cert,
    /// Its fingerprint.
    pub fingerprint: String,
}

/// Key and storage checks.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    /// The register's durability, as checked when it was opened.
    pub register: &'static str,
    /// Intake secret keys that open.
    pub intake_keys: usize,
    /// What needs the operator.
    pub warnings: Vec<String>,
    /// What was checked and holds.
    pub checked: Vec<String>,
    /// What sygnal cannot check from here, for the operator to see to.
    pub notes: Vec<String>,
}

/// One key of an imported keyring.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedIntakeKey {
    /// Primary fingerprint.
    pub fingerprint: String,
    /// Stored (false: skipped, see `note`).
    pub imported: bool,
    /// What became of it.
    pub note: String,
}

/// The reseal rule for records the given keys cannot open: the run is incomplete and says
/// which records need another key.
pub fn reseal_incomplete(summary: &lifecycle::ResealSummary) -> Result<(), DeskError> {
    if summary.not_readable.is_empty() {
        return Ok(());
    }
    Err(DeskError::KeyRefused(format!(
        "{} record(s) not readable with the given key(s) (e.g. identities need a custodian's key): {}; run again with --key for them",
        summary.not_readable.len(),
        summary.not_readable.join(", ")
    )))
}

/// The key folder must be private before anything else is trusted.
pub fn check_key_folder(config: &Config) -> Result<(), DeskError> {
    crate::keystore::check_private_dir(&config.keys.dir)?;
    Ok(())
}

/// The address a Web Key Directory publishes the key under: a User ID at `domain`, else the
/// mailbox's username when it is an address.
fn wkd_address(cert: &Cert, domain: &str, mailbox_user: &str) -> Option<String> {
    cert.userids()
        .filter_map(|u| u.userid().email().ok().flatten().map(str::to_owned))
        .find(|e| {
            e.to_ascii_lowercase()
                .ends_with(&format!("@{}", domain.to_ascii_lowercase()))
        })
        .or_else(|| mailbox_user.contains('@').then(|| mailbox_user.to_owned()))
}

impl Desk {
    async fn audit_key(&self, event: Event, fingerprint: &str) -> Result<(), DeskError> {
        self.register
            .audit(&AuditEntry {
                actor: Actor::admin().into_string(),
                action: event,
                case_number: None,
                detail: fingerprint.to_owned(),
            })
            .await?;
        Ok(())
    }

    /// Creates the intake key if none exists (and the fingerprint key). Safe to run twice.
    pub async fn init(
        &self,
        algo: KeyAlgorithm,
        user_id: Option<String>,
    ) -> Result<InitOutcome, DeskError> {
        self.keys.fingerprint_key()?;
        if let Some(fingerprint) = self.keys.current_intake_fingerprint()? {
            return Ok(InitOutcome {
                fingerprint,
                existed: true,
            });
        }
        let user_id = user_id.unwrap_or_else(|| {
            let user = &self.config.mailbox.username;
            if user.contains('@') {
                format!("Sygnal intake <{user}>")
            } else {
                "Sygnal intake".to_owned()
            }
        });
        let cert =
            tokio::task::spawn_blocking(move || openpgp::generate_intake_key(&user_id, algo))
                .await
                .map_err(|_| DeskError::Failed("key generation stopped".to_owned()))??;
        let fingerprint = self.keys.save_intake(&cert, true)?;
        self.audit_key(Event::IntakeKeyCreated, &fingerprint)
            .await?;
        Ok(InitOutcome {
            fingerprint,
            existed: false,
        })
    }

    /// Adds an intake secret key (e.g. an earlier one) so mail encrypted to it opens; it
    /// becomes current only when there is no current key.
    pub async fn import_intake_keys(
        &self,
        source: &str,
        secret: &[u8],
        passphrase_of: &mut dyn FnMut(&str) -> Result<SecretString, DeskError>,
    ) -> Result<Vec<ImportedIntakeKey>, DeskError> {
        let certs = openpgp::parse_secret_keyring(secret).map_err(|e| {
            DeskError::KeyRefused(format!(
                "{source} holds no secret key (an armored or binary export, or a GnuPG \
                 secring.gpg, is expected): {e}"
            ))
        })?;
        let mut out = Vec::new();
        for cert in certs {
            let fingerprint = openpgp::fingerprint_hex(&cert);
            // Each key is unlocked with its own passphrase, then stored under the configured
            // one: a key left under its old passphrase would stop the next `run`.
            let cert = if openpgp::needs_passphrase(&cert) {
                let pass = passphrase_of(&fingerprint)?;
                openpgp::unlock(cert, &pass).map_err(|_| {
                    DeskError::KeyRefused(format!(
                        "wrong passphrase for key {fingerprint} in {source}; nothing of it was stored"
                    ))
                })?
            } else {
                cert
            };
            if !openpgp::can_decrypt(&cert) {
                out.push(ImportedIntakeKey {
                    fingerprint,
                    imported: false,
                    note: "has no secret key that can decrypt mail; skipped".to_owned(),
                });
                continue;
            }
            let make_current = self.keys.current_intake_fingerprint()?.is_none();
            let fingerprint = self.keys.save_intake(&cert, make_current)?;
            // Refuse to keep a key the gateway could not unlock at its next start.
            if let Err(e) = self.keys.check_intake(&fingerprint) {
                self.keys.forget_intake(&fingerprint)?;
                return Err(DeskError::KeyRefused(format!(
                    "key {fingerprint} would not open again as stored ({e}); it was not kept"
                )));
            }
            self.audit_key(Event::IntakeKeyImported, &fingerprint)
                .await?;
            out.push(ImportedIntakeKey {
                note: if make_current {
                    "now the published intake key".to_owned()
                } else {
                    "decrypts mail sent to it".to_owned()
                },
                fingerprint,
                imported: true,
            });
        }
        Ok(out)
    }

    /// Encrypts intake secret keys stored unprotected under the configured passphrase.
    pub async fn protect_intake_keys(&self) -> Result<Vec<String>, DeskError> {
        if !self.keys.protected() {
            return Err(DeskError::Setup(
                "no passphrase configured: set [keys] passphrase-file, passphrase-env or passphrase-credential".to_owned(),
            ));
        }
        let done = self.keys.protect_intake_keys()?;
        for fingerprint in &done {
            self.audit_key(Event::IntakeKeyProtected, fingerprint)
                .await?;
        }
        Ok(done)
    }

    fn current_intake(&self) -> Result<Cert, DeskError> {
        self.keys.current_intake()?.ok_or_else(|| {
            DeskError::NotFound("no intake key yet: run `sygnal init` first".to_owned())
        })
    }

    /// Makes a new intake key the published one; earlier keys decrypt for `grace`. The new
    /// key's User ID is the current one's unless another is given.
    pub async fn rotate_intake_key(
        &self,
        grace: Duration,
        user_id: Option<String>,
        algo: KeyAlgorithm,
    ) -> Result<String, DeskError> {
        let current = self.current_intake()?;
        let user_id = match user_id {
            Some(u) => u,
            None => current
                .userids()
                .next()
                .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
                .unwrap_or_else(|| "Sygnal intake".to_owned()),
        };
        Ok(intake::rotate(&self.register, &self.keys, user_id, algo, grace).await?)
    }

    /// Destroys the secret parts of intake keys whose grace has ended (all superseded ones
    /// with `now`).
    pub async fn retire_intake_keys(&self, now: bool) -> Result<Vec<String>, DeskError> {
        Ok(intake::retire(&self.register, &self.keys, now).await?)
    }

    /// Every intake key with its state.
    pub async fn intake_keys(&self) -> Result<Vec<intake::IntakeKeyInfo>, DeskError> {
        Ok(intake::list(&self.register, &self.keys).await?)
    }

    /// The published intake key.
    pub fn intake_export(&self) -> Result<IntakeExport, DeskError> {
        let cert = self.current_intake()?;
        Ok(IntakeExport {
            fingerprint: openpgp::fingerprint_hex(&cert),
            cert,
        })
    }

    /// The Web Key Directory files (relative path, bytes) publishing the intake key for
    /// `domain`, in both layouts.
    pub fn intake_wkd(
        &self,
        export: &IntakeExport,
        domain: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, DeskError> {
        let cert = export.cert.clone();
        let address = wkd_address(&cert, domain, &self.config.mailbox.username).ok_or_else(|| {
            DeskError::Invalid(format!(
                "the intake key has no User ID at {domain}; rotate with --user-id 'Name <address@{domain}>'"
            ))
        })?;
        let local = address.split('@').next().unwrap_or_default().to_owned();
        let public = cert.strip_secret_key_material();
        let binary = sequoia_openpgp::serialize::SerializeInto::to_vec(&public)
            .map_err(|e| DeskError::Failed(format!("serialize the public certificate: {e}")))?;
        Ok(wkd::layout(&local, domain, &binary))
    }

    /// Re-wraps every sealed record to the current readers. Only current readers' keys may
    /// decide the new set: a removed reader's key is refused before anything is read.
    pub async fn reseal(
        &self,
        request: ResealRequest,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<lifecycle::ResealSummary, DeskError> {
        let readers = self.register.readers().await?;
        let mut actors = Vec::new();
        for k in &request.keys {
            let Some(r) = readers.iter().find(|r| r.fingerprint == k.fingerprint) else {
                return Err(DeskError::KeyRefused(format!(
                    "key {} is not a current reader; reseal with a current handler's or custodian's key",
                    k.fingerprint
                )));
            };
            actors.push(format!("{} ({})", k.fingerprint, r.name));
        }
        let mut certs = Vec::new();
        let mut passphrase: Option<SecretString> = None;
        for k in request.keys {
            if k.passphrase.is_some() {
                passphrase = k.passphrase;
            }
            certs.push(k.cert);
        }
        let mut unlocked = ReaderKeys::unlock(&certs, passphrase.as_ref())
            .map_err(|e| DeskError::KeyRefused(e.to_string()))?;
        let content = request
            .rotate_content
            .then(|| lifecycle::ContentKeys { certs, passphrase });
        let options = lifecycle::ResealOptions {
            dry_run: request.dry_run,
            batch: request.batch,
            actor: actors.join(" + "),
            rotate_content: request.rotate_content,
        };
        Ok(lifecycle::reseal(
            &self.register,
            &self.keys,
            &mut unlocked,
            content.as_ref(),
            &options,
            progress,
        )
        .await?)
    }

    /// Key and storage checks: intake keys that open, keys expiring or ending their grace
    /// within 30 days, keys stored without the configured passphrase.
    pub async fn doctor(&self) -> Result<DoctorReport, DeskError> {
        let mut warnings = Vec::new();
        let mut checked = Vec::new();
        // First: a clock set back also makes keys look not yet valid, and that error alone
        // would hide the cause.
        self.clock_checks(&mut warnings, &mut checked).await?;
        let intake_keys = match self.keys.intake_keyring() {
            Ok(keyring) => keyring.fingerprints().len(),
            Err(e) if !warnings.is_empty() => {
                return Err(DeskError::Setup(format!("{e}; {}", warnings.join("; "))))
            }
            Err(e) => return Err(e.into()),
        };
        warnings.extend(self.key_warnings().await?);
        if self.keys.protected() {
            for fpr in self.keys.unprotected_intake_keys()? {
                warnings.push(format!(
                    "intake key {fpr} is stored without passphrase protection: run `sygnal keys protect`"
                ));
            }
        }
        self.identity_promise_checks(&mut warnings, &mut checked)
            .await?;
        self.contact_checks(&mut warnings, &mut checked).await?;
        match self.reseal_pending().await? {
            Some(p) => warnings.push(p.to_string()),
            None => checked.push("no reader change awaits a reseal".to_owned()),
        }
        self.register_file_checks(&mut warnings, &mut checked);
        for q in self.register.list_quarantine().await? {
            if q.state == "left-on-server" {
                warnings.push(format!(
                    "quarantine #{} ({}): a message is left on the server: {}",
                    q.id, q.reason, q.detail
                ));
            }
        }
        Ok(DoctorReport {
            register: self.register.durability(),
            intake_keys,
            warnings,
            checked,
            notes: vec![
                "the mail server keeps its own logs (delivery times, sizes, senders): configure \
                 Dovecot and the MTA to keep none for this mailbox (README: \"What the mail server \
                 still knows\"); sygnal cannot check that from here"
                    .to_owned(),
            ],
        })
    }

    /// The clock: not behind the register's latest entry (a clock set back dates reports and
    /// deadlines wrong), and the time zone dates follow.
    async fn clock_checks(
        &self,
        warnings: &mut Vec<String>,
        checked: &mut Vec<String>,
    ) -> Result<(), DeskError> {
        let today = crate::register::today().to_string();
        match self.register.latest_audit_day().await? {
            Some(day) if day > today => warnings.push(format!(
                "the clock says {today}, but the register has entries dated {day}: the clock \
                 went back; fix it (`timedatectl set-ntp true`) before the gateway files more"
            )),
            _ => checked.push(format!("the clock ({today}) is not behind the register")),
        }
        let offset = chrono::Local::now().offset().to_string();
        let zone = std::env::var("TZ")
            .map(|tz| format!("the time zone {tz}"))
            .unwrap_or_else(|_| "the system's time zone".to_owned());
        checked.push(format!(
            "dates follow {zone} (UTC{offset}); set TZ (e.g. Europe/Warsaw) if that is not the \
             organisation's"
        ));
        Ok(())
    }

    /// A SQLite register file only its owner can read or write.
    fn register_file_checks(&self, warnings: &mut Vec<String>, checked: &mut Vec<String>) {
        use std::os::unix::fs::PermissionsExt as _;
        let crate::config::RegisterConfig::Sqlite { path } = &self.config.register else {
            return;
        };
        match std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777) {
            Ok(mode) if mode & 0o077 != 0 => warnings.push(format!(
                "the register {} has mode {mode:o}; others may read its sealed records and its \
                 case numbers and dates: chmod 600 {}",
                path.display(),
                path.display()
            )),
            Ok(_) => checked.push(format!(
                "the register {} is readable by its owner only",
                path.display()
            )),
            Err(_) => {}
        }
    }

    /// The identity promise as far as the register shows it: readers consented to, the audit
    /// chain signed by a custodian, no position or fingerprint kept past deletion.
    async fn identity_promise_checks(
        &self,
        warnings: &mut Vec<String>,
        checked: &mut Vec<String>,
    ) -> Result<(), DeskError> {
        let set = crate::readers::Readers::load(&self.register).await?;
        if !set.has_custodian() {
            warnings.push(
                "no identity custodian: add the first with `sygnal handlers add --role custodian \
                 --approve-key THEIR-SECRET-KEY`"
                    .to_owned(),
            );
        } else if !set.consent_in_force {
            warnings.push(
                "readers were added before custodian consent existed: a custodian must approve \
                 them (`sygnal handlers approve FINGERPRINT... --approve-key KEY`)"
                    .to_owned(),
            );
        } else {
            checked.push(format!(
                "{} reader(s) sealed to, each with a custodian's consent",
                set.members.len()
            ));
        }
        for (fpr, role, why) in &set.unconsented {
            warnings.push(format!(
                "{} {fpr} is NOT sealed to: {why}; if that is right, approve it with `sygnal \
                 handlers approve {fpr} --approve-key CUSTODIAN-KEY`, otherwise remove it",
                role.as_str()
            ));
        }
        let verdict = self.verify_audit(None).await?;
        match (&verdict.broken, &verdict.latest_checkpoint, &verdict.head) {
            (Some(b), _, _) => warnings.push(format!("audit chain BROKEN: {b}")),
            (None, None, _) => warnings.push(
                "no custodian has signed an audit checkpoint: `sygnal audit checkpoint --key \
                 CUSTODIAN-KEY`"
                    .to_owned(),
            ),
            (None, Some(c), Some(h)) => checked.push(format!(
                "audit chain intact; custodian checkpoint covers {} of {} entries",
                c.entry, h.id
            )),
            (None, Some(_), None) => {}
        }
        let kept = self.register.intake_positions_after_deletion().await?;
        if kept > 0 {
            warnings.push(format!(
                "{kept} intake record(s) keep a mailbox position after deletion"
            ));
        } else {
            checked.push(
                "no mailbox position, size or fingerprint kept for deleted server copies"
                    .to_owned(),
            );
        }
        Ok(())
    }

    /// Intake keys expiring or ending their grace period soon.
    pub(super) async fn key_warnings(&self) -> Result<Vec<String>, DeskError> {
        Ok(intake::warnings(&self.register, &self.keys, EXPIRY_WARNING).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::Refusal;

    #[test]
    fn reseal_that_could_not_open_every_record_is_refused_and_names_them() {
        let mut s = lifecycle::ResealSummary::default();
        assert!(reseal_incomplete(&s).is_ok());
        s.not_readable = vec!["ZW/2026/0001 (identity)".into()];
        let e = reseal_incomplete(&s).unwrap_err();
        assert!(e.refusal() == Some(Refusal::KeyRefused));
        assert!(e.to_string().contains("ZW/2026/0001"));
    }

    #[test]
    fn wkd_publishes_under_the_user_id_at_the_domain_else_the_mailbox_address() {
        let cert = openpgp::generate_intake_key(
            "Sygnal <sygnalista@gops.example.pl>",
            KeyAlgorithm::Cv25519,
        )
        .unwrap();
        assert_eq!(
            wkd_address(&cert, "GOPS.example.pl", "x").as_deref(),
            Some("sygnalista@gops.example.pl")
        );
        assert_eq!(
            wkd_address(&cert, "other.pl", "box@other.pl").as_deref(),
            Some("box@other.pl")
        );
        assert_eq!(wkd_address(&cert, "other.pl", "box"), None);
    }
}
