# shellcheck shell=bash
# Installs missing Debian packages quietly; sourced by scripts/test, scripts/demo, scripts/container-smoke.

# Runs a command as root: directly when root, through sudo when it is there.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "error: need root (or sudo) to run: $*" >&2
        return 1
    fi
}

# Prints the packages of "$@" that are not installed.
missing_packages() {
    local p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            printf '%s\n' "$p"
        fi
    done
}

# ensure_packages PKG...: installs what is missing; apt-get update only when the package lists
# are empty or the first install attempt fails.
ensure_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "warning: not a Debian system; make sure these are installed: $*" >&2
        return 0
    fi
    local missing
    missing=$(missing_packages "$@")
    [ -z "$missing" ] && return 0
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    set -- $missing
    echo "installing: $*" >&2
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends)
    if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' || true)" ]; then
        as_root apt-get update -qq >/dev/null
    fi
    if ! as_root "${apt[@]}" install "$@" >/dev/null 2>&1; then
        as_root apt-get update -qq >/dev/null
        as_root "${apt[@]}" install "$@" >/dev/null
    fi
}

# Fails with a hint when the Rust toolchain (with rustfmt and clippy) is missing.
ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        echo "error: cargo not found; install Rust $(grep -m1 '^rust-version' Cargo.toml | cut -d'"' -f2) or newer (https://rustup.rs)" >&2
        return 1
    fi
    local c
    for c in fmt clippy; do
        if ! cargo "$c" --version >/dev/null 2>&1; then
            if command -v rustup >/dev/null 2>&1; then
                rustup component add "$( [ "$c" = fmt ] && echo rustfmt || echo clippy )" >&2
            else
                echo "error: cargo $c not available" >&2
                return 1
            fi
        fi
    done
}

# The packages the build and the tests need (sequoia's crypto-openssl backend, Dovecot, GnuPG).
# Building: sequoia's OpenSSL backend compiles openssl-sys with bindgen, which needs libclang.
SYGNAL_BUILD_PACKAGES=(libssl-dev pkg-config libclang1-14 libclang-common-14-dev ca-certificates)
# Running the demo and the tests: a real IMAP server and a real OpenPGP client.
SYGNAL_RUN_PACKAGES=(dovecot-imapd gnupg openssl sqlite3 tzdata)
# Attachment-cleaning fixtures and checks: real producers (Ghostscript, ExifTool, pandoc) and readers
# (djpeg, pdfinfo/pdftoppm, xmllint, unzip). pandoc writes .docx with tracked changes at a fraction
# of LibreOffice's install size.
SYGNAL_CLEAN_TEST_PACKAGES=(ghostscript libimage-exiftool-perl pandoc poppler-utils libjpeg-turbo-progs libxml2-utils unzip)
# The register contract runs on PostgreSQL too: the tests start a throwaway cluster with its
# initdb (as the postgres user when run as root), so the server package must be there.
SYGNAL_PG_TEST_PACKAGES=(postgresql)
# Retention tests move the clock of a whole process years ahead with libfaketime.
SYGNAL_CLOCK_TEST_PACKAGES=(faketime)
# The yearly review record's PDF is rendered to PNG (poppler) and read back by OCR, so the test
# checks what a person sees on the page, not only the text layer.
SYGNAL_OCR_TEST_PACKAGES=(tesseract-ocr)
# Acknowledgements and replies go through a real MTA: a private Postfix per test delivers over
# LMTP into the test Dovecot, whose Sieve keeps one copy per Message-ID (as providers do).
SYGNAL_SMTP_TEST_PACKAGES=(postfix dovecot-lmtpd dovecot-sieve)
# The shipped unit (packaging/sygnal.service) is checked with systemd-analyze verify and security.
SYGNAL_SYSTEMD_TEST_PACKAGES=(systemd)
# The web console is tested in a real browser: Debian's Chromium, headless.
SYGNAL_CONSOLE_TEST_PACKAGES=(chromium)
SYGNAL_TEST_PACKAGES=("${SYGNAL_BUILD_PACKAGES[@]}" "${SYGNAL_RUN_PACKAGES[@]}" "${SYGNAL_CLEAN_TEST_PACKAGES[@]}" "${SYGNAL_PG_TEST_PACKAGES[@]}" "${SYGNAL_CLOCK_TEST_PACKAGES[@]}" "${SYGNAL_OCR_TEST_PACKAGES[@]}" "${SYGNAL_SMTP_TEST_PACKAGES[@]}" "${SYGNAL_SYSTEMD_TEST_PACKAGES[@]}" "${SYGNAL_CONSOLE_TEST_PACKAGES[@]}" git)
