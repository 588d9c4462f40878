//! sygnal binary: parse the command line, start logging, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sygnal::cli::Cli::parse();
    if cli.is_worker() {
        // Single-threaded, silent, no config: everything comes over its stdin.
        return ExitCode::from(sygnal::intake::worker::child::main());
    }
    sygnal::telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sygnal: cannot start the async runtime: {e}");
            return ExitCode::from(sygnal::cli::exit::ERROR);
        }
    };
    match runtime.block_on(sygnal::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sygnal: error: {}", sygnal::cli::error_text(&e));
            ExitCode::from(sygnal::cli::exit_code(&e))
        }
    }
}
