#!/usr/bin/env bash
# Start the real services the integration tests use, if installed but down.
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_if_down() {
    local port=$1 name=$2; shift 2
    port_open "$port" && return 0
    echo "starting $name"
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do port_open "$port" && return 0; sleep 1; done
    echo "warning: $name did not come up on port $port" >&2
}

if command -v rabbitmq-server >/dev/null; then
    start_if_down 5672 rabbitmq sh -c 'service rabbitmq-server start || (rabbitmq-server -detached)'
fi
if command -v pg_ctlcluster >/dev/null || [ -d /etc/postgresql ]; then
    start_if_down 5432 postgresql service postgresql start
fi
if command -v mariadbd >/dev/null || command -v mysqld >/dev/null; then
    start_if_down 3306 mariadb service mariadb start
fi
exit 0
