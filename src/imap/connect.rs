//! Reaching the server: TCP, TLS (implicit or STARTTLS, rustls with the system roots plus an
//! optional extra CA), the greeting, LOGIN and CAPABILITY, each under a timeout.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::imap_proto::{Response, Status};
use async_imap::{Client, Session};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use secrecy::ExposeSecret as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::{from_async_imap, from_io, Capabilities, ImapError, ImapSettings, TlsMode};

/// Whether `host` names this machine without a DNS lookup: `localhost`, 127.0.0.0/8 or ::1.
#[must_use]
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The byte stream under the IMAP session: plain TCP or TLS over TCP.
pub(crate) enum ImapStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl std::fmt::Debug for ImapStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImapStream::Plain(_) => f.write_str("ImapStream::Plain"),
            ImapStream::Tls(_) => f.write_str("ImapStream::Tls"),
        }
    }
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_flush(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

pub(crate) type ImapSession = Session<ImapStream>;

/// Connects, protects, logs in and reads the capabilities.
pub(crate) async fn open(s: &ImapSettings) -> Result<(ImapSession, Capabilities), ImapError> {
    // TLS configuration errors are the caller's to fix: report them before touching the network.
    let tls = match s.tls {
        TlsMode::None => None,
        TlsMode::Implicit | TlsMode::StartTls => Some((
            tls_connector(s.extra_ca_pem.as_deref())?,
            server_name(&s.host)?,
        )),
    };

    let client = within(s.connect_timeout, "connect", async {
        let tcp = TcpStream::connect((s.host.as_str(), s.port))
            .await
            .map_err(|e| ImapError::Connect { kind: e.kind() })?;
        // Commands are small and latency-bound.
        tcp.set_nodelay(true).ok();
        match (s.tls, tls) {
            (TlsMode::Implicit, Some((connector, name))) => {
                let tls = handshake(&connector, name, tcp).await?;
                let mut client = Client::new(ImapStream::Tls(Box::new(tls)));
                read_greeting(&mut client).await?;
                Ok(client)
            }
            (TlsMode::StartTls, Some((connector, name))) => {
                let mut client = Client::new(ImapStream::Plain(tcp));
                read_greeting(&mut client).await?;
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| match from_async_imap("STARTTLS", e) {
                        ImapError::Rejected { .. } => ImapError::Tls {
                            reason: "server refused STARTTLS".to_owned(),
                        },
                        other => other,
                    })?;
                // Anything the server sent after its OK, before the handshake, is dropped here
                // with async-imap's buffer (no plaintext injection into the TLS session).
                let ImapStream::Plain(tcp) = client.into_inner() else {
                    return Err(ImapError::Protocol {
                        detail: "STARTTLS on a TLS stream",
                    });
                };
                let tls = handshake(&connector, name, tcp).await?;
                Ok(Client::new(ImapStream::Tls(Box::new(tls))))
            }
            _ => {
                let mut client = Client::new(ImapStream::Plain(tcp));
                read_greeting(&mut client).await?;
                Ok(client)
            }
        }
    })
    .await?;

    within(s.command_timeout, "login", async {
        let mut session = client
            .login(&s.username, s.password.expose_secret())
            .await
            .map_err(|(e, _client)| login_error(e))?;
        let caps = session
            .capabilities()
            .await
            .map_err(|e| from_async_imap("CAPABILITY", e))?;
        let caps = Capabilities {
            uidplus: caps.has_str("UIDPLUS"),
            r#move: caps.has_str("MOVE"),
            idle: caps.has_str("IDLE"),
        };
        Ok((session, caps))
    })
    .await
}

/// Runs `fut` under `limit`, naming `what` on timeout.
pub(crate) async fn within<T>(
    limit: Duration,
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T, ImapError>>,
) -> Result<T, ImapError> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_elapsed| ImapError::Timeout { what })?
}

fn login_error(err: async_imap::error::Error) -> ImapError {
    match err {
        // The text is only inspected for the response code, never kept.
        async_imap::error::Error::No(text) if text.to_ascii_uppercase().contains("UNAVAILABLE") => {
            ImapError::AuthUnavailable
        }
        async_imap::error::Error::No(_) => ImapError::Auth,
        other => from_async_imap("LOGIN", other),
    }
}

async fn read_greeting(client: &mut Client<ImapStream>) -> Result<(), ImapError> {
    let response = client
        .read_response()
        .await
        .map_err(|e| from_io(&e))?
        .ok_or(ImapError::ConnectionLost)?;
    greeting_status(response.parsed())
}

/// Judges the server greeting: only `* OK` lets us log in.
pub(crate) fn greeting_status(response: &Response<'_>) -> Result<(), ImapError> {
    match response {
        Response::Data {
            status: Status::Ok, ..
        } => Ok(()),
        Response::Data {
            status: Status::Bye,
            ..
        } => Err(ImapError::ConnectionLost),
        // PREAUTH would skip our login (and STARTTLS); we do not accept a session we did not open.
        Response::Data {
            status: Status::PreAuth,
            ..
        } => Err(ImapError::Protocol {
            detail: "unexpected PREAUTH greeting",
        }),
        _ => Err(ImapError::Protocol {
            detail: "unexpected server greeting",
        }),
    }
}

async fn handshake(
    connector: &tokio_rustls::TlsConnector,
    name: ServerName<'static>,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ImapError> {
    connector.connect(name, tcp).await.map_err(|e| {
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            // rustls errors name certificate problems and alerts, never payload.
            Some(tls) => ImapError::Tls {
                reason: tls.to_string(),
            },
            None => from_io(&e),
        }
    })
}

fn server_name(host: &str) -> Result<ServerName<'static>, ImapError> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    ServerName::try_from(bare.to_owned()).map_err(|_| ImapError::Settings {
        detail: "host is not a valid TLS server name",
    })
}

/// The system's trust anchors, loaded once per process.
fn native_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        if !loaded.errors.is_empty() {
            tracing::warn!(
                errors = loaded.errors.len(),
                "some system CA certificates could not be loaded"
            );
        }
        loaded.certs
    })
}

pub(crate) fn tls_connector(
    extra_ca_pem: Option<&[u8]>,
) -> Result<tokio_rustls::TlsConnector, ImapError> {
    let mut roots = rustls::RootCertStore::empty();
    let (_added, _ignored) = roots.add_parsable_certificates(native_roots().iter().cloned());
    if let Some(pem) = extra_ca_pem {
        let extra = parse_pem_certs(pem)?;
        for cert in extra {
            roots.add(cert).map_err(|_| ImapError::Settings {
                detail: "extra CA certificate is not usable as a trust anchor",
            })?;
        }
    }
    if roots.is_empty() {
        return Err(ImapError::Settings {
            detail: "no trusted CA certificates (system store empty, no ca-file)",
        });
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Tls {
            reason: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// All certificates in a PEM bundle; an error if there is none or one is malformed.
pub(crate) fn parse_pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ImapError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ImapError::Settings {
            detail: "extra CA file is not valid PEM",
        })?;
    if certs.is_empty() {
        return Err(ImapError::Settings {
            detail: "extra CA file holds no certificate",
        });
    }
    Ok(certs)
}

#[cfg(test)]
#[path = "connect_tests.rs"]
mod tests;
