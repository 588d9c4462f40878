//! Key lifecycle in SQLite: reader removal, intake key states, resumable reseal runs. Every
//! change commits together with its audit row (invariant 5).

use std::collections::HashSet;

use sqlx::Row;

use super::filing::insert_audit;
use super::{finish, now_rfc3339, SqliteRegister};
use crate::audit::Event;
use crate::register::{
    BlobSlot, ContentTarget, ContentUpdate, IntakeKeyState, IntakeKeyStateKind, PkeskUpdate,
    RegisterError, ResealRun, SlotBlob,
};
use crate::vault::StoredBlob;

impl SqliteRegister {
    /// Marks a reader removed (soft: the row stays for the audit trail). False if no active
    /// reader has that fingerprint.
    pub async fn remove_reader(
        &self,
        fingerprint: &str,
        actor: &str,
    ) -> Result<bool, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let row = sqlx::query(
                "UPDATE readers SET removed_at = ? WHERE fingerprint = ? AND removed_at IS NULL \
                 RETURNING role, name",
            )
            .bind(now_rfc3339())
            .bind(fingerprint)
            .fetch_optional(&mut *conn)
            .await
            .map_err(RegisterError::db("UPDATE readers"))?;
            let Some(row) = row else {
                return Ok(false);
            };
            let role: String = row
                .try_get("role")
                .map_err(RegisterError::db("read reader"))?;
            let name: String = row
                .try_get("name")
                .map_err(RegisterError::db("read reader"))?;
            insert_audit(
                &mut conn,
                actor,
                Event::ReaderRemoved,
                None,
                &format!("{role} {fingerprint} ({name}); run `sygnal keys reseal` next"),
            )
            .await?;
            Ok(true)
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Every intake key's lifecycle row.
    pub async fn intake_key_states(&self) -> Result<Vec<IntakeKeyState>, RegisterError> {
        let rows = sqlx::query(
            "SELECT fingerprint, state, created_at, superseded_at, grace_until, retired_at \
             FROM intake_keys ORDER BY created_at, fingerprint",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(RegisterError::db("SELECT intake_keys"))?;
        rows.iter()
            .map(|r| {
                let state: String = r
                    .try_get("state")
                    .map_err(RegisterError::db("read intake_keys"))?;
                let read = || -> Result<IntakeKeyState, sqlx::Error> {
                    Ok(IntakeKeyState {
                        fingerprint: r.try_get("fingerprint")?,
                        state: IntakeKeyStateKind::Current,
                        created_at: r.try_get("created_at")?,
                        superseded_at: r.try_get("superseded_at")?,
                        grace_until: r.try_get("grace_until")?,
                        retired_at: r.try_get("retired_at")?,
                    })
                };
                let mut row = read().map_err(RegisterError::db("read intake_keys"))?;
                row.state = IntakeKeyStateKind::parse(&state).ok_or_else(|| {
                    RegisterError::Corrupt(format!("intake_keys.state = {state}"))
                })?;
                Ok(row)
            })
            .collect()
    }

    /// Records `fingerprint` as the current intake key; every other current key enters its
    /// grace period ending `grace_until`. One transaction with its audit row.
    pub async fn record_intake_current(
        &self,
        fingerprint: &str,
        grace_until: &str,
        action: crate::audit::Event,
    ) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let now = now_rfc3339();
            let superseded = sqlx::query(
                "UPDATE intake_keys SET state = 'grace', superseded_at = ?, grace_until = ? \
                 WHERE state = 'current' AND fingerprint <> ? RETURNING fingerprint",
            )
            .bind(&now)
            .bind(grace_until)
            .bind(fingerprint)
            .fetch_all(&mut *conn)
            .await
            .map_err(RegisterError::db("UPDATE intake_keys"))?;
            sqlx::query(
                "INSERT INTO intake_keys (fingerprint, state, created_at) VALUES (?, 'current', ?) \
                 ON CONFLICT (fingerprint) DO UPDATE SET state = 'current', superseded_at = NULL, \
                 grace_until = NULL",
            )
            .bind(fingerprint)
            .bind(&now)
            .execute(&mut *conn)
            .await
            .map_err(RegisterError::db("INSERT INTO intake_keys"))?;
            let old: Vec<String> = superseded
                .iter()
                .filter_map(|r| r.try_get::<String, _>("fingerprint").ok())
                .collect();
            let detail = if old.is_empty() {
                fingerprint.to_owned()
            } else {
                format!(
                    "{fingerprint} replaces {} (grace until {grace_until})",
                    old.join(", ")
                )
            };
            insert_audit(&mut conn, "admin", action, None, &detail).await
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Records a key known from the key folder but not yet in the register (keys made before
    /// the lifecycle existed), without changing others.
    pub async fn adopt_intake_key(
        &self,
        fingerprint: &str,
        state: IntakeKeyStateKind,
    ) -> Result<(), RegisterError> {
        let now = now_rfc3339();
        let superseded = (state != IntakeKeyStateKind::Current).then(|| now.clone());
        sqlx::query(
            "INSERT INTO intake_keys (fingerprint, state, created_at, superseded_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING",
        )
        .bind(fingerprint)
        .bind(state.as_str())
        .bind(&now)
        .bind(superseded)
        .execute(&self.pool)
        .await
        .map_err(RegisterError::db("INSERT INTO intake_keys"))?;
        Ok(())
    }

    /// Records that a key's secret parts were destroyed.
    pub async fn record_intake_retired(&self, fingerprint: &str) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            sqlx::query(
                "UPDATE intake_keys SET state = 'retired', retired_at = ? WHERE fingerprint = ?",
            )
            .bind(now_rfc3339())
            .bind(fingerprint)
            .execute(&mut *conn)
            .await
            .map_err(RegisterError::db("UPDATE intake_keys"))?;
            insert_audit(
                &mut conn,
                "admin",
                Event::IntakeKeyRetired,
                None,
                &format!("{fingerprint}: secret key overwritten and removed"),
            )
            .await
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Number of blobs in a slot.
    pub async fn slot_count(&self, slot: BlobSlot) -> Result<i64, RegisterError> {
        sqlx::query(slot.count_sql())
            .fetch_one(&self.pool)
            .await
            .map_err(RegisterError::db("SELECT COUNT"))?
            .try_get(0)
            .map_err(RegisterError::db("SELECT COUNT"))
    }

    /// Up to `limit` blobs of a slot with row id above `after`, in id order.
    pub async fn slot_page(
        &self,
        slot: BlobSlot,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SlotBlob>, RegisterError> {
        let rows = sqlx::query(slot.select_page_sql())
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(RegisterError::db("SELECT sealed blobs"))?;
        rows.iter()
            .map(|r| {
                Ok(SlotBlob {
                    slot,
                    row_id: r.try_get("id")?,
                    label: r.try_get("label")?,
                    shred_key: r.try_get("shred_key")?,
                    blob: StoredBlob {
                        pkesks: r.try_get("pkesks")?,
                        body: r.try_get("body")?,
                    },
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(RegisterError::db("read sealed blob"))
    }

    /// Resumes the unfinished run with the same target, or starts one (audit `ResealStarted`).
    /// Unfinished runs with another target are closed: their blobs are readable by either set.
    pub async fn reseal_begin(
        &self,
        target: &str,
        rotate_content: bool,
        actor: &str,
    ) -> Result<ResealRun, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let open = sqlx::query(
                "SELECT id, done_count FROM reseal_runs WHERE finished_at IS NULL AND target = ? \
                 AND rotate_content = ? ORDER BY id DESC LIMIT 1",
            )
            .bind(target)
            .bind(i64::from(rotate_content))
            .fetch_optional(&mut *conn)
            .await
            .map_err(RegisterError::db("SELECT reseal_runs"))?;
            if let Some(r) = open {
                let id: i64 = r.try_get("id").map_err(RegisterError::db("read reseal_runs"))?;
                let done_count: i64 =
                    r.try_get("done_count").map_err(RegisterError::db("read reseal_runs"))?;
                insert_audit(&mut conn, actor, Event::ResealResumed, None, &format!("run {id}, {done_count} blobs already done")).await?;
                return Ok(ResealRun { id, resumed: true, done_count });
            }
            sqlx::query("UPDATE reseal_runs SET finished_at = ? WHERE finished_at IS NULL")
                .bind(now_rfc3339())
                .execute(&mut *conn)
                .await
                .map_err(RegisterError::db("UPDATE reseal_runs"))?;
            let id: i64 = sqlx::query(
                "INSERT INTO reseal_runs (started_at, target, rotate_content) VALUES (?, ?, ?) RETURNING id",
            )
            .bind(now_rfc3339())
            .bind(target)
            .bind(i64::from(rotate_content))
            .fetch_one(&mut *conn)
            .await
            .map_err(RegisterError::db("INSERT INTO reseal_runs"))?
            .try_get(0)
            .map_err(RegisterError::db("INSERT INTO reseal_runs"))?;
            insert_audit(&mut conn, actor, Event::ResealStarted, None, &format!("run {id} to {target}")).await?;
            Ok(ResealRun { id, resumed: false, done_count: 0 })
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Row ids of a slot that the run already committed.
    pub async fn reseal_done(
        &self,
        run_id: i64,
        slot: BlobSlot,
    ) -> Result<HashSet<i64>, RegisterError> {
        let rows = sqlx::query("SELECT row_id FROM reseal_done WHERE run_id = ? AND slot = ?")
            .bind(run_id)
            .bind(slot.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(RegisterError::db("SELECT reseal_done"))?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()
            .map_err(RegisterError::db("read reseal_done"))
    }

    /// Commits a batch of re-wrapped blobs and their progress in one transaction. A blob whose
    /// PKESKs changed since they were read (another writer) makes the whole batch fail.
    pub async fn reseal_commit(
        &self,
        run_id: i64,
        updates: &[PkeskUpdate],
    ) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            for u in updates {
                let changed = sqlx::query(u.slot.update_sql())
                    .bind(u.new_pkesks.as_slice())
                    .bind(u.row_id)
                    .bind(u.old_pkesks.as_slice())
                    .execute(&mut *conn)
                    .await
                    .map_err(RegisterError::db("UPDATE pkesks"))?
                    .rows_affected();
                if changed != 1 {
                    return Err(RegisterError::Corrupt(format!(
                        "{} row {} changed during reseal; run it again",
                        u.slot.as_str(),
                        u.row_id
                    )));
                }
                sqlx::query("INSERT INTO reseal_done (run_id, slot, row_id) VALUES (?, ?, ?)")
                    .bind(run_id)
                    .bind(u.slot.as_str())
                    .bind(u.row_id)
                    .execute(&mut *conn)
                    .await
                    .map_err(RegisterError::db("INSERT INTO reseal_done"))?;
            }
            let n = i64::try_from(updates.len()).unwrap_or(i64::MAX);
            sqlx::query("UPDATE reseal_runs SET done_count = done_count + ? WHERE id = ?")
                .bind(n)
                .bind(run_id)
                .execute(&mut *conn)
                .await
                .map_err(RegisterError::db("UPDATE reseal_runs"))?;
            Ok(())
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Closes a run (audit `ResealCompleted` with the counts).
    pub async fn reseal_finish(
        &self,
        run_id: i64,
        actor: &str,
        summary: &str,
    ) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            sqlx::query("UPDATE reseal_runs SET finished_at = ? WHERE id = ?")
                .bind(now_rfc3339())
                .bind(run_id)
                .execute(&mut *conn)
                .await
                .map_err(RegisterError::db("UPDATE reseal_runs"))?;
            insert_audit(
                &mut conn,
                actor,
                Event::ResealCompleted,
                None,
                &format!("run {run_id}: {summary}"),
            )
            .await
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Replaces rows' content and shred keys; see [`crate::register::Register::reseal_replace_content`].
    pub async fn reseal_replace_content(
        &self,
        run_id: i64,
        updates: &[ContentUpdate],
    ) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let mut blobs: i64 = 0;
            for u in updates {
                let (query, slots): (_, &[BlobSlot]) = match (u.target, u.blobs.as_slice()) {
                    (ContentTarget::Case, [report, identity]) => (
                        sqlx::query(
                            "UPDATE cases SET shred_key = ?, report_pkesks = ?, report_body = ?, \
                             identity_pkesks = ?, identity_body = ? WHERE id = ? AND shred_key = ?",
                        )
                        .bind(&u.new_shred)
                        .bind(report.pkesks.as_slice())
                        .bind(report.body.as_slice())
                        .bind(identity.pkesks.as_slice())
                        .bind(identity.body.as_slice()),
                        &[BlobSlot::CaseReport, BlobSlot::CaseIdentity],
                    ),
                    (ContentTarget::Quarantine, [raw]) => (
                        sqlx::query(
                            "UPDATE quarantine SET shred_key = ?, raw_pkesks = ?, raw_body = ? \
                             WHERE id = ? AND shred_key = ?",
                        )
                        .bind(&u.new_shred)
                        .bind(raw.pkesks.as_slice())
                        .bind(raw.body.as_slice()),
                        &[BlobSlot::QuarantineRaw],
                    ),
                    _ => {
                        return Err(RegisterError::Corrupt(
                            "content update with the wrong number of blobs".to_owned(),
                        ))
                    }
                };
                let changed = query
                    .bind(u.row_id)
                    .bind(&u.old_shred)
                    .execute(&mut *conn)
                    .await
                    .map_err(RegisterError::db("UPDATE content"))?
                    .rows_affected();
                if changed != 1 {
                    return Err(RegisterError::Corrupt(format!(
                        "row {} changed during reseal; run it again",
                        u.row_id
                    )));
                }
                if u.target == ContentTarget::Case {
                    let sealed_notes: i64 = sqlx::query(
                        "SELECT COUNT(*) FROM case_events WHERE case_id = ? AND note_pkesks IS NOT NULL",
                    )
                    .bind(u.row_id)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(RegisterError::db("count case notes"))?
                    .try_get(0)
                    .map_err(RegisterError::db("count case notes"))?;
                    if usize::try_from(sealed_notes).ok() != Some(u.notes.len()) {
                        return Err(RegisterError::Corrupt(format!(
                            "case row {} got a note during reseal; run it again",
                            u.row_id
                        )));
                    }
                }
                for (event_id, note) in &u.notes {
                    let changed = sqlx::query(
                        "UPDATE case_events SET note_pkesks = ?, note_body = ? WHERE id = ? AND case_id = ?",
                    )
                    .bind(note.pkesks.as_slice())
                    .bind(note.body.as_slice())
                    .bind(event_id)
                    .bind(u.row_id)
                    .execute(&mut *conn)
                    .await
                    .map_err(RegisterError::db("UPDATE case_events note"))?
                    .rows_affected();
                    if changed != 1 {
                        return Err(RegisterError::Corrupt(format!(
                            "note {event_id} changed during reseal; run it again"
                        )));
                    }
                }
                for slot in slots {
                    sqlx::query("INSERT INTO reseal_done (run_id, slot, row_id) VALUES (?, ?, ?)")
                        .bind(run_id)
                        .bind(slot.as_str())
                        .bind(u.row_id)
                        .execute(&mut *conn)
                        .await
                        .map_err(RegisterError::db("INSERT INTO reseal_done"))?;
                    blobs = blobs.saturating_add(1);
                }
                let users: i64 = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM cases WHERE shred_key = ?1) + \
                            (SELECT COUNT(*) FROM quarantine WHERE shred_key = ?1)",
                )
                .bind(&u.old_shred)
                .fetch_one(&mut *conn)
                .await
                .map_err(RegisterError::db("count shred key users"))?
                .try_get(0)
                .map_err(RegisterError::db("count shred key users"))?;
                if users == 0 {
                    sqlx::query(
                        "INSERT OR IGNORE INTO reseal_shred_pending (shred_key) VALUES (?)",
                    )
                    .bind(&u.old_shred)
                    .execute(&mut *conn)
                    .await
                    .map_err(RegisterError::db("INSERT INTO reseal_shred_pending"))?;
                }
            }
            sqlx::query("UPDATE reseal_runs SET done_count = done_count + ? WHERE id = ?")
                .bind(blobs)
                .bind(run_id)
                .execute(&mut *conn)
                .await
                .map_err(RegisterError::db("UPDATE reseal_runs"))?;
            Ok(())
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Shred keys waiting to be destroyed.
    pub async fn reseal_pending_shreds(&self) -> Result<Vec<String>, RegisterError> {
        let rows = sqlx::query("SELECT shred_key FROM reseal_shred_pending ORDER BY shred_key")
            .fetch_all(&self.pool)
            .await
            .map_err(RegisterError::db("SELECT reseal_shred_pending"))?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()
            .map_err(RegisterError::db("read reseal_shred_pending"))
    }

    /// Records a destroyed shred key, with its audit row.
    pub async fn reseal_shred_destroyed(&self, id: &str, actor: &str) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            sqlx::query("DELETE FROM reseal_shred_pending WHERE shred_key = ?")
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(RegisterError::db("DELETE FROM reseal_shred_pending"))?;
            insert_audit(
                &mut conn,
                actor,
                Event::ShredKeyDestroyed,
                None,
                &format!("shred key {id}: content re-encrypted under a new one"),
            )
            .await
        }
        .await;
        finish(&mut conn, result).await
    }
}
