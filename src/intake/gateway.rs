//! The gateway's long-lived state and its run loop: connect, drain, IDLE, reconnect with backoff,
//! stop cleanly on a signal after the message in hand.

use std::time::Duration;

use tokio::sync::watch;

use super::report::DrainReport;
use super::worker::{WorkerError, WorkerPool};
use crate::config::Config;
use crate::imap::{Capabilities, IdleOutcome, ImapError, ImapSettings, Mailbox};
use crate::keystore::{FingerprintKey, KeyStore, KeyStoreError};
use crate::openpgp::IntakeKeyring;
use crate::readers::{Readers, ReadersError};
use crate::register::{Register, RegisterError};
use crate::vault::VaultError;

/// Failures of the run loop, each with its disposition.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Mailbox trouble.
    #[error(transparent)]
    Imap(#[from] ImapError),
    /// Register trouble: messages stay on the server.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// Key folder trouble.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// Sealing trouble.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Intake workers cannot be started.
    #[error(transparent)]
    Worker(#[from] WorkerError),
    /// Configuration that prevents intake.
    #[error("{0}")]
    Setup(String),
    /// Another gateway holds the mailbox's lease (`run --once`).
    #[error("{0}")]
    Busy(String),
    /// The mailbox's lease was lost (another gateway took it over): nothing more is deleted
    /// under it.
    #[error(
        "the mailbox's lease was lost to another gateway; nothing more is deleted by this one"
    )]
    LeaseLost,
}

impl GatewayError {
    /// Whether waiting and trying again may help.
    pub fn is_transient(&self) -> bool {
        match self {
            GatewayError::Imap(e) => e.is_transient(),
            GatewayError::Register(e) => e.is_transient(),
            GatewayError::LeaseLost => true,
            _ => false,
        }
    }
}

/// A shutdown signal: set once, observed between messages.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// A signal and its trigger.
    pub fn new() -> (watch::Sender<bool>, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (tx, Shutdown(rx))
    }

    /// Whether shutdown was requested.
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves when shutdown is requested.
    pub async fn wait(&mut self) {
        while !*self.0.borrow() {
            if self.0.changed().await.is_err() {
                // Sender gone: nobody can ask for shutdown any more.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The gateway: config, register and keys.
pub struct Gateway {
    pub(super) config: Config,
    pub(super) register: Register,
    pub(super) keys: KeyStore,
    /// The fingerprint key, and whether it fingerprinted a message since it was made.
    fingerprint_key: std::sync::Mutex<(FingerprintKey, bool)>,
    /// The program started as `sygnal worker` (this binary).
    worker_exe: super::worker::Runner,
    /// Who this process is among the register's replicas.
    pub(super) replica: super::replica_id::Replica,
    /// The mailbox's lease while this gateway holds it.
    pub(super) lease: std::sync::Mutex<Option<crate::register::Lease>>,
    /// This process's share of the deployment's mailboxes.
    pub(super) share: std::sync::Arc<super::replica_id::Share>,
    /// The intake workers of the last pass, kept running for the next while the keys and
    /// readers they hold stay the same (a pass in IDLE mode often takes one message).
    kept_pool: std::sync::Mutex<Option<WorkerPool>>,
}

impl Gateway {
    /// Opens the register and key folder.
    pub async fn open(config: Config) -> Result<Gateway, GatewayError> {
        let register = Register::open(&config.register).await?;
        let keys = KeyStore::open_config(&config.keys)?;
        keys.check_passphrase()?;
        // Counted as used: a run that stopped before replacing it may have left it behind.
        let fingerprint_key = std::sync::Mutex::new((keys.fingerprint_key()?, true));
        let worker_exe = super::worker::this_binary()?;
        Ok(Gateway {
            config,
            register,
            keys,
            fingerprint_key,
            worker_exe,
            replica: super::replica_id::Replica::new(),
            lease: std::sync::Mutex::new(None),
            share: std::sync::Arc::new(super::replica_id::Share::whole()),
            kept_pool: std::sync::Mutex::new(None),
        })
    }

    /// Drains its mailbox as one of the mailboxes `share` splits between replicas.
    pub fn with_share(mut self, share: std::sync::Arc<super::replica_id::Share>) -> Gateway {
        self.share = share;
        self
    }

    /// The keyed fingerprint of a raw message.
    pub(super) fn fingerprint(&self, raw: &[u8]) -> String {
        let mut key = self
            .fingerprint_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        key.1 = true;
        key.0.fingerprint(raw)
    }

    /// Reads the fingerprint key again from the key folder: another replica may have rotated
    /// it while this one stood by, and a message it filed is recognised only with that key.
    /// Called when a drain starts, under the mailbox's lease (only the holder rotates it).
    pub(super) fn reload_fingerprint_key(&self) -> Result<(), GatewayError> {
        let key = self.keys.fingerprint_key()?;
        *self
            .fingerprint_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (key, true);
        Ok(())
    }

    /// Replaces a used fingerprint key once no intake record holds a fingerprint made with
    /// it (every server copy it recognised is confirmed deleted).
    pub(super) async fn rotate_fingerprint_key(&self) -> Result<(), GatewayError> {
        let used = self
            .fingerprint_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1;
        if !used || self.register.content_fingerprints_in_use().await? {
            return Ok(());
        }
        let fresh = self.keys.rotate_fingerprint_key()?;
        *self
            .fingerprint_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (fresh, false);
        tracing::info!("FingerprintKeyRotated");
        Ok(())
    }

    /// The tenant's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The register intake files into.
    pub fn register(&self) -> &Register {
        &self.register
    }

    /// Intake keys and reader certificates, reloaded every drain so CLI changes take effect.
    pub(super) async fn load_keys(&self) -> Result<(IntakeKeyring, Readers), GatewayError> {
        let signers = crate::readers::trusted_signers(&self.register)
            .await
            .map_err(|e| match e {
                ReadersError::Register(e) => GatewayError::Register(e),
                other => GatewayError::Setup(other.to_string()),
            })?;
        let keyring = self.keys.intake_keyring()?.with_trusted_signers(signers);
        if keyring.is_empty() {
            return Err(GatewayError::Setup(
                "no intake key: run `sygnal init` first".to_owned(),
            ));
        }
        let readers = Readers::load(&self.register).await.map_err(|e| match e {
            ReadersError::Register(e) => GatewayError::Register(e),
            other => GatewayError::Setup(other.to_string()),
        })?;
        for (fingerprint, e) in &readers.unusable {
            tracing::warn!(reader = %fingerprint, error = %e, "reader certificate not usable; skipped");
        }
        for (fingerprint, role, why) in &readers.unconsented {
            tracing::warn!(reader = %fingerprint, role = role.as_str(), why = %why, "ReaderNotApproved: nothing is sealed to it");
        }
        if readers.handlers.is_empty() {
            return Err(GatewayError::Setup(
                "no usable handler certificate: add one with `sygnal handlers add --role handler`"
                    .to_owned(),
            ));
        }
        if readers.custodians.is_empty() {
            return Err(GatewayError::Setup(
                "no usable identity custodian certificate: add one with `sygnal handlers add --role custodian --approve-key THEIR-SECRET-KEY`".to_owned(),
            ));
        }
        Ok((keyring, readers))
    }

    /// Workers for one drain pass, holding this pass's keys and readers: the last pass's if
    /// they hold the same, new ones otherwise.
    pub(super) fn worker_pool(
        &self,
        keyring: &IntakeKeyring,
        readers: &Readers,
    ) -> Result<WorkerPool, GatewayError> {
        let wanted = self.new_worker_pool(keyring, readers)?;
        let kept = self.kept_pool.lock().ok().and_then(|mut k| k.take());
        Ok(match kept {
            Some(pool) if pool.same_setup(&wanted) => pool,
            _ => wanted,
        })
    }

    /// Keeps a pass's workers for the next pass.
    pub(super) fn keep_pool(&self, pool: WorkerPool) {
        if let Ok(mut kept) = self.kept_pool.lock() {
            *kept = Some(pool);
        }
    }

    fn new_worker_pool(
        &self,
        keyring: &IntakeKeyring,
        readers: &Readers,
    ) -> Result<WorkerPool, GatewayError> {
        Ok(WorkerPool::for_keys(
            self.worker_exe.clone(),
            keyring,
            readers,
            &self.config.limits,
            self.config.intake.workers,
            self.config.contact.as_ref().map(|c| &c.reply_address),
        )?)
    }

    fn imap_settings(&self) -> Result<ImapSettings, GatewayError> {
        self.config
            .mailbox
            .imap_settings()
            .map_err(GatewayError::Setup)
    }

    /// Runs intake. With `once`, drains the folder and returns; otherwise waits for new mail
    /// (IDLE or polling) until `shutdown`, reconnecting with backoff. Drains only while holding
    /// the mailbox's lease (one gateway at a time); stands by otherwise.
    pub async fn run(&self, once: bool, shutdown: Shutdown) -> Result<DrainReport, GatewayError> {
        let result = self.run_leased(once, shutdown).await;
        self.release_lease().await;
        result
    }

    async fn run_leased(
        &self,
        once: bool,
        mut shutdown: Shutdown,
    ) -> Result<DrainReport, GatewayError> {
        let settings = self.imap_settings()?;
        let mut total = DrainReport::default();
        let mut backoff = Duration::from_secs(1);
        let mut standing_by = false;
        loop {
            if shutdown.requested() {
                return Ok(total);
            }
            let lease = match self.take_lease(once).await {
                Ok(Some(lease)) => lease,
                Ok(None) => {
                    crate::telemetry::metrics().standing_by(self.config.tenant.as_deref());
                    if !standing_by {
                        tracing::info!("StandbyReplica: another gateway drains the mailbox; taking over when it stops");
                        standing_by = true;
                    }
                    if !self.stand_by(&mut shutdown).await {
                        return Ok(total);
                    }
                    continue;
                }
                Err(e) if e.is_transient() && !once => {
                    tracing::warn!(error = %e, retry_in_secs = backoff.as_secs(), "lease unavailable; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.wait() => return Ok(total),
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(300));
                    continue;
                }
                Err(e) => return Err(e),
            };
            standing_by = false;
            let before = total.clone();
            let outcome = self
                .session_under(lease, &settings, once, &shutdown, &mut total)
                .await;
            if total != before {
                // A session that got work done ends a run of failures: the next fault (days
                // later) starts again from the shortest wait instead of the longest.
                backoff = Duration::from_secs(1);
            }
            let lost = self.lease().is_none() && !shutdown.requested();
            match outcome {
                Ok(()) | Err(GatewayError::LeaseLost) if lost && once => {
                    return Err(GatewayError::LeaseLost)
                }
                Ok(()) | Err(GatewayError::LeaseLost) if lost => continue,
                Ok(()) if once && total.skipped > 0 => {
                    return Err(GatewayError::Setup(format!(
                    "{} message(s) could not be fetched whole and stay on the server; run again",
                    total.skipped
                )))
                }
                Ok(()) => return Ok(total),
                Err(e) if e.is_transient() && !once => {
                    tracing::warn!(
                        error = %e,
                        server = %format!("{}:{}", self.config.mailbox.host, self.config.mailbox.port),
                        retry_in_secs = backoff.as_secs(),
                        "mailbox session failed; reconnecting"
                    );
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.wait() => return Ok(total),
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(300));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One mailbox session while the lease is renewed beside it. The session stops after the
    /// message in hand on shutdown or when the lease is lost.
    async fn session_under(
        &self,
        lease: crate::register::Lease,
        settings: &ImapSettings,
        once: bool,
        shutdown: &Shutdown,
        total: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        let (stop_tx, mut stop) = Shutdown::new();
        let (done_tx, done_rx) = watch::channel(false);
        let session = async {
            let result = self.session(settings, once, &mut stop, total).await;
            let _ = done_tx.send(true);
            result
        };
        let keep = self.keep_lease(lease, shutdown.clone(), stop_tx, done_rx);
        let (result, ()) = tokio::join!(session, keep);
        result
    }

    async fn session(
        &self,
        settings: &ImapSettings,
        once: bool,
        shutdown: &mut Shutdown,
        total: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        let mut mailbox = Mailbox::connect(settings).await?;
        let _connected = crate::telemetry::metrics().imap_session();
        tracing::info!(
            folder = %self.config.mailbox.folder,
            idle = self.config.mailbox.idle && mailbox.capabilities().idle,
            uidplus = mailbox.capabilities().uidplus,
            "MailboxConnected"
        );
        if !self.config.mailbox.idle {
            mailbox.restrict_capabilities(Capabilities {
                idle: false,
                ..*mailbox.capabilities()
            });
        }
        let mut warned_on = None;
        loop {
            // Counted even when the pass fails half-way, so the run loop sees the progress.
            let mut report = DrainReport::default();
            let drained = self.drain(&mut mailbox, shutdown, &mut report).await;
            report.log();
            self.warn_deadlines(&mut warned_on).await;
            total.add(&report);
            drained?;
            crate::telemetry::metrics().drained(self.config.tenant.as_deref());
            if once || shutdown.requested() {
                let _ = mailbox.logout().await;
                return Ok(());
            }
            // Drained again at least twice within the health endpoint's limit, so a quiet
            // mailbox stays healthy (and IDLE is renewed well inside RFC 2177's 29 minutes).
            let wait = if mailbox.capabilities().idle {
                Duration::from_secs(25 * 60)
            } else {
                self.config.mailbox.poll_interval
            }
            .min(self.config.operations.max_drain_age / 2);
            let mut stop = shutdown.clone();
            let outcome = mailbox
                .idle_wait(wait, async move { stop.wait().await })
                .await?;
            if outcome == IdleOutcome::Shutdown {
                let _ = mailbox.logout().await;
                return Ok(());
            }
        }
    }
}
