//! How the register reaches PostgreSQL: the URL (a secret: it holds the password) parsed into
//! options, TLS with certificate and host-name verification whenever the server is not on this
//! machine, and errors that name where without repeating the URL.

use std::str::FromStr;

use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::register::RegisterError;

/// Options for the register's connections: the URL's, with the schema as search path.
pub(super) fn options(
    url: &secrecy::SecretString,
    schema: &str,
) -> Result<PgConnectOptions, RegisterError> {
    let options = PgConnectOptions::from_str(url.expose_secret()).map_err(|_| {
        // The parse error may quote the URL, password included: say only what is wrong.
        RegisterError::Setup(
            "the PostgreSQL URL is not valid: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE\
             ?sslmode=verify-full (or host=/run/postgresql for a local socket)"
                .to_owned(),
        )
    })?;
    require_verified_tls(&options)?;
    Ok(options
        .application_name("sygnal")
        .options([("search_path", schema)]))
}

/// A server reached over the network must prove who it is: `sslmode=verify-full` (the
/// certificate chains to a trusted root, from `sslrootcert` or the system's, and names the
/// host). A socket or loopback address never leaves the machine.
fn require_verified_tls(options: &PgConnectOptions) -> Result<(), RegisterError> {
    if is_local(options) {
        return Ok(());
    }
    match options.get_ssl_mode() {
        PgSslMode::VerifyFull => Ok(()),
        mode => Err(RegisterError::Setup(format!(
            "the PostgreSQL server {} is reached over the network with sslmode={}: add \
             sslmode=verify-full to the URL (and sslrootcert=PATH for a private CA), so the \
             register's traffic is encrypted to the server it names",
            where_(options),
            mode_name(mode)
        ))),
    }
}

fn is_local(options: &PgConnectOptions) -> bool {
    if options.get_socket().is_some() {
        return true;
    }
    let host = options.get_host();
    host.starts_with('/')
        || host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer (the default)",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// Where the server is, for messages: host:port or the socket folder, never the URL.
pub(super) fn where_(options: &PgConnectOptions) -> String {
    match options.get_socket() {
        Some(dir) => format!("socket {}", dir.display()),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    }
}

/// The server could not be reached or refused the login.
pub(super) fn unreachable(options: &PgConnectOptions, source: sqlx::Error) -> RegisterError {
    RegisterError::Unreachable {
        at: format!("{} (user {})", where_(options), options.get_username()),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> secrecy::SecretString {
        secrecy::SecretString::from(s.to_owned())
    }

    #[test]
    fn a_remote_server_needs_verified_tls() {
        let err = options(
            &secret("postgres://sygnal:pw@db.example.org:5432/sygnal"),
            "sygnal",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("db.example.org:5432"), "{text}");
        assert!(text.contains("sslmode=verify-full"), "{text}");
        assert!(!text.contains("pw@"), "the URL's password leaked: {text}");
        for weak in ["disable", "require", "verify-ca"] {
            let url = format!("postgres://sygnal:pw@db.example.org/sygnal?sslmode={weak}");
            assert!(options(&secret(&url), "sygnal").is_err(), "{weak} accepted");
        }
        options(
            &secret("postgres://sygnal:pw@db.example.org/sygnal?sslmode=verify-full"),
            "sygnal",
        )
        .unwrap();
    }

    #[test]
    fn a_local_server_may_go_without_tls() {
        for url in [
            "postgres://sygnal:pw@127.0.0.1:5432/sygnal",
            "postgres://sygnal:pw@localhost/sygnal",
            "postgres://sygnal:pw@[::1]:5432/sygnal",
            "postgres:///sygnal?host=/run/postgresql",
        ] {
            options(&secret(url), "sygnal").unwrap();
        }
    }

    #[test]
    fn a_malformed_url_is_refused_without_repeating_it() {
        let text = options(&secret("postgres://sygnal:s3cret@host:notaport/db"), "s")
            .unwrap_err()
            .to_string();
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("not valid"), "{text}");
    }
}
