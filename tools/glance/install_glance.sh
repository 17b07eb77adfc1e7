#!/usr/bin/env bash
# Install a real OpenStack Glance (the image service) into its own
# virtualenv, for tests/integration/test_glance_real.py.
#
#   tools/glance/install_glance.sh        prints the venv's path when ready
#
# * the venv is $NOVA_GLANCE_VENV (default ~/.cache/nova-glance/venv, under
#   $XDG_CACHE_HOME when set), made with $NOVA_GLANCE_PYTHON (default
#   python3; Glance 33 needs >= 3.10);
# * installs glance==$GLANCE_VERSION and the WSGI server gunicorn from PyPI
#   with pip (Glance 33 no longer runs standalone: glance-api must be
#   served as glance.wsgi.api:application by a WSGI server);
# * idempotent: a stamp file in the venv records the pins; when it matches,
#   nothing is done (a second run takes well under a second); concurrent
#   runs wait for each other (flock on $VENV.lock);
# * quiet: pip's output goes to $VENV/install.log, shown only on failure.
#
# Exit status 0 when the venv is ready, 2 when it cannot be made (no
# network, no python3 venv module...), with the reason on stderr.
set -u
GLANCE_VERSION=33.0.0
GUNICORN_VERSION=27.0.1
VENV=${NOVA_GLANCE_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/nova-glance/venv}
PY=${NOVA_GLANCE_PYTHON:-python3}
STAMP=$VENV/.nova-glance-stamp
WANT="glance==$GLANCE_VERSION gunicorn==$GUNICORN_VERSION $("$PY" -c \
    'import sys; print("py%d.%d" % sys.version_info[:2])' 2>/dev/null)"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
        && [ -x "$VENV/bin/gunicorn" ] && [ -x "$VENV/bin/glance-manage" ]; then
    echo "$VENV"
    exit 0
fi

fail() { echo "install_glance: $*" >&2; exit 2; }

mkdir -p "$(dirname "$VENV")" || fail "cannot create $(dirname "$VENV")"
# One installer at a time per venv (parallel test runs wait here).
exec 9>"$VENV.lock"
flock 9 || fail "cannot lock $VENV.lock"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
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
        --retries 2 --timeout 60 \
        "glance==$GLANCE_VERSION" "gunicorn==$GUNICORN_VERSION" \
        >"$LOG" 2>&1; then
    { grep '^ERROR' "$LOG" || tail -5 "$LOG"; } | tail -3 >&2
    fail "pip could not install glance==$GLANCE_VERSION (log: $LOG)"
fi
"$VENV/bin/python" -c 'import glance.wsgi, glance_store, gunicorn' \
    >>"$LOG" 2>&1 || fail "glance installed but does not import (log: $LOG)"
echo "$WANT" > "$STAMP"
echo "$VENV"
