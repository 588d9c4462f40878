# shellcheck shell=bash
# A private Dovecot on a loopback port (same recipe as tests/support/dovecot.rs); sourced by
# scripts/demo. Functions use DOVECOT_DIR, DOVECOT_PORT, DOVECOT_USER, DOVECOT_PASSWORD.

DOVECOT_USER=${DOVECOT_USER:-sygnalista}
DOVECOT_PASSWORD=${DOVECOT_PASSWORD:-demo-only-password}

# A free TCP port on 127.0.0.1 (bash only: tries ports until one refuses a connection).
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "error: no free port found" >&2
    return 1
}

# dovecot_setup DIR: writes config, passwd file and Maildir home under DIR (0755: as root
# Dovecot's unprivileged processes must traverse it).
dovecot_setup() {
    DOVECOT_DIR=$1
    DOVECOT_PORT=${DOVECOT_PORT:-$(free_port)}
    local mail_uid users="" home="$DOVECOT_DIR/home/$DOVECOT_USER"
    mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$home"
    chmod 0755 "$DOVECOT_DIR" "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_DIR/home"
    chmod 0700 "$home"
    if [ "$(id -u)" -eq 0 ]; then
        mail_uid=65534
        chown "$mail_uid:$mail_uid" "$home"
    else
        mail_uid=$(id -u)
        users="default_internal_user = $(id -un)
default_login_user = $(id -un)
first_valid_uid = $mail_uid"
    fi
    printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$DOVECOT_USER" "$DOVECOT_PASSWORD" "$mail_uid" "$mail_uid" "$home" \
        >"$DOVECOT_DIR/passwd"
    cat >"$DOVECOT_DIR/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
log_path = $DOVECOT_DIR/dovecot.log
instance_name = sygnal-demo-$DOVECOT_PORT
$users
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $DOVECOT_DIR/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%n $DOVECOT_DIR/passwd
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
CONF
}

# Starts Dovecot in the background and waits (up to 10 s) for its port.
dovecot_start() {
    dovecot -F -c "$DOVECOT_DIR/dovecot.conf" >>"$DOVECOT_DIR/dovecot.out" 2>&1 &
    echo $! >"$DOVECOT_DIR/dovecot.pid"
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$DOVECOT_PORT") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "error: Dovecot did not start; its log:" >&2
    cat "$DOVECOT_DIR/dovecot.log" "$DOVECOT_DIR/dovecot.out" >&2 2>/dev/null || true
    return 1
}

# Stops the instance started by dovecot_start (SIGTERM to its main process), if running.
dovecot_stop() {
    local pid
    [ -f "$DOVECOT_DIR/dovecot.pid" ] || return 0
    pid=$(cat "$DOVECOT_DIR/dovecot.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$DOVECOT_DIR/dovecot.pid"
}

doveadm_() { doveadm -c "$DOVECOT_DIR/dovecot.conf" "$@"; }

# dovecot_deliver FOLDER < MESSAGE
dovecot_deliver() { doveadm_ save -u "$DOVECOT_USER" -m "$1"; }

# dovecot_count FOLDER: number of messages.
dovecot_count() { doveadm_ -f flow mailbox status -u "$DOVECOT_USER" messages "$1" | sed 's/.*messages=//'; }
