//! The transport-security setting shared by `[mailbox]` and `[contact.smtp]`.

use crate::imap::TlsMode;

/// `tls` at `at`: one of the three modes, and "none" only for a loopback `host` (`protocol`
/// names what would travel in the clear).
pub(super) fn tls_mode(
    at: &str,
    tls: &str,
    host: &str,
    protocol: &str,
    problems: &mut Vec<String>,
) -> Option<TlsMode> {
    let mode = match tls {
        "implicit" => Some(TlsMode::Implicit),
        "starttls" => Some(TlsMode::StartTls),
        "none" => Some(TlsMode::None),
        other => {
            problems.push(format!(
                "{at}.tls: \"{other}\" is not one of \"implicit\", \"starttls\", \"none\""
            ));
            None
        }
    };
    if mode == Some(TlsMode::None) && !crate::imap::is_loopback(host) {
        problems.push(format!(
            "{at}.tls: \"none\" is refused for {host}: plain {protocol} is allowed only on loopback"
        ));
    }
    mode
}
