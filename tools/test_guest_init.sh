#!/bin/busybox sh
# /init of the nova test guest (tools/build_test_guest.py puts it in the
# initramfs).  It loads the virtio modules, configures eth0 (the static
# address nova injected into /etc/network/interfaces on the disk when
# --flat_injected, else a DHCP lease), asks the metadata service for its
# instance id, runs its user data when that is a script, prints the
# /etc/motd of its disk when there is one, then ONE marker line to the
# serial console (and the VGA screen) and stays up.  An ACPI power-button press
# (virsh shutdown, a soft reboot) powers it off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp /mnt /run
for m in $(cat /lib/modules/order); do
    insmod "/lib/modules/$m.ko" 2>/dev/null
done

# Power button -> power off (soft reboot and ACPI shutdown).
for ev in /sys/class/input/event*; do
    [ -e "$ev/device/name" ] || continue
    if grep -q 'Power Button' "$ev/device/name"; then
        dev=/dev/input/$(basename "$ev")
        ( dd if="$dev" bs=24 count=1 >/dev/null 2>&1
          echo "NOVA-TEST-GUEST acpi power button: powering off"
          sync; poweroff -f ) &
    fi
done

# The root disk (vda) nova built from the machine image, read only.
DISKNOTE=nodisk
if [ -b /dev/vda ] && mount -t ext4 -o ro /dev/vda /mnt 2>/dev/null; then
    DISKNOTE=disk
    [ -s /mnt/root/.ssh/authorized_keys ] && DISKNOTE=disk+key
fi
[ -b /dev/vdb ] && DISKNOTE="$DISKNOTE+vdb"

ip link set lo up
ADDR=none
if [ -e /sys/class/net/eth0 ]; then
    ip link set eth0 up
    IFACES=/mnt/etc/network/interfaces
    if [ -f "$IFACES" ] && grep -q 'iface eth0 inet static' "$IFACES"; then
        a=$(awk '/^ *address /{print $2; exit}' "$IFACES")
        n=$(awk '/^ *netmask /{print $2; exit}' "$IFACES")
        g=$(awk '/^ *gateway /{print $2; exit}' "$IFACES")
        ifconfig eth0 "$a" netmask "$n" up
        [ -n "$g" ] && route add default gw "$g" 2>/dev/null
        ADDR=$a
    else
        udhcpc -i eth0 -n -q -t 6 -T 1 -s /bin/udhcpc.script >/dev/null 2>&1
        ADDR=$(ip -4 -o addr show dev eth0 | awk '{split($4, a, "/"); print a[1]; exit}')
        [ -n "$ADDR" ] || ADDR=none
    fi
fi

MD=http://169.254.169.254/latest
ID=none
if [ "$ADDR" != none ]; then
    # (busybox-static's wget crashes with -T: timeout(1) bounds it)
    if timeout 10 wget -q -O /tmp/instance-id "$MD/meta-data/instance-id"; then
        ID=$(head -c 64 /tmp/instance-id)
    fi
    [ -n "$ID" ] || ID=none
    if timeout 10 wget -q -O /tmp/user-data "$MD/user-data" 2>/dev/null; then
        if [ "$(head -c 2 /tmp/user-data)" = '#!' ]; then
            chmod +x /tmp/user-data
            /tmp/user-data > /tmp/user-data.out 2>&1
            echo "NOVA-TEST-GUEST user-data exit=$? $(head -c 200 /tmp/user-data.out | tr '\n' ' ')"
        fi
    fi
fi

# A personality file nova wrote into the disk (the OpenStack API's
# personality / injected_files): shown before the marker.
if [ -f /mnt/etc/motd ]; then
    echo "NOVA-TEST-GUEST motd: $(head -c 200 /mnt/etc/motd | tr '\n' ' ')"
fi
MARK="NOVA-TEST-GUEST ip=$ADDR id=$ID $DISKNOTE up=$(cut -d' ' -f1 /proc/uptime)"
echo "$MARK"
# On a serial console (libvirt's console=ttyS0) the VGA screen, which the
# VNC console shows, gets the marker too.
if grep -q 'console=ttyS' /proc/cmdline && [ -c /dev/tty1 ]; then
    echo "$MARK" > /dev/tty1 2>/dev/null
fi
while :; do sleep 3600; done
