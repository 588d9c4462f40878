//! Moving a register to another backend (`sygnal register migrate`): every row of every table,
//! sealed blobs as the bytes they are (nothing is decrypted; the keys stay where they are), in
//! one transaction on each side, then checked: row counts, a digest of every table's rows, and
//! the audit chain. Leases are not copied: the new register starts with no gateway holding it.

use sha2::{Digest, Sha256};

use super::store::{Tx, Value};
use super::{Register, RegisterError};
use crate::audit::{self, Event};

/// A column's type, as both backends store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Blob,
}

/// A table as the copy sees it: its columns, the key it is read in, how many rows a page
/// holds (small where rows carry large blobs), and whether `id` is given by the database.
struct Table {
    name: &'static str,
    order: &'static str,
    page: i64,
    identity: bool,
    columns: &'static [(&'static str, Kind)],
}

use Kind::{Blob, Int, Text};

/// Every table of the register, parents before children. A test holds this list to the
/// schema of both backends, so a new column cannot be left behind.
const TABLES: &[Table] = &[
    Table {
        name: "readers",
        order: "id",
        page: 200,
        identity: true,
        columns: &[
            ("id", Int),
            ("fingerprint", Text),
            ("name", Text),
            ("role", Text),
            ("cert", Blob),
            ("added_at", Text),
            ("removed_at", Text),
            ("approved_by", Text),
            ("consent", Blob),
        ],
    },
    Table {
        name: "cases",
        order: "id",
        page: 8,
        identity: true,
        columns: &[
            ("id", Int),
            ("number", Text),
            ("year", Int),
            ("seq", Int),
            ("received_at", Text),
            ("status", Text),
            ("encrypted", Int),
            ("signed", Int),
            ("shred_key", Text),
            ("report_pkesks", Blob),
            ("report_body", Blob),
            ("identity_pkesks", Blob),
            ("identity_body", Blob),
            ("filed_at", Text),
            ("category", Text),
            ("acknowledged_at", Text),
            ("feedback_at", Text),
            ("ended_at", Text),
            ("outcome", Text),
            ("ack_due", Text),
            ("feedback_due", Text),
            ("retention_until", Text),
            ("identity_disclosed", Int),
            ("signature", Text),
            ("flags", Text),
            ("destroyed_on", Text),
            ("hold_since", Text),
            ("proceedings_ended_on", Text),
            ("end_reason", Text),
        ],
    },
    Table {
        name: "mailbox_state",
        order: "mailbox",
        page: 200,
        identity: false,
        columns: &[
            ("mailbox", Text),
            ("uidvalidity", Int),
            ("updated_at", Text),
        ],
    },
    Table {
        name: "audit",
        order: "id",
        page: 500,
        identity: false,
        columns: &[
            ("id", Int),
            ("at", Text),
            ("actor", Text),
            ("action", Text),
            ("case_number", Text),
            ("detail", Text),
            ("prev_hash", Text),
            ("hash", Text),
        ],
    },
    Table {
        name: "case_events",
        order: "id",
        page: 100,
        identity: true,
        columns: &[
            ("id", Int),
            ("case_id", Int),
            ("kind", Text),
            ("action_kind", Text),
            ("on_date", Text),
            ("actor", Text),
            ("note_pkesks", Blob),
            ("note_body", Blob),
            ("recorded_at", Text),
            ("irrelevant_on", Text),
            ("irrelevant_by", Text),
            ("destroy_by", Text),
            ("destroyed_on", Text),
        ],
    },
    Table {
        name: "disclosures",
        order: "id",
        page: 200,
        identity: true,
        columns: &[
            ("id", Int),
            ("case_id", Int),
            ("at", Text),
            ("actor", Text),
            ("reporter_notice", Text),
            ("audit_id", Int),
        ],
    },
    Table {
        name: "config_state",
        order: "id",
        page: 200,
        identity: false,
        columns: &[("id", Int), ("sha256", Text), ("updated_at", Text)],
    },
    Table {
        name: "intake_keys",
        order: "fingerprint",
        page: 200,
        identity: false,
        columns: &[
            ("fingerprint", Text),
            ("state", Text),
            ("created_at", Text),
            ("superseded_at", Text),
            ("grace_until", Text),
            ("retired_at", Text),
        ],
    },
    Table {
        name: "reseal_runs",
        order: "id",
        page: 200,
        identity: true,
        columns: &[
            ("id", Int),
            ("started_at", Text),
            ("finished_at", Text),
            ("target", Text),
            ("rotate_content", Int),
            ("done_count", Int),
        ],
    },
    Table {
        name: "reseal_done",
        order: "run_id, slot, row_id",
        page: 500,
        identity: false,
        columns: &[("run_id", Int), ("slot", Text), ("row_id", Int)],
    },
    Table {
        name: "reseal_shred_pending",
        order: "shred_key",
        page: 200,
        identity: false,
        columns: &[("shred_key", Text), ("why", Text)],
    },
    Table {
        name: "quarantine",
        order: "id",
        page: 8,
        identity: true,
        columns: &[
            ("id", Int),
            ("received_at", Text),
            ("reason", Text),
            ("detail", Text),
            ("state", Text),
            ("case_id", Int),
            ("shred_key", Text),
            ("raw_pkesks", Blob),
            ("raw_body", Blob),
            ("held_at", Text),
        ],
    },
    Table {
        name: "intake",
        order: "id",
        page: 200,
        identity: true,
        columns: &[
            ("id", Int),
            ("fingerprint", Text),
            ("mailbox", Text),
            ("uidvalidity", Int),
            ("uid", Int),
            ("case_id", Int),
            ("quarantine_id", Int),
            ("deletion", Text),
            ("recorded_on", Text),
        ],
    },
    Table {
        name: "audit_checkpoints",
        order: "id",
        page: 200,
        identity: true,
        columns: &[
            ("id", Int),
            ("audit_id", Int),
            ("hash", Text),
            ("signer", Text),
            ("signature", Blob),
        ],
    },
    Table {
        name: "sealed_details",
        order: "audit_id",
        page: 100,
        identity: false,
        columns: &[
            ("audit_id", Int),
            ("case_id", Int),
            ("pkesks", Blob),
            ("body", Blob),
        ],
    },
    Table {
        name: "trusted_signers",
        order: "fingerprint",
        page: 200,
        identity: false,
        columns: &[
            ("fingerprint", Text),
            ("name", Text),
            ("cert", Blob),
            ("added_at", Text),
        ],
    },
    Table {
        name: "intake_attempts",
        order: "fingerprint",
        page: 200,
        identity: false,
        columns: &[("fingerprint", Text), ("attempts", Int), ("last_on", Text)],
    },
    Table {
        name: "destructions",
        order: "id",
        page: 500,
        identity: true,
        columns: &[
            ("id", Int),
            ("case_number", Text),
            ("material", Text),
            ("received_on", Text),
            ("ended_on", Text),
            ("kept_until", Text),
            ("destroyed_on", Text),
            ("actor", Text),
            ("rule", Text),
            ("audit_id", Int),
            ("item", Text),
        ],
    },
    Table {
        // Attachment bodies may be in chunks, or up to 1 MiB inline: a few per page.
        name: "case_attachments",
        order: "id",
        page: 4,
        identity: true,
        columns: &[
            ("id", Int),
            ("case_id", Int),
            ("idx", Int),
            ("shred_key", Text),
            ("cleaned_pkesks", Blob),
            ("cleaned_body", Blob),
            ("original_pkesks", Blob),
            ("original_body", Blob),
            ("irrelevant_on", Text),
            ("irrelevant_by", Text),
            ("destroy_by", Text),
            ("destroyed_on", Text),
        ],
    },
    Table {
        name: "case_messages",
        order: "id",
        page: 8,
        identity: true,
        columns: &[
            ("id", Int),
            ("case_id", Int),
            ("seq", Int),
            ("received_at", Text),
            ("shred_key", Text),
            ("encrypted", Int),
            ("signature", Text),
            ("first_attachment", Int),
            ("report_pkesks", Blob),
            ("report_body", Blob),
            ("identity_pkesks", Blob),
            ("identity_body", Blob),
        ],
    },
    Table {
        name: "contacts",
        order: "case_id",
        page: 200,
        identity: false,
        columns: &[
            ("case_id", Int),
            ("state", Text),
            ("reason", Text),
            ("key_id", Text),
            ("record", Blob),
            ("token", Blob),
            ("token_hash", Text),
            ("encrypted", Int),
            ("ended_on", Text),
        ],
    },
    Table {
        name: "outbox",
        order: "id",
        page: 200,
        identity: true,
        columns: &[
            ("id", Int),
            ("case_id", Int),
            ("kind", Text),
            ("message_id", Text),
            ("state", Text),
            ("attempts", Int),
            ("resent", Int),
            ("next_attempt", Text),
            ("last_error", Text),
            ("text", Blob),
            ("planned_on", Text),
            ("first_attempt", Text),
            ("sent_on", Text),
            ("actor", Text),
        ],
    },
    Table {
        // 1 MiB each: a few per page.
        name: "blob_chunks",
        order: "owner, seq",
        page: 4,
        identity: false,
        columns: &[("owner", Text), ("seq", Int), ("data", Blob)],
    },
    Table {
        name: "deadline_digests",
        order: "day, reader",
        page: 200,
        identity: false,
        columns: &[
            ("day", Text),
            ("reader", Text),
            ("message_id", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt", Text),
            ("last_error", Text),
            ("sent_at", Text),
        ],
    },
];

/// One stored value, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

impl Cell {
    fn value(&self) -> Value<'_> {
        match self {
            Cell::Int(v) => Value::Int(*v),
            Cell::Text(v) => Value::Text(v.as_deref()),
            Cell::Blob(v) => Value::Blob(v.as_deref()),
        }
    }

    /// Feeds the value into a table digest, typed and length-prefixed so that no two different
    /// rows feed the same bytes.
    fn digest_into(&self, h: &mut Sha256) {
        let (tag, bytes): (u8, Option<&[u8]>) = match self {
            Cell::Int(v) => {
                h.update([1]);
                match v {
                    Some(i) => h.update(i.to_be_bytes()),
                    None => h.update([0xff]),
                }
                return;
            }
            Cell::Text(v) => (2, v.as_deref().map(str::as_bytes)),
            Cell::Blob(v) => (3, v.as_deref()),
        };
        h.update([tag]);
        match bytes {
            Some(b) => {
                h.update((b.len() as u64).to_be_bytes());
                h.update(b);
            }
            None => h.update(u64::MAX.to_be_bytes()),
        }
    }
}

/// What a migration moved and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Rows per table, as counted on both sides after the copy.
    pub rows: Vec<(&'static str, i64)>,
    /// Sealed blobs (non-empty blob values) copied, each covered by its table's digest.
    pub sealed_blobs: u64,
    /// The source's audit head (id, hash), found unchanged in the target's verified chain.
    pub audit_head: Option<(i64, String)>,
    /// The id of the target's entry recording the migration.
    pub migration_entry: i64,
}

/// A stage reads a table page by page.
async fn page(tx: &mut Tx, table: &Table, offset: i64) -> Result<Vec<Vec<Cell>>, RegisterError> {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {} LIMIT $1 OFFSET $2",
        columns.join(", "),
        table.name,
        table.order
    );
    let rows = tx
        .all(
            "read a page to copy",
            &sql,
            &[Value::Int(Some(table.page)), Value::Int(Some(offset))],
        )
        .await?;
    rows.iter()
        .map(|r| {
            table
                .columns
                .iter()
                .map(|(c, kind)| {
                    let what = "read a row to copy";
                    Ok(match kind {
                        Int => Cell::Int(r.get(c, what)?),
                        Text => Cell::Text(r.get(c, what)?),
                        Blob => Cell::Blob(r.get(c, what)?),
                    })
                })
                .collect()
        })
        .collect()
}

/// Reads every row of `table` in pages, calling `each` on each page.
async fn for_each_page(
    tx: &mut Tx,
    table: &Table,
    mut each: impl AsyncFnMut(Vec<Vec<Cell>>) -> Result<(), RegisterError>,
) -> Result<(), RegisterError> {
    let mut offset = 0;
    loop {
        let rows = page(tx, table, offset).await?;
        let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        if n == 0 {
            return Ok(());
        }
        each(rows).await?;
        offset += n;
    }
}

/// Digest of every row of `table`, in key order, and its non-empty blob count.
async fn digest(tx: &mut Tx, table: &Table) -> Result<([u8; 32], i64, u64), RegisterError> {
    let mut h = Sha256::new();
    let mut rows = 0i64;
    let mut blobs = 0u64;
    for_each_page(tx, table, async |page| {
        for row in page {
            rows += 1;
            for cell in &row {
                cell.digest_into(&mut h);
                if matches!(cell, Cell::Blob(Some(b)) if !b.is_empty()) {
                    blobs += 1;
                }
            }
        }
        Ok(())
    })
    .await?;
    Ok((h.finalize().into(), rows, blobs))
}

impl Register {
    /// Copies this register, whole, into `target`, which must be empty; both sides are held in
    /// a write transaction, so nothing changes underneath. Then checks the target against the
    /// source, table by table, and its audit chain; records the migration in the target's chain.
    pub async fn copy_into(
        &self,
        target: &Register,
        source_name: &str,
    ) -> Result<CopyReport, RegisterError> {
        self.write(async |from| {
            target
                .write(async |to| {
                    refuse_unless_empty(to).await?;
                    for table in TABLES {
                        copy_table(from, to, table).await?;
                    }
                    to.finish_bulk_copy(TABLES.iter().filter(|t| t.identity).map(|t| t.name))
                        .await?;
                    let head = from.audit_tip().await?;
                    to.raise_audit_high(head.last_id).await?;
                    let report = compare(from, to).await?;
                    let head = head.last_hash.map(|hash| (head.last_id, hash));
                    let detail = match &head {
                        Some((id, hash)) => format!(
                            "from {source_name}: {} case(s), audit entries 1-{id} carried over, head {id}:{hash}",
                            report.cases
                        ),
                        None => format!("from {source_name}: {} case(s)", report.cases),
                    };
                    let migration_entry = to
                        .audit("admin", Event::RegisterMigrated, None, &detail)
                        .await?;
                    verify_chain(to, head.as_ref()).await?;
                    Ok(CopyReport {
                        rows: report.rows,
                        sealed_blobs: report.sealed_blobs,
                        audit_head: head,
                        migration_entry,
                    })
                })
                .await
        })
        .await
    }
}

async fn refuse_unless_empty(to: &mut Tx) -> Result<(), RegisterError> {
    for table in TABLES {
        let n: i64 = to
            .one(
                "count rows in the target",
                &format!("SELECT COUNT(*) AS n FROM {}", table.name),
                &[],
            )
            .await?
            .get("n", "count rows in the target")?;
        if n > 0 {
            return Err(RegisterError::Conflict(format!(
                "the target register is not empty ({n} row(s) in {}): a register is migrated \
                 only into a new one (another schema, or a new database)",
                table.name
            )));
        }
    }
    Ok(())
}

async fn copy_table(from: &mut Tx, to: &mut Tx, table: &Table) -> Result<(), RegisterError> {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let insert = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        table.name,
        columns.join(", "),
        placeholders.join(", ")
    );
    for_each_page(from, table, async |rows| {
        for row in rows {
            let args: Vec<Value<'_>> = row.iter().map(Cell::value).collect();
            to.exec("copy a row", &insert, &args).await?;
        }
        Ok(())
    })
    .await
}

struct Comparison {
    rows: Vec<(&'static str, i64)>,
    sealed_blobs: u64,
    cases: i64,
}

/// Every table holds the same rows on both sides (count and digest of every value).
async fn compare(from: &mut Tx, to: &mut Tx) -> Result<Comparison, RegisterError> {
    let mut rows = Vec::new();
    let mut sealed_blobs = 0;
    let mut cases = 0;
    for table in TABLES {
        let (a, n_a, blobs) = digest(from, table).await?;
        let (b, n_b, _) = digest(to, table).await?;
        if (a, n_a) != (b, n_b) {
            return Err(RegisterError::Corrupt(format!(
                "table {} differs after the copy ({n_a} row(s) in the source, {n_b} in the \
                 target): nothing was committed",
                table.name
            )));
        }
        if table.name == "cases" {
            cases = n_a;
        }
        sealed_blobs += blobs;
        rows.push((table.name, n_a));
    }
    Ok(Comparison {
        rows,
        sealed_blobs,
        cases,
    })
}

/// The target's chain verifies from its first entry, and still holds the source's head.
async fn verify_chain(to: &mut Tx, head: Option<&(i64, String)>) -> Result<(), RegisterError> {
    let rows: Vec<super::AuditRow> = to
        .all(
            "read the target's audit chain",
            super::reading::AUDIT_SELECT,
            &[],
        )
        .await?
        .iter()
        .map(super::reading::audit_row)
        .collect::<Result<_, RegisterError>>()?;
    let stored: Vec<audit::Stored<'_>> = rows.iter().map(super::AuditRow::stored).collect();
    let expect = head.map(|(id, hash)| (*id, hash.as_str()));
    audit::verify(&stored, expect).map_err(|e| {
        RegisterError::Corrupt(format!(
            "the copied audit chain does not verify ({e}): nothing was committed"
        ))
    })?;
    Ok(())
}

#[cfg(test)]
pub(crate) fn table_columns() -> Vec<(&'static str, Vec<&'static str>)> {
    TABLES
        .iter()
        .map(|t| (t.name, t.columns.iter().map(|(c, _)| *c).collect()))
        .collect()
}
