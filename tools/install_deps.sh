#!/usr/bin/env bash
# Install what a fresh Debian/Ubuntu machine lacks to run Nova and its tests.
# Idempotent: a second run installs nothing new.
set -eu
cd "$(dirname "$0")/.."

have_module() { python3 -c "import $1" >/dev/null 2>&1; }

if ! have_module nova || ! have_module boto3 || ! have_module pytest; then
    python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
fi
