//! Intake key lifecycle: rotation with a grace period, retirement after it, and the listing.
//! The key folder holds the keys; the register holds their states and the audit rows.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sequoia_openpgp::Cert;

use crate::keystore::{KeyStore, KeyStoreError};
use crate::openpgp::{self, KeyAlgorithm};
use crate::register::{IntakeKeyStateKind, Register, RegisterError};

/// Lifecycle failures.
#[derive(Debug, thiserror::Error)]
pub enum IntakeKeyError {
    /// Register access failed.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// Key folder access failed.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// Key generation failed.
    #[error(transparent)]
    Key(#[from] openpgp::KeyError),
    /// No intake key exists yet.
    #[error("no intake key yet: run `sygnal init` first")]
    NoKey,
}

/// One intake key as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IntakeKeyInfo {
    /// Always `intake`.
    pub role: &'static str,
    /// Primary fingerprint.
    pub fingerprint: String,
    /// Public-key algorithm of the primary key.
    pub algorithm: String,
    /// Creation time (RFC 3339).
    pub created: String,
    /// Expiry (RFC 3339), if any.
    pub expires: Option<String>,
    /// State.
    pub state: IntakeKeyStateKind,
    /// End of the grace period.
    pub grace_until: Option<String>,
    /// When retired.
    pub retired_at: Option<String>,
}

fn rfc3339(t: std::time::SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Expiry of a certificate's primary key under the standard policy.
pub fn expiry(cert: &Cert) -> Option<std::time::SystemTime> {
    let policy = sequoia_openpgp::policy::StandardPolicy::new();
    cert.with_policy(&policy, None)
        .ok()
        .and_then(|vc| vc.primary_key().key_expiration_time())
}

/// Brings the register in line with the key folder: keys on disk the register does not know
/// are adopted (the published one as current, others in grace without an end), and the
/// published-key pointer follows the register's current key after an interrupted rotation.
pub async fn sync(register: &Register, store: &KeyStore) -> Result<(), IntakeKeyError> {
    let states = register.intake_key_states().await?;
    let current_file = store.current_intake_fingerprint()?;
    for fpr in store.intake_fingerprints()? {
        if states.iter().any(|s| s.fingerprint == fpr) {
            continue;
        }
        let state = if current_file.as_deref() == Some(fpr.as_str()) {
            IntakeKeyStateKind::Current
        } else {
            IntakeKeyStateKind::Grace
        };
        register.adopt_intake_key(&fpr, state).await?;
    }
    let current_reg = register
        .intake_key_states()
        .await?
        .into_iter()
        .find(|s| s.state == IntakeKeyStateKind::Current);
    if let Some(cur) = current_reg {
        if current_file.as_deref() != Some(cur.fingerprint.as_str()) {
            store.set_current_intake(&cur.fingerprint)?;
        }
    }
    Ok(())
}

/// Makes a new intake key the published one; earlier current keys keep decrypting until
/// `grace` has passed. Returns the new fingerprint.
pub async fn rotate(
    register: &Register,
    store: &KeyStore,
    user_id: String,
    algo: KeyAlgorithm,
    grace: Duration,
) -> Result<String, IntakeKeyError> {
    sync(register, store).await?;
    let cert = tokio::task::spawn_blocking(move || openpgp::generate_intake_key(&user_id, algo))
        .await
        .map_err(|_| openpgp::KeyError::Generate {
            detail: "generation task stopped".to_owned(),
        })??;
    // Order: the key is durable on disk first, then the register records the change with its
    // audit row, then the pointer moves. A crash in between is repaired by `sync`.
    let fpr = store.save_intake(&cert, false)?;
    let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::days(30));
    let until = (Utc::now() + grace).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    register
        .record_intake_current(&fpr, &until, crate::audit::Event::IntakeKeyRotated)
        .await?;
    store.set_current_intake(&fpr)?;
    Ok(fpr)
}

/// Retires every key whose grace period has ended (or, with `now_anyway`, every superseded
/// key). Returns the retired fingerprints.
pub async fn retire(
    register: &Register,
    store: &KeyStore,
    all_superseded: bool,
) -> Result<Vec<String>, IntakeKeyError> {
    sync(register, store).await?;
    let now = Utc::now();
    let mut out = Vec::new();
    for s in register.intake_key_states().await? {
        if s.state != IntakeKeyStateKind::Grace {
            continue;
        }
        let ended = s
            .grace_until
            .as_deref()
            .and_then(|g| DateTime::parse_from_rfc3339(g).ok())
            .map(|d| d.with_timezone(&Utc))
            .is_some_and(|g| g <= now);
        if !(ended || all_superseded) {
            continue;
        }
        store.retire_intake(&s.fingerprint)?;
        register.record_intake_retired(&s.fingerprint).await?;
        out.push(s.fingerprint);
    }
    Ok(out)
}

/// Every intake key with its state.
pub async fn list(
    register: &Register,
    store: &KeyStore,
) -> Result<Vec<IntakeKeyInfo>, IntakeKeyError> {
    sync(register, store).await?;
    let mut out = Vec::new();
    for s in register.intake_key_states().await? {
        let cert = store.intake_cert(&s.fingerprint)?;
        let (algorithm, created, expires) = match &cert {
            Some(c) => (
                c.primary_key().key().pk_algo().to_string(),
                rfc3339(c.primary_key().key().creation_time()),
                expiry(c).map(rfc3339),
            ),
            None => ("unknown".to_owned(), s.created_at.clone(), None),
        };
        out.push(IntakeKeyInfo {
            role: "intake",
            fingerprint: s.fingerprint,
            algorithm,
            created,
            expires,
            state: s.state,
            grace_until: s.grace_until,
            retired_at: s.retired_at,
        });
    }
    Ok(out)
}

/// Warnings about keys: intake keys expiring within `window`, grace periods ending within it
/// or already ended (run `keys retire`), readers' certificates expiring or unusable.
pub async fn warnings(
    register: &Register,
    store: &KeyStore,
    window: Duration,
) -> Result<Vec<String>, IntakeKeyError> {
    let now = Utc::now();
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(30));
    let mut out = Vec::new();
    for k in list(register, store).await? {
        if k.state == IntakeKeyStateKind::Retired {
            continue;
        }
        if let Some(exp) = k
            .expires
            .as_deref()
            .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
            .map(|d| d.with_timezone(&Utc))
        {
            if exp <= now {
                out.push(format!("intake key {} expired on {exp}", k.fingerprint));
            } else if exp - now <= window {
                out.push(format!(
                    "intake key {} expires on {exp}: run `sygnal keys rotate-intake`",
                    k.fingerprint
                ));
            }
        }
        if let Some(g) = k
            .grace_until
            .as_deref()
            .and_then(|g| DateTime::parse_from_rfc3339(g).ok())
            .map(|d| d.with_timezone(&Utc))
        {
            if g <= now {
                out.push(format!(
                    "grace period of intake key {} ended on {g}: run `sygnal keys retire`",
                    k.fingerprint
                ));
            } else if g - now <= window {
                out.push(format!(
                    "grace period of intake key {} ends on {g}",
                    k.fingerprint
                ));
            }
        }
    }
    for r in register.readers().await? {
        match openpgp::parse_cert(&r.cert) {
            Err(e) => out.push(format!(
                "reader {} certificate unusable: {e}",
                r.fingerprint
            )),
            Ok(cert) => {
                if let Err(e) = openpgp::check_recipient(&cert) {
                    out.push(format!("reader {} ({}): {e}", r.fingerprint, r.name));
                } else if let Some(exp) = expiry(&cert) {
                    let exp = DateTime::<Utc>::from(exp);
                    if exp - now <= window {
                        out.push(format!(
                            "reader {} ({}) certificate expires on {exp}",
                            r.fingerprint, r.name
                        ));
                    }
                }
            }
        }
    }
    Ok(out)
}
