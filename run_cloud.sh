#!/usr/bin/env bash
# Start the whole cloud on this machine with the embedded default: SQLite,
# the in-process message queue and the fake hypervisor, all in one process
# (nova-all).  The first run creates an admin user and project, a network,
# a demo image and EC2 credentials; every run prints how to use the cloud.
#
#   ./run_cloud.sh            state in ./.nova-state, EC2 API on port 8773
#   NOVA_STATE=/tmp/n NOVA_EC2_PORT=18773 ./run_cloud.sh
set -eu
cd "$(dirname "$0")"
ROOT=$PWD
tools/install_deps.sh

STATE=${NOVA_STATE:-$ROOT/.nova-state}
EC2_PORT=${NOVA_EC2_PORT:-8773}
OS_PORT=${NOVA_OSAPI_PORT:-8774}
S3_PORT=${NOVA_S3_PORT:-3333}
CONF=$STATE/nova.conf
CREDS=$STATE/creds
mkdir -p "$STATE"

if [ ! -f "$CONF" ]; then
    cat > "$CONF" <<CONF
# nova.conf for a one-machine cloud (written by run_cloud.sh)
--state_path=$STATE
--sql_connection=sqlite:///$STATE/nova.sqlite
--fake_rabbit
--connection_type=fake
--network_manager=nova.network.manager.FlatManager
--image_service=nova.image.local.LocalImageService
--my_ip=127.0.0.1
--ec2_listen=127.0.0.1
--ec2_listen_port=$EC2_PORT
--ec2_port=$EC2_PORT
--osapi_listen=127.0.0.1
--osapi_listen_port=$OS_PORT
--osapi_port=$OS_PORT
--s3_port=$S3_PORT
--api_paste_config=$ROOT/etc/nova/api-paste.ini
--logdir=$STATE/logs
CONF
fi

manage() { python3 "$ROOT/bin/nova-manage" --flagfile="$CONF" "$@"; }

manage db sync >/dev/null
if ! manage user exports admin >/dev/null 2>&1 || \
        manage user exports admin | grep -q "doesn't exist"; then
    echo "First run: creating user 'admin', project 'admin', a network and a demo image"
    manage user admin admin >/dev/null
    manage project create admin admin "the first project" >/dev/null
    manage network create private 10.0.0.0/24 1 256 >/dev/null
    images=$STATE/demo-images
    mkdir -p "$images"
    head -c 65536 /dev/zero > "$images/vmlinuz"
    head -c 65536 /dev/zero > "$images/initrd"
    head -c 1048576 /dev/zero > "$images/disk.img"
    manage image all_register "$images/disk.img" "$images/vmlinuz" \
        "$images/initrd" admin demo | tail -n 1 | \
        sed -n 's/.*(\([0-9a-f]\{8\}\)).*/ami-\1/p' > "$STATE/demo-image-id"
    mkdir -p "$CREDS"
    manage project zipfile admin admin "$CREDS/nova.zip" >/dev/null
    (cd "$CREDS" && python3 -m zipfile -e nova.zip .)
fi

IMAGE=$(cat "$STATE/demo-image-id" 2>/dev/null || echo ami-00000003)
cat <<TXT

Nova (Diablo 2011.3) is starting on this machine.
  EC2 API:        http://127.0.0.1:$EC2_PORT/services/Cloud
  OpenStack API:  http://127.0.0.1:$OS_PORT/
  State and logs: $STATE

Use it from another shell:
  . $CREDS/novarc
  aws ec2 describe-images
  aws ec2 run-instances --image-id $IMAGE --instance-type m1.tiny --count 2
  aws ec2 describe-instances
  python3 $ROOT/bin/nova-manage --flagfile=$CONF service list

Press Ctrl-C to stop.
TXT
exec python3 "$ROOT/bin/nova-all" --flagfile="$CONF"
