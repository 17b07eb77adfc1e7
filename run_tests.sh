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

# Unit tests share nothing but the process (each has its own SQLite and
# flags), so they run on every core (pytest-xdist, NOVA_TEST_WORKERS
# workers; 1 runs them in this process).  Functional and integration tests
# drive daemons, guests and servers of the machine: one at a time.
workers() {
    local cores
    cores=$(nproc 2>/dev/null || echo 1)
    echo "${NOVA_TEST_WORKERS:-$(( cores > 4 ? 4 : cores ))}"
}

unit_args() {
    local n
    n=$(workers)
    for arg in "$@"; do
        case "$arg" in
            -n | -n* | --numprocesses* | -s | --capture* | --pdb | --trace) n=1 ;;
        esac
    done
    [ "$n" -gt 1 ] && echo "-n $n"
    return 0
}

PYTEST=("$VENV/bin/python" -m pytest -q -p no:cacheprovider)
if unit_only "$@"; then
    tools/install_deps.sh --unit
    export PATH="$VENV/bin:$PATH"
    # shellcheck disable=SC2046
    exec "${PYTEST[@]}" $(unit_args "$@") "$@"
fi
tools/install_deps.sh
tools/start_services.sh
export PATH="$VENV/bin:$PATH"
if [ $# -eq 0 ]; then
    # The whole suite: the unit tests on every core, then the rest.
    status=0
    # shellcheck disable=SC2046
    "${PYTEST[@]}" $(unit_args) tests/unit || status=$?
    rest=0
    "${PYTEST[@]}" tests/functional tests/integration || rest=$?
    [ "$status" -ne 0 ] || status=$rest
    exit "$status"
fi
exec "${PYTEST[@]}" "$@"
