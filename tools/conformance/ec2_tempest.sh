#!/usr/bin/env bash
# Run the public EC2 conformance suite (ec2api-tempest-plugin 1.7.0) against
# this cloud on the embedded default, and compare with the recorded minimum.
#
#   tools/conformance/ec2_tempest.sh [module ...]
#
# * installs ec2api-tempest-plugin==1.7.0 and tempest into their own venv
#   ($EC2_TEMPEST_VENV, default ~/.cache/nova-ec2-tempest/venv) from PyPI;
# * starts bin/nova-all on loopback with its own state dir and free ports
#   (SQLite, in-process transport, fake hypervisor, FlatDHCPManager with
#   --fake_network: nothing outside the state dir is touched);
# * creates a user, a project and a public machine image
#   (tools/conformance/setup_cloud.py);
# * writes the suite's [aws] config (TEST_CONFIG_DIR/TEST_CONFIG) and runs
#   the EC2-classic modules plus scenario.test_paging with testtools;
# * prints pass/fail/skip per module and a JSON total on the last line.
#
# Exit status: 1 when a request was answered with a 5xx (seen in the
# cloud's log) or when fewer tests pass than tools/conformance/min_passes
# records; 0 otherwise.  Set NOVA_PYTHON to the interpreter of the cloud.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=${NOVA_PYTHON:-}
if [ -z "$PY" ]; then
    if [ -x "$REPO/.venv/bin/python" ]; then PY=$REPO/.venv/bin/python
    elif [ -x /work/.venv-dev/bin/python ]; then PY=/work/.venv-dev/bin/python
    else PY=python3; fi
fi
VENV=${EC2_TEMPEST_VENV:-$HOME/.cache/nova-ec2-tempest/venv}
PLUGIN_VERSION=1.7.0
MODULES=${*:-"api.test_addresses api.test_images api.test_instance_attributes
api.test_instances api.test_key_pairs api.test_regions api.test_security_groups
api.test_snapshots api.test_tags api.test_volumes scenario.test_paging"}
MIN_PASSES=$(grep -v '^#' "$HERE/min_passes" 2>/dev/null | head -1 | tr -d ' ')
MIN_PASSES=${MIN_PASSES:-0}
START=$(date +%s)

# -- the suite's venv ----------------------------------------------------------
if ! "$VENV/bin/python" -c 'import ec2api_tempest_plugin, tempest' 2>/dev/null; then
    echo "installing ec2api-tempest-plugin $PLUGIN_VERSION into $VENV"
    python3 -m venv "$VENV" || exit 2
    "$VENV/bin/pip" install -q "ec2api-tempest-plugin==$PLUGIN_VERSION" \
        tempest || exit 2
fi

# -- the cloud -----------------------------------------------------------------
STATE=$(mktemp -d "${TMPDIR:-/tmp}/nova-ec2-tempest.XXXXXX")
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
EC2_PORT=$(free_port); OS_PORT=$(free_port); S3_PORT=$(free_port)
cat > "$STATE/nova.conf" <<CONF
--state_path=$STATE
--logdir=$STATE
--ec2_listen=127.0.0.1
--ec2_listen_port=$EC2_PORT
--ec2_host=127.0.0.1
--osapi_listen=127.0.0.1
--osapi_listen_port=$OS_PORT
--enabled_apis=ec2
--s3_host=127.0.0.1
--s3_port=$S3_PORT
--network_manager=nova.network.manager.FlatDHCPManager
--fake_network=true
--connection_type=fake
--fake_rabbit=true
--report_interval=2
--quota_instances=100
--quota_cores=200
--quota_ram=409600
--quota_volumes=100
--quota_gigabytes=10000
--ec2_paging_secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
CONF
CLOUD_PID=
cleanup() {
    if [ -n "$CLOUD_PID" ] && kill -0 "$CLOUD_PID" 2>/dev/null; then
        kill -TERM "$CLOUD_PID"; wait "$CLOUD_PID" 2>/dev/null
    fi
    [ -n "${KEEP_STATE:-}" ] || rm -rf "$STATE"
}
trap cleanup EXIT

SETUP=$(cd "$REPO" && "$PY" tools/conformance/setup_cloud.py \
    --flagfile="$STATE/nova.conf" 2>"$STATE/setup.log") \
    || { cat "$STATE/setup.log"; exit 2; }
read -r ACCESS SECRET IMAGE_ID <<< "$SETUP"
# Floating addresses for the address tests (--fake_network: only rows).
(cd "$REPO" && "$PY" bin/nova-manage --flagfile="$STATE/nova.conf" \
    floating create 10.78.0.0/27 >>"$STATE/setup.log" 2>&1) \
    || { cat "$STATE/setup.log"; exit 2; }

(cd "$REPO" && exec "$PY" bin/nova-all --flagfile="$STATE/nova.conf") \
    >"$STATE/nova-all.out" 2>&1 &
CLOUD_PID=$!
for _ in $(seq 1 60); do
    (exec 3<>"/dev/tcp/127.0.0.1/$EC2_PORT") 2>/dev/null && break
    kill -0 "$CLOUD_PID" 2>/dev/null || { cat "$STATE/nova-all.out"; exit 2; }
    sleep 1
done
ENDPOINT="http://127.0.0.1:$EC2_PORT/services/Cloud"
mkdir -p "$STATE/tempest"
cat > "$STATE/tempest/tempest.conf" <<CONF
[DEFAULT]
log_file = $STATE/tempest/tempest.log

[service_available]
ec2api = True

[aws]
ec2_url = $ENDPOINT
s3_url = http://127.0.0.1:$S3_PORT
aws_access = $ACCESS:tempest
aws_secret = $SECRET
aws_region = nova
aws_zone = nova
instance_type = m1.tiny
instance_type_alt = m1.small
image_id = $IMAGE_ID
run_ssh = False
build_timeout = 120
build_interval = 1
CONF

# -- the suite ----------------------------------------------------------------
RESULTS=$STATE/results.txt
: > "$RESULTS"
for module in $MODULES; do
    out=$STATE/$(echo "$module" | tr . _).out
    (cd "$STATE/tempest" && TEST_CONFIG_DIR="$STATE/tempest" \
        TEST_CONFIG=tempest.conf timeout 900 "$VENV/bin/python" -m subunit.run \
        "ec2api_tempest_plugin.$module" 2>/dev/null \
        | "$VENV/bin/subunit2csv" > "$out.csv" 2>/dev/null)
    "$PY" - "$module" "$out.csv" >> "$RESULTS" <<'PYEOF'
import csv, sys
module, path = sys.argv[1], sys.argv[2]
counts = {'success': 0, 'fail': 0, 'skip': 0}
try:
    rows = list(csv.DictReader(open(path)))
except OSError:
    rows = []
for row in rows:
    status = row.get('status')
    if status in ('success', 'xfail'):
        counts['success'] += 1
    elif status == 'skip':
        counts['skip'] += 1
    elif status in ('fail', 'failure', 'error', 'uxsuccess'):
        counts['fail'] += 1
print(module, counts['success'], counts['fail'], counts['skip'])
PYEOF
done

# The EC2 access log: "... CloudController:Action <status> [agent] ..."
ERRORS_5XX=$(cat "$STATE"/*.log "$STATE/nova-all.out" 2>/dev/null \
    | grep -cE 'Controller:[A-Za-z0-9]* 5[0-9][0-9] ')
ELAPSED=$(( $(date +%s) - START ))
"$PY" - "$RESULTS" "$MIN_PASSES" "$ERRORS_5XX" "$ELAPSED" <<'PYEOF'
import json, sys
path, minimum, errors, elapsed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
total = {'passed': 0, 'failed': 0, 'skipped': 0}
print('%-32s %6s %6s %6s' % ('module', 'pass', 'fail', 'skip'))
for line in open(path):
    module, ok, bad, skip = line.split()
    print('%-32s %6s %6s %6s' % (module, ok, bad, skip))
    total['passed'] += int(ok)
    total['failed'] += int(bad)
    total['skipped'] += int(skip)
total.update({'min_passes': minimum, 'server_errors_5xx': errors,
              'seconds': elapsed})
print(json.dumps(total))
PYEOF
PASSED=$(awk '{s+=$2} END {print s+0}' "$RESULTS")
status=0
if [ "$ERRORS_5XX" -gt 0 ]; then
    echo "FAIL: the cloud answered $ERRORS_5XX request(s) with a 5xx" >&2
    status=1
fi
if [ "$PASSED" -lt "$MIN_PASSES" ]; then
    echo "FAIL: $PASSED tests passed, fewer than the recorded $MIN_PASSES" >&2
    status=1
fi
exit $status
