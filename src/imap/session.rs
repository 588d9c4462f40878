//! The logged-in mailbox: select, list, fetch, and deletion by UID (the only place sygnal deletes
//! anything on the server). Responses are read by our own loop so that every command's tagged
//! completion, every cut connection and every unsolicited EXISTS/EXPUNGE is seen, not dropped.

use std::collections::BTreeMap;
use std::time::Duration;

use async_imap::imap_proto::{
    AttributeValue, MailboxDatum, RequestId, Response, ResponseCode, Status,
};
use zeroize::Zeroizing;

use super::connect::{self, within, ImapSession};
use super::{from_async_imap, from_io, Capabilities, ImapError, ImapSettings, Listed, Selected};

/// Folder owned by the gateway, used to delete on servers with MOVE but without UIDPLUS: messages
/// are moved there one by one, and only there is a plain EXPUNGE ever sent.
pub const EXPUNGE_FOLDER: &str = "sygnal-expunge";

/// A logged-in IMAP connection. Not `Clone`; one command at a time.
///
/// After a timeout, a cut connection or a cancelled operation the connection is marked unusable
/// and every later call fails with [`ImapError::ConnectionLost`]: reconnect.
pub struct Mailbox {
    pub(super) session: ImapSession,
    pub(super) caps: Capabilities,
    pub(super) command_timeout: Duration,
    pub(super) selected: Option<Selected>,
    pub(super) view: View,
    /// Set while a command is in flight; still set afterwards if it did not complete cleanly.
    pub(super) poisoned: bool,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("caps", &self.caps)
            .field("selected", &self.selected)
            .field("exists", &self.view.exists)
            .field("usable", &!self.poisoned)
            .finish_non_exhaustive()
    }
}

/// What unsolicited responses told us about the selected folder since it was selected.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct View {
    pub(super) exists: u32,
    /// Messages arrived or left since the last `list` (or `idle_wait` that reported it).
    pub(super) changed: bool,
    /// A UIDVALIDITY the server announced after selection, if any.
    pub(super) uidvalidity: Option<u32>,
}

impl View {
    pub(super) fn observe(&mut self, response: &Response<'_>) {
        match response {
            Response::MailboxData(MailboxDatum::Exists(n)) => {
                if *n != self.exists {
                    self.changed = true;
                }
                self.exists = *n;
            }
            Response::Expunge(_) => {
                self.exists = self.exists.saturating_sub(1);
                self.changed = true;
            }
            Response::Vanished { .. } => self.changed = true,
            Response::Data {
                status: Status::Ok,
                outcome,
            } => {
                if let Some(ResponseCode::UidValidity(v)) = outcome.code {
                    self.uidvalidity = Some(v);
                }
            }
            _ => {}
        }
    }
}

impl Mailbox {
    /// Connects with TLS per `s.tls`, logs in and reads the capabilities.
    pub async fn connect(s: &ImapSettings) -> Result<Mailbox, ImapError> {
        let (session, caps) = connect::open(s).await?;
        tracing::debug!(
            uidplus = caps.uidplus,
            r#move = caps.r#move,
            idle = caps.idle,
            "IMAP session opened"
        );
        Ok(Mailbox {
            session,
            caps,
            command_timeout: s.command_timeout,
            selected: None,
            view: View::default(),
            poisoned: false,
        })
    }

    /// What the server offers (after [`Mailbox::restrict_capabilities`]).
    #[must_use]
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Stops using features even if the server offers them (e.g. config `idle = false`).
    pub fn restrict_capabilities(&mut self, allowed: Capabilities) {
        self.caps = self.caps.intersect(allowed);
    }

    /// The folder selected by the last successful [`Mailbox::select`].
    #[must_use]
    pub fn selected(&self) -> Option<&Selected> {
        self.selected.as_ref()
    }

    /// Whether the connection can still be used (no timeout, cut or cancellation so far).
    #[must_use]
    pub fn is_usable(&self) -> bool {
        !self.poisoned
    }

    /// Selects `folder` read-write. A server that omits UIDVALIDITY is refused: without it,
    /// UIDs cannot be trusted across sessions.
    pub async fn select(&mut self, folder: &str) -> Result<Selected, ImapError> {
        let command = format!("SELECT {}", quote_folder(folder)?);
        // Whatever was selected is deselected by the server as soon as SELECT is sent.
        self.selected = None;
        let mut seen = SelectCollector::default();
        self.run("SELECT", &command, |r| seen.observe(r)).await?;
        let uidvalidity = seen.uidvalidity.ok_or(ImapError::Protocol {
            detail: "SELECT without UIDVALIDITY",
        })?;
        let selected = Selected {
            folder: folder.to_owned(),
            uidvalidity,
            exists: seen.exists,
            read_only: seen.read_only,
        };
        self.view = View {
            exists: seen.exists,
            changed: false,
            uidvalidity: None,
        };
        tracing::debug!(
            uidvalidity,
            exists = seen.exists,
            read_only = seen.read_only,
            "IMAP folder selected"
        );
        self.selected = Some(selected.clone());
        Ok(selected)
    }

    /// UID, size and `\Deleted` of every message in the selected folder, ascending by UID.
    pub async fn list(&mut self) -> Result<Vec<Listed>, ImapError> {
        self.current_selection()?;
        self.view.changed = false;
        if self.view.exists == 0 {
            return Ok(Vec::new());
        }
        let mut seen = ListCollector::default();
        self.run("UID FETCH", "UID FETCH 1:* (UID RFC822.SIZE FLAGS)", |r| {
            seen.observe(r)
        })
        .await?;
        let listed = seen.finish();
        tracing::debug!(messages = listed.len(), "IMAP folder listed");
        Ok(listed)
    }

    /// The complete raw message `uid`, without setting `\Seen` (BODY.PEEK). A response without a
    /// body, an empty body, a body for another UID, a length other than the announced
    /// RFC822.SIZE or a cut connection is an error, never a (partial) message.
    pub async fn fetch(&mut self, uid: u32) -> Result<Zeroizing<Vec<u8>>, ImapError> {
        match self.fetch_many(&[uid]).await?.pop() {
            Some((_, body)) => body,
            None => Err(ImapError::NoBody { uid }),
        }
    }

    /// Deletes exactly message `uid`: [`Mailbox::flag_deleted`] then [`Mailbox::expunge`].
    pub async fn delete(&mut self, uidvalidity: u32, uid: u32) -> Result<(), ImapError> {
        self.flag_deleted(uidvalidity, uid).await?;
        self.expunge(uidvalidity, uid).await
    }

    /// First deletion step. With UIDPLUS: `UID STORE uid +FLAGS.SILENT (\Deleted)`. With MOVE
    /// only: `UID MOVE uid` to [`EXPUNGE_FOLDER`] (created if missing). With neither:
    /// [`ImapError::CannotDeleteSafely`]. Refused, with nothing sent, when the selected folder's
    /// UIDVALIDITY is not `uidvalidity`. Idempotent: a UID that is already gone is not an error.
    pub async fn flag_deleted(&mut self, uidvalidity: u32, uid: u32) -> Result<(), ImapError> {
        self.flag_deleted_many(uidvalidity, &[uid]).await
    }

    /// Second deletion step: `UID EXPUNGE uid` (UIDPLUS), or with MOVE only: empty
    /// [`EXPUNGE_FOLDER`] and reselect. Then checks that `uid` is gone
    /// ([`ImapError::NotExpunged`] otherwise). Never a bare EXPUNGE in a shared folder.
    pub async fn expunge(&mut self, uidvalidity: u32, uid: u32) -> Result<(), ImapError> {
        self.expunge_many(uidvalidity, &[uid]).await
    }

    /// On a server without UIDPLUS, where deletion goes through the gateway's own folder:
    /// empties that folder, checks it is empty, and selects the folder that was selected again
    /// (same UIDVALIDITY). A copy moved there but not yet removed (a run stopped in between)
    /// is gone only after this. With UIDPLUS: nothing to do.
    pub async fn purge_moved(&mut self) -> Result<(), ImapError> {
        if self.caps.uidplus {
            return Ok(());
        }
        let source = self.current_selection()?.clone();
        self.empty_expunge_folder().await?;
        let again = self.select(&source.folder).await?;
        if again.uidvalidity != source.uidvalidity {
            return Err(ImapError::UidValidityChanged {
                expected: source.uidvalidity,
                found: again.uidvalidity,
            });
        }
        Ok(())
    }

    /// Ends the session politely; the connection is closed either way.
    pub async fn logout(mut self) -> Result<(), ImapError> {
        match self.run("LOGOUT", "LOGOUT", |_| {}).await {
            // The server says BYE before its OK; either way we are done.
            Ok(()) | Err(ImapError::ConnectionLost) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The selection, or NotSelected.
    pub(super) fn current_selection(&self) -> Result<&Selected, ImapError> {
        self.selected.as_ref().ok_or(ImapError::NotSelected)
    }

    /// Refuses to act on a UID from another UIDVALIDITY epoch or without a safe way to delete.
    pub(super) fn check_position(&self, uidvalidity: u32, uid: u32) -> Result<(), ImapError> {
        let selected = self.current_selection()?;
        let found = self.view.uidvalidity.unwrap_or(selected.uidvalidity);
        if found != uidvalidity {
            return Err(ImapError::UidValidityChanged {
                expected: uidvalidity,
                found,
            });
        }
        check_uid(uid)?;
        if !self.caps.uidplus && !self.caps.r#move {
            return Err(ImapError::CannotDeleteSafely { uid });
        }
        Ok(())
    }

    pub(super) async fn create_expunge_folder(&mut self) -> Result<(), ImapError> {
        let command = format!("CREATE {}", quote(EXPUNGE_FOLDER)?);
        match self.run("CREATE", &command, |_| {}).await {
            // NO [ALREADYEXISTS] is fine.
            Ok(()) | Err(ImapError::Rejected { status: "NO", .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Selects the gateway's own folder, removes everything in it. Leaves nothing selected.
    async fn empty_expunge_folder(&mut self) -> Result<(), ImapError> {
        let trash = match self.select(EXPUNGE_FOLDER).await {
            Ok(s) => s,
            Err(ImapError::Rejected { status: "NO", .. }) => {
                // Nothing was ever moved there.
                self.create_expunge_folder().await?;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        if trash.exists > 0 {
            self.run("STORE", "STORE 1:* +FLAGS.SILENT (\\Deleted)", |_| {})
                .await?;
            // Only in the gateway's own folder: everything in it was moved there by us.
            self.run("EXPUNGE", "EXPUNGE", |_| {}).await?;
            // Verified, not assumed: only an empty folder means the copies are gone.
            let after = self.select(EXPUNGE_FOLDER).await?;
            if after.exists > 0 {
                return Err(ImapError::ExpungeFolderNotEmpty { left: after.exists });
            }
        }
        tracing::debug!(messages = trash.exists, "IMAP expunge folder emptied");
        Ok(())
    }

    /// Sends one command and reads up to its tagged completion, passing every response (the
    /// completion included) to `on`. NO/BAD come back as [`ImapError::Rejected`] with the
    /// connection still usable; anything else that stops the loop leaves it poisoned.
    pub(super) async fn run(
        &mut self,
        what: &'static str,
        command: &str,
        mut on: impl FnMut(&Response<'_>),
    ) -> Result<(), ImapError> {
        if self.poisoned {
            return Err(ImapError::ConnectionLost);
        }
        self.poisoned = true;
        let Mailbox {
            session,
            view,
            command_timeout,
            ..
        } = self;
        let outcome = within(*command_timeout, what, async {
            let tag = session
                .run_command(command)
                .await
                .map_err(|e| from_async_imap(what, e))?;
            loop {
                let data = session
                    .read_response()
                    .await
                    .map_err(|e| from_io(&e))?
                    .ok_or(ImapError::ConnectionLost)?;
                let response = data.parsed();
                view.observe(response);
                on(response);
                if let Some(done) = completion(response, &tag, what) {
                    return done;
                }
            }
        })
        .await;
        if matches!(outcome, Ok(()) | Err(ImapError::Rejected { .. })) {
            self.poisoned = false;
        }
        outcome
    }
}

/// The end of a command: its tagged completion, or the server saying BYE.
pub(super) fn completion(
    response: &Response<'_>,
    tag: &RequestId,
    what: &'static str,
) -> Option<Result<(), ImapError>> {
    match response {
        Response::Done {
            tag: done, status, ..
        } if done == tag => Some(match status {
            Status::Ok => Ok(()),
            Status::No => Err(ImapError::Rejected {
                command: what,
                status: "NO",
            }),
            Status::Bad => Err(ImapError::Rejected {
                command: what,
                status: "BAD",
            }),
            Status::PreAuth | Status::Bye => Err(ImapError::Protocol {
                detail: "invalid tagged status",
            }),
        }),
        Response::Data {
            status: Status::Bye,
            ..
        } => Some(Err(ImapError::ConnectionLost)),
        _ => None,
    }
}

/// An IMAP quoted string for a folder name. Only printable ASCII: modified UTF-7 is not
/// implemented, and CR/LF/NUL would break the command.
pub(super) fn quote(name: &str) -> Result<String, ImapError> {
    if name.is_empty() || !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(ImapError::Settings {
            detail: "folder name must be non-empty printable ASCII",
        });
    }
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    Ok(quoted)
}

/// A folder name, as people write it, quoted in its wire form (modified UTF-7).
pub(super) fn quote_folder(name: &str) -> Result<String, ImapError> {
    if name.chars().any(char::is_control) {
        return Err(ImapError::Settings {
            detail: "folder name must not hold control characters",
        });
    }
    quote(&super::utf7::encode(name))
}

pub(super) fn check_uid(uid: u32) -> Result<(), ImapError> {
    if uid == 0 {
        return Err(ImapError::Protocol {
            detail: "uid 0 is not a valid UID",
        });
    }
    Ok(())
}

/// The UID a FETCH response names, if it is one and names one.
pub(super) fn fetch_uid(response: &Response<'_>) -> Option<u32> {
    match response {
        Response::Fetch(_, attrs) => attrs.iter().find_map(|a| match a {
            AttributeValue::Uid(u) => Some(*u),
            _ => None,
        }),
        _ => None,
    }
}

/// Collects what SELECT reports.
#[derive(Debug, Default)]
pub(super) struct SelectCollector {
    pub(super) uidvalidity: Option<u32>,
    pub(super) exists: u32,
    pub(super) read_only: bool,
}

impl SelectCollector {
    pub(super) fn observe(&mut self, response: &Response<'_>) {
        match response {
            Response::Data {
                status: Status::Ok,
                outcome,
            } => {
                if let Some(ResponseCode::UidValidity(v)) = outcome.code {
                    self.uidvalidity = Some(v);
                }
            }
            Response::MailboxData(MailboxDatum::Exists(n)) => self.exists = *n,
            Response::Done {
                status: Status::Ok,
                outcome,
                ..
            } => {
                if let Some(ResponseCode::ReadOnly) = outcome.code {
                    self.read_only = true;
                }
            }
            _ => {}
        }
    }
}

/// Collects `UID FETCH 1:* (UID RFC822.SIZE FLAGS)` answers; unsolicited FETCHes (flag changes
/// without a size) are merged or ignored.
#[derive(Debug, Default)]
pub(super) struct ListCollector {
    seen: BTreeMap<u32, (Option<u32>, bool)>,
}

impl ListCollector {
    pub(super) fn observe(&mut self, response: &Response<'_>) {
        let Response::Fetch(_, attrs) = response else {
            return;
        };
        let Some(uid) = fetch_uid(response) else {
            return;
        };
        let entry = self.seen.entry(uid).or_insert((None, false));
        for attr in attrs {
            match attr {
                AttributeValue::Rfc822Size(size) => entry.0 = Some(*size),
                AttributeValue::Flags(flags) => {
                    entry.1 = flags.iter().any(|f| f.eq_ignore_ascii_case("\\Deleted"));
                }
                _ => {}
            }
        }
    }

    pub(super) fn finish(self) -> Vec<Listed> {
        self.seen
            .into_iter()
            .filter_map(|(uid, (size, deleted))| size.map(|size| Listed { uid, size, deleted }))
            .collect()
    }
}

/// Collects the body of one UID from the responses to a `UID FETCH` that carry that UID (the
/// batch's collector routes them; a body for a UID not asked for is its concern).
pub(super) struct BodyCollector {
    uid: u32,
    size: Option<u32>,
    body: Option<Zeroizing<Vec<u8>>>,
}

impl BodyCollector {
    pub(super) fn new(uid: u32) -> BodyCollector {
        BodyCollector {
            uid,
            size: None,
            body: None,
        }
    }

    /// One FETCH response for this collector's UID.
    pub(super) fn observe(&mut self, response: &Response<'_>) {
        let Response::Fetch(_, attrs) = response else {
            return;
        };
        for attr in attrs {
            let data = match attr {
                AttributeValue::Rfc822Size(size) => {
                    self.size = Some(*size);
                    continue;
                }
                AttributeValue::BodySection {
                    section: None,
                    index: None,
                    data,
                } => data,
                AttributeValue::Rfc822(data) => data,
                _ => continue,
            };
            if let Some(data) = data {
                self.body = Some(Zeroizing::new(data.to_vec()));
            }
        }
    }

    pub(super) fn finish(self) -> Result<Zeroizing<Vec<u8>>, ImapError> {
        let uid = self.uid;
        let body = match self.body {
            Some(body) if !body.is_empty() => body,
            _ => return Err(ImapError::NoBody { uid }),
        };
        if let Some(expected) = self.size {
            if usize::try_from(expected).ok() != Some(body.len()) {
                return Err(ImapError::SizeMismatch {
                    uid,
                    expected,
                    got: body.len(),
                });
            }
        }
        Ok(body)
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
