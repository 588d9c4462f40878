//! Leases: which gateway drains a mailbox. One holder at a time; a lease lapses unless renewed,
//! and its token (a fencing token) grows with every change of holder, so a gateway that was
//! paused or cut off finds out before it deletes anything. Times are read from the database's
//! clock, so replicas on different machines need not agree on theirs.

use super::store::{args, Tx};
use super::{Register, RegisterError};

/// A lease held by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// The fencing token: unchanged while the same holder renews it.
    pub token: i64,
    /// When it lapses unless renewed (database clock, ms since 1970).
    pub expires_ms: i64,
}

/// What asking for a lease gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// Ours: newly taken (`taken_over` from a holder whose lease lapsed or who is gone) or
    /// renewed.
    Held {
        /// The lease.
        lease: Lease,
        /// Someone else held it before.
        taken_over: Option<String>,
    },
    /// Someone else holds it.
    Busy {
        /// Who.
        holder: String,
        /// For how much longer, unless they renew it.
        remaining_ms: i64,
    },
}

impl Register {
    /// Takes the lease `name` for `me` for `ttl_ms`, if it is free, lapsed, already ours, or
    /// held by someone `holder_gone` knows to be gone (a process of this machine that no longer
    /// runs). With `free_for_ms`, a lease not already ours is taken only once it has been free
    /// that long (a gateway past its share leaves it to one below it first).
    pub async fn acquire_lease(
        &self,
        name: &str,
        me: &str,
        ttl_ms: i64,
        holder_gone: &(dyn Fn(&str) -> bool + Sync),
        free_for_ms: Option<i64>,
    ) -> Result<Acquired, RegisterError> {
        self.write(async |tx| {
            let now = now_ms(tx).await?;
            let row = tx
                .opt(
                    "SELECT lease",
                    "SELECT holder, token, expires_ms FROM leases WHERE name = $1",
                    args![name],
                )
                .await?;
            let expires_ms = now.saturating_add(ttl_ms);
            let Some(row) = row else {
                if free_for_ms.is_some() {
                    // Free from now: a gateway within its share may take it first.
                    tx.exec(
                        "INSERT free lease",
                        "INSERT INTO leases (name, holder, token, expires_ms) VALUES ($1, '', 1, $2)",
                        args![name, now],
                    )
                    .await?;
                    return Ok(Acquired::Busy {
                        holder: String::new(),
                        remaining_ms: 0,
                    });
                }
                tx.exec(
                    "INSERT lease",
                    "INSERT INTO leases (name, holder, token, expires_ms) VALUES ($1, $2, 1, $3)",
                    args![name, me, expires_ms],
                )
                .await?;
                return Ok(Acquired::Held {
                    lease: Lease {
                        token: 1,
                        expires_ms,
                    },
                    taken_over: None,
                });
            };
            let what = "read lease";
            let holder: String = row.get("holder", what)?;
            let token: i64 = row.get("token", what)?;
            let until: i64 = row.get("expires_ms", what)?;
            if holder == me && until > now {
                tx.exec(
                    "renew lease",
                    "UPDATE leases SET expires_ms = $1 WHERE name = $2",
                    args![expires_ms, name],
                )
                .await?;
                return Ok(Acquired::Held {
                    lease: Lease { token, expires_ms },
                    taken_over: None,
                });
            }
            if holder != me && until > now && !holder_gone(&holder) {
                return Ok(Acquired::Busy {
                    holder,
                    remaining_ms: until - now,
                });
            }
            if let Some(wait) = free_for_ms.filter(|_| holder != me) {
                if until > now {
                    // Its holder is gone: free from now.
                    tx.exec(
                        "free a gone holder's lease",
                        "UPDATE leases SET expires_ms = $1 WHERE name = $2",
                        args![now, name],
                    )
                    .await?;
                    return Ok(Acquired::Busy {
                        holder,
                        remaining_ms: 0,
                    });
                }
                if now - until < wait {
                    return Ok(Acquired::Busy {
                        holder,
                        remaining_ms: 0,
                    });
                }
            }
            // Lapsed, or its holder is gone: a new token, so anything still acting under the
            // old one is fenced off.
            let token = token.saturating_add(1);
            tx.exec(
                "take over lease",
                "UPDATE leases SET holder = $1, token = $2, expires_ms = $3 WHERE name = $4",
                args![me, token, expires_ms, name],
            )
            .await?;
            Ok(Acquired::Held {
                lease: Lease { token, expires_ms },
                taken_over: (holder != me && !holder.is_empty()).then_some(holder),
            })
        })
        .await
    }

    /// Extends a lease still held under `token`; None when it was lost (lapsed and taken, or
    /// lapsed: a lapsed lease is not renewed, it is acquired again with a new token).
    pub async fn renew_lease(
        &self,
        name: &str,
        me: &str,
        token: i64,
        ttl_ms: i64,
    ) -> Result<Option<Lease>, RegisterError> {
        self.write(async |tx| {
            let now = now_ms(tx).await?;
            let expires_ms = now.saturating_add(ttl_ms);
            let changed = tx
                .exec(
                    "renew lease",
                    "UPDATE leases SET expires_ms = $1 \
                     WHERE name = $2 AND holder = $3 AND token = $4 AND expires_ms > $5",
                    args![expires_ms, name, me, token, now],
                )
                .await?;
            Ok((changed == 1).then_some(Lease { token, expires_ms }))
        })
        .await
    }

    /// The fencing check before a deletion: whether `me` still holds the lease under `token`
    /// with at least `margin_ms` to run, so no other holder can take it while the deletion is
    /// under way.
    pub async fn lease_holds(
        &self,
        name: &str,
        me: &str,
        token: i64,
        margin_ms: i64,
    ) -> Result<bool, RegisterError> {
        self.write(async |tx| {
            let now = now_ms(tx).await?;
            let row = tx
                .opt(
                    "check lease",
                    "SELECT 1 AS held FROM leases \
                     WHERE name = $1 AND holder = $2 AND token = $3 AND expires_ms > $4",
                    args![name, me, token, now.saturating_add(margin_ms)],
                )
                .await?;
            Ok(row.is_some())
        })
        .await
    }

    /// Gives the lease up at once (a clean stop), so another gateway takes over without
    /// waiting for it to lapse.
    pub async fn release_lease(
        &self,
        name: &str,
        me: &str,
        token: i64,
    ) -> Result<(), RegisterError> {
        self.exec(
            "release lease",
            "UPDATE leases SET expires_ms = 0 WHERE name = $1 AND holder = $2 AND token = $3",
            args![name, me, token],
        )
        .await?;
        Ok(())
    }
}

/// The database's clock, in ms since 1970.
async fn now_ms(tx: &mut Tx) -> Result<i64, RegisterError> {
    let sql = tx.now_ms_sql();
    tx.one("read the database clock", sql, &[])
        .await?
        .get("now_ms", "read the database clock")
}
