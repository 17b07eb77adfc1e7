#!/usr/bin/env bash
# Run Nova's test suite: unit, functional and integration tests.
# Integration tests use the real RabbitMQ, PostgreSQL and MariaDB on this
# machine (tools/start_services.sh starts any that are installed but down).
set -eu
cd "$(dirname "$0")"
tools/install_deps.sh
tools/start_services.sh
python3 -m pytest -q -p no:cacheprovider "$@"
