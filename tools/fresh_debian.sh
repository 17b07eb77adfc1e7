#!/usr/bin/env bash
# A newcomer's machine: README's set-up commands on a brand-new minimal
# Debian 12 (python3, git and ca-certificates, nothing else) holding a fresh
# clone of this checkout's HEAD.  Inside it, as root, in a chroot with its
# own PID and mount namespaces and a clean environment:
#
#   cloud   ./run_cloud.sh serves the EC2 API, without a compiler or
#           libvirt (gcc, pkg-config, libvirt-dev stay uninstalled), and the
#           lines it prints work pasted into a new shell (aws, nova-manage)
#   tests   ./run_tests.sh tests/unit (it apt-installs what unit tests
#           need first: the venv and libvirt-python's build packages)
#   install tools/install_deps.sh: every package of
#           tools/debian-packages.txt and .[test], as ./run_tests.sh does
#           for the whole suite (not a default step: a few minutes more)
#
#   sudo tools/fresh_debian.sh [--keep] [--ubuntu] [cloud] [tests] [install]
#                                          (default: cloud and tests)
#
# --ubuntu does the same on a brand-new minimal Ubuntu 24.04 ("noble",
# main + universe, with -updates and -security).  Its archive key comes
# from the ubuntu-keyring package, fetched once and checked against the
# SHA-256 that Ubuntu's own signed package index publishes for it.
#
# Needs root and mmdebstrap (installed through apt when missing).  Cached
# under /var/cache/nova-fresh-debian (NOVA_FRESH_CACHE): the base root (a
# tarball, built once), downloaded .deb files and pip's cache (wheels).
# Installed state is never cached: every run starts from the bare base.
# As in Debian's container images, packages installed in the root do not
# start services (policy-rc.d): the machine's own RabbitMQ, PostgreSQL and
# MariaDB on 127.0.0.1 are reachable, as on any host (same network).
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
SUITE=bookworm
CACHE=${NOVA_FRESH_CACHE:-/var/cache/nova-fresh-debian}
KEEP=
STEPS=
for arg in "$@"; do
    case "$arg" in
        --keep) KEEP=1 ;;
        --ubuntu) SUITE=noble ;;
        cloud | tests | install) STEPS="$STEPS $arg" ;;
        *) echo "usage: tools/fresh_debian.sh [--keep] [--ubuntu] [cloud] [tests] [install]" >&2
           exit 2 ;;
    esac
done
STEPS=${STEPS:- cloud tests}
BASE=$CACHE/$SUITE-minbase.tar
# Each distribution keeps its own downloaded .deb files.
ARCHIVES=$CACHE/apt-archives
[ "$SUITE" = bookworm ] || ARCHIVES=$CACHE/apt-archives-$SUITE
UBUNTU=http://archive.ubuntu.com/ubuntu
UBUNTU_SECURITY=http://security.ubuntu.com/ubuntu
UBUNTU_KEYRING_DEB=pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb
UBUNTU_KEYRING_SHA256=36de43b15853ccae0028e9a767613770c704833f82586f28eb262f0311adb8a8

say() { echo "fresh_debian: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
    say "needs root (a chroot, mount and PID namespaces): sudo $0 $*"
    exit 2
fi
if ! command -v mmdebstrap >/dev/null; then
    say "installing mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap >&2 || {
        say "cannot install mmdebstrap; as root run: apt-get install mmdebstrap"
        exit 2
    }
fi
mkdir -p "$ARCHIVES/partial" "$CACHE/pip"
START=$(date +%s)

# Ubuntu's archive key (a Debian host has none): the keyring package,
# accepted only with the pinned checksum.
ubuntu_keyring() {
    local keyring=$CACHE/ubuntu-archive-keyring.gpg tmp
    if [ ! -s "$keyring" ]; then
        command -v curl >/dev/null || {
            say "fetching Ubuntu's keyring needs curl: apt-get install curl"
            return 1
        }
        tmp=$(mktemp -d)
        curl -fsS -o "$tmp/keyring.deb" "$UBUNTU/$UBUNTU_KEYRING_DEB" || {
            rm -rf "$tmp"
            say "cannot download Ubuntu's keyring package from $UBUNTU"
            return 1
        }
        if ! echo "$UBUNTU_KEYRING_SHA256  $tmp/keyring.deb" |
                sha256sum --check --quiet; then
            rm -rf "$tmp"
            say "Ubuntu's keyring package has an unexpected checksum"
            return 1
        fi
        dpkg-deb -x "$tmp/keyring.deb" "$tmp/x"
        cp "$tmp/x/usr/share/keyrings/ubuntu-archive-keyring.gpg" "$keyring"
        rm -rf "$tmp"
    fi
    echo "$keyring"
}

# The base root: built once (about half a minute), under a lock so that
# two runs do not build it together.
(
    flock 9
    if [ ! -s "$BASE" ]; then
        say "building the $SUITE base root (once)"
        rm -f "$BASE.new"
        if [ "$SUITE" = bookworm ]; then
            mmdebstrap --quiet --variant=minbase --components=main \
                --include=python3,git,ca-certificates \
                --format=tar "$SUITE" "$BASE.new" >&2
        else
            keyring=$(ubuntu_keyring) || exit 1
            # Ubuntu's apt is "important", not "required": a minbase root
            # lacks it, which no Ubuntu machine (nor its container image) does.
            mmdebstrap --quiet --variant=minbase --keyring="$keyring" \
                --include=apt,python3,git,ca-certificates \
                --format=tar "$SUITE" "$BASE.new" \
                "deb $UBUNTU $SUITE main universe" \
                "deb $UBUNTU $SUITE-updates main universe" \
                "deb $UBUNTU_SECURITY $SUITE-security main universe" >&2
        fi
        mv "$BASE.new" "$BASE"
    fi
) 9> "$CACHE/base.lock"

R=$(mktemp -d /var/tmp/nova-fresh-debian.XXXXXX)
cleanup() {
    if [ -n "$KEEP" ]; then
        say "kept the root $R"
    else
        rm -rf --one-file-system "$R"
    fi
}
trap cleanup EXIT
tar -C "$R" -xf "$BASE"

# This machine's way to the registries, as any host of it has: name
# resolution, CA certificates, apt sources and settings, pip's settings.
cp /etc/resolv.conf /etc/hosts "$R/etc/"
cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/"
cp -a /usr/local/share/ca-certificates/. \
    "$R/usr/local/share/ca-certificates/" 2>/dev/null || true
if [ "$SUITE" = bookworm ] && ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    rm -f "$R/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/*.sources "$R/etc/apt/sources.list.d/"
fi
for conf in /etc/apt/apt.conf.d/*; do
    # Container images' clean-ups would empty the .deb cache.
    case "${conf##*/}" in docker-*) continue ;; esac
    cp "$conf" "$R/etc/apt/apt.conf.d/"
done
[ ! -f /etc/pip.conf ] || cp /etc/pip.conf "$R/etc/"
if [ -d /etc/xdg/pip ]; then
    mkdir -p "$R/etc/xdg"
    cp -a /etc/xdg/pip "$R/etc/xdg/"
fi
# No service starts inside (exit 101: "action forbidden"); dpkg need not
# fsync a root that is thrown away.
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
chmod +x "$R/usr/sbin/policy-rc.d"
echo force-unsafe-io > "$R/etc/dpkg/dpkg.cfg.d/nova-fresh-unsafe-io"
mkdir -p "$R/root/.cache/pip"
git clone -q "$SRC" "$R/root/nova"
say "fresh root with $(git -C "$R/root/nova" log -1 --format='%h %s')"

# What runs inside, as the newcomer types it.
cat > "$R/root/fresh-check.sh" <<'CHECK'
set -u
cd /root/nova
fail() { echo "fresh_debian: FAIL: $*" >&2; exit 1; }
elapsed() { echo "fresh_debian: $1 in $(( $(date +%s) - $2 ))s" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_cloud() {
    local t0 p cloud i pkg
    t0=$(date +%s)
    p=$((20000 + RANDOM % 20000))
    while port_open "$p" || port_open $((p + 1)) || port_open $((p + 2)); do
        p=$((20000 + RANDOM % 20000))
    done
    echo "fresh_debian: ./run_cloud.sh (EC2 API on port $p)" >&2
    NOVA_EC2_PORT=$p NOVA_OSAPI_PORT=$((p + 1)) NOVA_S3_PORT=$((p + 2)) \
        ./run_cloud.sh > /root/cloud.log 2>&1 &
    cloud=$!
    for i in $(seq 1 900); do
        port_open "$p" && grep -q '^Press Ctrl-C' /root/cloud.log && break
        kill -0 "$cloud" 2>/dev/null || break
        sleep 1
    done
    if ! port_open "$p"; then
        tail -n 30 /root/cloud.log >&2
        fail "./run_cloud.sh did not serve the EC2 API"
    fi
    elapsed "./run_cloud.sh served the EC2 API" "$t0"
    ! grep -n 'Traceback' /root/cloud.log >&2 || \
        fail "./run_cloud.sh printed a traceback"
    for pkg in gcc pkg-config libvirt-dev; do
        ! dpkg -s "$pkg" >/dev/null 2>&1 || \
            fail "./run_cloud.sh installed $pkg (it needs no compiler)"
    done
    # Its printed lines, pasted into a new shell, and the demo image.
    sed -n '/^Use it from another shell/,/^Press Ctrl-C/p' /root/cloud.log |
        sed -e '1d' -e '$d' -e '/^$/d' > /root/pasted.sh
    [ -s /root/pasted.sh ] || fail "./run_cloud.sh printed no lines to use"
    echo 'aws ec2 describe-images --query "Images[].ImageId" --output text |' \
         'grep -w "$NOVA_IMAGE"' >> /root/pasted.sh
    sed 's/^/  $ /' /root/pasted.sh >&2
    timeout 300 env -i HOME=/root LANG=C.UTF-8 \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -e /root/pasted.sh > /root/pasted.log 2>&1 || {
        tail -n 30 /root/pasted.log >&2
        fail "./run_cloud.sh's printed lines failed in a new shell"
    }
    kill -TERM "$cloud"
    wait "$cloud" 2>/dev/null
    elapsed "OK: ./run_cloud.sh serves and its printed lines work" "$t0"
}

check_tests() {
    local t0
    t0=$(date +%s)
    echo "fresh_debian: ./run_tests.sh tests/unit" >&2
    # Bounded: a test hung in a green hub never reaches pytest-timeout.
    timeout --kill-after=10 1800 ./run_tests.sh tests/unit \
        > /root/tests.log 2>&1 || {
        tail -n 60 /root/tests.log >&2
        fail "./run_tests.sh tests/unit failed (or ran over 30 minutes)"
    }
    tail -n 1 /root/tests.log >&2
    elapsed "OK: ./run_tests.sh tests/unit" "$t0"
}

check_install() {
    local t0
    t0=$(date +%s)
    echo "fresh_debian: tools/install_deps.sh (everything)" >&2
    timeout 1800 tools/install_deps.sh > /root/install.log 2>&1 || {
        tail -n 40 /root/install.log >&2
        fail "tools/install_deps.sh failed"
    }
    .venv/bin/python -c 'import libvirt, selenium, keystonemiddleware' || \
        fail "the venv lacks what the whole suite imports"
    elapsed "OK: tools/install_deps.sh installs everything" "$t0"
}

for step in "$@"; do
    "check_$step" || exit 1
done
CHECK

status=0
# shellcheck disable=SC2016,SC2086 # expanded inside; one step per word
unshare --mount --pid --fork --kill-child -- bash -c '
    set -e
    R=$1 CACHE=$2 ARCHIVES=$3; shift 3
    mount --rbind /dev "$R/dev"
    mount -t proc proc "$R/proc"
    mount --rbind /sys "$R/sys"
    mount -t tmpfs tmpfs "$R/tmp"
    mount --bind "$ARCHIVES" "$R/var/cache/apt/archives"
    mount --bind "$CACHE/pip" "$R/root/.cache/pip"
    exec chroot "$R" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        bash /root/fresh-check.sh "$@"' _ "$R" "$CACHE" "$ARCHIVES" $STEPS || status=$?
say "done in $(( $(date +%s) - START ))s"
exit $status
