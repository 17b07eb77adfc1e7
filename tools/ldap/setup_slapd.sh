#!/usr/bin/env bash
# A private slapd (Debian's openldap) holding the nova LDAP schema, for
# --auth_driver=nova.auth.ldapdriver.LdapDriver -- what Diablo's
# nova/auth/slap.sh did, without touching the system slapd: its own
# cn=config directory, its own MDB database directory, its own port.
#
#   tools/ldap/setup_slapd.sh start DIR [PORT] [SUFFIX] [PASSWORD]
#   tools/ldap/setup_slapd.sh stop DIR
#
# start: (re)creates DIR (config in DIR/slapd.d, data in DIR/data), loads
# core, cosine, inetorgperson and etc/nova/nova_openldap.ldif, adds the
# suffix with ou=Users and ou=Groups, starts slapd on ldap://127.0.0.1:PORT
# (default 38900) and prints the nova.conf flags that point at it.
# Everything in DIR is SCRUBBED.  stop: stops that slapd (DIR is kept).
# Needs: apt-get install slapd ldap-utils (tools/debian-packages.txt).
set -euo pipefail

usage() {
    echo "usage: $0 start DIR [PORT] [SUFFIX] [PASSWORD] | stop DIR" >&2
    exit 2
}

[ $# -ge 2 ] || usage
ACTION=$1
DIR=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCHEMA_DIR=${SLAPD_SCHEMA_DIR:-/etc/ldap/schema}
MODULE_DIR=${SLAPD_MODULE_DIR:-/usr/lib/ldap}
SLAPD=${SLAPD:-$(command -v slapd || echo /usr/sbin/slapd)}
SLAPADD=${SLAPADD:-$(command -v slapadd || echo /usr/sbin/slapadd)}

stop_slapd() {
    local pid
    [ -f "$DIR/slapd.pid" ] || return 0
    pid=$(cat "$DIR/slapd.pid")
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/slapd.pid"
}

case "$ACTION" in
    stop) stop_slapd; exit 0 ;;
    start) ;;
    *) usage ;;
esac

PORT=${3:-38900}
SUFFIX=${4:-dc=example,dc=com}
PASSWORD=${5:-changeme}
MANAGER="cn=Manager,$SUFFIX"
DC=$(echo "$SUFFIX" | sed -e 's/^dc=//' -e 's/,.*//')

for tool in "$SLAPD" "$SLAPADD"; do
    if [ ! -x "$tool" ]; then
        echo "$0: $tool not found: apt-get install slapd ldap-utils" >&2
        exit 1
    fi
done

stop_slapd
rm -rf "$DIR/slapd.d" "$DIR/data" "$DIR/config.ldif" "$DIR/base.ldif"
mkdir -p "$DIR/slapd.d" "$DIR/data"
chmod 700 "$DIR"

{
    cat <<CONFIG
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $DIR/slapd.pid
olcArgsFile: $DIR/slapd.args

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $MODULE_DIR
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

CONFIG
    for schema in core cosine inetorgperson; do
        cat "$SCHEMA_DIR/$schema.ldif"
        echo
    done
    grep -v '^#' "$ROOT/etc/nova/nova_openldap.ldif"
    cat <<CONFIG

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $SUFFIX
olcRootDN: $MANAGER
olcRootPW: $PASSWORD
olcDbDirectory: $DIR/data
olcDbMaxSize: 104857600
olcDbIndex: objectClass eq
olcDbIndex: cn,uid eq
olcDbIndex: member eq
olcDbIndex: accessKey eq
olcAccess: {0}to * by self write by * none
CONFIG
} > "$DIR/config.ldif"

cat > "$DIR/base.ldif" <<BASE
dn: $SUFFIX
objectClass: dcObject
objectClass: organization
dc: $DC
o: $DC

dn: ou=Users,$SUFFIX
objectClass: organizationalUnit
ou: Users

dn: ou=Groups,$SUFFIX
objectClass: organizationalUnit
ou: Groups
BASE

"$SLAPADD" -q -n 0 -F "$DIR/slapd.d" -l "$DIR/config.ldif"
"$SLAPADD" -q -F "$DIR/slapd.d" -b "$SUFFIX" -l "$DIR/base.ldif"

URL="ldap://127.0.0.1:$PORT"
"$SLAPD" -F "$DIR/slapd.d" -h "$URL/"
for _ in $(seq 100); do
    [ -s "$DIR/slapd.pid" ] && break
    sleep 0.1
done
if [ ! -s "$DIR/slapd.pid" ]; then
    echo "$0: slapd did not start on $URL" >&2
    exit 1
fi

cat <<FLAGS
--auth_driver=nova.auth.ldapdriver.LdapDriver
--ldap_url=$URL
--ldap_user_dn=$MANAGER
--ldap_password=$PASSWORD
--ldap_user_subtree=ou=Users,$SUFFIX
--ldap_project_subtree=ou=Groups,$SUFFIX
--role_project_subtree=ou=Groups,$SUFFIX
--ldap_cloudadmin=cn=cloudadmins,ou=Groups,$SUFFIX
--ldap_itsec=cn=itsec,ou=Groups,$SUFFIX
--ldap_sysadmin=cn=sysadmins,ou=Groups,$SUFFIX
--ldap_netadmin=cn=netadmins,ou=Groups,$SUFFIX
--ldap_developer=cn=developers,ou=Groups,$SUFFIX
FLAGS
