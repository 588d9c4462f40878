//! The mailbox's other folders: what is there (for `doctor --mailbox`), what a server does with
//! mail the gateway expunges (a probe), and removing leftovers (`mailbox purge`). Only UIDs,
//! counts, folder names and dates cross this boundary; never a header or a body.

use async_imap::imap_proto::{MailboxDatum, NameAttribute, Response};
use chrono::NaiveDate;

use super::batch::uid_set;
use super::session::{check_uid, fetch_uid, quote, quote_folder};
use super::{from_async_imap, ImapError, Mailbox};

/// What a folder is for, as the server marks it (RFC 6154 special use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialUse {
    /// `\Trash`.
    Trash,
    /// `\Sent`.
    Sent,
    /// `\Junk`.
    Junk,
    /// `\Archive`.
    Archive,
    /// `\All` (e.g. Gmail's All Mail: every message, whatever folder it shows in).
    All,
    /// `\Drafts`.
    Drafts,
}

impl SpecialUse {
    /// The RFC 6154 attribute.
    #[must_use]
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::Trash => "\\Trash",
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::All => "\\All",
            SpecialUse::Drafts => "\\Drafts",
        }
    }
}

/// One folder as LIST names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The name as the server spells it (modified UTF-7 for non-ASCII names).
    pub name: String,
    /// Its special use, if the server marks one.
    pub special: Option<SpecialUse>,
    /// It can hold messages (not `\Noselect`).
    pub selectable: bool,
}

/// The gateway's folder for the deletion probe, removed afterwards.
pub const PROBE_FOLDER: &str = "sygnal-probe";

/// The header that carries the probe's token.
const PROBE_HEADER: &str = "X-Sygnal-Probe";

/// Largest number of UIDs named in one command (keeps command lines short).
const UIDS_PER_COMMAND: usize = 500;

impl Mailbox {
    /// Every folder of the account (`LIST "" "*"`), in the server's order.
    pub async fn folders(&mut self) -> Result<Vec<Folder>, ImapError> {
        let mut found = Vec::new();
        self.run("LIST", "LIST \"\" \"*\"", |r| {
            if let Response::MailboxData(MailboxDatum::List(data)) = r {
                let mut special = None;
                let mut selectable = true;
                for a in &data.name_attributes {
                    match a {
                        NameAttribute::NoSelect => selectable = false,
                        NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent") => {
                            selectable = false;
                        }
                        NameAttribute::Trash => special = Some(SpecialUse::Trash),
                        NameAttribute::Sent => special = Some(SpecialUse::Sent),
                        NameAttribute::Junk => special = Some(SpecialUse::Junk),
                        NameAttribute::Archive => special = Some(SpecialUse::Archive),
                        NameAttribute::All => special = Some(SpecialUse::All),
                        NameAttribute::Drafts => special = Some(SpecialUse::Drafts),
                        _ => {}
                    }
                }
                let wire = data.name.to_string();
                found.push(Folder {
                    name: super::utf7::decode(&wire).unwrap_or(wire),
                    special,
                    selectable,
                });
            }
        })
        .await?;
        Ok(found)
    }

    /// UIDs in the selected folder that arrived (INTERNALDATE) before `day`, or all of them
    /// with `None`; with `to`, only those whose To or Cc names that address.
    pub async fn search(
        &mut self,
        before: Option<NaiveDate>,
        to: Option<&str>,
    ) -> Result<Vec<u32>, ImapError> {
        self.current_selection()?;
        let mut criteria = vec!["ALL".to_owned()];
        if let Some(day) = before {
            criteria.push(format!("BEFORE {}", day.format("%-d-%b-%Y")));
        }
        if let Some(address) = to {
            let a = quote(address)?;
            criteria.push(format!("OR TO {a} CC {a}"));
        }
        self.uid_search(&criteria.join(" ")).await
    }

    /// UIDs in the selected folder whose header `name` contains `value`.
    pub async fn search_header(&mut self, name: &str, value: &str) -> Result<Vec<u32>, ImapError> {
        self.current_selection()?;
        self.uid_search(&format!("HEADER {} {}", quote(name)?, quote(value)?))
            .await
    }

    async fn uid_search(&mut self, criteria: &str) -> Result<Vec<u32>, ImapError> {
        let mut uids = Vec::new();
        self.run("UID SEARCH", &format!("UID SEARCH {criteria}"), |r| {
            if let Response::MailboxData(MailboxDatum::Search(found)) = r {
                uids.extend_from_slice(found);
            }
        })
        .await?;
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }

    /// Deletes every UID of `uids` in the selected folder (of UIDVALIDITY `uidvalidity`), as
    /// [`Mailbox::delete`] does one, then checks that none is left. Returns how many were there.
    pub async fn delete_all(&mut self, uidvalidity: u32, uids: &[u32]) -> Result<usize, ImapError> {
        for &uid in uids {
            check_uid(uid)?;
        }
        let mut deleted = 0;
        for batch in uids.chunks(UIDS_PER_COMMAND) {
            let Some(&first) = batch.first() else {
                continue;
            };
            let set = uid_set(batch);
            if self.caps.uidplus {
                self.check_position(uidvalidity, first)?;
                self.run(
                    "UID STORE",
                    &format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)"),
                    |_| {},
                )
                .await?;
                self.run("UID EXPUNGE", &format!("UID EXPUNGE {set}"), |_| {})
                    .await?;
            } else {
                for &uid in batch {
                    self.flag_deleted(uidvalidity, uid).await?;
                }
                self.purge_moved().await?;
            }
            let mut left = None;
            self.run("UID FETCH", &format!("UID FETCH {set} (UID)"), |r| {
                if left.is_none() {
                    left = fetch_uid(r).filter(|u| batch.contains(u));
                }
            })
            .await?;
            if let Some(uid) = left {
                return Err(ImapError::NotExpunged { uid });
            }
            deleted += batch.len();
        }
        Ok(deleted)
    }

    /// Adds `raw` to `folder` (APPEND), for the gateway's own probe only.
    pub async fn append(&mut self, folder: &str, raw: &[u8]) -> Result<(), ImapError> {
        if self.poisoned {
            return Err(ImapError::ConnectionLost);
        }
        self.poisoned = true;
        // async-imap quotes the name itself; it gets the wire form, checked by ours.
        quote_folder(folder)?;
        let wire = super::utf7::encode(folder);
        let outcome = super::connect::within(self.command_timeout, "APPEND", async {
            self.session
                .append(&wire, Some("(\\Seen)"), None, raw)
                .await
                .map_err(|e| from_async_imap("APPEND", e))
        })
        .await;
        if matches!(outcome, Ok(()) | Err(ImapError::Rejected { .. })) {
            self.poisoned = false;
        }
        // APPEND may change the selected folder's view; a caller lists again after it.
        self.view.changed = true;
        outcome
    }

    /// Creates `folder`; one that exists already is fine.
    pub async fn create(&mut self, folder: &str) -> Result<(), ImapError> {
        let command = format!("CREATE {}", quote_folder(folder)?);
        match self.run("CREATE", &command, |_| {}).await {
            Ok(()) | Err(ImapError::Rejected { status: "NO", .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Finds out whether the server keeps what the gateway expunges: a probe message (no
    /// content but a random token) is added to a folder of the gateway's own, deleted there as
    /// a filed report's copy is, and then looked for in every folder. Returns the folders it
    /// was found in (each copy is removed again), empty when the server really expunged it.
    /// Leaves nothing selected.
    pub async fn probe_expunge(&mut self, token: &str) -> Result<Vec<String>, ImapError> {
        let raw = format!(
            "From: sygnal <probe@sygnal.invalid>\r\nTo: probe@sygnal.invalid\r\n\
             Subject: sygnal deletion probe\r\nMessage-ID: <{token}@sygnal.invalid>\r\n\
             {PROBE_HEADER}: {token}\r\n\r\n\
             sygnal checks whether this server keeps deleted mail; it removes this message.\r\n"
        );
        self.create(PROBE_FOLDER).await?;
        self.append(PROBE_FOLDER, raw.as_bytes()).await?;
        let selected = self.select(PROBE_FOLDER).await?;
        for uid in self.search_header(PROBE_HEADER, token).await? {
            self.delete(selected.uidvalidity, uid).await?;
        }
        let mut kept = Vec::new();
        for folder in self.folders().await? {
            // The probe folder itself was checked by `delete`; selecting another leaves it free
            // to be removed.
            if !folder.selectable || folder.name == PROBE_FOLDER {
                continue;
            }
            let selected = self.select(&folder.name).await?;
            let copies = self.search_header(PROBE_HEADER, token).await?;
            if !copies.is_empty() {
                kept.push(folder.name.clone());
                self.delete_all(selected.uidvalidity, &copies).await?;
            }
        }
        self.selected = None;
        self.remove_folder(PROBE_FOLDER).await?;
        Ok(kept)
    }

    /// Deletes `folder` (not the selected one); one already gone is fine.
    async fn remove_folder(&mut self, folder: &str) -> Result<(), ImapError> {
        let command = format!("DELETE {}", quote_folder(folder)?);
        match self.run("DELETE", &command, |_| {}).await {
            Ok(()) | Err(ImapError::Rejected { status: "NO", .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
