//! Large sealed bodies in 1 MiB chunks (migration 0008): a case's report and identity record and
//! a quarantined raw message can be tens of MiB, and a database driver copies a bound value
//! whole, more than once, while it writes it. Kept in chunks, a body costs its own size plus
//! one chunk's copies, on SQLite and PostgreSQL alike. A body column holding zero bytes means
//! "in chunks" (a sealed body is never empty); small bodies stay in their column.

use super::store::{args, Tx};
use super::{Register, RegisterError};

/// Bodies larger than this go to chunks of this size.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// The owner key of a body: `table.slot:row-id`.
pub(crate) fn owner(slot: &str, id: i64) -> String {
    format!("{slot}:{id}")
}

/// What a body column is given: the body when small, zero bytes when it goes to chunks.
pub(crate) fn column(body: &[u8]) -> &[u8] {
    if body.len() > CHUNK_BYTES {
        &[]
    } else {
        body
    }
}

/// Stores the chunks of a body written with [`column`], replacing the owner's older chunks.
pub(crate) async fn write(tx: &mut Tx, owner: &str, body: &[u8]) -> Result<(), RegisterError> {
    delete(tx, owner).await?;
    if body.len() <= CHUNK_BYTES {
        return Ok(());
    }
    for (seq, chunk) in body.chunks(CHUNK_BYTES).enumerate() {
        tx.exec(
            "INSERT INTO blob_chunks",
            "INSERT INTO blob_chunks (owner, seq, data) VALUES ($1, $2, $3)",
            args![owner, i64::try_from(seq).unwrap_or(i64::MAX), chunk],
        )
        .await?;
    }
    Ok(())
}

/// Deletes an owner's chunks (its body is destroyed or rewritten).
pub(crate) async fn delete(tx: &mut Tx, owner: &str) -> Result<(), RegisterError> {
    tx.exec(
        "DELETE FROM blob_chunks",
        "DELETE FROM blob_chunks WHERE owner = $1",
        args![owner],
    )
    .await?;
    Ok(())
}

/// The whole body: the column's bytes, or, when it holds none, its chunks read one at a time.
pub(crate) async fn read(
    register: &Register,
    owner: &str,
    column: Vec<u8>,
) -> Result<Vec<u8>, RegisterError> {
    if !column.is_empty() {
        return Ok(column);
    }
    let what = "SELECT blob_chunks";
    let mut body = Vec::new();
    for seq in 0i64.. {
        let Some(row) = register
            .opt(
                what,
                "SELECT data FROM blob_chunks WHERE owner = $1 AND seq = $2",
                args![owner, seq],
            )
            .await?
        else {
            break;
        };
        let data: Vec<u8> = row.get("data", what)?;
        body.extend_from_slice(&data);
    }
    if body.is_empty() {
        return Err(RegisterError::Corrupt(format!(
            "the sealed body of {owner} is missing (no column bytes, no chunks)"
        )));
    }
    Ok(body)
}
