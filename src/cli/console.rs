//! `sygnal console`: the web console on this machine's loopback, for a handler's own browser.

use std::net::SocketAddr;

use clap::Args;

use crate::desk::Installation;

#[derive(Args, Debug)]
pub struct ConsoleArgs {
    /// Where to listen (loopback only); open http://127.0.0.1:8470/ in the browser.
    #[arg(long, default_value = "127.0.0.1:8470")]
    listen: SocketAddr,
}

pub async fn console(at: &Installation, args: ConsoleArgs) -> anyhow::Result<()> {
    eprintln!("http://{}/", args.listen);
    let stop = super::run::wait_for_signal();
    Ok(crate::console::serve(at, args.listen, super::texts().lang(), stop).await?)
}
