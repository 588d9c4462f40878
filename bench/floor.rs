//! The throughput floor for bench/run: the least any client must do to drain a folder — fetch
//! every message whole (one pipelined `UID FETCH 1:* BODY.PEEK[]`), then flag them all and
//! expunge once. No decryption, no storage, no per-message safety: the most the mailbox can give.
//!
//! Usage: `imap-floor HOST PORT USER PASSWORD-FILE FOLDER` (plain IMAP on loopback); prints
//! `messages bytes seconds` on stdout.

use std::time::Instant;

use anyhow::{bail, Context as _};
use futures::TryStreamExt as _;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, port, user, pass_file, folder] = args.as_slice() else {
        bail!("usage: imap-floor HOST PORT USER PASSWORD-FILE FOLDER");
    };
    let password = std::fs::read_to_string(pass_file).context("read password file")?;
    let started = Instant::now();
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port.parse::<u16>()?)).await?;
    let mut client = async_imap::Client::new(tcp);
    client
        .read_response()
        .await?
        .context("no greeting from the server")?;
    let mut session = client
        .login(user, password.trim_end())
        .await
        .map_err(|(e, _)| e)?;
    session.select(folder).await?;
    let mut messages = 0u64;
    let mut bytes = 0u64;
    {
        let fetches = session.uid_fetch("1:*", "BODY.PEEK[]").await?;
        futures::pin_mut!(fetches);
        while let Some(f) = fetches.try_next().await? {
            if let Some(body) = f.body() {
                messages += 1;
                bytes += body.len() as u64;
            }
        }
    }
    if messages > 0 {
        let stored = session
            .uid_store("1:*", "+FLAGS.SILENT (\\Deleted)")
            .await?;
        futures::pin_mut!(stored);
        while stored.try_next().await?.is_some() {}
    }
    {
        let expunged = session.expunge().await?;
        futures::pin_mut!(expunged);
        while expunged.try_next().await?.is_some() {}
    }
    session.logout().await?;
    println!("{messages} {bytes} {:.6}", started.elapsed().as_secs_f64());
    Ok(())
}
