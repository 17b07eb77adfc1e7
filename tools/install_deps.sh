#!/usr/bin/env bash
# Make this checkout ready to run: the Debian packages it needs and the
# project virtualenv ./.venv with Nova and its test tools installed.
#
#   tools/install_deps.sh          everything tools/debian-packages.txt lists
#   tools/install_deps.sh --venv   only what the virtualenv itself needs
#
# Idempotent and cheap when nothing is missing: a package is installed only
# when `dpkg -s` says it is absent (apt-get update runs once, first), and the
# virtualenv is (re)installed only when the stamp it keeps differs from the
# hash of setup.py (its requirements) and the Python version.  Whatever is
# installed system-wide does not matter: Nova runs from ./.venv.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${NOVA_VENV:-$ROOT/.venv}
PYTHON=${NOVA_PYTHON:-python3}
LIST=$ROOT/tools/debian-packages.txt
STAMP=$VENV/.nova-requirements

say() { echo "install_deps: $*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        say "need root to run: $*"
        return 1
    fi
}

apt_updated=
apt_install() {
    [ $# -gt 0 ] || return 0
    if ! command -v apt-get >/dev/null; then
        say "not a Debian/Ubuntu system; please install: $*"
        return 1
    fi
    say "installing Debian packages: $*"
    if [ -z "$apt_updated" ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$@" >&2
}

missing_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || echo "$pkg"
    done
}

listed_packages() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$LIST" | grep -v '^$' || true
}

if [ "${1:-}" = "--venv" ]; then
    wanted=""
    "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || wanted=python3-venv
else
    wanted=$(listed_packages)
fi
if command -v dpkg >/dev/null && [ -n "$wanted" ]; then
    # shellcheck disable=SC2086 # one package per word
    missing=$(missing_packages $wanted)
    # shellcheck disable=SC2086
    [ -z "$missing" ] || apt_install $missing
fi

stamp() {
    {
        cat "$ROOT/setup.py"
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
}

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
    say "creating the virtualenv $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null)" != "$(stamp)" ]; then
    say "installing Nova and its requirements into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -e "$ROOT[test]" >&2
    stamp > "$STAMP"
fi
