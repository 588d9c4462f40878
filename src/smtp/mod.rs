//! The outgoing server (IO edge): hands a composed message to the organisation's SMTP server
//! with lettre, over implicit TLS or STARTTLS (plain only on loopback, as the config enforces).
//!
//! Errors name the server and the SMTP code, never the recipient or the server's own words:
//! a refusal usually quotes the address it refused, and errors end up in the register and logs.

use std::str::FromStr;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::SmtpConfig;
use crate::imap::TlsMode;

/// A connection recipe to the outgoing server.
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
}

/// Sending failed.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The settings cannot be used (password file, CA file, TLS set-up).
    #[error("{0}")]
    Setup(String),
    /// Worth trying again later: a temporary refusal (4xx), or the server unreachable.
    #[error("{0}")]
    Transient(String),
    /// The server refused the message for good (5xx).
    #[error("{0}")]
    Permanent(String),
}

impl Sender {
    /// Prepares sending through `config`'s server: reads the password and the extra CA now.
    pub fn new(config: &SmtpConfig) -> Result<Sender, SmtpError> {
        let server = format!("{}:{}", config.host, config.port);
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            mode => {
                let mut params = TlsParameters::builder(config.host.clone());
                if let Some(path) = &config.ca_file {
                    let pem = std::fs::read(path).map_err(|e| {
                        SmtpError::Setup(format!(
                            "cannot read contact.smtp.ca-file {}: {e}",
                            path.display()
                        ))
                    })?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| {
                        SmtpError::Setup(format!(
                            "contact.smtp.ca-file {} is not a PEM certificate: {e}",
                            path.display()
                        ))
                    })?;
                    params = params.add_root_certificate(cert);
                }
                let params = params.build_rustls().map_err(|e| {
                    SmtpError::Setup(format!("TLS set-up for {server} failed: {e}"))
                })?;
                if mode == TlsMode::Implicit {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(60)));
        if let (Some(user), Some(source)) = (&config.username, &config.password) {
            let password = source.read().map_err(|e| {
                SmtpError::Setup(format!("the SMTP password for {user} at {server}: {e}"))
            })?;
            builder = builder.credentials(Credentials::new(
                user.clone(),
                secrecy::ExposeSecret::expose_secret(&password).to_owned(),
            ));
        }
        Ok(Sender {
            transport: builder.build(),
            server,
        })
    }

    /// Connects, secures the connection and logs in, as a send would; sends nothing.
    pub async fn check(&self) -> Result<(), SmtpError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SmtpError::Transient(format!(
                "{} did not answer as an SMTP server",
                self.server
            ))),
            Err(e) => Err(self.describe(&e)),
        }
    }

    /// Sends `message` to `to` with the envelope sender `from` (None: the null sender); the
    /// headers are in `message`.
    pub async fn send(
        &self,
        from: Option<&Address>,
        to: &str,
        message: &[u8],
    ) -> Result<(), SmtpError> {
        let to = Address::from_str(to).map_err(|_| {
            SmtpError::Permanent("the stored reply address is not a valid address".to_owned())
        })?;
        let envelope = Envelope::new(from.cloned(), vec![to])
            .map_err(|e| SmtpError::Permanent(format!("no envelope: {e}")))?;
        self.transport
            .send_raw(&envelope, message)
            .await
            .map(|_| ())
            .map_err(|e| self.describe(&e))
    }

    /// Says what went wrong without the server's words (which quote the recipient).
    fn describe(&self, e: &lettre::transport::smtp::Error) -> SmtpError {
        let server = &self.server;
        match e.status() {
            // 530/534/535: authentication required or refused.
            Some(code) if code.to_string().starts_with("53") => SmtpError::Setup(format!(
                "{server} refused the login (SMTP {code}): check contact.smtp.username and its \
                 password source"
            )),
            Some(code) if e.is_permanent() => SmtpError::Permanent(format!(
                "{server} refused the message (SMTP {code}); see the server's log for why"
            )),
            Some(code) => SmtpError::Transient(format!(
                "{server} refused the message for now (SMTP {code}); it is tried again"
            )),
            None if e.is_tls() => SmtpError::Transient(format!(
                "TLS with {server} failed (check contact.smtp.tls and ca-file); it is tried again"
            )),
            None if e.is_timeout() => {
                SmtpError::Transient(format!("{server} did not answer in time; it is tried again"))
            }
            None => SmtpError::Transient(format!(
                "could not deliver to {server} (connection refused, closed, or unreachable); it is tried again"
            )),
        }
    }
}
