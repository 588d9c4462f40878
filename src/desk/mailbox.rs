//! The mailbox beyond the intake folder: copies of reports a mail client or the server put
//! elsewhere (Trash, Sent, Archive, Junk, All Mail) outlive every deletion the gateway makes,
//! and a server that keeps expunged mail keeps every report. `doctor --mailbox` finds them;
//! `mailbox purge` removes them, with an audit entry per folder. Only folder names, counts and
//! dates are handled: no header or body is read.

use chrono::{Days, NaiveDate};
use rand::RngCore;
use serde::Serialize;

use super::{Desk, DeskError};
use crate::audit::Event;
use crate::imap::{Folder, ImapError, Mailbox, SpecialUse, EXPUNGE_FOLDER, PROBE_FOLDER};
use crate::register::{today, AuditEntry};

/// Who purges, in audit entries: the mailbox is the administrator's.
const ADMIN: &str = "admin";

/// One folder other than the intake folder that holds messages.
#[derive(Debug, Clone, Serialize)]
pub struct FolderFinding {
    /// The name as the server spells it.
    pub folder: String,
    /// Its RFC 6154 special use (`\Trash`, ...), if marked.
    pub special_use: Option<&'static str>,
    /// Messages in it.
    pub messages: usize,
    /// Of those, addressed (To or Cc) to the reporting address, when the login is an address.
    pub to_reporting_address: Option<usize>,
    /// Of those, arrived before the cut-off day.
    pub older: usize,
}

/// What `doctor --mailbox` found.
#[derive(Debug, Clone, Serialize)]
pub struct MailboxInspection {
    /// `host:port`, login.
    pub server: String,
    /// The folder intake drains.
    pub intake_folder: String,
    /// Messages waiting there.
    pub intake_waiting: usize,
    /// Of those, arrived before yesterday: intake is not draining them (left as too large,
    /// undeletable, or no gateway running).
    pub intake_stale: usize,
    /// Messages that arrived this many days ago or more count as `older`.
    pub older_than_days: u64,
    /// Folders other than the intake folder holding messages.
    pub folders: Vec<FolderFinding>,
    /// Folders where a probe the gateway expunged was found again (the server keeps deleted
    /// mail, or shows it in an all-mail view).
    pub expunged_mail_kept_in: Vec<String>,
    /// The server offers `UID EXPUNGE` (RFC 4315).
    pub uidplus: bool,
    /// The server offers `UID MOVE` (RFC 6851).
    pub r#move: bool,
    /// The server offers `IDLE` (RFC 2177).
    pub idle: bool,
    /// What needs doing, one line each.
    pub warnings: Vec<String>,
}

/// What `mailbox purge` did (or, dry, would do), per folder.
#[derive(Debug, Clone, Serialize)]
pub struct FolderPurge {
    /// The folder.
    pub folder: String,
    /// Messages deleted (or, dry, that would be).
    pub messages: usize,
}

/// A purge, folder by folder; folders skipped say why.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MailboxPurge {
    /// Messages arrived before this day were purged (every message when none).
    pub before: Option<NaiveDate>,
    /// Folders purged.
    pub purged: Vec<FolderPurge>,
    /// Folders left alone, with the reason.
    pub skipped: Vec<(String, String)>,
}

impl Desk {
    /// Looks at every folder of the mailbox: messages outside the intake folder (the copies
    /// nobody drains), messages waiting in the intake folder since before yesterday, and
    /// whether the server keeps what the gateway expunges (a probe message is added to a
    /// folder of the gateway's own, expunged, and looked for everywhere).
    pub async fn inspect_mailbox(
        &self,
        older_than_days: u64,
    ) -> Result<MailboxInspection, DeskError> {
        let cut_off = cut_off(older_than_days)?;
        let (mut mailbox, server) = self.connect_mailbox().await?;
        let offered = *mailbox.capabilities();
        let m = &self.config.mailbox;
        let on = |source| mailbox_error(m, None, source);
        let intake_folder = self.config.mailbox.folder.clone();
        let address = reporting_address(&self.config.mailbox.username);
        let mut folders = Vec::new();
        let (mut intake_waiting, mut intake_stale) = (0, 0);
        for folder in mailbox.folders().await.map_err(on)? {
            if !folder.selectable || is_gateways_own(&folder) {
                continue;
            }
            mailbox
                .select(&folder.name)
                .await
                .map_err(|e| mailbox_error(m, Some(&folder.name), e))?;
            let all = mailbox.search(None, None).await.map_err(on)?.len();
            if folder.name.eq_ignore_ascii_case(&intake_folder) {
                intake_waiting = all;
                intake_stale = mailbox
                    .search(Some(yesterday()), None)
                    .await
                    .map_err(on)?
                    .len();
                continue;
            }
            if all == 0 {
                continue;
            }
            let older = mailbox.search(cut_off, None).await.map_err(on)?.len();
            let to_reporting_address = match &address {
                Some(a) => Some(mailbox.search(None, Some(a)).await.map_err(on)?.len()),
                None => None,
            };
            folders.push(FolderFinding {
                folder: folder.name,
                special_use: folder.special.map(|s| s.attribute()),
                messages: all,
                to_reporting_address,
                older,
            });
        }
        let expunged_mail_kept_in = mailbox.probe_expunge(&probe_token()).await.map_err(on)?;
        let _ = mailbox.logout().await;
        let mut inspection = MailboxInspection {
            server,
            intake_folder,
            intake_waiting,
            intake_stale,
            older_than_days,
            folders,
            expunged_mail_kept_in,
            uidplus: offered.uidplus,
            r#move: offered.r#move,
            idle: offered.idle,
            warnings: Vec::new(),
        };
        inspection.warnings = warnings(&inspection);
        Ok(inspection)
    }

    /// Deletes every message that arrived before `older_than_days` ago from `folders` (every
    /// folder but the intake folder when none is named), with an audit entry per folder.
    /// The intake folder is refused: what waits there is reports not yet filed. An all-mail
    /// view is purged only when named, since deleting there deletes a message everywhere.
    pub async fn purge_mailbox(
        &self,
        older_than_days: u64,
        folders: &[String],
        dry_run: bool,
    ) -> Result<MailboxPurge, DeskError> {
        let intake_folder = &self.config.mailbox.folder;
        if let Some(f) = folders
            .iter()
            .find(|f| f.eq_ignore_ascii_case(intake_folder))
        {
            return Err(DeskError::Invalid(format!(
                "--folder {f}: the intake folder is drained by `sygnal run`; messages waiting \
                 there are reports not yet filed, so they are never purged"
            )));
        }
        let before = cut_off(older_than_days)?;
        let (mut mailbox, _) = self.connect_mailbox().await?;
        let m = &self.config.mailbox;
        let on = |source| mailbox_error(m, None, source);
        let listed = mailbox.folders().await.map_err(on)?;
        let mut purge = MailboxPurge {
            before,
            ..MailboxPurge::default()
        };
        for name in folders {
            if !listed.iter().any(|f| &f.name == name && f.selectable) {
                return Err(DeskError::NotFound(format!(
                    "--folder {name}: the mailbox has no such folder (`sygnal doctor --mailbox` \
                     lists those holding messages)"
                )));
            }
        }
        for folder in &listed {
            let named = folders.iter().any(|f| f == &folder.name);
            if !folders.is_empty() && !named {
                continue;
            }
            if !folder.selectable
                || folder.name.eq_ignore_ascii_case(intake_folder)
                || is_gateways_own(folder)
            {
                continue;
            }
            if folder.special == Some(SpecialUse::All) && !named {
                purge.skipped.push((
                    folder.name.clone(),
                    "an all-mail view: deleting there deletes the message from every folder, \
                     the intake folder included; name it with --folder to purge it"
                        .to_owned(),
                ));
                continue;
            }
            let selected = mailbox
                .select(&folder.name)
                .await
                .map_err(|e| mailbox_error(m, Some(&folder.name), e))?;
            if selected.read_only {
                purge.skipped.push((
                    folder.name.clone(),
                    "the server opens it read-only".to_owned(),
                ));
                continue;
            }
            let uids = mailbox.search(before, None).await.map_err(on)?;
            if uids.is_empty() {
                continue;
            }
            let messages = if dry_run {
                uids.len()
            } else {
                let n = mailbox
                    .delete_all(selected.uidvalidity, &uids)
                    .await
                    .map_err(on)?;
                self.register
                    .audit(&AuditEntry {
                        actor: ADMIN.to_owned(),
                        action: Event::MailboxPurged,
                        case_number: None,
                        detail: format!(
                            "folder {}: {n} message(s) received {} deleted",
                            folder.name,
                            received(before)
                        ),
                    })
                    .await?;
                tracing::info!(messages = n, "MailboxPurged");
                n
            };
            purge.purged.push(FolderPurge {
                folder: folder.name.clone(),
                messages,
            });
        }
        let _ = mailbox.logout().await;
        Ok(purge)
    }

    async fn connect_mailbox(&self) -> Result<(Mailbox, String), DeskError> {
        let m = &self.config.mailbox;
        let server = format!("{}:{} as {}", m.host, m.port, m.username);
        let settings = m.imap_settings().map_err(DeskError::Setup)?;
        let mailbox = Mailbox::connect(&settings)
            .await
            .map_err(|source| mailbox_error(m, None, source))?;
        Ok((mailbox, server))
    }
}

/// A mailbox failure told with the server, the login and the setting to check: "connection
/// refused" alone leaves an admin guessing which host, which password, which folder.
/// `folder` is the folder the failed command named, when not the intake folder.
pub(crate) fn mailbox_error(
    m: &crate::config::MailboxConfig,
    folder: Option<&str>,
    source: ImapError,
) -> DeskError {
    let folder = folder.unwrap_or(&m.folder);
    let hint = match &source {
        ImapError::Connect { .. } => format!(
            " (is the server running, and are [mailbox] host = \"{}\" and port = {} right?)",
            m.host, m.port
        ),
        ImapError::Auth => format!(
            " (user \"{}\", password from {}: check both; the server's log says which was wrong)",
            m.username, m.password
        ),
        ImapError::Tls { .. } => " (check [mailbox] tls and, for a private CA, ca-file)".to_owned(),
        ImapError::Rejected {
            command: "SELECT", ..
        } => format!(
            " (folder \"{folder}\": does it exist for user \"{}\"? [mailbox] folder names it)",
            m.username
        ),
        _ => String::new(),
    };
    DeskError::Mailbox {
        server: format!("{}:{} as {}", m.host, m.port, m.username),
        source,
        hint,
    }
}

/// The day before which messages count as old: `days` before today; none for 0 days (every
/// message, today's included).
fn cut_off(days: u64) -> Result<Option<NaiveDate>, DeskError> {
    if days == 0 {
        return Ok(None);
    }
    today()
        .checked_sub_days(Days::new(days))
        .map(Some)
        .ok_or_else(|| {
            DeskError::Invalid(format!("--older-than {days}d reaches before the calendar"))
        })
}

/// "before DAY", or "at any time".
pub fn received(before: Option<NaiveDate>) -> String {
    before.map_or_else(|| "at any time".to_owned(), |d| format!("before {d}"))
}

fn yesterday() -> NaiveDate {
    today().pred_opt().unwrap_or(NaiveDate::MIN)
}

/// The login, when it is the reporting address itself.
fn reporting_address(login: &str) -> Option<String> {
    (login.contains('@') && login.is_ascii()).then(|| login.to_owned())
}

/// The gateway's own folders: emptied or removed by the gateway itself.
fn is_gateways_own(folder: &Folder) -> bool {
    folder.name == EXPUNGE_FOLDER || folder.name == PROBE_FOLDER
}

fn probe_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The rule for what needs doing, in one place.
fn warnings(i: &MailboxInspection) -> Vec<String> {
    let mut out = Vec::new();
    if !i.uidplus && !i.r#move {
        out.push(
            "the server offers neither UIDPLUS nor MOVE: the gateway cannot delete exactly the \
             copies it filed, so it leaves them on the server; ask the provider for UIDPLUS \
             (RFC 4315)"
                .to_owned(),
        );
    }
    if !i.idle {
        out.push(
            "the server offers no IDLE: the gateway polls every mailbox.poll-interval-secs, so a \
             report waits up to that long on the server; ask the provider for IDLE (RFC 2177)"
                .to_owned(),
        );
    }
    for f in &i.folders {
        let kind = f.special_use.map(|s| format!(" ({s})")).unwrap_or_default();
        let to = f
            .to_reporting_address
            .map(|n| format!(", {n} to the reporting address"))
            .unwrap_or_default();
        out.push(format!(
            "folder {}{kind} holds {} message(s){to}, {} of them {} day(s) old or more: copies \
             outside intake that no deletion by the gateway reaches; remove them with `sygnal \
             mailbox purge --folder {} --older-than 0d` (and stop whatever puts them there)",
            f.folder, f.messages, f.older, i.older_than_days, f.folder
        ));
    }
    if i.intake_stale > 0 {
        out.push(format!(
            "{} message(s) have waited in the intake folder {} since before yesterday: is \
             `sygnal run` running? (`sygnal quarantine list` and the log say why a message is \
             left on the server)",
            i.intake_stale, i.intake_folder
        ));
    }
    if !i.expunged_mail_kept_in.is_empty() {
        out.push(format!(
            "the server keeps mail the gateway deletes: a test message it expunged was found \
             again in {}; every report filed stays there. Turn off the server's lazy expunge or \
             move-to-Trash-on-delete for this mailbox (or ask the provider to), then purge that \
             folder",
            i.expunged_mail_kept_in.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mailbox_error;
    use crate::config::{MailboxConfig, PasswordSource};
    use crate::imap::{ImapError, TlsMode};

    fn mailbox() -> MailboxConfig {
        MailboxConfig {
            host: "imap.urzad.example.org".into(),
            port: 993,
            tls: TlsMode::Implicit,
            username: "zgloszenia".into(),
            password: PasswordSource::File("/etc/sygnal/imap.pass".into()),
            folder: "Zgłoszenia".into(),
            ca_file: None,
            idle: true,
            poll_interval: std::time::Duration::from_secs(30),
        }
    }

    #[test]
    fn mailbox_errors_name_the_server_the_login_the_password_file_and_the_folder() {
        let m = mailbox();
        let refused = mailbox_error(
            &m,
            None,
            ImapError::Connect {
                kind: std::io::ErrorKind::ConnectionRefused,
            },
        )
        .to_string();
        assert!(refused.contains("imap.urzad.example.org:993"), "{refused}");
        assert!(refused.contains("port = 993"), "{refused}");
        let login = mailbox_error(&m, None, ImapError::Auth).to_string();
        assert!(login.contains("\"zgloszenia\""), "{login}");
        assert!(login.contains("/etc/sygnal/imap.pass"), "{login}");
        let select = ImapError::Rejected {
            command: "SELECT",
            status: "NO",
        };
        let said = mailbox_error(&m, None, select).to_string();
        assert!(said.contains("folder \"Zgłoszenia\""), "{said}");
        let other = ImapError::Rejected {
            command: "SELECT",
            status: "NO",
        };
        let said = mailbox_error(&m, Some("Kosz"), other).to_string();
        assert!(said.contains("folder \"Kosz\""), "{said}");
    }
}
