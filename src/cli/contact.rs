//! `sygnal cases reply`, `cases end-contact`, and the unsent mail under `cases due`: talking
//! with the reporter through the gateway. The handler never sees the address.

use std::path::Path;

use zeroize::Zeroizing;

use super::{coded, exit, print_json, reader_key, with_desk};
use crate::desk::{Delivery, Installation, OutboxEntry, MAX_REPLY_BYTES};

/// Reads the reply from `file` or stdin (the desk refuses a longer one than the limit), as
/// UTF-8.
fn read_reply(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    let buf = super::input::read_text(file, MAX_REPLY_BYTES)?;
    let text =
        std::str::from_utf8(&buf).map_err(|_| coded(exit::USAGE, "the reply is not UTF-8 text"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// `cases reply`.
pub async fn reply(
    at: &Installation,
    number: &str,
    key: &Path,
    file: Option<&Path>,
    feedback: bool,
    json: bool,
) -> anyhow::Result<()> {
    let key = reader_key::load(key)?;
    let text = read_reply(file)?;
    let planned = with_desk(at, async |d| {
        d.reply_to_reporter(&key, number, &text, feedback).await
    })
    .await?;
    if json {
        return print_json(&planned);
    }
    let what = if planned.feedback {
        "feedback"
    } else {
        "reply"
    };
    let how = if planned.encrypted {
        "encrypted to the reporter's key"
    } else {
        "unencrypted: the reporter gave no key"
    };
    println!(
        "{what} in case {} recorded as a reporter-contact action ({how})",
        planned.number
    );
    print_delivery(&planned.delivery);
    Ok(())
}

fn print_delivery(d: &Delivery) {
    if let Some(holder) = &d.running_elsewhere {
        println!("another gateway process ({holder}) is sending now; it sends this too");
    } else if d.sent > 0 {
        println!("sent: the outgoing server accepted it");
    } else if d.retrying > 0 {
        println!("not sent yet: the outgoing server is unavailable; `sygnal run` tries again (see `sygnal cases due`)");
    } else if d.failed > 0 {
        println!("NOT SENT: the outgoing server refused it; see `sygnal cases due`");
    }
}

/// `cases end-contact`.
pub async fn end_contact(
    at: &Installation,
    number: &str,
    key: &Path,
    reason: &str,
) -> anyhow::Result<()> {
    let key = reader_key::load(key)?;
    let ended = with_desk(at, async |d| d.end_contact(&key, number, reason).await).await?;
    if ended {
        println!("contact with the reporter of case {number} ended: the reply address, their key and the reply token are destroyed");
    } else {
        println!("case {number} had no open contact; nothing changed");
    }
    Ok(())
}

/// The unsent mail, printed under `cases due`.
pub fn print_unsent(entries: &[OutboxEntry]) {
    if entries.is_empty() {
        return;
    }
    println!();
    println!("{}", t!("unsent-heading"));
    for e in entries {
        let when = match e.state.as_str() {
            "failed" => t!("unsent-failed"),
            "sending" => t!("unsent-interrupted"),
            _ if e.attempts == 0 => t!("unsent-planned"),
            _ => t!("unsent-next-attempt", at = e.next_attempt.as_str()),
        };
        let error = if e.last_error.is_empty() {
            String::new()
        } else {
            format!(": {}", e.last_error)
        };
        let kind = match e.kind {
            "acknowledgement" => t!("deadline-acknowledgement"),
            "feedback" => t!("deadline-feedback"),
            _ => t!("unsent-reply"),
        };
        println!(
            "{:<16} {kind}: {}, {when}{error}",
            e.number,
            t!("unsent-attempts", n = e.attempts)
        );
    }
}
