//! Many messages per round trip: one `UID FETCH` of a UID set, one `UID STORE` and one
//! `UID EXPUNGE` of exactly the UIDs a batch filed. The rules of the one-message commands hold
//! for each UID of the set: a complete body or an error for that UID, deletion refused for a
//! UIDVALIDITY other than the caller's, and every expunged UID checked gone.

use std::collections::BTreeMap;

use async_imap::imap_proto::{AttributeValue, Response};
use zeroize::Zeroizing;

use super::session::{check_uid, fetch_uid, quote, BodyCollector, Mailbox, EXPUNGE_FOLDER};
use super::ImapError;

/// One UID's answer to a batched fetch: its complete body, or why it has none.
pub type Fetched = (u32, Result<Zeroizing<Vec<u8>>, ImapError>);

/// `uids` as an IMAP sequence set, runs of consecutive UIDs written as ranges (`3:7,9,12:13`).
/// Sorted and deduplicated first; empty for no UIDs.
pub(super) fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for uid in sorted {
        match runs.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(uid) => *end = uid,
            _ => runs.push((uid, uid)),
        }
    }
    runs.iter()
        .map(|&(start, end)| {
            if start == end {
                start.to_string()
            } else {
                format!("{start}:{end}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Collects the bodies of a UID set from one `UID FETCH set (UID RFC822.SIZE BODY.PEEK[])`.
pub(super) struct BatchCollector {
    wanted: BTreeMap<u32, BodyCollector>,
    /// A body arrived for a UID that was not asked for.
    foreign: bool,
}

impl BatchCollector {
    pub(super) fn new(uids: &[u32]) -> BatchCollector {
        BatchCollector {
            wanted: uids.iter().map(|&u| (u, BodyCollector::new(u))).collect(),
            foreign: false,
        }
    }

    pub(super) fn observe(&mut self, response: &Response<'_>) {
        let Response::Fetch(_, attrs) = response else {
            return;
        };
        match fetch_uid(response).and_then(|uid| self.wanted.get_mut(&uid)) {
            Some(collector) => collector.observe(response),
            None => {
                // Unsolicited flag changes are fine; a body for a message not asked for is not.
                let body = attrs.iter().any(|a| {
                    matches!(
                        a,
                        AttributeValue::BodySection {
                            section: None,
                            index: None,
                            ..
                        } | AttributeValue::Rfc822(_)
                    )
                });
                self.foreign |= body;
            }
        }
    }

    /// Each asked-for UID with its body or its own error, ascending by UID.
    pub(super) fn finish(self) -> Result<Vec<Fetched>, ImapError> {
        if self.foreign {
            return Err(ImapError::Protocol {
                detail: "FETCH returned a body for a message not asked for",
            });
        }
        Ok(self
            .wanted
            .into_iter()
            .map(|(uid, c)| (uid, c.finish()))
            .collect())
    }
}

impl Mailbox {
    /// The complete raw messages `uids` in one round trip, without setting `\Seen`. A UID
    /// whose answer has no body, an empty body or a length other than its RFC822.SIZE gets its
    /// own error beside the others' bodies; a cut connection fails the whole call. Hold the
    /// batch's bytes to a budget: every body is in memory at once.
    pub async fn fetch_many(&mut self, uids: &[u32]) -> Result<Vec<Fetched>, ImapError> {
        self.current_selection()?;
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        for &uid in uids {
            check_uid(uid)?;
        }
        let mut seen = BatchCollector::new(uids);
        let command = format!("UID FETCH {} (UID RFC822.SIZE BODY.PEEK[])", uid_set(uids));
        self.run("UID FETCH", &command, |r| seen.observe(r)).await?;
        let fetched = seen.finish()?;
        tracing::debug!(messages = fetched.len(), "IMAP messages fetched");
        Ok(fetched)
    }

    /// The UID set a deletion step names, after every UID is checked against the selected
    /// folder and `uidvalidity` (nothing is sent otherwise); `None` for no UIDs.
    fn deletion_set(&self, uidvalidity: u32, uids: &[u32]) -> Result<Option<String>, ImapError> {
        for &uid in uids {
            self.check_position(uidvalidity, uid)?;
        }
        Ok((!uids.is_empty()).then(|| uid_set(uids)))
    }

    /// First deletion step for many messages at once: `UID STORE set +FLAGS.SILENT (\Deleted)`
    /// (UIDPLUS) or `UID MOVE set` to [`EXPUNGE_FOLDER`] (MOVE only); the rules of
    /// [`Mailbox::flag_deleted`] for each UID.
    pub async fn flag_deleted_many(
        &mut self,
        uidvalidity: u32,
        uids: &[u32],
    ) -> Result<(), ImapError> {
        let Some(set) = self.deletion_set(uidvalidity, uids)? else {
            return Ok(());
        };
        if self.caps.uidplus {
            let command = format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)");
            self.run("UID STORE", &command, |_| {}).await?;
        } else {
            let command = format!("UID MOVE {set} {}", quote(EXPUNGE_FOLDER)?);
            match self.run("UID MOVE", &command, |_| {}).await {
                Err(ImapError::Rejected { status: "NO", .. }) => {
                    // Most likely [TRYCREATE]: the folder does not exist yet.
                    self.create_expunge_folder().await?;
                    self.run("UID MOVE", &command, |_| {}).await?;
                }
                other => other?,
            }
        }
        tracing::debug!(messages = uids.len(), "IMAP messages flagged for deletion");
        Ok(())
    }

    /// Second deletion step for many messages: `UID EXPUNGE set` (UIDPLUS), or with MOVE only
    /// the gateway's folder emptied; then checks that none of `uids` is left
    /// ([`ImapError::NotExpunged`] names the first that is). Never a bare EXPUNGE in a shared
    /// folder.
    pub async fn expunge_many(&mut self, uidvalidity: u32, uids: &[u32]) -> Result<(), ImapError> {
        let Some(set) = self.deletion_set(uidvalidity, uids)? else {
            return Ok(());
        };
        if self.caps.uidplus {
            self.run("UID EXPUNGE", &format!("UID EXPUNGE {set}"), |_| {})
                .await?;
        } else {
            self.purge_moved().await?;
        }
        let mut present = None;
        self.run("UID FETCH", &format!("UID FETCH {set} (UID)"), |r| {
            if let Some(uid) = fetch_uid(r).filter(|u| uids.contains(u)) {
                present = Some(present.map_or(uid, |p: u32| p.min(uid)));
            }
        })
        .await?;
        if let Some(uid) = present {
            return Err(ImapError::NotExpunged { uid });
        }
        tracing::debug!(messages = uids.len(), "IMAP messages expunged");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Response<'_> {
        let (rest, response) = Response::parse(bytes).expect("parses");
        assert!(rest.is_empty(), "trailing bytes");
        response
    }

    #[test]
    fn a_uid_set_names_exactly_the_uids_given_with_runs_as_ranges() {
        assert_eq!(uid_set(&[]), "");
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[9, 3, 4, 5, 12, 13, 5]), "3:5,9,12:13");
        assert_eq!(uid_set(&[1, 3, 5]), "1,3,5");
    }

    #[test]
    fn a_batched_fetch_gives_each_uid_its_body_or_its_own_error() {
        let mut c = BatchCollector::new(&[3, 4, 5]);
        c.observe(&parse(
            b"* 1 FETCH (UID 3 RFC822.SIZE 3 BODY[] {3}\r\nabc)\r\n",
        ));
        // Announced 9 bytes, sent 2: that UID's error, not a short message.
        c.observe(&parse(
            b"* 2 FETCH (UID 4 RFC822.SIZE 9 BODY[] {2}\r\nxy)\r\n",
        ));
        // A flag change for a message not asked for is not a body.
        c.observe(&parse(b"* 9 FETCH (UID 40 FLAGS (\\Seen))\r\n"));
        let got = c.finish().expect("no protocol error");
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0, 3);
        assert_eq!(got[0].1.as_ref().expect("body").as_slice(), b"abc");
        assert!(matches!(
            got[1].1,
            Err(ImapError::SizeMismatch { uid: 4, .. })
        ));
        // Not answered at all (expunged by another client meanwhile).
        assert!(matches!(got[2].1, Err(ImapError::NoBody { uid: 5 })));
    }
}
