#!/bin/sh
# udhcpc event script of the nova test guest: apply the lease to $interface.
case "$1" in
    deconfig)
        ip -4 addr flush dev "$interface"
        ip link set "$interface" up
        ;;
    bound|renew)
        ip -4 addr flush dev "$interface"
        ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
        if [ -n "$router" ]; then
            for r in $router; do
                route add default gw "$r" dev "$interface" 2>/dev/null && break
            done
        fi
        ;;
esac
exit 0
