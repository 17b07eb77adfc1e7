#!/usr/bin/env bash
# Install a real OpenStack Keystone (the identity service) into its own
# virtualenv, for tests/integration/test_keystone_*.py and the tools in
# tools/keystone/.
#
#   tools/keystone/install_keystone.sh     prints the venv's path when ready
#
# * the venv is $NOVA_KEYSTONE_VENV (default ~/.cache/nova-keystone/venv,
#   under $XDG_CACHE_HOME when set), made with $NOVA_KEYSTONE_PYTHON
#   (default python3; Keystone 30 needs >= 3.11);
# * installs keystone==$KEYSTONE_VERSION, the WSGI server gunicorn (Keystone
#   is a WSGI application, keystone.server.wsgi), python-openstackclient
#   (the `openstack` command: shell-export imports, catalog registration,
#   `openstack server list`) and python-novaclient (the manual's `nova list`
#   / `nova boot` through the catalog) from PyPI with pip;
# * idempotent: a stamp file in the venv records the pins; when it matches,
#   nothing is done; concurrent runs wait for each other (flock);
# * quiet: pip's output goes to $VENV/install.log, shown only on failure.
#
# Exit status 0 when the venv is ready, 2 when it cannot be made (no
# network, no python3 venv module, Python too old...), reason on stderr.
set -u
KEYSTONE_VERSION=30.0.0
GUNICORN_VERSION=27.0.1
OSC_VERSION=8.2.0
NOVACLIENT_VERSION=18.13.1
VENV=${NOVA_KEYSTONE_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/nova-keystone/venv}
PY=${NOVA_KEYSTONE_PYTHON:-python3}
STAMP=$VENV/.nova-keystone-stamp
PYVER=$("$PY" -c 'import sys; print("py%d.%d" % sys.version_info[:2])' \
    2>/dev/null)
WANT="keystone==$KEYSTONE_VERSION gunicorn==$GUNICORN_VERSION"
WANT="$WANT python-openstackclient==$OSC_VERSION"
WANT="$WANT python-novaclient==$NOVACLIENT_VERSION $PYVER"

ready() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
        && [ -x "$VENV/bin/gunicorn" ] && [ -x "$VENV/bin/keystone-manage" ] \
        && [ -x "$VENV/bin/openstack" ] && [ -x "$VENV/bin/nova" ]
}
fail() { echo "install_keystone: $*" >&2; exit 2; }

if ready; then
    echo "$VENV"
    exit 0
fi
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || fail "keystone $KEYSTONE_VERSION needs Python >= 3.11 ($PY is $PYVER)"
mkdir -p "$(dirname "$VENV")" || fail "cannot create $(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9 || fail "cannot lock $VENV.lock"
if ready; then
    echo "$VENV"
    exit 0
fi
rm -f "$STAMP"
if [ ! -x "$VENV/bin/pip" ]; then
    "$PY" -m venv "$VENV" >/dev/null 2>&1 \
        || fail "'$PY -m venv $VENV' failed (is python3-venv installed?)"
fi
LOG=$VENV/install.log
# --only-binary: everything comes as wheels, nothing is compiled.
if ! "$VENV/bin/pip" install -q --disable-pip-version-check \
        --retries 2 --timeout 60 --only-binary=:all: \
        "keystone==$KEYSTONE_VERSION" "gunicorn==$GUNICORN_VERSION" \
        "python-openstackclient==$OSC_VERSION" \
        "python-novaclient==$NOVACLIENT_VERSION" \
        >"$LOG" 2>&1; then
    { grep '^ERROR' "$LOG" || tail -5 "$LOG"; } | tail -3 >&2
    fail "pip could not install keystone==$KEYSTONE_VERSION (log: $LOG)"
fi
"$VENV/bin/python" -c 'import keystone.server.wsgi, gunicorn' \
    >>"$LOG" 2>&1 || fail "keystone installed but does not import (log: $LOG)"
echo "$WANT" > "$STAMP"
echo "$VENV"
