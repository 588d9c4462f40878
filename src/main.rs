//! sygnal binary: parse the command line, start logging, run, map errors to exit codes.

use std::process::ExitCode;

/// `sygnal register export | head`: once the reader has what it wants and closes the pipe, the
/// next print fails. Rust ignores SIGPIPE and `println!` then panics (exit 101, a backtrace
/// hint); a command-line tool ends quietly instead. Only that panic is taken over.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// The gateway handles messages of tens of MiB for months: glibc would keep their memory once
/// the first was freed (it then raises its mmap threshold and serves large buffers from a heap
/// it does not give back). Unless the operator set glibc's tunables, the gateway starts itself
/// again in place (same process id) with the threshold fixed; if that fails, it runs as it is.
fn with_large_buffers_unmapped() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt as _;
        if std::env::var_os("GLIBC_TUNABLES").is_some() {
            return;
        }
        if let Ok(exe) = std::env::current_exe() {
            let _ = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("GLIBC_TUNABLES", sygnal::intake::worker::MALLOC_TUNABLES)
                .exec();
        }
    }
}

fn main() -> ExitCode {
    let cli = sygnal::cli::Cli::parse_localized();
    if cli.is_worker() {
        // Single-threaded, silent, no config: everything comes over its stdin.
        return ExitCode::from(sygnal::intake::worker::child::main());
    }
    if cli.is_gateway() {
        with_large_buffers_unmapped();
    }
    sygnal::telemetry::init(cli.log_format);
    quiet_on_closed_stdout();
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
    let log_format = cli.log_format;
    match runtime.block_on(sygnal::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = sygnal::cli::exit_code(&e);
            let text = sygnal::cli::error_text(&e);
            if log_format == sygnal::telemetry::LogFormat::Json {
                // A log collector reading JSON lines gets the error as one of them.
                tracing::error!(exit_code = code, error = %text, "CommandFailed");
            } else {
                eprintln!("{} {text}", sygnal::cli::texts().text("error-prefix", None));
            }
            ExitCode::from(code)
        }
    }
}
