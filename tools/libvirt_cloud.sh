#!/usr/bin/env bash
# The --libvirt half of run_cloud.sh: real QEMU guests, the whole cloud in
# its own network namespace (see tools/cloud_netns.py).
#
#   libvirt_cloud.sh check PY STATE NETNS     refuse, saying why, or return
#   libvirt_cloud.sh conf  PY STATE NETNS     the flags added to nova.conf
#   libvirt_cloud.sh run   PY STATE NETNS CONF PORTS NOVARC
#                          namespace + libvirtd + relays, nova-all in the
#                          namespace until Ctrl-C or --stop, then clean up
#   libvirt_cloud.sh stop  PY STATE NETNS     stop it from another shell
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
CMD=$1 PY=$2 STATE=$3 NETNS=$4

virt_type() {
    if [ -n "${NOVA_LIBVIRT_TYPE:-}" ]; then
        echo "$NOVA_LIBVIRT_TYPE"
    elif runuser -u libvirt-qemu -- "$PY" -c \
            'import os; os.close(os.open("/dev/kvm", os.O_RDWR))' \
            2>/dev/null; then
        # QEMU runs as libvirt-qemu: KVM only when that user may open it.
        echo kvm
    else
        echo qemu
    fi
}

iscsi_parts() {
    # tgtd exports the volumes, QEMU's iSCSI block module attaches them.
    command -v tgtd >/dev/null && command -v tgtadm >/dev/null &&
        compgen -G '/usr/lib/*/qemu/block-iscsi.so' >/dev/null
}

all_pid() {
    local pid
    pid=$(cat "$STATE/nova-all.pid" 2>/dev/null) || return 1
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

stop_all() {
    local pid
    if pid=$(all_pid); then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/nova-all.pid"
    "$PY" tools/cloud_netns.py down --state "$STATE" --netns "$NETNS"
}

case "$CMD" in
check)
    if [ "$(id -u)" != 0 ]; then
        echo "run_cloud.sh --libvirt needs root (a network namespace," \
             "libvirtd and QEMU)" >&2
        exit 1
    fi
    for tool in ip unshare libvirtd virtlogd qemu-system-x86_64 qemu-img \
                debugfs dpkg-deb; do
        command -v "$tool" >/dev/null || {
            echo "run_cloud.sh --libvirt: $tool is missing; install the" \
                 "[libvirt] packages of tools/debian-packages.txt" \
                 "(tools/install_deps.sh --libvirt)" >&2
            exit 1
        }
    done
    "$PY" -c 'import libvirt' 2>/dev/null || {
        echo "run_cloud.sh --libvirt: libvirt-python is not installed in" \
             "the virtualenv (tools/install_deps.sh --libvirt)" >&2
        exit 1
    }
    if all_pid >/dev/null; then
        echo "run_cloud.sh --libvirt: a cloud already runs from $STATE" \
             "(./run_cloud.sh --stop)" >&2
        exit 1
    fi
    # QEMU runs as libvirt-qemu: it must reach the instance directories.
    dir=$(dirname "$STATE")
    while [ "$dir" != / ]; do
        if [ "$(( 0$(stat -c %a "$dir") & 1 ))" = 0 ]; then
            echo "run_cloud.sh --libvirt: QEMU (user libvirt-qemu) cannot" \
                 "enter $dir; chmod o+x it or set NOVA_STATE elsewhere" >&2
            exit 1
        fi
        dir=$(dirname "$dir")
    done
    ;;
conf)
    cat <<CONF
# real guests (run_cloud.sh --libvirt), nova-all in the namespace $NETNS
--libvirt_type=$(virt_type)
--libvirt_uri=$("$PY" -c 'import sys; sys.path.insert(0, "tools"); import cloud_netns; print(cloud_netns.libvirt_uri(sys.argv[1]))' "$STATE")
--libvirt_use_virtio_for_bridges
--flat_network_bridge=br100
--flat_injected
--flat_network_dns=10.0.0.1
--use_forwarded_for
--vncserver_host=127.0.0.1
CONF
    if iscsi_parts; then
        cat <<CONF
# Volumes: sparse files under $STATE/volumes, exported by the cloud's own
# tgtd in $NETNS (its portal 127.0.0.1:3260 there, where QEMU attaches them)
--volume_driver=nova.volume.driver.ISCSIDriver
--volume_storage=file
--volumes_path=$STATE/volumes
--iscsi_helper=tgtadm
--iscsi_ip_address=127.0.0.1
--iscsi_port=3260
CONF
    else
        cat <<CONF
# tgt or qemu-block-extra (QEMU's iSCSI client) is not installed: volumes
# are records only (create/attach/detach work through the API, no guest
# sees a disk); install both and start afresh.
--volume_driver=nova.volume.driver.FakeISCSIDriver
CONF
    fi
    ;;
run)
    CONF=$5 PORTS=$6 NOVARC=$7
    chmod o+x "$STATE"
    # A namespace left by a cloud that did not stop (kill -9, reboot).
    "$PY" tools/cloud_netns.py down --state "$STATE" --netns "$NETNS"
    trap 'trap - EXIT INT TERM; stop_all' EXIT
    trap 'exit 130' INT TERM
    TGTD=
    VOLUMES="volumes are records only (FakeISCSIDriver in $CONF)"
    if grep -q '^--volume_driver=nova.volume.driver.ISCSIDriver$' "$CONF"; then
        # nova-volume's tgtadm reaches the cloud's tgtd via TGT_IPC_SOCKET.
        TGTD=--tgtd
        VOLUMES="volumes are iSCSI targets of the cloud's own tgtd"
        TGT_IPC_SOCKET=$("$PY" tools/cloud_netns.py tgt-socket --state "$STATE")
        export TGT_IPC_SOCKET
    fi
    "$PY" tools/cloud_netns.py up --state "$STATE" --netns "$NETNS" \
        --ports "$PORTS" $TGTD
    ip netns exec "$NETNS" "$PY" "$ROOT/bin/nova-all" --flagfile="$CONF" &
    echo $! > "$STATE/nova-all.pid"
    IFS=, read -r EC2_PORT OS_PORT _S3 VNC_PORT DASH_PORT <<<"$PORTS"
    cat <<TXT

Nova (Diablo 2011.3) is starting with real guests: libvirt_type=$(sed -n \
's/^--libvirt_type=//p' "$CONF"), the whole cloud in the network namespace
$NETNS (bridge br100, 10.0.0.1/24), its APIs relayed to this machine's
loopback; $VOLUMES.
  EC2 API:        http://127.0.0.1:$EC2_PORT/services/Cloud
  OpenStack API:  http://127.0.0.1:$OS_PORT/v1.1/
  Dashboard:      http://127.0.0.1:$DASH_PORT/  (user and key: NOVA_USERNAME, NOVA_API_KEY in novarc)
  VNC consoles:   http://127.0.0.1:$VNC_PORT/vnc.html  (noVNC, nova-vncproxy)
  State and logs: $STATE
These addresses are this machine's loopback (relayed into $NETNS); from
another computer tunnel them first, e.g. ssh -L $VNC_PORT:127.0.0.1:$VNC_PORT \
-L $DASH_PORT:127.0.0.1:$DASH_PORT this-machine.

Boot the test guest from another shell and read its console:
  . $NOVARC
  ID=\$(aws ec2 run-instances --image-id \$NOVA_IMAGE --instance-type m1.tiny --query 'Instances[0].InstanceId' --output text)
  aws ec2 wait instance-running --instance-ids \$ID
  aws ec2 get-console-output --instance-id \$ID --output text | grep NOVA-TEST-GUEST

See its screen in a browser: a console URL (with a fresh token, for this
instance only) from the dashboard's VNC button, or
  nova get-vnc-console \$((16#\${ID#i-})) novnc

Give it a volume (the guest sees it as /dev/vdb):
  VOL=\$(aws ec2 create-volume --size 1 --availability-zone nova --query VolumeId --output text)
  aws ec2 wait volume-available --volume-ids \$VOL
  aws ec2 attach-volume --volume-id \$VOL --instance-id \$ID --device /dev/vdb
  aws ec2 detach-volume --volume-id \$VOL
  aws ec2 terminate-instances --instance-ids \$ID

Press Ctrl-C here, or run ./run_cloud.sh --stop, to stop: the guests are
destroyed, libvirtd and tgtd stop and the namespace is deleted (volumes
stay in $STATE/volumes for the next start).
TXT
    wait "$(cat "$STATE/nova-all.pid")"
    ;;
stop)
    stop_all
    ;;
*)
    echo "libvirt_cloud.sh: unknown command $CMD" >&2
    exit 2
    ;;
esac
