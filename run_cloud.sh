#!/usr/bin/env bash
# Start the whole cloud on this machine with the embedded default: SQLite,
# the embedded message transport (files under the state directory, reached
# by nova-manage and any other nova daemon on this machine) and the fake
# hypervisor, all services in one process (nova-all).  Nova runs from the
# project virtualenv ./.venv, which tools/install_deps.sh --venv creates
# (installing python3-venv through apt when it is missing).
# The first run creates an admin user and project, a network, a demo image
# and EC2 credentials; every run prints how to use the cloud.
#
#   ./run_cloud.sh            state in ./.nova-state, EC2 API on port 8773
#   NOVA_STATE=/tmp/n NOVA_EC2_PORT=18773 ./run_cloud.sh
#
# With --libvirt (as root) the guests are real (tools/install_deps.sh
# --libvirt first installs QEMU, libvirt and libvirt-python): QEMU through
# a private libvirtd (KVM when /dev/kvm works, else TCG; NOVA_LIBVIRT_TYPE
# overrides), booting the test guest of tools/build_test_guest.py.  The
# whole cloud runs in the network namespace nova-cloud (NOVA_NETNS) with its
# own bridge, so no bridge, tap or iptables rule appears in the machine's
# own network; the APIs are relayed to 127.0.0.1 (tools/cloud_netns.py).
# State in ./.nova-state-libvirt.  Ctrl-C, or ./run_cloud.sh --stop from another
# shell, destroys the guests, stops libvirtd and deletes the namespace.
set -eu
cd "$(dirname "$0")"
ROOT=$PWD
MODE=fake
case "${1:-}" in
    "") ;;
    --libvirt) MODE=libvirt ;;
    --stop) MODE=stop ;;
    *) echo "usage: ./run_cloud.sh [--libvirt | --stop]" >&2; exit 2 ;;
esac
VENV=${NOVA_VENV:-$ROOT/.venv}
NETNS=${NOVA_NETNS:-nova-cloud}
if [ "$MODE" = fake ]; then
    STATE=${NOVA_STATE:-$ROOT/.nova-state}
else
    STATE=${NOVA_STATE:-$ROOT/.nova-state-libvirt}
fi
if [ "$MODE" = stop ]; then
    exec tools/libvirt_cloud.sh stop "$VENV/bin/python" "$STATE" "$NETNS"
fi
PY=$VENV/bin/python
if [ "$MODE" = libvirt ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "run_cloud.sh --libvirt needs root (a network namespace," \
             "libvirtd and QEMU): sudo ./run_cloud.sh --libvirt" >&2
        exit 1
    fi
    # QEMU, libvirtd, the namespace's tools and libvirt-python (built
    # here: libvirt-dev, gcc, pkg-config) -- tools/debian-packages.txt.
    tools/install_deps.sh --libvirt
    tools/libvirt_cloud.sh check "$PY" "$STATE" "$NETNS"
else
    # Only the virtualenv: Nova and the AWS CLI, no compiler, no libvirt.
    tools/install_deps.sh --venv
fi

EC2_PORT=${NOVA_EC2_PORT:-8773}
OS_PORT=${NOVA_OSAPI_PORT:-8774}
S3_PORT=${NOVA_S3_PORT:-3333}
VNC_PORT=${NOVA_VNCPROXY_PORT:-6080}
DASH_PORT=${NOVA_DASHBOARD_PORT:-8080}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
CONF=$STATE/nova.conf
CREDS=$STATE/creds

if [ ! -f "$CONF" ]; then
    cat > "$CONF" <<CONF
# nova.conf for a one-machine cloud (written by run_cloud.sh)
--state_path=$STATE
--sql_connection=sqlite:///$STATE/nova.sqlite
--fake_rabbit
--connection_type=$MODE
--network_manager=nova.network.manager.FlatManager
--image_service=nova.image.local.LocalImageService
--my_ip=127.0.0.1
--ec2_listen=127.0.0.1
--ec2_listen_port=$EC2_PORT
--ec2_port=$EC2_PORT
--osapi_listen=127.0.0.1
# the dashboard and the noVNC console proxy, on this machine only
--enabled_apis=ec2,osapi,dashboard
--dashboard_listen=127.0.0.1
--dashboard_listen_port=$DASH_PORT
--vncproxy_host=127.0.0.1
--vncproxy_port=$VNC_PORT
--vncproxy_url=http://127.0.0.1:$VNC_PORT
# the OpenStack API's admin actions and the dashboard's admin pages
--allow_admin_api
--osapi_listen_port=$OS_PORT
--osapi_port=$OS_PORT
--s3_port=$S3_PORT
--api_paste_config=$ROOT/etc/nova/api-paste.ini
--logdir=$STATE/logs
# after Ctrl-C and ./run_cloud.sh again, instances that ran run again
--resume_guests_state_on_host_boot
CONF
    if [ "$MODE" = libvirt ]; then
        tools/libvirt_cloud.sh conf "$PY" "$STATE" "$NETNS" >> "$CONF"
    fi
fi

manage() { "$PY" "$ROOT/bin/nova-manage" --flagfile="$CONF" "$@"; }

manage db sync >/dev/null
if [ ! -f "$CREDS/novarc" ]; then
    echo "First run: creating user 'admin', project 'admin', a network and a demo image"
    manage user exports admin >/dev/null 2>&1 || manage user admin admin >/dev/null
    manage project create admin admin "the first project" >/dev/null 2>&1 || true
    manage network list 2>/dev/null | grep -q " 10.0.0.0/24 " || \
        manage network create private 10.0.0.0/24 1 256 >/dev/null
    if [ "$MODE" = libvirt ]; then
        # The real test guest (built from Debian packages, cached).
        guest=$("$PY" tools/build_test_guest.py)
        field() { "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" <<<"$guest"; }
        set -- "$(field disk)" "$(field kernel)" "$(field ramdisk)" nova-test-guest
    else
        images=$STATE/demo-images
        mkdir -p "$images"
        head -c 65536 /dev/zero > "$images/vmlinuz"
        head -c 65536 /dev/zero > "$images/initrd"
        head -c 1048576 /dev/zero > "$images/disk.img"
        set -- "$images/disk.img" "$images/vmlinuz" "$images/initrd" demo
    fi
    manage image all_register "$1" "$2" "$3" admin "$4" | tail -n 1 | \
        sed -n 's/.*(\([0-9a-f]\{8\}\)).*/ami-\1/p' > "$STATE/demo-image-id"
    [ -s "$STATE/demo-image-id" ] || { echo "cannot register $4" >&2; exit 1; }
    mkdir -p "$CREDS"
    manage project zipfile admin admin "$CREDS/nova.zip" >/dev/null
    (cd "$CREDS" && "$PY" -m zipfile -e nova.zip .)
    IMAGE=$(cat "$STATE/demo-image-id")
    cat >> "$CREDS/novarc" <<RC

# Added by run_cloud.sh: this cloud's commands, flagfile and demo image.
export PATH="$VENV/bin:\$PATH"
export NOVA_FLAGFILE="$CONF"
export NOVA_IMAGE="$IMAGE"
RC
fi

IMAGE=$(cat "$STATE/demo-image-id")
if [ "$MODE" = libvirt ]; then
    exec tools/libvirt_cloud.sh run "$PY" "$STATE" "$NETNS" "$CONF" \
        "$EC2_PORT,$OS_PORT,$S3_PORT,$VNC_PORT,$DASH_PORT" "$CREDS/novarc"
fi
cat <<TXT

Nova (Diablo 2011.3) is starting on this machine.
  EC2 API:        http://127.0.0.1:$EC2_PORT/services/Cloud
  OpenStack API:  http://127.0.0.1:$OS_PORT/v1.1/
  Dashboard:      http://127.0.0.1:$DASH_PORT/  (user and key: NOVA_USERNAME, NOVA_API_KEY in novarc)
  State and logs: $STATE

Use it from another shell (novarc puts nova-manage, aws and nova on PATH):
  . $CREDS/novarc
  aws ec2 describe-images
  aws ec2 run-instances --image-id \$NOVA_IMAGE --instance-type m1.tiny --count 2
  aws ec2 describe-instances
  nova list
  nova-manage service list

Press Ctrl-C to stop.
TXT
exec "$PY" "$ROOT/bin/nova-all" --flagfile="$CONF"
