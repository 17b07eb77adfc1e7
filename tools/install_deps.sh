#!/usr/bin/env bash
# Make this checkout ready to run: the Debian packages it needs and the
# project virtualenv ./.venv with Nova installed.  Four modes, each the
# groups of tools/debian-packages.txt and the setup.py extras it needs:
#
#   tools/install_deps.sh            [venv] [build] [libvirt] [test]  .[test]
#                                    (./run_tests.sh: everything)
#   tools/install_deps.sh --venv     [venv]                   .[cloud]
#                                    (./run_cloud.sh: no compiler, no libvirt)
#   tools/install_deps.sh --libvirt  [venv] [build] [libvirt] .[cloud,libvirt]
#                                    (sudo ./run_cloud.sh --libvirt)
#   tools/install_deps.sh --unit     [venv] [build]           .[test]
#                                    (./run_tests.sh tests/unit: no services,
#                                    hypervisor or browser)
#
# --packages before a mode prints that mode's packages for this
# distribution (NOVA_DISTRO overrides /etc/os-release's ID) and exits.
#
# Idempotent and cheap when nothing is missing: a package is installed only
# when `dpkg -s` says it is absent (apt-get update runs once, first), and the
# virtualenv is (re)installed only when the stamp it keeps differs from the
# hash of setup.py (its requirements) and the Python version, or lacks an
# extra this mode needs.  When a package is missing and neither root nor
# sudo can install it, one line names it and the command that installs it.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${NOVA_VENV:-$ROOT/.venv}
PYTHON=${NOVA_PYTHON:-python3}
LIST=$ROOT/tools/debian-packages.txt
STAMP=$VENV/.nova-requirements

say() { echo "install_deps: $*" >&2; }

PRINT_ONLY=
if [ "${1:-}" = --packages ]; then
    PRINT_ONLY=1
    shift
fi
case "${1:-}" in
    "") GROUPS_WANTED="venv build libvirt test" EXTRAS="test" ;;
    --venv) GROUPS_WANTED="venv" EXTRAS="cloud" ;;
    --libvirt) GROUPS_WANTED="venv build libvirt" EXTRAS="cloud libvirt" ;;
    --unit) GROUPS_WANTED="venv build" EXTRAS="test" ;;
    *) echo "usage: tools/install_deps.sh [--packages] [--venv | --libvirt | --unit]" >&2
       exit 2 ;;
esac

# The packages of the given groups (lines before any [group] are [test]).
# This system's distribution (ID of /etc/os-release: debian, ubuntu...).
DISTRO=${NOVA_DISTRO:-$( (. /etc/os-release 2>/dev/null && echo "${ID:-debian}") || echo debian)}

# The packages of the given groups for this distribution: a line
# "pkg @debian" is a package only that distribution ships through apt.
listed_packages() {
    awk -v groups=" $* " -v distro="$DISTRO" '
        { sub(/#.*/, ""); gsub(/[[:space:]]/, "") }
        /^\[.*\]$/ { group = substr($0, 2, length($0) - 2); next }
        $0 != "" && index(groups, " " (group == "" ? "test" : group) " ") {
            n = split($0, part, "@")
            if (n == 1 || part[2] == distro) print part[1]
        }
    ' "$LIST"
}

# Packages of the given groups this distribution does not ship.
unshipped_packages() {
    awk -v groups=" $* " -v distro="$DISTRO" '
        { sub(/#.*/, ""); gsub(/[[:space:]]/, "") }
        /^\[.*\]$/ { group = substr($0, 2, length($0) - 2); next }
        $0 != "" && index(groups, " " (group == "" ? "test" : group) " ") {
            n = split($0, part, "@")
            if (n > 1 && part[2] != distro) printf "%s ", part[1]
        }
    ' "$LIST"
}

missing_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || echo "$pkg"
    done
}

# Run as root: directly, or through sudo; else fail naming the command.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        return 1
    fi
}

apt_install() {
    local cmd="apt-get install --no-install-recommends $*"
    if ! command -v apt-get >/dev/null; then
        say "not a Debian/Ubuntu system; install the equivalents of: $*"
        exit 1
    fi
    if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
        say "missing Debian packages; as root run: apt-get update && $cmd"
        exit 1
    fi
    say "installing Debian packages: $*"
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
       ! as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "$@" >&2; then
        say "could not install Debian packages; as root run: apt-get update && $cmd"
        exit 1
    fi
}

if [ -n "$PRINT_ONLY" ]; then
    # shellcheck disable=SC2086 # one group per word
    listed_packages $GROUPS_WANTED
    exit 0
fi

if command -v dpkg >/dev/null; then
    # shellcheck disable=SC2086 # one group per word
    wanted=$(listed_packages $GROUPS_WANTED)
    # shellcheck disable=SC2086 # one group per word
    unshipped=$(unshipped_packages $GROUPS_WANTED)
    [ -z "$unshipped" ] || say "$DISTRO ships no apt package for:" \
        "${unshipped% }; the tests that need them skip" \
        "(Ubuntu has Chromium only as a snap)"
    # shellcheck disable=SC2086 # one package per word
    missing=$(missing_packages $wanted)
    # shellcheck disable=SC2086
    [ -z "$missing" ] || apt_install $missing
    # Debian's slapd postinst starts a system slapd on port 389: the tests
    # run their own (tools/ldap/setup_slapd.sh), so keep that one stopped.
    case " $(echo $missing) " in
        *" slapd "*)
            as_root sh -c 'if command -v systemctl >/dev/null &&
                    [ -d /run/systemd/system ]; then
                systemctl disable --now slapd; else
                invoke-rc.d slapd stop; update-rc.d slapd disable; fi' \
                >/dev/null 2>&1 || true ;;
    esac
fi

# Before pip: what building libvirt-python (source only) needs, named in
# one line instead of a compiler's or pip's error.
check_libvirt_build() {
    local lacking=""
    command -v gcc >/dev/null || lacking="$lacking gcc"
    command -v pkg-config >/dev/null || lacking="$lacking pkg-config"
    if command -v pkg-config >/dev/null && ! pkg-config --exists libvirt; then
        lacking="$lacking libvirt-dev"
    fi
    "$PYTHON" -c 'import os, sysconfig, sys
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("include"), "Python.h")))' \
        || lacking="$lacking python3-dev"
    if [ -n "$lacking" ]; then
        say "libvirt-python is built from source and needs:$lacking;" \
            "install them (Debian/Ubuntu: apt-get install$lacking)"
        exit 1
    fi
}

if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    say "$PYTHON cannot create a virtualenv; as root run: apt-get install python3-venv"
    exit 1
fi

stamp() {
    {
        cat "$ROOT/setup.py"
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
}

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
    say "creating the virtualenv $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi
# The stamp: the requirements' hash, then the extras installed with them.
current=$(stamp)
{ read -r old_hash; read -r old_extras; } 2>/dev/null < "$STAMP" || true
have=""
[ "${old_hash:-}" != "$current" ] || have=${old_extras:-}
need=""
for extra in $EXTRAS; do
    case " $have " in *" $extra "*) ;; *) need="$need $extra" ;; esac
done
if [ -n "$need" ]; then
    all=$(echo $have $EXTRAS | tr ' ' '\n' | sort -u | tr '\n' ' ')
    all=${all% }
    case " $all " in
        *" libvirt "* | *" test "*) check_libvirt_build ;;
    esac
    say "installing Nova and its requirements ($all) into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -e "$ROOT[$(echo "$all" | tr ' ' ',')]" >&2
    printf '%s\n%s\n' "$current" "$all" > "$STAMP"
fi
