#!/bin/sh
# Trial Dovecot entry point: makes a self-signed certificate once (shared read-only with the
# gateway through the trial-tls volume, as its extra trust anchor), then runs Dovecot.
set -eu
d=/var/lib/trial-tls
if [ ! -s "$d/cert.pem" ] || [ ! -s "$d/key.pem" ]; then
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
        -subj /CN=dovecot \
        -addext basicConstraints=critical,CA:FALSE \
        -addext subjectAltName=DNS:dovecot,DNS:localhost,IP:127.0.0.1 \
        -addext extendedKeyUsage=serverAuth \
        -addext keyUsage=critical,digitalSignature \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    chmod 0644 "$d/cert.pem"
    chmod 0755 "$d"
fi
exec dovecot -F -c /etc/dovecot-trial/dovecot.conf
