#!/usr/bin/env bash
# Run Nova's test suite (unit, functional and integration tests) from the
# project virtualenv ./.venv, which tools/install_deps.sh creates and keeps
# up to date together with the Debian packages the tests need.
# Integration tests use the real RabbitMQ, PostgreSQL and MariaDB on this
# machine (tools/start_services.sh starts any that are installed but down).
#
#   ./run_tests.sh                  the whole suite
#   ./run_tests.sh tests/unit -x    any pytest arguments
set -eu
cd "$(dirname "$0")"
VENV=${NOVA_VENV:-$PWD/.venv}
tools/install_deps.sh
tools/start_services.sh
export PATH="$VENV/bin:$PATH"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
