#!/usr/bin/env bash
# Install Nova on this host as a system service, the way an operator runs it:
#
#   sudo tools/install_host.sh [--prefix /opt/nova] [--with-libvirt]
#
# * Nova in a virtualenv under --prefix (default /opt/nova), its commands
#   linked into /usr/local/bin (nova-manage, nova-api, ...);
# * the system user and group `nova` (home /var/lib/nova, no login shell),
#   in the groups `libvirt`/`kvm` when they exist (compute hosts);
# * /etc/nova (root:nova 0750) with nova.conf (from etc/nova/nova.conf.sample
#   unless one exists) and api-paste.ini; /var/lib/nova and /var/log/nova
#   (nova:nova 0750);
# * systemd units /etc/systemd/system/nova-*.service (User=nova,
#   --flagfile=/etc/nova/nova.conf), /etc/logrotate.d/nova, and
#   /etc/sudoers.d/nova so that the daemons' --root_helper=sudo works;
# * the operator documentation in <prefix>/share/doc/nova.
#
# It starts nothing: enable the services this host runs, e.g.
#   systemctl enable --now nova-api nova-scheduler nova-network
#   systemctl enable --now nova-compute
# after `nova-manage db sync` once per cloud.  Running it again upgrades Nova
# and keeps nova.conf.  DESTDIR=/some/dir stages the files under that
# directory instead (no user, no ownership, no systemctl); --no-venv skips
# the virtualenv (packaging, tests).
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
PREFIX=/opt/nova
EXTRAS=
VENV=yes
DESTDIR=${DESTDIR:-}

while [ $# -gt 0 ]; do
    case $1 in
        --prefix) PREFIX=$2; shift 2 ;;
        --prefix=*) PREFIX=${1#*=}; shift ;;
        --with-libvirt) EXTRAS='[libvirt]'; shift ;;
        --no-venv) VENV=no; shift ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "install_host.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
    echo "install_host.sh: run it as root (or set DESTDIR to stage)" >&2
    exit 1
fi

D=$DESTDIR
owned() {           # owned MODE OWNER:GROUP DIR... (ownership only for real)
    local mode=$1 owner=$2; shift 2
    if [ -z "$D" ]; then
        install -d -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$@"
    else
        install -d -m "$mode" "$@"
    fi
}

if [ -z "$D" ]; then
    getent group nova >/dev/null || groupadd --system nova
    if ! id nova >/dev/null 2>&1; then
        useradd --system --gid nova --home-dir /var/lib/nova \
            --shell /usr/sbin/nologin --comment "OpenStack Nova" nova
    fi
    for group in libvirt kvm disk; do
        getent group "$group" >/dev/null && usermod -a -G "$group" nova
    done
fi

owned 0750 root:nova "$D/etc/nova"
owned 0750 nova:nova "$D/var/lib/nova" "$D/var/log/nova"
install -d "$D/etc/systemd/system" "$D/etc/logrotate.d" "$D/etc/sudoers.d" \
    "$D/usr/local/bin" "$D$PREFIX/share/doc/nova"

conf_file() {       # conf_file SOURCE NAME: install unless already there
    if [ ! -f "$D/etc/nova/$2" ]; then
        install -m 0640 "$1" "$D/etc/nova/$2"
        [ -n "$D" ] || chgrp nova "$D/etc/nova/$2"
    fi
}
conf_file etc/nova/nova.conf.sample nova.conf
conf_file etc/nova/api-paste.ini api-paste.ini

if [ "$VENV" = yes ]; then
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        apt-get update -q && apt-get install -y -q python3-venv
    fi
    [ -x "$D$PREFIX/bin/python" ] || python3 -m venv "$D$PREFIX"
    "$D$PREFIX/bin/python" -m pip install --quiet --upgrade "$ROOT$EXTRAS"
    for cmd in "$D$PREFIX"/bin/nova-*; do
        ln -sf "$PREFIX/bin/$(basename "$cmd")" "$D/usr/local/bin/"
    done
fi

for unit in etc/systemd/nova-*.service; do
    sed "s|/opt/nova|$PREFIX|g" "$unit" \
        > "$D/etc/systemd/system/$(basename "$unit")"
    chmod 0644 "$D/etc/systemd/system/$(basename "$unit")"
done
install -m 0644 etc/logrotate.d/nova "$D/etc/logrotate.d/nova"
install -m 0644 doc/*.rst "$D$PREFIX/share/doc/nova/"
cat > "$D/etc/sudoers.d/nova" <<'SUDO'
# Nova's daemons run host commands through --root_helper=sudo.
Defaults:nova !requiretty
nova ALL = (root) NOPASSWD: ALL
SUDO
chmod 0440 "$D/etc/sudoers.d/nova"

if [ -z "$D" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
fi
echo "Nova installed in $PREFIX; configure $D/etc/nova/nova.conf, run" \
     "'nova-manage db sync' once, then 'systemctl enable --now nova-<service>'."
