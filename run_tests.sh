#!/usr/bin/env bash
# Run Nova's test suite (unit, functional and integration tests) from the
# project virtualenv ./.venv, which tools/install_deps.sh creates and keeps
# up to date together with the Debian packages the tests need.
# Integration tests use the real RabbitMQ, PostgreSQL and MariaDB on this
# machine (tools/start_services.sh starts any that are installed but down).
#
#   ./run_tests.sh                  the whole suite
#   ./run_tests.sh tests/unit -x    any pytest arguments
#
# When every test path given is under tests/unit, only what unit tests need
# is installed (tools/install_deps.sh --unit: no services, hypervisor or
# browser) and no service is started.
set -eu
cd "$(dirname "$0")"
VENV=${NOVA_VENV:-$PWD/.venv}

unit_only() {
    local arg paths=0
    for arg in "$@"; do
        case "$arg" in
            -*) ;;
            tests/unit | tests/unit/* | ./tests/unit | ./tests/unit/*)
                paths=$((paths + 1)) ;;
            *) [ -e "$arg" ] || continue   # an option's value
               return 1 ;;
        esac
    done
    [ "$paths" -gt 0 ]
}

if unit_only "$@"; then
    tools/install_deps.sh --unit
else
    tools/install_deps.sh
    tools/start_services.sh
fi
export PATH="$VENV/bin:$PATH"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
