#!/usr/bin/env bash
# Install today's python-novaclient (18.x, with keystoneauth1) into its own
# virtualenv: it cannot share the project's venv with python-novaclient
# 6.0.2, which the v1.1 tests use.  tests/functional/test_osapi_novaclient18.py
# runs tools/novaclient18/client_flow.py with the venv's python.
#
#   tools/novaclient18/install_novaclient18.sh   prints the venv's path
#
# * the venv is $NOVA_NOVACLIENT18_VENV (default
#   ~/.cache/nova-novaclient18/venv, under $XDG_CACHE_HOME when set);
# * idempotent (a stamp records the pin); concurrent runs wait (flock);
# * pip's output goes to $VENV/install.log, shown only on failure.
#
# Exit status 0 when ready, 2 when the venv cannot be made (no network,
# no venv module...), the reason on stderr.
set -u
NOVACLIENT_SPEC='python-novaclient>=18,<19'
VENV=${NOVA_NOVACLIENT18_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/nova-novaclient18/venv}
PY=${NOVA_NOVACLIENT18_PYTHON:-python3}
STAMP=$VENV/.nova-novaclient18-stamp
PYVER=$("$PY" -c 'import sys; print("py%d.%d" % sys.version_info[:2])' \
    2>/dev/null)
WANT="$NOVACLIENT_SPEC $PYVER"

ready() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
        && [ -x "$VENV/bin/python" ]
}
fail() { echo "install_novaclient18: $*" >&2; exit 2; }

if ready; then
    echo "$VENV"
    exit 0
fi
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
if ! "$VENV/bin/pip" install -q --disable-pip-version-check \
        --retries 2 --timeout 60 --only-binary=:all: \
        "$NOVACLIENT_SPEC" >"$LOG" 2>&1; then
    { grep '^ERROR' "$LOG" || tail -5 "$LOG"; } | tail -3 >&2
    fail "pip could not install $NOVACLIENT_SPEC (log: $LOG)"
fi
"$VENV/bin/python" -c 'import novaclient.client, keystoneauth1.session' \
    >>"$LOG" 2>&1 || fail "novaclient installed but does not import (log: $LOG)"
echo "$WANT" > "$STAMP"
echo "$VENV"
